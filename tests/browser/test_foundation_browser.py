"""Real Chromium through the real pages: sign in, switch organization, read the inbox,
switch language."""

import pytest

from marketplace import services
from marketplace.models import Membership
from tests.conftest import browser_sign_in
from tests.helpers import PASSWORD, make_organization

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_and_switch_organization(page):
    buyer, person = make_organization("buyer", name="Alder Street Apparel")
    factory, _owner = make_organization("factory", name="Qingdao Bright Stitch")
    Membership.objects.create(user=person, organization=factory, role="admin")

    browser_sign_in(page, person.email, PASSWORD)
    assert page.url.endswith("/dashboard/")
    # Two organizations and no choice yet: asked to choose (the API's rule), no guessing.
    choose = page.locator("#choose-organization")
    assert "Choose the one you are working for" in choose.inner_text()
    with page.expect_navigation():
        choose.get_by_role("button", name="Alder Street Apparel").click()
    working_as = page.locator("main .card").first
    assert "You are working as Alder Street Apparel" in working_as.inner_text()

    with page.expect_navigation():
        page.select_option("#organization-select", factory.slug)
    assert "You are now working as Qingdao Bright Stitch." in page.locator(".messages").inner_text()
    assert (
        "You are working as Qingdao Bright Stitch" in page.locator("main .card").first.inner_text()
    )
    assert page.locator("#organization-select").input_value() == factory.slug

    # The choice sticks for the session: the team page now lists the factory's people.
    page.goto("/team/")
    assert "Team: Qingdao Bright Stitch" in page.locator("h1").inner_text()
    assert buyer.slug != factory.slug


def test_inbox_mark_read_updates_the_badge_without_reload(page):
    organization, owner = make_organization("buyer", name="Badge Traders")
    for title in ("Quote received", "Sample approved"):
        services.notification_send(organization=organization, title=title, email=False)
    browser_sign_in(page, owner.email, PASSWORD)
    assert page.locator("#inbox-link .count-badge").inner_text() == "2"
    page.click("#inbox-link")
    page.wait_for_url("**/notifications/")
    first_button = page.locator("li.notification.unread button").first
    first_button.click()
    # A function, not an expression: Playwright polls an expression with eval(), which the
    # Content-Security-Policy refuses.
    page.wait_for_function(
        "() => document.querySelector('#inbox-link .count-badge')?.textContent.trim() === '1'"
    )
    page.wait_for_selector("li.notification.read")  # after htmx's settle step
    assert page.locator("li.notification.read").count() == 1
    assert page.locator("li.notification.unread").count() == 1


def test_language_switcher_shows_simplified_chinese(page):
    page.goto("/")
    with page.expect_navigation():
        page.select_option("#language-select", "zh-hans")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "登录" in page.locator("header").inner_text()
