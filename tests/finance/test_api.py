"""The Money API: payments (Idempotency-Key, bad input, other organizations), balances,
credit line; and the finance pages."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from finance.models import JournalTransaction, Payment
from finance.services import credit, payments
from marketplace.models import Organization
from tests.finance.conftest import cny, order_awaiting_payment
from tests.helpers import make_organization

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _url(order) -> str:
    return reverse("api-order-payments", kwargs={"pk": order.pk})


def test_a_buyer_pays_by_bank_transfer_and_a_retry_replays(deal):
    order = order_awaiting_payment(deal)
    client = client_for(deal.buyer_user)
    body = {"purpose": "full", "method": "bank_transfer"}
    first = client.post(_url(order), body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201, first.content
    assert first.json()["status"] == "pending"
    assert first.json()["amount"] == {"amount": "11550.00", "currency": "CNY"}
    assert first.json()["reference"].startswith("C2M")
    again = client.post(_url(order), body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    twice = client.post(_url(order), body, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert twice.status_code == 409
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ({"amount": "-1.00", "currency": "CNY"}, "above zero"),
        ({"amount": "0", "currency": "CNY"}, "above zero"),
        ({"amount": "11550.005", "currency": "CNY"}, "decimal places"),
        ({"amount": "11550.00", "currency": "XYZ"}, "Unsupported currency"),
        ({"amount": "11550.00", "currency": "USD"}, "amount due"),
        ({"amount": "12.00", "currency": "CNY"}, "amount due"),
    ],
)
def test_bad_amounts_are_400_on_the_field_and_change_nothing(deal, amount, message):
    order = order_awaiting_payment(deal)
    response = client_for(deal.buyer_user).post(
        _url(order), {"purpose": "full", "method": "bank_transfer", "amount": amount}, format="json"
    )
    assert response.status_code == 400, response.content
    assert message in " ".join(response.json()["errors"]["amount"])
    assert Payment.objects.count() == 0


def test_other_parties_and_strangers_cannot_pay(deal):
    order = order_awaiting_payment(deal)
    body = {"purpose": "full", "method": "bank_transfer"}
    stranger = make_organization(Organization.Kind.BUYER)[1]
    assert APIClient().post(_url(order), body, format="json").status_code in (401, 403)
    assert client_for(stranger).post(_url(order), body, format="json").status_code == 404
    assert client_for(deal.factory_user).post(_url(order), body, format="json").status_code == 403
    assert Payment.objects.count() == 0


def test_credit_payment_by_api_pays_the_order_and_shows_on_the_credit_line(deal, operator):
    order = order_awaiting_payment(deal)
    credit.credit_limit_set(
        organization=deal.buyer, limit=cny("20000.00"), reason="Trusted", acting_user=operator
    )
    client = client_for(deal.buyer_user)
    response = client.post(_url(order), {"purpose": "full", "method": "credit"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "succeeded"
    line = client.get(reverse("api-credit-line")).json()
    assert line["limit"] == {"amount": "20000.00", "currency": "CNY"}
    assert line["used"] == {"amount": "11550.00", "currency": "CNY"}
    assert line["available"] == {"amount": "8450.00", "currency": "CNY"}
    assert line["overdue"] == {"amount": "0.00", "currency": "CNY"}
    balances = client.get(reverse("api-balances")).json()["results"]
    assert {(row["purpose"], row["balance"]["amount"]) for row in balances} == {
        ("buyer_credit", "-11550.00"),
        ("escrow", "11550.00"),
    }
    factory_balances = client_for(deal.factory_user).get(reverse("api-balances")).json()
    assert factory_balances["results"] == []


def test_statement_page_and_csv_explain_every_movement(deal, operator, client):
    order = order_awaiting_payment(deal)
    payment = payments.payment_create(
        order=order, organization=deal.buyer, purpose="full", method="bank_transfer",
        acting_user=deal.buyer_user,
    )  # fmt: skip
    payments.bank_transfer_confirm(payment=payment, received=cny("11600.00"), acting_user=operator)
    client.force_login(deal.buyer_user)
    page = client.get(reverse("finance:statement"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "CNY 11,550.00" in text
    assert "CNY 50.00" in text
    csv_text = b"".join(client.get(reverse("finance:statement_csv")).streaming_content).decode()
    lines = csv_text.strip().splitlines()
    assert len(lines) == 1 + 2  # header, escrow in, overpayment kept as cash
    assert JournalTransaction.objects.count() == 1
    # The memo is a key and parameters (ADR 0019), read in the reader's language.
    entry = JournalTransaction.objects.get()
    assert (entry.memo, entry.memo_key) == ("", "finance.memo.received")
    english = f"{order.number}: Full amount received ({payment.reference})"
    assert english in text
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get(reverse("finance:statement")).content.decode()
    assert f"{order.number}：已收到全款（{payment.reference}）" in chinese
    assert english not in chinese


def test_the_pay_page_creates_a_bank_transfer_with_its_reference(deal, client):
    order = order_awaiting_payment(deal)
    client.force_login(deal.buyer_user)
    page = client.get(reverse("finance:order_pay", kwargs={"pk": order.pk}))
    assert "CNY 11,550.00" in page.content.decode()
    response = client.post(
        reverse("finance:order_pay", kwargs={"pk": order.pk}),
        {"purpose": "full", "method": "bank_transfer"},
    )
    payment = Payment.objects.get()
    assert response.status_code == 302
    detail = client.get(response["Location"]).content.decode()
    assert payment.reference in detail
