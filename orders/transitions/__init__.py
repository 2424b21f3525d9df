"""The order state machine: one table, keyed by `Action`, of everything about a transition.

Per action: which party may take it from which statuses, the status it leads to, its
effect (what it writes besides the status, in `orders.transitions.effects`) and the order
fields that effect changes, whose move the order waits for afterwards, the automatic step
the system applies right after it or after a time in a status, and how pages offer it.

`orders.services.order_transition` is the only code that changes an order's status; it
checks this table, runs the registered guards and the effect, and everything else (pages,
API, admin, beat tasks, Finance's payment hook) calls that service. A party missing from an
action's rules gets 403 (the order is theirs to see, the action is not theirs to take); a
party present but in the wrong status gets 409.

The action values are the API contract (`POST /orders/{id}/transitions/ {"action": ...}`)
and are stored on the timeline (`OrderEvent.action`): never rename one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from orders.models import Order
from orders.models import OrderStatus as S
from orders.transitions import effects
from orders.transitions.effects import Details, EffectContext


class Action(StrEnum):
    REQUEST_SAMPLE = "request_sample"
    SKIP_SAMPLE = "skip_sample"
    SHIP_SAMPLE = "ship_sample"
    APPROVE_SAMPLE = "approve_sample"
    REJECT_SAMPLE = "reject_sample"
    REQUEST_PAYMENT = "request_payment"
    MARK_PAID = "mark_paid"
    START_PRODUCTION = "start_production"
    ACCEPT_SHORT_SHIPMENT = "accept_short_shipment"
    FINISH_PRODUCTION = "finish_production"
    RECORD_INSPECTION = "record_inspection"
    ACCEPT_SELF_CHECK = "accept_self_check"
    SHIP = "ship"
    CONFIRM_DELIVERY = "confirm_delivery"
    COMPLETE = "complete"
    OPEN_DISPUTE = "open_dispute"
    RESOLVE_DISPUTE = "resolve_dispute"
    CANCEL = "cancel"


class Event(StrEnum):
    """Timeline rows that are not transitions (`OrderEvent.action`)."""

    ORDER_CREATED = "order_created"
    PROGRESS_REPORTED = "progress_reported"
    PROGRESS_CORRECTED = "progress_corrected"
    HOLD_EXTENDED = "hold_extended"
    INSPECTOR_ASSIGNED = "inspector_assigned"


EVENT_LABELS: Mapping[Event, Promise] = {
    Event.ORDER_CREATED: _("Order created"),
    Event.PROGRESS_REPORTED: _("Production progress reported"),
    Event.PROGRESS_CORRECTED: _("Production progress corrected"),
    Event.HOLD_EXTENDED: _("Capacity hold extended"),
    Event.INSPECTOR_ASSIGNED: _("Inspector assigned"),
}


class Party(StrEnum):
    BUYER = "buyer"
    FACTORY = "factory"
    OPERATOR = "operator"  # platform staff, through Django admin
    INSPECTOR = "inspector"  # the inspection organization assigned to the order
    SYSTEM = "system"  # beat tasks and services, never a person


class PageForm(StrEnum):
    """How the order page offers an action: a button with a note, or its own form."""

    BUTTON = "button"
    SAMPLE_SHIPMENT = "sample_shipment"  # a button with carrier and tracking number
    SHORT_SHIPMENT = "short_shipment"  # a button with the accepted quantity
    INSPECTION = "inspection"
    SHIPMENT = "shipment"
    DISPUTE = "dispute"

    @property
    def is_button(self) -> bool:
        return self in (PageForm.BUTTON, PageForm.SAMPLE_SHIPMENT, PageForm.SHORT_SHIPMENT)


Effect = Callable[[Order, EffectContext], Details]


@dataclass(frozen=True)
class Timeout:
    """The system applies the action once the order has sat in an allowed status for the
    number of days in `days_setting`, counted from the order's `since_field`."""

    days_setting: str
    since_field: str
    note: Promise  # formatted with %(days)d

    @property
    def days(self) -> int:
        return int(getattr(settings, self.days_setting))

    def note_text(self) -> str:
        return str(self.note) % {"days": self.days}

    @staticmethod
    def note_key(action: str) -> str:
        """The system-text key of the note (registered by `orders.texts`)."""
        return f"orders.timeout.{action}"


@dataclass(frozen=True)
class Transition:
    action: Action
    label: Promise
    target: S
    rules: Mapping[Party, frozenset[S]]
    effect: Effect | None = None
    # Every order field `effect` may change: exactly these are saved with the status.
    changes: frozenset[str] = frozenset()
    # Whose move the order waits for once in `target` (dashboards, overdue reminders).
    next_actor: Party | None = None
    # Reminded when nothing happens for ORDERS_OVERDUE_AFTER (production runs to its plan
    # instead, and is reminded only once it is late).
    remind_when_idle: bool = True
    # An automatic follow-up the system applies right after this one (same transaction).
    then: Action | None = None
    timeout: Timeout | None = None
    page_form: PageForm = PageForm.BUTTON
    style: str = "primary"
    note_label: Promise | None = None
    note_required: bool = False

    @property
    def manual(self) -> bool:
        """Offered to people (as a button or a form); system-only steps are not."""
        return any(party != Party.SYSTEM for party in self.rules)

    def allowed_from(self, party: Party) -> frozenset[S]:
        return self.rules.get(party, frozenset())


def _rule(*statuses: S) -> frozenset[S]:
    return frozenset(statuses)


INITIAL_STATUSES = _rule(S.SAMPLE_REQUESTED, S.AWAITING_PAYMENT)  # `order_open`
BEFORE_PAYMENT = _rule(S.SAMPLE_REQUESTED, S.SAMPLE_SHIPPED, S.SAMPLE_REJECTED, S.AWAITING_PAYMENT)
OPEN_STATUSES = BEFORE_PAYMENT | _rule(
    S.SAMPLE_APPROVED, S.PAID, S.IN_PRODUCTION, S.INSPECTION, S.SHIPPED, S.DELIVERED, S.DISPUTED
)
TERMINAL_STATUSES = _rule(S.COMPLETED, S.CANCELLED)

_TABLE = [
    Transition(
        Action.REQUEST_SAMPLE,
        _("Ask for another sample"),
        S.SAMPLE_REQUESTED,
        {Party.BUYER: _rule(S.SAMPLE_REJECTED)},
        next_actor=Party.FACTORY,
    ),
    Transition(
        Action.SKIP_SAMPLE,
        _("Skip the sample and go to payment"),
        S.AWAITING_PAYMENT,
        {Party.BUYER: _rule(S.SAMPLE_REQUESTED, S.SAMPLE_REJECTED)},
        effect=effects.skip_sample,
        changes=frozenset({"with_sample", "sample_fee_minor"}),
        next_actor=Party.BUYER,
        style="secondary",
    ),
    Transition(
        Action.SHIP_SAMPLE,
        _("Ship the sample"),
        S.SAMPLE_SHIPPED,
        {Party.FACTORY: _rule(S.SAMPLE_REQUESTED)},
        effect=effects.ship_sample,
        changes=frozenset({"sample_carrier", "sample_tracking_number"}),
        next_actor=Party.BUYER,
        page_form=PageForm.SAMPLE_SHIPMENT,
    ),
    Transition(
        Action.APPROVE_SAMPLE,
        _("Approve the sample"),
        S.SAMPLE_APPROVED,
        {Party.BUYER: _rule(S.SAMPLE_SHIPPED)},
        then=Action.REQUEST_PAYMENT,
    ),
    Transition(
        Action.REJECT_SAMPLE,
        _("Reject the sample"),
        S.SAMPLE_REJECTED,
        {Party.BUYER: _rule(S.SAMPLE_SHIPPED)},
        effect=effects.reject_sample,
        next_actor=Party.BUYER,
        style="danger",
        note_label=_("What is wrong with the sample?"),
        note_required=True,
    ),
    Transition(
        Action.REQUEST_PAYMENT,
        _("Request payment"),
        S.AWAITING_PAYMENT,
        {Party.SYSTEM: _rule(S.SAMPLE_APPROVED)},
        next_actor=Party.BUYER,
    ),
    # Finance marks the order paid (`order_mark_paid`, as the SYSTEM party) once the escrow
    # holds the agreed amount: the buyer pays on Finance's pay page, operators confirm bank
    # transfers in Finance's admin; nobody records a payment by hand.
    Transition(
        Action.MARK_PAID,
        _("Paid into escrow"),
        S.PAID,
        {Party.SYSTEM: _rule(S.AWAITING_PAYMENT)},
        effect=effects.mark_paid,
        changes=frozenset({"paid_at"}),
        next_actor=Party.FACTORY,
    ),
    Transition(
        Action.START_PRODUCTION,
        _("Start production"),
        S.IN_PRODUCTION,
        {Party.FACTORY: _rule(S.PAID)},
        effect=effects.start_production,
        changes=frozenset({"production_started_at", "capacity_booked", "hold_expires_at"}),
        next_actor=Party.FACTORY,
        remind_when_idle=False,
    ),
    # The buyer agrees to take fewer units than ordered: production may then finish at the
    # accepted quantity, the inspection samples that lot, and Finance refunds the rest.
    Transition(
        Action.ACCEPT_SHORT_SHIPMENT,
        _("Accept a short shipment"),
        S.IN_PRODUCTION,
        {Party.BUYER: _rule(S.IN_PRODUCTION)},
        effect=effects.accept_short_shipment,
        changes=frozenset({"accepted_quantity"}),
        next_actor=Party.FACTORY,
        remind_when_idle=False,
        page_form=PageForm.SHORT_SHIPMENT,
        style="secondary",
    ),
    # Only once the reported units reach the quantity (or the accepted short quantity).
    Transition(
        Action.FINISH_PRODUCTION,
        _("Production finished: ready for inspection"),
        S.INSPECTION,
        {Party.FACTORY: _rule(S.IN_PRODUCTION)},
        effect=effects.finish_production,
        next_actor=Party.FACTORY,
    ),
    # The buyer, the assigned inspector or an operator inspects; the factory's own record
    # is a self-check that counts only once the buyer accepts it.
    Transition(
        Action.RECORD_INSPECTION,
        _("Record an inspection"),
        S.INSPECTION,
        {
            Party.BUYER: _rule(S.INSPECTION),
            Party.FACTORY: _rule(S.INSPECTION),
            Party.OPERATOR: _rule(S.INSPECTION),
            Party.INSPECTOR: _rule(S.INSPECTION),
        },
        effect=effects.record_inspection,
        next_actor=Party.FACTORY,
        page_form=PageForm.INSPECTION,
    ),
    Transition(
        Action.ACCEPT_SELF_CHECK,
        _("Accept the factory's self-check"),
        S.INSPECTION,
        {Party.BUYER: _rule(S.INSPECTION)},
        effect=effects.accept_self_check,
        next_actor=Party.FACTORY,
    ),
    Transition(
        Action.SHIP,
        _("Ship the goods"),
        S.SHIPPED,
        {Party.FACTORY: _rule(S.INSPECTION)},
        effect=effects.ship,
        changes=frozenset({"carrier", "tracking_number", "shipped_on", "shipped_at"}),
        next_actor=Party.BUYER,
        page_form=PageForm.SHIPMENT,
    ),
    Transition(
        Action.CONFIRM_DELIVERY,
        _("Confirm receipt"),
        S.DELIVERED,
        {Party.BUYER: _rule(S.SHIPPED), Party.SYSTEM: _rule(S.SHIPPED)},
        effect=effects.confirm_delivery,
        changes=frozenset({"delivered_at"}),
        next_actor=Party.BUYER,
        timeout=Timeout(
            "ORDERS_AUTO_CONFIRM_DAYS",
            "shipped_at",
            _("Receipt confirmed automatically after %(days)d days."),
        ),
    ),
    Transition(
        Action.COMPLETE,
        _("Accept the goods and release payment"),
        S.COMPLETED,
        {Party.BUYER: _rule(S.DELIVERED), Party.SYSTEM: _rule(S.DELIVERED)},
        effect=effects.complete,
        changes=frozenset({"completed_at"}),
        timeout=Timeout(
            "ORDERS_DISPUTE_WINDOW_DAYS",
            "delivered_at",
            _("Completed automatically: the dispute window closed."),
        ),
    ),
    Transition(
        Action.OPEN_DISPUTE,
        _("Open a dispute"),
        S.DISPUTED,
        {Party.BUYER: _rule(S.SHIPPED, S.DELIVERED)},
        effect=effects.open_dispute,
        next_actor=Party.OPERATOR,
        page_form=PageForm.DISPUTE,
        style="danger",
    ),
    Transition(
        Action.RESOLVE_DISPUTE,
        _("Resolve the dispute and complete"),
        S.COMPLETED,
        {Party.OPERATOR: _rule(S.DISPUTED)},
        effect=effects.resolve_dispute,
        changes=frozenset({"completed_at"}),
        note_required=True,
    ),
    Transition(
        Action.CANCEL,
        _("Cancel the order"),
        S.CANCELLED,
        {
            Party.BUYER: BEFORE_PAYMENT,
            Party.FACTORY: _rule(S.SAMPLE_REQUESTED, S.SAMPLE_REJECTED, S.AWAITING_PAYMENT),
            Party.OPERATOR: OPEN_STATUSES,
        },
        effect=effects.cancel,
        changes=frozenset({"cancelled_at", "capacity_booked", "hold_expires_at"}),
        style="danger",
    ),
]

TRANSITIONS: Mapping[Action, Transition] = {item.action: item for item in _TABLE}
TIMED_ACTIONS = tuple(item for item in _TABLE if item.timeout is not None)


def available_actions(*, status: str, party: Party) -> list[Transition]:
    """The actions `party` is offered on an order in `status`, in table order."""
    return [item for item in _TABLE if item.manual and status in item.allowed_from(party)]


def next_actor(status: str) -> Party | None:
    """Whose move an order in `status` waits for (the same for every way into it)."""
    for item in _TABLE:
        if item.target == status:
            return item.next_actor
    return None


def statuses_waiting_for(party: Party, *, idle_only: bool = False) -> list[S]:
    """Statuses in which the order waits for `party`; with `idle_only`, those in which
    waiting too long earns a reminder."""
    return sorted(
        {
            item.target
            for item in _TABLE
            if item.next_actor == party and (item.remind_when_idle or not idle_only)
        }
    )


def action_label(action: str) -> str:
    """The human label of a timeline row's action (a transition or another event)."""
    if action in TRANSITIONS:
        return str(TRANSITIONS[Action(action)].label)
    if action in EVENT_LABELS:
        return str(EVENT_LABELS[Event(action)])
    return action


# --- guards: other apps' conditions on an action, without orders importing them ---------

Guard = Callable[..., Any]
_GUARDS: dict[Action, list[Guard]] = defaultdict(list)


def register_guard(action: Action, guard: Guard) -> None:
    """Make `guard(order=..., party=...)` run inside every `action` transition, with the
    order row locked, after the table's checks and before the effect. It refuses by
    raising `marketplace.exceptions.ConflictError` (the transaction rolls back; the API
    answers 409). Register from an AppConfig.ready(); registering twice is harmless."""
    if guard not in _GUARDS[action]:
        _GUARDS[action].append(guard)


def unregister_guard(action: Action, guard: Guard) -> None:
    if guard in _GUARDS[action]:
        _GUARDS[action].remove(guard)


def guards_for(action: Action) -> tuple[Guard, ...]:
    return tuple(_GUARDS[action])
