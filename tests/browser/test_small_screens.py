"""Screens in real Chromium: the capacity calendar's 30 days fit a 1366 px laptop screen, a
phone gets a compact header and lists turned into cards, and every page has a favicon."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from factories import services as factory_services
from orders import services
from tests.conftest import browser_sign_in
from tests.helpers import PASSWORD
from tests.orders.conftest import make_category, make_deal

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.date_sensitive,
]

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def _page(browser, live_server, viewport, user):
    context = browser.new_context(base_url=live_server.url, locale="en-US", viewport=viewport)
    context.set_default_timeout(15_000)
    page = context.new_page()
    browser_sign_in(page, user.email, PASSWORD)
    return context, page


def _order(units: int = 100):
    deal = make_deal(units=units)
    order = services.quote_accept(
        quote=deal.quote, acting_organization=deal.buyer, acting_user=deal.buyer_user
    )
    return deal, order


def test_the_capacity_grid_fits_a_1366_px_screen(browser, live_server):
    deal, order = _order(units=1200)  # four-digit days, and a hold on some of them
    categories = [deal.category]
    for slug in ("knitted-cardigans-and-sweaters", "technical-outerwear"):
        categories.append(make_category(slug))
    factory_services.factory_profile_update(organization=deal.factory, categories=categories)
    today = timezone.localdate()
    for category in categories[1:]:
        factory_services.capacity_fill_range(
            organization=deal.factory,
            category=category,
            start=today,
            end=today + datetime.timedelta(days=29),
            units=2500,
        )
    context, page = _page(browser, live_server, LAPTOP, deal.factory_user)
    try:
        page.goto("/factory/capacity/")
        grid = page.locator("#capacity-grid .calendar-scroll")
        assert page.locator("#capacity-grid thead th").count() == 31  # the category + 30 days
        assert grid.evaluate("element => element.scrollWidth <= element.clientWidth")
        last_day = page.locator("#capacity-grid thead th").last.bounding_box()
        assert last_day is not None
        assert last_day["x"] + last_day["width"] <= LAPTOP["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
        # Every day's input shows its whole number.
        too_narrow = page.locator("#capacity-grid td input").evaluate_all(
            "inputs => inputs.filter(input => input.scrollWidth > input.clientWidth).length"
        )
        assert too_narrow == 0
        # The order's hold is listed as a link to the order.
        page.click(f"#reservations a:has-text('{order.number}')")
        page.wait_for_url(f"**/orders/{order.pk}/")
    finally:
        context.close()


def test_a_phone_gets_a_compact_header_and_lists_as_cards(browser, live_server):
    deal, order = _order()
    context, page = _page(browser, live_server, PHONE, deal.buyer_user)
    try:
        page.goto("/orders/")
        header = page.locator("header.topbar").bounding_box()
        assert header is not None
        assert header["height"] <= 130
        # The main navigation is one row that scrolls sideways, not a block of rows.
        tops = page.locator(".mainnav a").evaluate_all(
            "links => links.map(link => Math.round(link.getBoundingClientRect().top))"
        )
        assert len(set(tops)) == 1, tops
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        # The order is a card: its cells are stacked and named by their column.
        row = page.locator("#order-table tbody tr").first
        assert row.evaluate("row => getComputedStyle(row).display") == "block"
        quantity = row.locator("td[data-label='Quantity']")
        assert (
            quantity.evaluate("cell => getComputedStyle(cell, '::before').content") == '"Quantity"'
        )
        assert order.number in row.inner_text()
        # At 1366 px the same list is a table again.
        page.set_viewport_size(LAPTOP)
        assert row.evaluate("row => getComputedStyle(row).display") == "table-row"
        header = page.locator("header.topbar").bounding_box()
        assert header is not None
        assert header["height"] <= 80
    finally:
        context.close()


def test_every_page_links_the_favicon(page):
    page.goto("/")
    href = page.locator("head link[rel=icon]").get_attribute("href")
    assert href
    assert href.endswith(".svg")
    response = page.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in response.body()
