"""The order's life cycle waits for the money (no production before escrow is funded; the
buyer has no "record payment" action), factories are paid out by operators against their
payable, and a buyer cancels a payment no money arrived for to pay another way."""

from __future__ import annotations

import pytest
from django.urls import reverse

from finance.models import (
    AccountPurpose,
    JournalTransaction,
    Payment,
    PaymentStatus,
    Payout,
    Posting,
)
from finance.services import credit, ledger, payments, payouts
from finance.services import stripe as stripe_services
from marketplace.exceptions import ConflictError, InvalidError
from marketplace.models import Organization
from orders import services as order_services
from orders.models import OrderStatus
from tests.finance.conftest import cny, order_awaiting_payment
from tests.helpers import api_client, make_organization
from tests.orders.conftest import PATH_TO, drive, drive_steps, nothing_changes

pytestmark = pytest.mark.django_db


def _ledger_rows() -> tuple[int, int, list]:
    return (
        JournalTransaction.objects.count(),
        Posting.objects.count(),
        list(Payment.objects.order_by("pk").values_list("pk", "status", "received_minor")),
    )


# --- the order waits for the money ------------------------------------------------------


def test_the_buyer_cannot_record_a_payment_any_more(deal):
    order = order_awaiting_payment(deal)
    with nothing_changes():
        response = api_client(deal.buyer_user).post(
            f"/api/v1/orders/{order.pk}/transitions/", {"action": "mark_paid"}, format="json"
        )
    assert response.status_code == 403


def test_production_does_not_start_until_the_escrow_holds_the_total(deal, operator):
    order = order_awaiting_payment(deal)
    deposit = payments.payment_create(
        order=order, organization=deal.buyer, purpose="deposit", method="bank_transfer",
        acting_user=deal.buyer_user,
    )  # fmt: skip
    payments.bank_transfer_confirm(payment=deposit, received=deposit.amount, acting_user=operator)
    assert deal.refresh().status == OrderStatus.AWAITING_PAYMENT
    # Whatever puts the order in `paid` without the money (here the system hook itself),
    # the factory cannot start production: 409 and nothing changes.
    order_services.order_mark_paid(order=deal.refresh())
    assert deal.refresh().status == OrderStatus.PAID
    with nothing_changes():
        response = api_client(deal.factory_user).post(
            f"/api/v1/orders/{order.pk}/transitions/", {"action": "start_production"},
            format="json",
        )  # fmt: skip
    assert response.status_code == 409
    assert "funded in escrow" in response.content.decode()


def test_paying_in_full_marks_paid_and_lets_production_start(deal):
    order = drive(deal, OrderStatus.IN_PRODUCTION)
    assert order.status == OrderStatus.IN_PRODUCTION
    assert list(order.events.values_list("action", flat=True))[-2:] == [
        "mark_paid",
        "start_production",
    ]
    assert order.events.get(action="mark_paid").actor is None  # the system marked it


def test_the_order_page_sends_the_buyer_to_the_pay_page(deal, client):
    order = order_awaiting_payment(deal)
    client.force_login(deal.buyer_user)
    page = client.get(reverse("orders:order_detail", kwargs={"pk": order.pk})).content.decode()
    assert reverse("finance:order_pay", kwargs={"pk": order.pk}) in page
    assert 'data-action="mark_paid"' not in page
    client.force_login(deal.factory_user)
    page = client.get(reverse("orders:order_detail", kwargs={"pk": order.pk})).content.decode()
    assert reverse("finance:order_pay", kwargs={"pk": order.pk}) not in page


# --- payouts -----------------------------------------------------------------------------


def _completed(deal, django_capture_on_commit_callbacks):
    drive(deal, OrderStatus.PAID)
    with django_capture_on_commit_callbacks(execute=True):
        drive_steps(deal, PATH_TO[OrderStatus.COMPLETED][2:])
    return deal.refresh()


def test_an_operator_pays_the_factory_what_it_is_owed(
    deal, operator, client, django_capture_on_commit_callbacks
):
    order = _completed(deal, django_capture_on_commit_callbacks)
    assert order.status == OrderStatus.COMPLETED
    owed = payouts.payout_available(organization=deal.factory, currency="CNY")
    commission = order.total.rounded_share(300, 10_000)
    assert owed == order.total - commission

    payout = payouts.payout_record(
        organization=deal.factory, amount=cny("10000.00"), bank_reference="ICBC-0001",
        acting_user=operator,
    )  # fmt: skip
    assert payouts.payout_available(organization=deal.factory, currency="CNY") == (
        owed - cny("10000.00")
    )
    assert ledger.platform_balance(AccountPurpose.BANK_CLEARING, "CNY").amount_minor == (
        -order.total.amount_minor + payout.amount_minor
    )
    client.force_login(deal.factory_user)
    text = client.get(reverse("finance:statement")).content.decode()
    assert "ICBC-0001" in text
    assert "CNY 10,000.00" in text
    # What the order paid the factory, line by line: gross - commission - advance = net.
    assert "CNY 11,203.50" in text  # 11,550.00 - 346.50 commission - 0 advance


def test_a_factorys_payable_is_sharded_by_order_and_paid_out_from_every_row(
    settings, deal, operator, client
):
    """Releases of two orders to one factory credit different rows of its payable (they
    never wait on each other); the factory is owed their sum, shown as one line; a payout
    of more than one row holds takes from each in key order, none below zero; more than
    the sum is refused."""
    from finance.models import Account
    from finance.services import escrow
    from tests.orders.conftest import Deal, make_quote, make_rfq

    settings.FINANCE_FACTORY_PAYABLE_SHARDS = 4
    rfq = make_rfq(deal.buyer, deal.buyer_user, deal.category, quantity=100)
    order_services.rfq_match(rfq_pk=rfq.pk)
    second = Deal(
        deal.category, deal.buyer, deal.buyer_user, deal.factory, deal.factory_user, rfq,
        make_quote(rfq, deal.factory, deal.factory_user),
    )  # fmt: skip
    orders = []
    for current in (deal, second):
        order = order_awaiting_payment(current)
        payment = payments.payment_create(
            order=order, organization=deal.buyer, purpose="full", method="bank_transfer",
            acting_user=deal.buyer_user,
        )  # fmt: skip
        payments.bank_transfer_confirm(
            payment=payment, received=payment.amount, acting_user=operator
        )
        escrow.escrow_release_milestone(order=order, milestone=escrow.Milestone.DELIVERY)
        orders.append(order)
    assert len({order.pk % 4 for order in orders}) == 2
    rows = list(
        Account.objects.filter(
            organization=deal.factory, purpose=AccountPurpose.FACTORY_PAYOUT
        ).order_by("pk")
    )
    assert sorted(row.shard for row in rows) == sorted(order.pk % 4 for order in orders)
    nets = [order.total - order.total.rounded_share(300, 10_000) for order in orders]
    owed = payouts.payout_available(organization=deal.factory, currency="CNY")
    assert owed == nets[0] + nets[1]
    assert sorted(row.balance for row in rows) == sorted(nets)
    # The balances API (and the statement, from the same selector) shows it once.
    api = api_client(deal.factory_user)
    payables = [
        row for row in api.get("/api/v1/balances/").json()["results"]
        if row["purpose"] == AccountPurpose.FACTORY_PAYOUT
    ]  # fmt: skip
    assert [row["balance"] for row in payables] == [owed.as_wire()]

    with pytest.raises(InvalidError) as refused:
        payouts.payout_record(
            organization=deal.factory, amount=owed + cny("0.01"), bank_reference="ICBC-9",
            acting_user=operator,
        )  # fmt: skip
    assert "amount" in refused.value.message_dict
    assert payouts.payout_available(organization=deal.factory, currency="CNY") == owed

    # More than the first row holds: it is emptied, the rest comes from the second.
    amount = rows[0].balance + cny("1.00")
    payouts.payout_record(
        organization=deal.factory, amount=amount, bank_reference="ICBC-10", acting_user=operator
    )
    for row in rows:
        row.refresh_from_db()
    assert [row.balance_minor for row in rows] == [
        0,
        owed.amount_minor - amount.amount_minor,
    ]
    legs = Posting.objects.filter(transaction__reference__startswith="payout:")
    assert sorted(legs.values_list("amount_minor", flat=True))[:2] == sorted(
        [-(amount.amount_minor - 100), -100]
    )
    assert ledger.ledger_invariant_problems() == {}
    payouts.payout_record(
        organization=deal.factory, amount=owed - amount, bank_reference="ICBC-11",
        acting_user=operator,
    )  # fmt: skip
    assert payouts.payout_available(organization=deal.factory, currency="CNY") == cny("0.00")


@pytest.mark.parametrize(
    ("amount", "reference", "field"),
    [
        ("99999.00", "ICBC-0002", "amount"),  # more than owed
        ("0.00", "ICBC-0002", "amount"),
        ("-5.00", "ICBC-0002", "amount"),
        ("10.00", "  ", "bank_reference"),
        ("10.00", "ICBC-0001", "bank_reference"),  # recorded before
    ],
)
def test_bad_payouts_change_nothing(
    deal, operator, django_capture_on_commit_callbacks, amount, reference, field
):
    _completed(deal, django_capture_on_commit_callbacks)
    payouts.payout_record(
        organization=deal.factory, amount=cny("1.00"), bank_reference="ICBC-0001",
        acting_user=operator,
    )  # fmt: skip
    before = (_ledger_rows(), Payout.objects.count())
    with pytest.raises(InvalidError) as error:
        payouts.payout_record(
            organization=deal.factory, amount=cny(amount), bank_reference=reference,
            acting_user=operator,
        )  # fmt: skip
    assert field in error.value.message_dict
    assert (_ledger_rows(), Payout.objects.count()) == before


def test_only_factories_are_paid_out(deal, operator):
    with pytest.raises(InvalidError):
        payouts.payout_record(
            organization=deal.buyer, amount=cny("1.00"), bank_reference="X", acting_user=operator
        )
    assert Payout.objects.count() == 0


# --- cancelling a pending payment ----------------------------------------------------------


def test_a_buyer_cancels_a_bank_transfer_and_pays_by_credit(deal, operator, client):
    order = order_awaiting_payment(deal)
    credit.credit_limit_set(
        organization=deal.buyer, limit=cny("20000.00"), reason="Trusted", acting_user=operator
    )
    pending = payments.payment_create(
        order=order, organization=deal.buyer, purpose="full", method="bank_transfer",
        acting_user=deal.buyer_user,
    )  # fmt: skip
    client.force_login(deal.buyer_user)
    response = client.post(reverse("finance:payment_cancel", kwargs={"pk": pending.pk}))
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.CANCELLED
    payments.payment_create(
        order=order, organization=deal.buyer, purpose="full", method="credit",
        acting_user=deal.buyer_user,
    )  # fmt: skip
    assert deal.refresh().status == OrderStatus.PAID
    # A transfer cancelled cannot be confirmed afterwards.
    with pytest.raises(ConflictError):
        payments.bank_transfer_confirm(
            payment=pending, received=pending.amount, acting_user=operator
        )


def test_a_payment_money_arrived_for_cannot_be_cancelled(deal, operator, client):
    order = order_awaiting_payment(deal)
    payment = payments.payment_create(
        order=order, organization=deal.buyer, purpose="full", method="bank_transfer",
        acting_user=deal.buyer_user,
    )  # fmt: skip
    payments.bank_transfer_confirm(payment=payment, received=cny("100.00"), acting_user=operator)
    before = _ledger_rows()
    client.force_login(deal.buyer_user)
    detail = reverse("finance:payment_detail", kwargs={"pk": payment.pk})
    response = client.post(
        reverse("finance:payment_cancel", kwargs={"pk": payment.pk}), HTTP_REFERER=detail
    )
    assert (response.status_code, response["Location"]) == (303, detail)  # with a message
    assert _ledger_rows() == before
    assert Payment.objects.get().status == PaymentStatus.PARTIAL


def test_another_organization_cannot_cancel_a_payment(deal, client):
    order = order_awaiting_payment(deal)
    payment = payments.payment_create(
        order=order, organization=deal.buyer, purpose="full", method="bank_transfer",
        acting_user=deal.buyer_user,
    )  # fmt: skip
    _other, stranger = make_organization(Organization.Kind.BUYER)
    client.force_login(stranger)
    response = client.post(reverse("finance:payment_cancel", kwargs={"pk": payment.pk}))
    assert response.status_code == 404
    assert Payment.objects.get().status == PaymentStatus.PENDING


@pytest.mark.django_db(transaction=True)
def test_a_card_payment_is_cancelled_at_stripe_first(deal, stripe_settings):
    order = order_awaiting_payment(deal)
    payment = payments.payment_create(
        order=order, organization=deal.buyer, purpose="full", method="stripe",
        acting_user=deal.buyer_user,
    )  # fmt: skip
    cancelled = payments.payment_cancel(
        payment=payment, organization=deal.buyer, acting_user=deal.buyer_user
    )
    assert cancelled.status == PaymentStatus.CANCELLED
    intent = stripe_services.stripe_client().PaymentIntent.retrieve(payment.stripe_payment_intent)
    assert intent["status"] == "canceled"
