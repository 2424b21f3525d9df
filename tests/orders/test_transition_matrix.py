"""Every (status, action, party) combination of the order state machine, over the public
API (buyer, factory, a stranger organization) and through the service (operator, system).

The expectations below are written out independently of `orders.transitions` on purpose:
if the table in the code drifts, these tests fail. Allowed combinations must succeed and
land in the stated status; every other one is 403 (the other party's action), 409 (wrong
status) or 404 (not your order) and must change nothing at all.
"""

from __future__ import annotations

import pytest
from django.forms.models import model_to_dict

from factories import selectors as factory_selectors
from orders import services
from orders.exceptions import OrderConflictError, WrongPartyError
from orders.models import Order, OrderStatus
from orders.transitions import Action, Party
from tests.helpers import api_client
from tests.orders.conftest import NOTES, details_for, drive, make_deal, make_factory, prepare

pytestmark = pytest.mark.django_db

S = OrderStatus
BEFORE_PAYMENT = [S.SAMPLE_REQUESTED, S.SAMPLE_SHIPPED, S.SAMPLE_REJECTED, S.AWAITING_PAYMENT]
OPEN = [*BEFORE_PAYMENT, S.SAMPLE_APPROVED, S.PAID, S.IN_PRODUCTION, S.INSPECTION, S.SHIPPED]
OPEN += [S.DELIVERED, S.DISPUTED]

# (status, action, party) -> resulting status
ALLOWED: dict[tuple[str, str, str], str] = {
    (S.SAMPLE_REJECTED, "request_sample", "buyer"): S.SAMPLE_REQUESTED,
    (S.SAMPLE_REQUESTED, "skip_sample", "buyer"): S.AWAITING_PAYMENT,
    (S.SAMPLE_REJECTED, "skip_sample", "buyer"): S.AWAITING_PAYMENT,
    (S.SAMPLE_REQUESTED, "ship_sample", "factory"): S.SAMPLE_SHIPPED,
    (S.SAMPLE_SHIPPED, "approve_sample", "buyer"): S.AWAITING_PAYMENT,  # via sample_approved
    (S.SAMPLE_SHIPPED, "reject_sample", "buyer"): S.SAMPLE_REJECTED,
    (S.SAMPLE_APPROVED, "request_payment", "system"): S.AWAITING_PAYMENT,
    (S.AWAITING_PAYMENT, "mark_paid", "system"): S.PAID,  # Finance, once escrow is funded
    (S.PAID, "start_production", "factory"): S.IN_PRODUCTION,
    (S.IN_PRODUCTION, "accept_short_shipment", "buyer"): S.IN_PRODUCTION,
    (S.IN_PRODUCTION, "finish_production", "factory"): S.INSPECTION,  # every unit reported
    (S.INSPECTION, "record_inspection", "buyer"): S.INSPECTION,
    (S.INSPECTION, "record_inspection", "factory"): S.INSPECTION,  # a self-check
    (S.INSPECTION, "record_inspection", "operator"): S.INSPECTION,
    (S.INSPECTION, "accept_self_check", "buyer"): S.INSPECTION,
    (S.INSPECTION, "ship", "factory"): S.SHIPPED,
    (S.SHIPPED, "confirm_delivery", "buyer"): S.DELIVERED,
    (S.SHIPPED, "confirm_delivery", "system"): S.DELIVERED,
    (S.DELIVERED, "complete", "buyer"): S.COMPLETED,
    (S.DELIVERED, "complete", "system"): S.COMPLETED,
    (S.SHIPPED, "open_dispute", "buyer"): S.DISPUTED,
    (S.DELIVERED, "open_dispute", "buyer"): S.DISPUTED,
    (S.DISPUTED, "resolve_dispute", "operator"): S.COMPLETED,
}
for _status in BEFORE_PAYMENT:
    ALLOWED[(_status, "cancel", "buyer")] = S.CANCELLED
for _status in (S.SAMPLE_REQUESTED, S.SAMPLE_REJECTED, S.AWAITING_PAYMENT):
    ALLOWED[(_status, "cancel", "factory")] = S.CANCELLED
for _status in OPEN:
    ALLOWED[(_status, "cancel", "operator")] = S.CANCELLED

# Which actions belong to a party at all (otherwise 403 whatever the status).
PARTY_ACTIONS = {
    party: {action for (_s, action, who) in ALLOWED if who == party}
    for party in ("buyer", "factory", "operator", "system")
}
STATUSES = list(S.values)
ACTIONS = [action.value for action in Action]


def test_the_expectations_cover_every_action_in_the_code():
    assert set(ACTIONS) == {action for (_s, action, _p) in ALLOWED}


def snapshot(order: Order) -> dict:
    order = Order.objects.get(pk=order.pk)
    row = model_to_dict(order)
    reservation = factory_selectors.reservation_by_reference(reference=order.reservation_reference)
    return {
        "row": row,
        "events": order.events.count(),
        "inspections": order.inspections.count(),
        "disputes": order.disputes.count(),
        "reservation": (reservation.status, reservation.quantity) if reservation else None,
    }


def request_body(action: str, order: Order) -> dict:
    return {"action": action, "note": NOTES.get(action, "checked"), **details_for(action, order)}


@pytest.mark.parametrize("party", ["buyer", "factory", "stranger"])
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("status", STATUSES)
def test_api_transition(status, action, party):
    deal, order = prepare(status, action)
    if party == "stranger":
        _other, user = make_factory(deal.category)
    else:
        user = deal.buyer_user if party == "buyer" else deal.factory_user
    before = snapshot(order)
    response = api_client(user).post(
        f"/api/v1/orders/{order.pk}/transitions/", request_body(action, order), format="json"
    )
    expected = ALLOWED.get((status, action, party))
    if expected is not None:
        assert response.status_code == 200, response.content
        assert response.json()["status"] == expected
        assert Order.objects.get(pk=order.pk).status == expected
        assert response.json()["events"][-1]["action"] in (action, "request_payment")
        return
    if party == "stranger":
        assert response.status_code == 404
    elif action not in PARTY_ACTIONS[party]:
        assert response.status_code == 403, response.content
    else:
        assert response.status_code == 409, response.content
    assert snapshot(order) == before


@pytest.mark.parametrize("party", [Party.OPERATOR, Party.SYSTEM])
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("status", STATUSES)
def test_service_transition_for_operator_and_system(status, action, party):
    deal, order = prepare(status, action)
    before = snapshot(order)
    expected = ALLOWED.get((status, action, party.value))
    body = request_body(action, order)
    body.pop("action")
    note = body.pop("note")

    def apply():
        return services.order_transition_apply(
            order_pk=order.pk,
            action=Action(action),
            party=party,
            acting_user=deal.buyer_user if party == Party.OPERATOR else None,
            acting_organization=None,
            note=note,
            details=body,
        )

    if expected is not None:
        assert apply().status == expected
        return
    error = WrongPartyError if action not in PARTY_ACTIONS[party.value] else OrderConflictError
    with pytest.raises(error):
        apply()
    assert snapshot(order) == before


def test_staff_user_without_organization_acts_as_operator():
    deal = make_deal()
    order = drive(deal, S.IN_PRODUCTION)
    deal.buyer_user.is_staff = True
    assert services.order_party(order=order, organization=None, user=deal.buyer_user) == (
        Party.OPERATOR
    )
