"""Demo organizations and people. Idempotent: running it again changes nothing."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db import transaction

from marketplace.models import Membership, Organization, User

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - documented demo credential
# Operators sign in with a second factor (STAFF_MFA_REQUIRED). The demo operator's is known:
# add this secret to an authenticator app, or use one of the recovery codes `make run` prints.
DEMO_OPERATOR_TOTP_SECRET = "C2MDEMOOPERATORTOTPSECRETSEVENAA"  # noqa: S105 - demo only
_DEMO_RECOVERY_SEED = "c2m-demo-operator-recovery-codes-seed-2026"  # demo only

DEMO_LOGINS = [
    ("operator@c2m.example", "platform operator (Django admin at /admin/)"),
    ("buyer@c2m.example", "buyer: Bright Threads Online Store"),
    ("factory@c2m.example", "factory: Ningbo Evergreen Garments"),
    ("service@c2m.example", "service provider: Delta Machine Service"),
    ("inspector@c2m.example", "inspection organization: Yangtze QC Partners"),
    ("multi@c2m.example", "member of a buyer and a factory (try the switcher)"),
]

ORGANIZATIONS = [
    ("c2m-operations", "C2M Operations", Organization.Kind.OPERATOR, True),
    ("bright-threads", "Bright Threads Online Store", Organization.Kind.BUYER, True),
    ("urban-nest-home", "Urban Nest Home Brand", Organization.Kind.BUYER, True),
    ("ningbo-evergreen", "Ningbo Evergreen Garments", Organization.Kind.FACTORY, True),
    ("delta-machine-service", "Delta Machine Service", Organization.Kind.SERVICE_PROVIDER, True),
    ("yangtze-qc", "Yangtze QC Partners", Organization.Kind.INSPECTION, True),
]

MEMBERSHIPS = [
    ("operator@c2m.example", "c2m-operations", Membership.Role.OWNER),
    ("buyer@c2m.example", "bright-threads", Membership.Role.OWNER),
    ("factory@c2m.example", "ningbo-evergreen", Membership.Role.OWNER),
    ("service@c2m.example", "delta-machine-service", Membership.Role.OWNER),
    ("inspector@c2m.example", "yangtze-qc", Membership.Role.OWNER),
    ("multi@c2m.example", "urban-nest-home", Membership.Role.ADMIN),
    ("multi@c2m.example", "ningbo-evergreen", Membership.Role.MEMBER),
]

NAMES = {
    "operator@c2m.example": "Olivia Operator",
    "buyer@c2m.example": "Bao Buyer",
    "factory@c2m.example": "Fang Factory",
    "service@c2m.example": "Sam Service",
    "inspector@c2m.example": "Ivy Inspector",
    "multi@c2m.example": "Mei Multi",
}


def _user(email: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email, password=DEMO_PASSWORD, full_name=NAMES.get(email, "")
        )
    if email.startswith("operator@"):
        User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
        _demo_second_factor(user)
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def _demo_second_factor(user: User) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import encrypt

    Authenticator.objects.get_or_create(
        user=user,
        type=Authenticator.Type.TOTP,
        defaults={"data": {"secret": encrypt(DEMO_OPERATOR_TOTP_SECRET)}},
    )
    Authenticator.objects.get_or_create(
        user=user,
        type=Authenticator.Type.RECOVERY_CODES,
        defaults={"data": {"seed": encrypt(_DEMO_RECOVERY_SEED), "used_mask": 0}},
    )


def demo_operator_recovery_codes() -> list[str]:
    """The demo operator's unused recovery codes (each works once)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    authenticator = Authenticator.objects.filter(
        user__email="operator@c2m.example", type=Authenticator.Type.RECOVERY_CODES
    ).first()
    return RecoveryCodes(authenticator).get_unused_codes() if authenticator else []


@transaction.atomic
def seed() -> dict[str, Organization]:
    organizations = {}
    for slug, name, kind, verified in ORGANIZATIONS:
        organizations[slug], _ = Organization.objects.update_or_create(
            slug=slug, defaults={"name": name, "kind": kind, "verified": verified}
        )
    for email, slug, role in MEMBERSHIPS:
        Membership.objects.update_or_create(
            user=_user(email), organization=organizations[slug], defaults={"role": role}
        )
    return organizations
