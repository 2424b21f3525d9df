"""The operators' finance desk in Django admin, through HTTP: staff confirm bank transfers,
grant credit, decide disputes, approve advances and record payouts; a non-staff user is
sent to the admin login and changes nothing; bad input is a form error and changes
nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from finance.models import (
    CreditLimitChange,
    CreditLine,
    DisputeDecision,
    FinancingAdvance,
    JournalTransaction,
    Payment,
    PaymentStatus,
    Payout,
    Posting,
)
from finance.services import financing, payments
from orders.models import Dispute, OrderStatus
from tests.finance.conftest import cny, order_awaiting_payment
from tests.orders.conftest import PATH_TO, drive, drive_steps

pytestmark = pytest.mark.django_db


def _money_state() -> dict:
    return {
        "transactions": JournalTransaction.objects.count(),
        "postings": Posting.objects.count(),
        "payments": list(
            Payment.objects.order_by("pk").values_list("pk", "status", "received_minor")
        ),
        "lines": list(CreditLine.objects.values_list("pk", "limit_minor", "used_minor")),
        "limit_changes": CreditLimitChange.objects.count(),
        "decisions": DisputeDecision.objects.count(),
        "advances": list(FinancingAdvance.objects.values_list("pk", "status")),
        "payouts": Payout.objects.count(),
    }


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _pending_transfer(deal) -> Payment:
    order = order_awaiting_payment(deal)
    return payments.payment_create(
        order=order, organization=deal.buyer, purpose="full", method="bank_transfer",
        acting_user=deal.buyer_user,
    )  # fmt: skip


def _confirm(client: Client, payment: Payment, amount: str, reason: str = "Statement line 7"):
    return client.post(
        f"/admin/finance/payment/{payment.pk}/change/",
        {
            "received_amount": amount,
            "reason": reason,
            "refunds-TOTAL_FORMS": "0",
            "refunds-INITIAL_FORMS": "0",
        },
    )


# --- confirm a bank transfer ---------------------------------------------------------------


def test_staff_confirm_a_bank_transfer_and_the_order_is_paid(deal, operator):
    payment = _pending_transfer(deal)
    response = _confirm(_as(operator), payment, "11550.00")
    assert response.status_code == 302, response.content.decode()[:2000]
    payment.refresh_from_db()
    assert (payment.status, payment.received_minor) == (PaymentStatus.SUCCEEDED, 1155000)
    assert payment.confirmed_by == operator
    assert deal.refresh().status == OrderStatus.PAID


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [
        ("-5", "Statement", "above zero"),
        ("0", "Statement", "above zero"),
        ("10.005", "Statement", "fractions of a cent"),
        ("11550.00", " ", "Give the reason"),
    ],
)
def test_bad_confirmations_change_nothing(deal, operator, amount, reason, message):
    payment = _pending_transfer(deal)
    before = _money_state()
    response = _confirm(_as(operator), payment, amount, reason)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert _money_state() == before


def test_a_non_staff_user_cannot_confirm(deal):
    payment = _pending_transfer(deal)
    before = _money_state()
    response = _confirm(_as(deal.buyer_user), payment, "11550.00")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert _money_state() == before


# --- grant credit ---------------------------------------------------------------------------


def _grant(client: Client, buyer, limit: str, reason: str):
    return client.post(
        "/admin/finance/creditline/add/",
        {
            "buyer": buyer.pk if buyer else "",
            "new_limit": limit,
            "reason": reason,
            "draws-TOTAL_FORMS": "0",
            "draws-INITIAL_FORMS": "0",
        },
    )


def test_staff_grant_credit_with_a_reason(deal, operator):
    response = _grant(_as(operator), deal.buyer, "20000.00", "Two years of on-time orders")
    assert response.status_code == 302, response.content.decode()[:2000]
    line = CreditLine.objects.get(organization=deal.buyer)
    assert line.limit_minor == 2_000_000
    assert line.changes.get().reason == "Two years of on-time orders"


@pytest.mark.parametrize(
    ("limit", "reason", "message"),
    [
        ("20000.00", "", "Give the reason"),
        ("20000.001", "Trusted", "fractions of a cent"),
        ("-1", "Trusted", "greater than or equal to 0"),
    ],
)
def test_bad_credit_grants_change_nothing(deal, operator, limit, reason, message):
    before = _money_state()
    response = _grant(_as(operator), deal.buyer, limit, reason)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert _money_state() == before


def test_credit_goes_to_buyers_only_and_not_by_non_staff(deal, operator):
    before = _money_state()
    response = _grant(_as(operator), deal.factory, "100.00", "Trusted")
    assert response.status_code == 200  # not a choice: only buyers are offered
    response = _grant(_as(deal.buyer_user), deal.buyer, "100.00", "Trusted")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert _money_state() == before


# --- decide a dispute -----------------------------------------------------------------------


def _disputed_in_transit(deal):
    """Paid, shipped and disputed before delivery: the escrow still holds the money."""
    drive(deal, OrderStatus.SHIPPED)
    drive_steps(deal, [("open_dispute", "buyer")])
    return Dispute.objects.get(order=deal.order)


def _decide(client: Client, dispute, outcome: str, refund: str = "", note: str = "Checked"):
    return client.post(
        "/admin/finance/disputedecision/add/",
        {"dispute": dispute.pk, "outcome": outcome, "buyer_refund": refund, "note": note},
    )


def test_staff_decide_a_dispute_by_a_split_and_a_second_click_moves_nothing(deal, operator):
    dispute = _disputed_in_transit(deal)
    client = _as(operator)
    response = _decide(client, dispute, "split", "1000.00")
    assert response.status_code == 302, response.content.decode()[:2000]
    decision = DisputeDecision.objects.get()
    assert (decision.refund_minor, decision.release_minor) == (100_000, 1_055_000)
    assert deal.refresh().status == OrderStatus.COMPLETED
    after = _money_state()
    again = _decide(client, dispute, "refund")
    assert again.status_code == 200  # the dispute is no longer open: not a choice
    assert _money_state() == after


@pytest.mark.parametrize(
    ("outcome", "refund", "message"),
    [
        ("split", "", "buyer&#x27;s share"),
        ("split", "11550.00", "less than"),
        ("split", "0.001", "fractions of a cent"),
        ("split", "-3", "above zero"),
    ],
)
def test_bad_dispute_decisions_change_nothing(deal, operator, outcome, refund, message):
    dispute = _disputed_in_transit(deal)
    before = _money_state()
    response = _decide(_as(operator), dispute, outcome, refund)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert _money_state() == before
    assert deal.refresh().status == OrderStatus.DISPUTED


def test_a_non_staff_user_cannot_decide_a_dispute(deal):
    dispute = _disputed_in_transit(deal)
    before = _money_state()
    response = _decide(_as(deal.buyer_user), dispute, "refund")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert _money_state() == before


# --- approve an advance ---------------------------------------------------------------------


def _advance(deal) -> FinancingAdvance:
    drive(deal, OrderStatus.IN_PRODUCTION)
    return financing.advance_request(
        order=deal.refresh(), organization=deal.factory, amount=cny("3000.00"),
        acting_user=deal.factory_user,
    )  # fmt: skip


def _approve(client: Client, advance):
    return client.post(
        "/admin/finance/financingadvance/",
        {"action": "approve", "_selected_action": [advance.pk], "apply": "1", "reason": "Ok"},
    )


def test_staff_approve_an_advance_once(deal, operator):
    advance = _advance(deal)
    client = _as(operator)
    assert _approve(client, advance).status_code == 302
    advance.refresh_from_db()
    assert advance.status == FinancingAdvance.Status.APPROVED
    after = _money_state()
    response = client.post(
        "/admin/finance/financingadvance/",
        {"action": "approve", "_selected_action": [advance.pk], "apply": "1", "reason": "Again"},
        follow=True,
    )
    assert "decided already" in response.content.decode()
    assert _money_state() == after


def test_a_non_staff_user_cannot_approve_an_advance(deal):
    advance = _advance(deal)
    before = _money_state()
    response = _approve(_as(deal.factory_user), advance)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert _money_state() == before


# --- record a payout ------------------------------------------------------------------------


def test_staff_record_a_payout_and_bad_ones_change_nothing(deal, operator):
    drive(deal, OrderStatus.PAID)
    advance_path = PATH_TO[OrderStatus.IN_PRODUCTION][2:]
    drive_steps(deal, advance_path)
    financing.advance_decide(advance=_request(deal), approve=True, acting_user=operator)
    client = _as(operator)
    url = "/admin/finance/payout/add/"
    body = {"factory": deal.factory.pk, "bank_reference": "ICBC-1", "note": "Weekly run"}
    before = _money_state()
    unexplained = client.post(url, {**body, "note": " ", "amount": "100.00"})
    assert unexplained.status_code == 200
    assert "This field is required." in unexplained.content.decode()
    assert _money_state() == before
    response = client.post(url, {**body, "amount": "999999.00"})
    assert response.status_code == 200
    assert "is owed to this factory" in response.content.decode()
    assert _money_state() == before
    response = _as(deal.factory_user).post(url, {**body, "amount": "100.00"})
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert _money_state() == before
    assert client.post(url, {**body, "amount": "3000.00"}).status_code == 302
    assert Payout.objects.get().amount_minor == 300_000


def _request(deal) -> FinancingAdvance:
    return financing.advance_request(
        order=deal.refresh(), organization=deal.factory, amount=cny("3000.00"),
        acting_user=deal.factory_user,
    )  # fmt: skip


def test_a_refused_repayment_takes_the_limit_change_in_the_same_submit_back(deal, operator):
    client = _as(operator)
    _grant(client, deal.buyer, "20000.00", "Trusted")
    line = CreditLine.objects.get(organization=deal.buyer)
    before = _money_state()
    response = client.post(
        f"/admin/finance/creditline/{line.pk}/change/",
        {
            "new_limit": "30000.00",
            "reason": "Bigger season",
            "repayment_amount": "50.00",  # nothing is owed
            "bank_reference": "ICBC-9",
            "draws-TOTAL_FORMS": "0",
            "draws-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "is owed" in response.content.decode()
    assert _money_state() == before
