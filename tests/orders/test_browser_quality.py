"""In real Chromium, in Simplified Chinese on a phone and in English on a laptop: finishing
production with units missing is refused, progress reports add up, and the factory's own
inspection is a self-check that waits for the buyer before the goods can ship."""

from __future__ import annotations

import pytest
from django.utils import timezone

from orders import services
from orders.models import Order, OrderStatus
from tests.conftest import browser_sign_in
from tests.helpers import PASSWORD
from tests.orders.conftest import drive, make_deal

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.browser,
    pytest.mark.date_sensitive,
]


def _context_page(browser, live_server, *, locale: str, width: int):
    context = browser.new_context(
        base_url=live_server.url, locale=locale, viewport={"width": width, "height": 900}
    )
    context.set_default_timeout(15_000)
    return context, context.new_page()


def _act(page, action: str) -> None:
    page.locator(f"form[data-action={action}] button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def _status(page) -> str | None:
    return page.locator("#order-status").get_attribute("data-status")


@pytest.mark.parametrize(
    ("locale", "language", "width"), [("zh-CN", "zh-hans", 390), ("en-US", "en", 1366)]
)
def test_short_finish_is_refused_and_the_self_check_waits_for_the_buyer(
    browser, live_server, locale, language, width
):
    deal = make_deal()
    order = drive(deal, OrderStatus.IN_PRODUCTION)
    services.production_progress_record(
        order=order,
        acting_organization=deal.factory,
        acting_user=deal.factory_user,
        day=timezone.localdate(),
        units=120,
    )
    path = f"/orders/{order.pk}/"
    factory_context, factory = _context_page(browser, live_server, locale=locale, width=width)
    buyer_context, buyer = _context_page(browser, live_server, locale=locale, width=width)
    browser_sign_in(factory, deal.factory_user.email, PASSWORD)
    browser_sign_in(buyer, deal.buyer_user.email, PASSWORD)

    factory.goto(path)
    assert factory.locator("html").get_attribute("lang") == language
    _act(factory, "finish_production")
    assert _status(factory) == OrderStatus.IN_PRODUCTION
    assert factory.locator(".messages .error").count() == 1
    assert Order.objects.get(pk=order.pk).status == OrderStatus.IN_PRODUCTION

    # A second report adds to the first (120 + 180), and the panel confirms it.
    factory.fill("#progress-form input[name=units]", "180")
    factory.click("#progress-form button[type=submit]")
    factory.wait_for_selector("#progress-recorded")
    assert "300" in factory.locator("#progress-recorded").inner_text()
    _act(factory, "finish_production")
    assert _status(factory) == OrderStatus.INSPECTION

    for checkbox in factory.locator("#inspection-form input[type=checkbox]").all():
        checkbox.check()
    factory.fill("#inspection-form input[name=defects_found]", "0")
    factory.click("#inspection-form button[type=submit]")
    factory.wait_for_load_state("networkidle")
    assert factory.locator(".self-check").count() == 1
    assert factory.locator("#ship-form button[type=submit]").is_disabled()

    buyer.goto(path)
    assert buyer.locator(".self-check").count() == 1
    _act(buyer, "accept_self_check")
    assert buyer.locator(".messages .success").count() == 1
    factory.goto(path)
    assert factory.locator("#ship-form button[type=submit]").is_enabled()
    factory_context.close()
    buyer_context.close()
