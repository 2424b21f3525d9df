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
