"""The order state machine: one table of who may do what from which status.

`TRANSITIONS[action]` names, per party, the statuses the action is allowed from, and the
status it leads to. `orders.services.order_transition` is the only code that changes an
order's status; it checks this table, and everything else (pages, API, admin, beat tasks,
Finance's payment hook) calls that service.

A party missing from an action's rules gets 403 (the order is theirs to see, the action is
not theirs to take); a party present but in the wrong status gets 409.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from orders.models import OrderStatus as S


class Party(StrEnum):
    BUYER = "buyer"
    FACTORY = "factory"
    OPERATOR = "operator"  # platform staff, through Django admin
    SYSTEM = "system"  # beat tasks and services, never a person


@dataclass(frozen=True)
class Transition:
    action: str
    label: object
    target: str
    rules: dict[Party, frozenset[str]]
    # An automatic follow-up applied by the system right after this one (same transaction).
    then: str | None = None
    # Shown to people as a button; system-only steps are not.
    manual: bool = True
    style: str = field(default="primary")

    def allowed_from(self, party: Party) -> frozenset[str]:
        return self.rules.get(party, frozenset())


def _rule(*statuses: str) -> frozenset[str]:
    return frozenset(statuses)


BEFORE_PAYMENT = _rule(S.SAMPLE_REQUESTED, S.SAMPLE_SHIPPED, S.SAMPLE_REJECTED, S.AWAITING_PAYMENT)
OPEN_STATUSES = BEFORE_PAYMENT | _rule(
    S.SAMPLE_APPROVED, S.PAID, S.IN_PRODUCTION, S.INSPECTION, S.SHIPPED, S.DELIVERED, S.DISPUTED
)
TERMINAL_STATUSES = frozenset({S.COMPLETED, S.CANCELLED})

_TABLE = [
    Transition(
        "request_sample",
        _("Ask for another sample"),
        S.SAMPLE_REQUESTED,
        {Party.BUYER: _rule(S.SAMPLE_REJECTED)},
    ),
    Transition(
        "skip_sample",
        _("Skip the sample and go to payment"),
        S.AWAITING_PAYMENT,
        {Party.BUYER: _rule(S.SAMPLE_REQUESTED, S.SAMPLE_REJECTED)},
        style="secondary",
    ),
    Transition(
        "ship_sample",
        _("Ship the sample"),
        S.SAMPLE_SHIPPED,
        {Party.FACTORY: _rule(S.SAMPLE_REQUESTED)},
    ),
    Transition(
        "approve_sample",
        _("Approve the sample"),
        S.SAMPLE_APPROVED,
        {Party.BUYER: _rule(S.SAMPLE_SHIPPED)},
        then="request_payment",
    ),
    Transition(
        "reject_sample",
        _("Reject the sample"),
        S.SAMPLE_REJECTED,
        {Party.BUYER: _rule(S.SAMPLE_SHIPPED)},
        style="danger",
    ),
    Transition(
        "request_payment",
        _("Request payment"),
        S.AWAITING_PAYMENT,
        {Party.SYSTEM: _rule(S.SAMPLE_APPROVED)},
        manual=False,
    ),
    # Until Finance exists, the buyer records the payment (`order_mark_paid`); Finance's
    # escrow / credit-voucher capture will call the same service as the SYSTEM party.
    Transition(
        "mark_paid",
        _("Record payment"),
        S.PAID,
        {
            Party.BUYER: _rule(S.AWAITING_PAYMENT),
            Party.OPERATOR: _rule(S.AWAITING_PAYMENT),
            Party.SYSTEM: _rule(S.AWAITING_PAYMENT),
        },
    ),
    Transition(
        "start_production",
        _("Start production"),
        S.IN_PRODUCTION,
        {Party.FACTORY: _rule(S.PAID)},
    ),
    Transition(
        "finish_production",
        _("Production finished: ready for inspection"),
        S.INSPECTION,
        {Party.FACTORY: _rule(S.IN_PRODUCTION)},
    ),
    Transition(
        "record_inspection",
        _("Record an inspection"),
        S.INSPECTION,
        {Party.FACTORY: _rule(S.INSPECTION), Party.OPERATOR: _rule(S.INSPECTION)},
    ),
    Transition(
        "ship",
        _("Ship the goods"),
        S.SHIPPED,
        {Party.FACTORY: _rule(S.INSPECTION)},
    ),
    Transition(
        "confirm_delivery",
        _("Confirm receipt"),
        S.DELIVERED,
        {Party.BUYER: _rule(S.SHIPPED), Party.SYSTEM: _rule(S.SHIPPED)},
    ),
    Transition(
        "complete",
        _("Accept the goods and release payment"),
        S.COMPLETED,
        {Party.BUYER: _rule(S.DELIVERED), Party.SYSTEM: _rule(S.DELIVERED)},
    ),
    Transition(
        "open_dispute",
        _("Open a dispute"),
        S.DISPUTED,
        {Party.BUYER: _rule(S.SHIPPED, S.DELIVERED)},
        style="danger",
    ),
    Transition(
        "resolve_dispute",
        _("Resolve the dispute and complete"),
        S.COMPLETED,
        {Party.OPERATOR: _rule(S.DISPUTED)},
    ),
    Transition(
        "cancel",
        _("Cancel the order"),
        S.CANCELLED,
        {
            Party.BUYER: BEFORE_PAYMENT,
            Party.FACTORY: _rule(S.SAMPLE_REQUESTED, S.SAMPLE_REJECTED, S.AWAITING_PAYMENT),
            Party.OPERATOR: OPEN_STATUSES,
        },
        style="danger",
    ),
]

TRANSITIONS: dict[str, Transition] = {transition.action: transition for transition in _TABLE}
ACTIONS = tuple(TRANSITIONS)
MANUAL_ACTIONS = tuple(action for action, item in TRANSITIONS.items() if item.manual)


def available_actions(*, status: str, party: Party) -> list[Transition]:
    """The buttons `party` should see on an order in `status`."""
    return [
        transition
        for transition in _TABLE
        if transition.manual and status in transition.allowed_from(party)
    ]
