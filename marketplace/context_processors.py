from functools import partial

from django.http import HttpRequest

from marketplace.selectors import memberships_for_user, notifications_unread_count


def organization(request: HttpRequest) -> dict:
    """The organization the browser user acts for, their others (for the switcher), and the
    unread count for the top bar's badge (a callable: counted only where a page shows it)."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {
            "current_membership": None,
            "current_organization": None,
            "all_memberships": [],
            "unread_notifications_count": 0,
        }
    membership = getattr(request, "membership", None)
    current_organization = membership.organization if membership else None
    all_memberships = getattr(request, "all_memberships", None)
    if all_memberships is None:
        all_memberships = list(memberships_for_user(user=request.user))
    unread = (
        partial(notifications_unread_count, user=request.user, organization=current_organization)
        if current_organization is not None
        else 0
    )
    return {
        "current_membership": membership or None,
        "current_organization": current_organization,
        "all_memberships": all_memberships,
        "unread_notifications_count": unread,
    }
