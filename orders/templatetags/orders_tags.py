from django import template
from django.utils.translation import gettext as _

from orders.models import OrderStatus
from orders.transitions import TRANSITIONS

register = template.Library()

_EXTRA = {
    "order_created": lambda: _("Order created"),
    "progress_reported": lambda: _("Production progress reported"),
}


@register.filter
def action_label(action: str) -> str:
    """The human label of a timeline action (transition or other event)."""
    if action in TRANSITIONS:
        return str(TRANSITIONS[action].label)
    extra = _EXTRA.get(action)
    return extra() if extra else action


@register.filter
def status_label(status: str) -> str:
    try:
        return str(OrderStatus(status).label)
    except ValueError:
        return status


@register.inclusion_tag("orders/_dashboard_panel.html", takes_context=True)
def orders_dashboard_panel(context) -> dict:
    """Counts for the dashboard: open RFQs, orders by who must act next."""
    from orders.selectors import dashboard_counts

    organization = context.get("current_organization")
    if organization is None or organization.kind not in ("buyer", "factory"):
        return {"show": False}
    return {
        "show": True,
        "organization": organization,
        **dashboard_counts(organization=organization),
    }
