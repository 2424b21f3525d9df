"""The order's message thread in real Chromium: the buyer sends a photo, the factory finds
the conversation unread in its inbox, opens it, sees the picture and answers."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from orders.models import OrderMessageAttachment, OrderStatus
from tests.conftest import browser_sign_in
from tests.helpers import PASSWORD
from tests.orders.conftest import drive, make_deal

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.browser,
    pytest.mark.date_sensitive,
]


def test_order_thread_with_a_photo_in_the_browser(page, browser, live_server, tmp_path):
    deal = make_deal()
    order = drive(deal, OrderStatus.SAMPLE_REQUESTED)
    photo = tmp_path / "collar.png"
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 90, 200)).save(buffer, format="PNG")
    photo.write_bytes(buffer.getvalue())

    browser_sign_in(page, deal.buyer_user.email, PASSWORD)
    page.goto(f"/orders/{order.pk}/")
    form = page.locator("#order-message-form")
    form.locator("textarea[name=body]").fill("Please match this collar.")
    form.locator("input[name=attachments]").set_input_files(str(photo))
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    thread = page.locator("#order-thread")
    assert "Please match this collar." in thread.inner_text()
    attachment = OrderMessageAttachment.objects.get()
    image = thread.locator("img.thumb")
    # The picture really loads from private media (a broken image has no natural width).
    assert image.evaluate("img => img.complete && img.naturalWidth") == 40

    factory_context = browser.new_context(base_url=live_server.url, locale="en-US")
    factory_page = factory_context.new_page()
    try:
        browser_sign_in(factory_page, deal.factory_user.email, PASSWORD)
        factory_page.goto("/messages/")
        line = factory_page.locator(f'li[data-kind="order"][data-pk="{order.pk}"]')
        assert "1 unread" in line.inner_text()
        line.locator("a.notification-title").click()
        factory_page.wait_for_load_state("networkidle")
        assert "Please match this collar." in factory_page.locator("#order-thread").inner_text()
        link = factory_page.locator(f'a[href$="/files/message/{attachment.pk}/"]')
        assert "collar.png" in link.inner_text()
        factory_form = factory_page.locator("#order-message-form")
        factory_form.locator("textarea[name=body]").fill("Will do, sample ships Friday.")
        factory_form.locator("button[type=submit]").click()
        factory_page.wait_for_load_state("networkidle")
        factory_page.goto("/messages/")
        own_line = factory_page.locator(f'li[data-kind="order"][data-pk="{order.pk}"]')
        assert own_line.locator(".unread-count").count() == 0
    finally:
        factory_context.close()

    page.goto("/messages/")
    assert "1 unread" in page.locator(f'li[data-kind="order"][data-pk="{order.pk}"]').inner_text()
