"""A dispute is decided on its own admin page, with both sides' case in view, through
Finance's service; only the arbiter group (and superusers) may decide."""

from __future__ import annotations

import pytest

from finance.models import DisputeDecision, Escrow
from finance.services import payments
from marketplace.console.models import AuditEvent
from marketplace.models import Notification
from orders.models import Dispute, OrderStatus
from tests.finance.conftest import order_awaiting_payment
from tests.helpers import make_operator
from tests.orders.conftest import REPORT_ALL, drive_steps, make_category, make_deal

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispute(django_capture_on_commit_callbacks):
    """A delivered order in dispute whose escrow still holds everything the buyer paid
    (the milestone releases run after commit, which this test's transaction never does)."""
    deal = make_deal(category=make_category())
    order = order_awaiting_payment(deal)
    payment = payments.payment_create(
        order=order, organization=deal.buyer, purpose="full", method="bank_transfer",
        acting_user=deal.buyer_user,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        payments.bank_transfer_confirm(
            payment=payment, received=payment.amount, acting_user=make_operator()
        )
    steps = [("start_production", "factory"), (REPORT_ALL, "factory")]
    steps += [("finish_production", "factory"), ("record_inspection", "buyer")]
    steps += [("ship", "factory"), ("confirm_delivery", "buyer"), ("open_dispute", "buyer")]
    drive_steps(deal, steps)
    assert deal.refresh().status == OrderStatus.DISPUTED
    return Dispute.objects.get(order=order)


def _page(dispute):
    return f"/admin/orders/dispute/{dispute.pk}/change/"


def test_the_arbiter_sees_both_sides_and_decides_a_split(client, dispute):
    arbiter = make_operator(superuser=False, groups=["arbiter"])
    order = dispute.order
    held = Escrow.objects.get(order=order).held_minor
    client.force_login(arbiter)

    page = client.get(_page(dispute)).content.decode()
    assert f"{order.number} · {order.buyer.name} -&gt; {order.factory.name}" in page
    assert "Seams are open on 30 shirts." in page
    assert "Escrow holds" in page
    assert 'id="dispute-decision-form"' in page

    too_much = client.post(
        _page(dispute), {"outcome": "split", "buyer_refund": "99999999", "reason": "Half"}
    )
    assert too_much.status_code == 200
    assert "A split refunds more than zero and less than" in too_much.content.decode()
    assert not DisputeDecision.objects.exists()

    buyer_notices = Notification.objects.filter(organization=order.buyer).count()
    decided = client.post(
        _page(dispute),
        {"outcome": "split", "buyer_refund": "1000.00", "reason": "30 of 300 shirts faulty"},
    )
    assert decided.status_code == 302
    decision = DisputeDecision.objects.get(dispute=dispute)
    assert (decision.refund_minor, decision.release_minor) == (100000, held - 100000)
    assert decision.decided_by == arbiter
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert Escrow.objects.get(order=order).held_minor == 0
    assert Notification.objects.filter(organization=order.buyer).count() > buyer_notices

    event = AuditEvent.objects.get(pgh_obj_model="finance.DisputeDecision")
    assert event.operator == arbiter
    assert event.reason == "30 of 300 shirts faulty"
    again = client.get(_page(dispute)).content.decode()
    assert 'id="dispute-decision"' in again
    assert "CNY 1,000.00" in again


@pytest.mark.parametrize("group", ["content", "finance", "auditor"])
def test_other_staff_groups_are_refused_the_decision(client, dispute, group):
    client.force_login(make_operator(superuser=False, groups=[group]))
    response = client.post(_page(dispute), {"outcome": "refund", "reason": "Not my call"})
    assert response.status_code == 403
    assert not DisputeDecision.objects.exists()
    assert Dispute.objects.get(pk=dispute.pk).status == Dispute.Status.OPEN
    assert dispute.order.__class__.objects.get(pk=dispute.order_id).status == OrderStatus.DISPUTED
