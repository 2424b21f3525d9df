"""The buyer pays an order in real Chromium, once per method, and sees the money held in
escrow: a bank transfer that an operator confirms in Django admin, the credit line an
operator granted in admin, and a card through Stripe (localstripe) with its 3-D Secure
step and the signed webhook delivered to the live server. The rest of the order runs
through the services, and the factory's statement page shows price minus commission."""

from __future__ import annotations

import time

import pytest
import requests

from finance.models import Payment, PaymentMethod, PaymentStatus
from finance.services import stripe as stripe_services
from marketplace.models import User
from marketplace.money import Money
from orders.models import OrderStatus
from tests.conftest import browser_sign_in
from tests.finance.conftest import WEBHOOK_SECRET, make_operator, order_awaiting_payment
from tests.helpers import PASSWORD
from tests.orders.conftest import (
    REPORT_ALL,
    Deal,
    details_for,
    make_category,
    make_deal,
    report_all,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.browser,
    pytest.mark.date_sensitive,
]

COMMISSION_BPS = 300


def _new_page(browser, live_server, user: User):
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    browser_sign_in(page, user.email, PASSWORD)
    return page


def _choose_and_pay(page, order, method: str) -> None:
    page.goto(f"/orders/{order.pk}/")
    page.click("#payment a.button")
    page.wait_for_url(f"**/finance/orders/{order.pk}/pay/")
    page.check("input[name=purpose][value=full]")
    page.check(f"input[name=method][value={method}]")
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/finance/payments/*/")


def _status_shown(page, order) -> str:
    page.goto(f"/orders/{order.pk}/")
    return page.locator("#order-status").get_attribute("data-status")


def _escrow_row(page, order):
    page.goto("/finance/")
    return page.locator(f"tr[data-order='{order.pk}']")


def _deliver_and_check_the_factory_statement(deal: Deal, browser, live_server) -> None:
    for action, party in (
        ("start_production", "factory"),
        (REPORT_ALL, "factory"),
        ("finish_production", "factory"),
        ("record_inspection", "buyer"),
        ("ship", "factory"),
        ("confirm_delivery", "buyer"),
    ):
        if action == REPORT_ALL:
            report_all(deal)  # finishing needs every unit reported
            continue
        deal.act(action, party, **details_for(action, deal.refresh()))
    order = deal.refresh()
    commission = order.total.rounded_share(COMMISSION_BPS, 10_000)
    factory_page = _new_page(browser, live_server, deal.factory_user)
    factory_page.goto("/finance/")
    row = factory_page.locator(f"#settlements tr[data-order='{order.pk}']")
    assert row.locator(".settlement-net").inner_text() == str(order.total - commission)
    factory_page.context.close()


def test_a_bank_transfer_confirmed_by_an_operator_in_admin(page, browser, live_server):
    deal = make_deal(category=make_category())
    order = order_awaiting_payment(deal)
    browser_sign_in(page, deal.buyer_user.email, PASSWORD)

    _choose_and_pay(page, order, "bank_transfer")
    payment = Payment.objects.get(order=order)
    assert page.locator("#bank-reference").inner_text() == payment.reference
    assert page.locator("#payment-status").inner_text() == "Awaiting the money"
    assert str(order.total) in page.locator("main").inner_text()
    assert _status_shown(page, order) == OrderStatus.AWAITING_PAYMENT

    # The operator finds the transfer in admin and records what arrived.
    operator = make_operator()
    operator_page = _new_page(browser, live_server, operator)
    operator_page.goto(f"/admin/finance/payment/?q={payment.reference}")
    operator_page.click(f"text={payment.reference}")
    operator_page.fill("input[name=received_amount]", str(order.total.as_wire()["amount"]))
    operator_page.fill("input[name=reason]", "ICBC statement, line 7")
    operator_page.click("input[name=_save]")
    success = operator_page.wait_for_selector("ul.messagelist li.success")
    assert "was changed successfully" in success.inner_text()
    operator_page.context.close()

    page.goto(f"/finance/payments/{payment.pk}/")
    assert page.locator("#payment-status").inner_text() == "Received"
    assert page.locator("#bank-reference").count() == 0
    assert _status_shown(page, order) == OrderStatus.PAID
    row = _escrow_row(page, order)
    assert row.locator(".escrow-held").inner_text() == str(order.total)
    assert row.locator(".escrow-released").inner_text() == str(order.total * 0)

    _deliver_and_check_the_factory_statement(deal, browser, live_server)
    row = _escrow_row(page, order)
    assert row.count() == 1
    assert row.locator(".escrow-held").inner_text() == str(order.total * 0)
    assert row.locator(".escrow-released").inner_text() == str(order.total)


def test_paying_with_a_credit_line_an_operator_granted_in_admin(page, browser, live_server):
    deal = make_deal(category=make_category())
    order = order_awaiting_payment(deal)
    operator = make_operator()
    operator_page = _new_page(browser, live_server, operator)
    operator_page.goto("/admin/finance/creditline/add/")
    operator_page.select_option("select[name=buyer]", label=deal.buyer.name)
    operator_page.fill("input[name=new_limit]", "20000.00")
    operator_page.fill("input[name=reason]", "Two years of on-time payments")
    operator_page.click("input[name=_save]")
    success = operator_page.wait_for_selector("ul.messagelist li.success")
    assert "was added successfully" in success.inner_text()
    operator_page.context.close()

    browser_sign_in(page, deal.buyer_user.email, PASSWORD)
    page.goto(f"/finance/orders/{order.pk}/pay/")
    assert "Credit line (CNY 20,000.00 available)" in page.locator("form.card").inner_text()
    _choose_and_pay(page, order, "credit")
    assert page.locator("#payment-status").inner_text() == "Received"
    assert Payment.objects.get(order=order).method == PaymentMethod.CREDIT
    assert _status_shown(page, order) == OrderStatus.PAID
    row = _escrow_row(page, order)
    assert row.locator(".escrow-held").inner_text() == str(order.total)
    limit = Money.from_decimal("20000.00", order.currency)
    assert page.locator("#credit-used").inner_text() == str(order.total)
    assert page.locator("#credit-available").inner_text() == str(limit - order.total)

    # The factory is paid on delivery although the buyer has not repaid the credit yet.
    _deliver_and_check_the_factory_statement(deal, browser, live_server)


def _localstripe_webhook_to(base: str, url: str, events: list[str]) -> None:
    """Point localstripe's signed webhooks at `url` (an empty list sends none)."""
    response = requests.post(
        f"{base}/_config/webhooks/c2m-browser",
        json={"url": url, "secret": WEBHOOK_SECRET, "events": events},
        timeout=10,
    )
    assert response.status_code == 200, response.text


@pytest.fixture
def stripe_webhook_to_live_server(stripe_settings, live_server, localstripe_server):
    _localstripe_webhook_to(
        localstripe_server, f"{live_server.url}/webhooks/stripe/", ["payment_intent.succeeded"]
    )
    yield
    # Later tests' live servers must not receive this one's events.
    _localstripe_webhook_to(localstripe_server, f"{live_server.url}/webhooks/stripe/", [])


def _attach_a_3d_secure_test_card(payment: Payment) -> None:
    """localstripe's stripe.js does not read the card element: its confirmCardPayment
    only completes the 3-D Secure step of an intent that has a card already. So the card
    (Stripe's 3-D Secure test number) is attached server-side, and the browser does the
    rest: the buyer's Pay click, the 3-D Secure dialog, and the charge."""
    client = stripe_services.stripe_client()
    method = client.PaymentMethod.create(
        type="card",
        card={"number": "4000000000003220", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
    )
    client.PaymentIntent.modify(payment.stripe_payment_intent, payment_method=method.id)
    intent = client.PaymentIntent.confirm(payment.stripe_payment_intent)
    assert intent["status"] == "requires_action"


def test_paying_by_card_through_stripe(page, browser, live_server, stripe_webhook_to_live_server):
    deal = make_deal(category=make_category())
    order = order_awaiting_payment(deal)
    browser_sign_in(page, deal.buyer_user.email, PASSWORD)

    page.goto(f"/finance/orders/{order.pk}/pay/")
    _choose_and_pay(page, order, "stripe")
    payment = Payment.objects.get(order=order)
    assert payment.stripe_payment_intent.startswith("pi_")
    assert page.locator("#payment-status").inner_text() == "Awaiting the money"
    # Stripe's card element (localstripe's stand-in) is mounted in the form.
    assert page.locator("#card-element input").count() >= 4

    _attach_a_3d_secure_test_card(payment)
    page.click("#card-pay")
    page.click("text=Complete authentication")
    page.wait_for_selector("#payment-status >> text=Paid: confirming")
    # localstripe signs and sends payment_intent.succeeded to /webhooks/stripe/; the page
    # reloads itself once, and the buyer may reload again until the webhook arrived.
    deadline = time.monotonic() + 60
    while Payment.objects.get(pk=payment.pk).status != PaymentStatus.SUCCEEDED:
        assert time.monotonic() < deadline, "the webhook never arrived"
        time.sleep(0.5)
    page.goto(f"/finance/payments/{payment.pk}/")
    assert page.locator("#payment-status").inner_text() == "Received"
    assert page.locator("#card-form").count() == 0
    assert _status_shown(page, order) == OrderStatus.PAID
    row = _escrow_row(page, order)
    assert row.locator(".escrow-held").inner_text() == str(order.total)

    _deliver_and_check_the_factory_statement(deal, browser, live_server)
