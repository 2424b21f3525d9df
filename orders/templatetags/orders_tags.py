from django import template

from orders import transitions
from orders.models import OrderStatus
from orders.selectors import dashboard_counts

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    """The human label of a timeline action (transition or other event)."""
    return transitions.action_label(action)


@register.filter
def status_label(status: str) -> str:
    try:
        return str(OrderStatus(status).label)
    except ValueError:
        return status


@register.inclusion_tag("orders/_dashboard_panel.html", takes_context=True)
def orders_dashboard_panel(context) -> dict:
    """Counts for the dashboard: open RFQs, orders by who must act next."""
    organization = context.get("current_organization")
    if organization is None or organization.kind not in ("buyer", "factory"):
        return {"show": False}
    return {
        "show": True,
        "organization": organization,
        **dashboard_counts(organization=organization),
    }
