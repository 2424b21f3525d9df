"""In real Chromium, in Simplified Chinese on a phone and in English on a laptop (issue 8):
an accepted quote's lead time gives a promise and a hold that agree with the plan, the
factory's date inputs are pre-filled, and a notification written while English was active
is read in the reader's language."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone, translation

from marketplace.models import Notification
from orders import services
from tests.conftest import browser_sign_in
from tests.helpers import PASSWORD
from tests.orders.conftest import make_deal

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.browser,
    pytest.mark.date_sensitive,
]


def _page(browser, live_server, *, locale: str, width: int):
    context = browser.new_context(
        base_url=live_server.url, locale=locale, viewport={"width": width, "height": 900}
    )
    context.set_default_timeout(15_000)
    return context, context.new_page()


@pytest.mark.parametrize(
    ("locale", "language", "width"), [("zh-CN", "zh-hans", 390), ("en-US", "en", 1366)]
)
def test_promise_hold_date_inputs_and_notifications_follow_the_quote_and_the_reader(
    browser, live_server, locale, language, width
):
    deal = make_deal()
    lead_days = deal.quote.lead_time_days
    with translation.override("en"):  # the buyer accepts while English is active
        order = services.quote_accept(
            quote=deal.quote,
            acting_organization=deal.buyer,
            acting_user=deal.buyer_user,
            with_sample=False,
        )
    today = timezone.localdate()
    start = order.production_window_start
    assert start is not None
    # The promise follows the quoted lead time; the hold serves the plan and no longer.
    assert order.ready_by >= start + datetime.timedelta(days=lead_days - 1)
    assert order.ready_by - today >= datetime.timedelta(days=lead_days - 1)
    assert order.hold_expires_at is not None
    end_of_first_day = timezone.make_aware(
        datetime.datetime.combine(start + datetime.timedelta(days=1), datetime.time.min)
    )
    assert order.hold_expires_at <= end_of_first_day

    buyer_context, buyer = _page(browser, live_server, locale=locale, width=width)
    factory_context, factory = _page(browser, live_server, locale=locale, width=width)
    try:
        browser_sign_in(buyer, deal.buyer_user.email, PASSWORD)
        buyer.goto(f"/orders/{order.pk}/")
        assert buyer.locator("html").get_attribute("lang") == language
        kpis = buyer.locator(".kpi").all_inner_texts()
        assert order.ready_by.isoformat() in kpis
        held = timezone.localtime(order.hold_expires_at).strftime("%Y-%m-%d %H:%M")
        assert held in buyer.locator("body").inner_text()
        assert buyer.evaluate("document.documentElement.scrollWidth") <= width

        browser_sign_in(factory, deal.factory_user.email, PASSWORD)
        # The capacity tools' pre-filled dates reach the browser (a value the date input
        # cannot parse, such as "2026/12/14", would show as blank).
        factory.goto("/factory/capacity/")
        dates = factory.locator("input[type=date]")
        prefilled = 0
        for index in range(dates.count()):
            written = dates.nth(index).get_attribute("value") or ""
            if written:
                prefilled += 1
                assert dates.nth(index).input_value() == written, (index, written)
                datetime.date.fromisoformat(written)
        assert prefilled > 0

        notice = Notification.objects.filter(organization=deal.factory).latest("pk")
        with translation.override("en"):
            english = notice.display_title
        with translation.override(language):
            expected = notice.display_title
        factory.goto("/notifications/")
        assert expected in factory.locator("body").inner_text()
        if language == "zh-hans":
            assert expected != english  # written in English, read in Chinese
            assert english not in factory.locator("body").inner_text()
    finally:
        buyer_context.close()
        factory_context.close()
