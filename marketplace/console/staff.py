"""Staff groups and the second factor every operator signs in with.

Permissions are split by the decisions operators take: an auditor approves factory audits,
an arbiter decides disputes, finance confirms money and grants credit, content edits the
catalog and the home page. The groups are created with their model permissions by
migration `marketplace.0005_staff_groups`; an admin decision checks the permission named
here, so a content editor posting a dispute decision gets 403 and nothing changes.
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
SUSPEND_ORGANIZATION = "marketplace.suspend_organization"
VIEW_AS_ORGANIZATION = "marketplace.view_organization"


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
