"""Demo organizations and people. Idempotent: running it again changes nothing."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db import transaction

from marketplace.models import Membership, Organization, User

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - documented demo credential

DEMO_LOGINS = [
    ("operator@c2m.example", "platform operator (Django admin at /admin/)"),
    ("buyer@c2m.example", "buyer: Bright Threads Online Store"),
    ("factory@c2m.example", "factory: Ningbo Evergreen Garments"),
    ("service@c2m.example", "service provider: Delta Machine Service"),
    ("multi@c2m.example", "member of a buyer and a factory (try the switcher)"),
]

ORGANIZATIONS = [
    ("c2m-operations", "C2M Operations", Organization.Kind.OPERATOR, True),
    ("bright-threads", "Bright Threads Online Store", Organization.Kind.BUYER, True),
    ("urban-nest-home", "Urban Nest Home Brand", Organization.Kind.BUYER, True),
    ("ningbo-evergreen", "Ningbo Evergreen Garments", Organization.Kind.FACTORY, True),
    ("delta-machine-service", "Delta Machine Service", Organization.Kind.SERVICE_PROVIDER, True),
]

MEMBERSHIPS = [
    ("operator@c2m.example", "c2m-operations", Membership.Role.OWNER),
    ("buyer@c2m.example", "bright-threads", Membership.Role.OWNER),
    ("factory@c2m.example", "ningbo-evergreen", Membership.Role.OWNER),
    ("service@c2m.example", "delta-machine-service", Membership.Role.OWNER),
    ("multi@c2m.example", "urban-nest-home", Membership.Role.ADMIN),
    ("multi@c2m.example", "ningbo-evergreen", Membership.Role.MEMBER),
]

NAMES = {
    "operator@c2m.example": "Olivia Operator",
    "buyer@c2m.example": "Bao Buyer",
    "factory@c2m.example": "Fang Factory",
    "service@c2m.example": "Sam Service",
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
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


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
