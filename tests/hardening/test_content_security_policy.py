"""Content-Security-Policy (issue 14, item 8): every page refuses inline scripts, and the
pages still work under it in Chromium: the dashboard's charts, an htmx interaction, the
select that submits its form, and the API docs (Swagger UI from our own static files)."""

from __future__ import annotations

import pytest
from django.test import Client

from finance.services import payments
from marketplace import services
from marketplace.models import Membership
from tests.conftest import browser_sign_in
from tests.finance.conftest import (  # noqa: F401 - the localstripe fixtures
    localstripe_server,
    order_awaiting_payment,
    stripe_settings,
)
from tests.helpers import PASSWORD, make_organization
from tests.orders.conftest import make_category, make_deal, make_factory

# Every securitypolicyviolation event the page sees, collected before any page script runs.
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


def _directives(header: str) -> dict[str, list[str]]:
    parts = (part.strip().split() for part in header.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/api/docs/", "/api/v1/factories/"])
def test_every_response_carries_a_policy_that_refuses_inline_scripts(path):
    response = Client().get(path)
    directives = _directives(response["Content-Security-Policy"])
    assert directives["script-src"] == ["'self'"]
    assert directives["script-src-attr"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["default-src"] == ["'self'"]


@pytest.mark.django_db
def test_no_page_template_has_an_inline_script_or_handler():
    """The API docs page loads its initialisation script from a URL, not inline."""
    html = Client().get("/api/docs/").content.decode()
    assert "<script>" not in html
    assert "script=" in html  # SpectacularSwaggerSplitView's script URL
    script = Client().get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


class Violations:
    def __init__(self, page):
        self.page = page
        self.console: list[str] = []
        page.add_init_script(LISTEN)
        page.on("console", self._on_console)

    def _on_console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(message.text)

    def reported(self) -> list[str]:
        events = self.page.evaluate("window.__cspViolations || []")
        return [*events, *self.console]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_key_pages_work_in_chromium_without_a_csp_violation(page):
    violations = Violations(page)
    category = make_category()
    factory, owner = make_factory(category, units=120, days=30)
    buyer, _buyer_owner = make_organization("buyer", name="Policy Buyer")
    Membership.objects.create(user=owner, organization=buyer, role="admin")
    services.notification_send(organization=factory, title="Quote received", email=False)

    browser_sign_in(page, owner.email, PASSWORD)
    page.goto("/dashboard/")
    choose = page.locator("#choose-organization")
    if choose.count():
        with page.expect_navigation():
            choose.get_by_role("button", name=factory.name).click()
    page.goto("/dashboard/")
    # The factory's panel draws its capacity as server-rendered SVG.
    assert page.locator("main svg").count() >= 1
    assert violations.reported() == []

    # htmx: marking a notification read swaps the row and the badge without a reload.
    page.click("#inbox-link")
    page.wait_for_url("**/notifications/")
    page.locator("li.notification.unread button").first.click()
    page.wait_for_selector("li.notification.read")
    assert violations.reported() == []

    # The organization switcher submits from static/js/app.js (no inline onchange).
    with page.expect_navigation():
        page.select_option("#organization-select", buyer.slug)
    assert page.locator("#organization-select").input_value() == buyer.slug
    assert violations.reported() == []

    # The API docs: Swagger UI renders the operations from the schema.
    page.goto("/api/docs/")
    page.wait_for_selector(".opblock", timeout=30_000)
    assert page.locator(".opblock").count() > 10
    assert violations.reported() == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_injected_inline_script_is_refused_and_reported(page):
    """The listener above can see a violation: a script injected into the page is refused."""
    violations = Violations(page)
    page.goto("/")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__injected = true";
          document.body.append(script);
          document.body.setAttribute("onclick", "window.__clicked = true");
          document.body.click();
        }"""
    )
    page.wait_for_function("() => window.__cspViolations.length >= 2")
    assert page.evaluate("window.__injected === undefined && window.__clicked === undefined")
    assert any("script-src" in item for item in violations.reported())


@pytest.mark.django_db(transaction=True)  # no Stripe call inside a transaction
def test_the_card_payment_page_alone_may_load_stripe(stripe_settings):  # noqa: F811
    """Stripe.js comes from its own origin (localstripe here): only the card payment page's
    policy names it, and the page's own code is a static file."""
    deal = make_deal()
    payment = payments.payment_create(
        order=order_awaiting_payment(deal),
        organization=deal.buyer,
        purpose="full",
        method="stripe",
        acting_user=deal.buyer_user,
    )
    client = Client()
    client.force_login(deal.buyer_user)
    response = client.get(f"/finance/payments/{payment.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="card-form"' in html
    assert "stripe_payment.js" in html
    assert "<script>" not in html
    origin = stripe_settings.STRIPE_API_BASE
    directives = _directives(response["Content-Security-Policy"])
    assert origin in directives["script-src"]
    assert origin in directives["frame-src"]
    assert origin in directives["connect-src"]
    assert "'unsafe-inline'" not in directives["script-src"]
    # Any other page does not name Stripe.
    dashboard = client.get("/dashboard/")
    assert origin not in dashboard["Content-Security-Policy"]
