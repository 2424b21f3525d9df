"""Staff groups and the second factor every operator signs in with.

Permissions are split by the decisions operators take: an auditor approves factory audits,
an arbiter decides disputes, finance confirms money and grants credit, content edits the
catalog and the home page. The groups are created with their model permissions by
migration `console.0002_staff_groups` and kept filled after every migrate
(`staff_groups_sync`); an admin decision checks the permission named here, so a content
editor posting a dispute decision gets 403 and nothing changes.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from marketplace.models import User

AUDITOR = "auditor"
ARBITER = "arbiter"
FINANCE = "finance"
CONTENT = "content"
STAFF_GROUPS = (AUDITOR, ARBITER, FINANCE, CONTENT)

# One permission per kind of decision (app_label.codename).
DECIDE_AUDIT = "factories.change_auditsubmission"
DECIDE_DISPUTE = "finance.add_disputedecision"
CONFIRM_BANK_TRANSFER = "finance.change_payment"
GRANT_CREDIT = "finance.change_creditline"
WRITE_OFF_CREDIT = "finance.change_creditdraw"
DECIDE_ADVANCE = "finance.change_financingadvance"
CANCEL_ORDER = "orders.change_order"
SUSPEND_ORGANIZATION = "marketplace.suspend_organization"
# Opening an organization's pages read-only for support (`console.support`).
START_SUPPORT_VIEW = "console.add_supportsession"


VIEW = ("view",)
DECIDE = ("view", "change")
# Auditors, arbiters and finance look at an organization's pages as it sees them (read-only,
# every page logged); content editors do not.
SUPPORT_VIEW = {"supportsession": ("view", "add"), "supportpageview": VIEW, "auditevent": VIEW}

STAFF_GROUP_PERMISSIONS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "auditor": {
        "factories": {
            "auditsubmission": DECIDE,
            "auditevidence": VIEW,
            "factoryprofile": VIEW,
            "certification": VIEW,
            "productionline": VIEW,
            "equipment": VIEW,
            "capacityday": VIEW,
        },
        "marketplace": {"organization": VIEW, "membership": VIEW},
        "console": SUPPORT_VIEW,
    },
    "arbiter": {
        "orders": {"order": DECIDE, "dispute": DECIDE, "inspection": VIEW, "orderevent": VIEW},
        "finance": {"disputedecision": ("view", "add"), "payment": VIEW},
        "marketplace": {"organization": VIEW},
        "console": SUPPORT_VIEW,
    },
    "finance": {
        "finance": {
            "payment": DECIDE,
            "creditline": ("view", "add", "change"),
            "creditdraw": DECIDE,
            "payout": ("view", "add"),
            "financingadvance": DECIDE,
            "account": VIEW,
            "journaltransaction": VIEW,
            "posting": VIEW,
            "refund": VIEW,
            "stripeevent": VIEW,
            "disputedecision": VIEW,
        },
        "orders": {"order": VIEW},
        "marketplace": {"organization": VIEW},
        "console": SUPPORT_VIEW,
    },
    "content": {
        "catalog": {
            "category": ("view", "add", "change", "delete"),
            "solution": ("view", "add", "change", "delete"),
            "solutionitem": ("view", "add", "change", "delete"),
            "product": ("view", "change"),
        },
        "customization": {"campaign": ("view", "change")},
        "orders": {"inspectionchecklistitem": ("view", "add", "change", "delete")},
        "factories": {"factoryprofile": VIEW, "factoryphoto": VIEW},
    },
}


def staff_groups_sync() -> None:
    """Give the four groups at least the permissions above. Run after every `migrate` (and
    after a test's database flush), so the groups exist wherever permissions do; the
    migration `console.0002_staff_groups` created them first."""
    from django.contrib.auth.models import Group, Permission

    for name, grants in STAFF_GROUP_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        for app_label, models in grants.items():
            for model, actions in models.items():
                codenames = [f"{action}_{model}" for action in actions]
                group.permissions.add(
                    *Permission.objects.filter(
                        content_type__app_label=app_label, codename__in=codenames
                    )
                )


def permission_require(*, user: User, permission: str) -> None:
    """403 unless the operator holds `permission` (superusers hold every permission)."""
    if not (user.is_active and user.is_staff and user.has_perm(permission)):
        raise PermissionDenied(_("Your staff group does not allow this decision."))


def staff_mfa_required(*, user: User | AnonymousUser) -> bool:
    """Whether this signed-in person must set up a second factor before using the admin."""
    if not (settings.STAFF_MFA_REQUIRED and user.is_authenticated and user.is_staff):
        return False
    from allauth.mfa.models import Authenticator

    return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
