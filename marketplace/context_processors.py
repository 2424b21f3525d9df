from django.http import HttpRequest

from marketplace.selectors import memberships_for_user


def organization(request: HttpRequest) -> dict:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"current_membership": None, "current_organization": None, "all_memberships": []}
    membership = getattr(request, "membership", None)
    return {
        "current_membership": membership or None,
        "current_organization": membership.organization if membership else None,
        "all_memberships": memberships_for_user(user=request.user),
    }
