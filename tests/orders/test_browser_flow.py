"""The whole Tao-Factory transaction in real Chromium: the buyer's RFQ is matched by the
real worker, the factory quotes (with its inspection AQL), the buyer accepts, sample,
payment, production with additive progress (finishing short is refused until the buyer
accepts a short shipment), the factory's self-check accepted by the buyer, shipment,
confirmation, completion and review; the timeline shows every step."""

import pytest

from finance.models import Payment
from finance.services import payments
from marketplace.models import Organization
from orders.models import Order, OrderStatus
from tests.conftest import browser_sign_in
from tests.finance.conftest import make_operator
from tests.helpers import PASSWORD, make_organization
from tests.orders.conftest import in_days, make_category, make_factory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.browser,
    pytest.mark.celery_worker,
    pytest.mark.date_sensitive,
]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def act(page, action: str, note: str = "") -> None:
    form = page.locator(f"form[data-action={action}]")
    if note:
        form.locator("textarea[name=note]").fill(note)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def test_buyer_and_factory_complete_an_order_in_the_browser(
    page, browser, live_server, celery_worker, tmp_path
):
    category = make_category()
    _factory, factory_user = make_factory(category, units=100, name="Ningbo Test Garments")
    _buyer, buyer_user = make_organization(Organization.Kind.BUYER, name="Lotus Buyers")
    drawing = tmp_path / "collar.png"
    drawing.write_bytes(PNG)

    # Buyer: RFQ with an attachment.
    browser_sign_in(page, buyer_user.email, PASSWORD)
    page.click("text=RFQs")
    page.click("text=New RFQ")
    page.select_option("select[name=category]", label="Shirts")
    page.fill("input[name=title]", "Oxford shirts for spring")
    page.fill("input[name=quantity]", "300")
    page.fill("input[name=ready_by]", in_days(20).isoformat())
    page.fill("textarea[name=spec]", "Cotton oxford, white, S-XL")
    page.set_input_files("input[name=attachments]", str(drawing))
    page.click("#rfq-form button[type=submit]")
    page.wait_for_url("**/rfqs/*/")
    assert "collar.png" in page.content()
    # The worker matches it; the page polls until the matched factories appear.
    page.wait_for_selector("#matched-factories >> text=Ningbo Test Garments", timeout=30_000)
    rfq_url = page.url

    # Factory: sees the RFQ and quotes.
    factory_context = browser.new_context(base_url=live_server.url, locale="en-US")
    factory_context.set_default_timeout(15_000)
    factory_page = factory_context.new_page()
    browser_sign_in(factory_page, factory_user.email, PASSWORD)
    factory_page.click("nav >> text=RFQs")
    factory_page.click("text=Oxford shirts for spring")
    factory_page.fill("#quote-form input[name=unit_price]", "38.50")
    factory_page.fill("#quote-form input[name=sample_fee]", "0")
    factory_page.fill("#quote-form input[name=lead_time_days]", "7")
    factory_page.select_option("#quote-form select[name=aql]", "4.0")
    factory_page.click("#quote-form button[type=submit]")
    factory_page.wait_for_load_state("networkidle")
    assert "Your quote was sent" in factory_page.content()

    # Buyer: compares (chart) and accepts with a sample.
    page.goto(rfq_url)
    assert page.locator("svg.chart").count() == 1
    assert "AQL 4.0" in page.locator(".quote-card").inner_text()
    page.click("text=Accept this quote")
    page.wait_for_url("**/orders/*/")
    order = Order.objects.get()
    assert order.status == OrderStatus.SAMPLE_REQUESTED
    order_path = f"/orders/{order.pk}/"

    factory_page.goto(order_path)
    factory_page.fill("form[data-action=ship_sample] input[name=carrier]", "SF Express")
    act(factory_page, "ship_sample")

    page.goto(order_path)
    act(page, "approve_sample", "Looks right")
    assert page.locator("#order-status").get_attribute("data-status") == "awaiting_payment"
    # Payment is Finance's: the order page leads to the pay page; a bank transfer there,
    # confirmed by an operator (the admin flow is tested in tests/finance), marks it paid.
    page.click("#payment a.button")
    page.check("input[name=purpose][value=full]")
    page.check("input[name=method][value=bank_transfer]")
    page.click("form.card button[type=submit]")
    page.wait_for_selector("#bank-reference")
    payment = Payment.objects.get(order=order)
    payments.bank_transfer_confirm(
        payment=payment, received=payment.amount, acting_user=make_operator()
    )
    page.goto(order_path)
    assert page.locator("#order-status").get_attribute("data-status") == "paid"

    factory_page.goto(order_path)
    act(factory_page, "start_production")
    factory_page.fill("#progress-panel input[name=units]", "120")
    factory_page.click("#progress-panel button[type=submit]")
    factory_page.wait_for_selector("#progress-panel >> text=120 of 300 units done")
    assert "Recorded +120 units" in factory_page.locator("#progress-recorded").inner_text()
    # 120 of 300 units: finishing is refused.
    act(factory_page, "finish_production")
    assert "Only 120 of 300 units are reported" in factory_page.content()
    assert factory_page.locator("#order-status").get_attribute("data-status") == "in_production"
    # The buyer accepts a short shipment of 250 units; the factory reports the rest of them.
    page.goto(order_path)
    page.fill("form[data-action=accept_short_shipment] input[name=quantity]", "250")
    act(page, "accept_short_shipment", "250 are enough for the launch")
    assert "250 / 300" in page.locator("#short-shipment").inner_text()
    factory_page.goto(order_path)
    factory_page.fill("#progress-form input[name=units]", "130")
    factory_page.click("#progress-form button[type=submit]")
    factory_page.wait_for_selector("#progress-panel >> text=250 of 300 units done")
    act(factory_page, "finish_production")
    assert "AQL 4.0" in factory_page.locator("#inspection-form").inner_text()
    for checkbox in factory_page.locator("#inspection-form input[type=checkbox]").all():
        checkbox.check()
    factory_page.fill("#inspection-form input[name=defects_found]", "1")
    factory_page.click("#inspection-form button[type=submit]")
    factory_page.wait_for_load_state("networkidle")
    # The factory's own inspection is a self-check: shipping waits for the buyer.
    assert "factory self-check" in factory_page.content()
    assert factory_page.locator("#ship-form button[type=submit]").is_disabled()
    page.goto(order_path)
    act(page, "accept_self_check")
    assert "accepted by the buyer" in page.content()
    factory_page.goto(order_path)
    factory_page.fill("#ship-form input[name=carrier]", "COSCO")
    factory_page.fill("#ship-form input[name=tracking_number]", "CS-2026-42")
    factory_page.click("#ship-form button[type=submit]")
    factory_page.wait_for_load_state("networkidle")

    page.goto(order_path)
    assert "CS-2026-42" in page.content()
    act(page, "confirm_delivery")
    act(page, "complete")
    assert page.locator("#order-status").get_attribute("data-status") == "completed"
    page.select_option("#review-form select[name=quality]", "5")
    page.click("#review-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "Thank you for your review" in page.content()

    timeline = page.locator("#timeline li").all_inner_texts()
    steps = [
        "Order created",
        "Ship the sample",
        "Approve the sample",
        "Request payment",
        "Paid into escrow",
        "Start production",
        "Production progress reported",
        "Accept a short shipment",
        "Production progress reported",
        "Production finished",
        "Record an inspection",
        "Accept the factory",
        "Ship the goods",
        "Confirm receipt",
        "Accept the goods",
    ]
    for step, text in zip(steps, timeline, strict=True):
        assert step in text, (step, text)
    assert Order.objects.get().status == OrderStatus.COMPLETED
    factory_context.close()
