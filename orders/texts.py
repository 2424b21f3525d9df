"""The orders app's system sentences (notifications, timeline notes), kept as keys and
parameters and rendered in the reader's language (`marketplace.texts`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from marketplace.texts import define, define_choices
from orders.models import OrderStatus
from orders.transitions import TRANSITIONS, Timeout

define_choices("orders.status", OrderStatus)
# The notes of the timed steps (the timeline reads them in the reader's language).
for _transition in TRANSITIONS.values():
    if _transition.timeout is not None:
        define(Timeout.note_key(_transition.action), _transition.timeout.note)

OVERDUE = define("orders.overdue.title", _("Overdue: %(number)s is waiting for you (%(status)s)"))
OVERDUE_HOLD_LAPSED = define(
    "orders.overdue.hold_lapsed",
    _(
        "The capacity hold lapsed on %(date)s: the days are no longer reserved. Pay "
        "now and production re-reserves them if they are still free."
    ),
)
OVERDUE_LATE = define("orders.overdue.late", _("The promised ready date %(date)s has passed."))
OVERDUE_IDLE = define("orders.overdue.idle", _("Nothing has happened since %(date)s."))

RFQ_INVITED = define("orders.rfq_invited.title", _("New RFQ matched to you: %(title)s"))
RFQ_INVITED_BODY = define(
    "orders.rfq_invited.body",
    _("%(quantity)d × %(category)s, ready by %(date)s. Please quote."),
)
QUOTE_REVISED = define(
    "orders.quote_revised.title", _("%(factory)s revised its quote on %(title)s")
)
QUOTE_RECEIVED = define("orders.quote_received.title", _("New quote from %(factory)s on %(title)s"))
QUOTE_BODY = define(
    "orders.quote_received.body", _("Unit price %(price)s, lead time %(days)d days.")
)
RFQ_MESSAGE = define("orders.rfq_message.title", _("New message on RFQ %(title)s"))
ORDER_MESSAGE = define("orders.order_message.title", _("New message on %(number)s"))
RFQ_DECLINED = define("orders.rfq_declined.title", _("%(factory)s declined to quote on %(title)s"))
QUOTE_ACCEPTED = define("orders.quote_accepted.title", _("Your quote was accepted: %(number)s"))
QUOTE_ACCEPTED_BODY = define(
    "orders.quote_accepted.body", _("%(buyer)s ordered %(quantity)d units.")
)
QUOTE_NOT_SELECTED = define("orders.quote_not_selected.title", _("Quote not selected: %(title)s"))
ORDER_STATUS = define("orders.order_status.title", _("%(number)s: %(status)s"))
REPEAT_ORDER = define("orders.repeat_order.title", _("Repeat order %(number)s from %(buyer)s"))
REPEAT_ORDER_BODY = define(
    "orders.repeat_order.body", _("%(quantity)d units by %(date)s, same as %(original)s.")
)
REVIEW_RECEIVED = define("orders.review.title", _("New review on %(number)s: %(score)s / 5"))
HOLD_EXTENDED = define(
    "orders.hold_extended.title", _("%(number)s: capacity hold extended by %(days)d days")
)
HOLD_EXTENDED_BODY = define(
    "orders.hold_extended.body", _("The promised ready date moved from %(old)s to %(new)s.")
)

# Messages the system writes into an RFQ's thread.
QUOTE_REVISED_MESSAGE = define(
    "orders.message.quote_revised",
    _("Quote revised (revision %(rev)d): %(old_price)s → %(price)s, %(old_days)d → %(days)d days."),
)

# Timeline notes written by the system.
NOTE_REPEAT_OF = define("orders.note.repeat_of", _("Repeat of %(number)s."))
NOTE_QUOTE_ACCEPTED = define(
    "orders.note.quote_accepted", _("Quote %(pk)d accepted (revision %(rev)d).")
)
NOTE_PAYMENT_RECEIVED = define("orders.note.payment_received", _("Payment received."))

# Quality (issue 8): self-checks, short shipments, independent inspectors.
SELF_CHECK_WAITS = define(
    "orders.self_check_waits.title", _("%(number)s: the factory's self-check waits for you")
)
SELF_CHECK_FAILED = define(
    "orders.self_check_failed.title", _("%(number)s: the factory's self-check failed")
)
SHORT_SHIPMENT_ACCEPTED = define(
    "orders.short_shipment_accepted.title",
    _("%(number)s: short shipment of %(units)d units accepted"),
)
INSPECTOR_ASSIGNED = define(
    "orders.inspector_assigned.title", _("You inspect %(number)s for %(buyer)s")
)
INSPECTOR_ASSIGNED_BODY = define(
    "orders.inspector_assigned.body", _("%(quantity)d × %(title)s, AQL %(aql)s.")
)
