"""In real Chromium, a signed-out visitor goes from the home page to the factory directory,
opens a factory's showcase, asks it for a quote, signs in as a buyer on the way and sends
an RFQ that only that factory receives. At 1366 px in English and 390 px in Chinese; the
steps follow links and ids, not words, so they read the same in both."""

from __future__ import annotations

import pytest

from marketplace.models import Organization
from orders.models import RFQ
from tests.helpers import PASSWORD, make_organization
from tests.orders.conftest import in_days, make_category, make_factory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.date_sensitive,
]


@pytest.mark.parametrize(("width", "locale"), [(1366, "en-US"), (390, "zh-CN")])
def test_a_visitor_reaches_the_directory_and_requests_a_quote(browser, live_server, width, locale):
    shirts = make_category("shirts")
    factory, _owner = make_factory(shirts, units=100, name="Ningbo Evergreen Garments")
    make_factory(shirts, units=100, name="Dongguan Other Works")
    buyer, buyer_user = make_organization(Organization.Kind.BUYER, name="Browser Buyer")
    context = browser.new_context(
        base_url=live_server.url, locale=locale, viewport={"width": width, "height": 900}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto("/")
        page.click("#home-discovery a[href='/factories/']")
        page.wait_for_url("**/factories/")
        page.click(f"a[href='/factories/{factory.pk}/']")
        page.wait_for_selector("#showcase-actions")
        assert page.locator("#reviews").count() == 1
        page.click("#request-quote")
        # Signed out: the sign-in page comes first and leads back to the request.
        page.wait_for_url("**/accounts/login/**")
        page.fill("input[name=login]", buyer_user.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("form button[type=submit]")
        page.wait_for_selector("#rfq-directed")
        page.select_option("#id_category", str(shirts.pk))
        page.fill("#id_title", "Oxford shirts for spring")
        page.fill("#id_quantity", "200")
        page.fill("#id_ready_by", in_days(20).isoformat())
        page.click("#rfq-form button[type=submit]")
        page.wait_for_url("**/rfqs/*/")
        width_used = page.evaluate("document.documentElement.scrollWidth")
        assert width_used <= width
    finally:
        context.close()
    rfq = RFQ.objects.get(buyer=buyer)
    assert rfq.directed_to_id == factory.pk
    assert list(rfq.invitations.values_list("factory_id", flat=True)) == [factory.pk]
