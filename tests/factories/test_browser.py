"""The whole factory flow in real Chromium: build a profile, submit for audit, get approved
in Django admin, publish capacity in the calendar page, then appear in a buyer's search for
a fitting order and not for one that capacity or the minimum order rules out."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from PIL import Image

from factories.models import AuditSubmission, CapacityDay
from marketplace.models import Organization
from tests.conftest import browser_sign_in
from tests.factories.conftest import make_category
from tests.helpers import PASSWORD, make_organization, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.date_sensitive,
]


def _new_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(15_000)
    return context, context.new_page()


def test_factory_builds_profile_gets_audited_publishes_and_is_found(
    page, browser, live_server, tmp_path
):
    shirts = make_category("shirts")
    factory, owner = make_organization(
        Organization.Kind.FACTORY, name="Browser Shirt Works", verified=False
    )
    operator = make_user("operator-browser@example.com")
    operator.is_staff = operator.is_superuser = True
    operator.save()
    _buyer, buyer_user = make_organization(Organization.Kind.BUYER)
    licence = tmp_path / "licence.png"
    Image.new("RGB", (600, 400), "white").save(licence)

    # 1. The factory builds its profile.
    browser_sign_in(page, owner.email, PASSWORD)
    page.click("text=Factory profile")
    page.fill("#id_description", "Cotton shirts for online brands, 50 pieces and up.")
    page.select_option("#id_place", "Zhejiang/Ningbo")
    page.fill("#id_min_order_quantity", "50")
    page.fill("#id_standard_lead_days", "5")
    page.check(f"#profile-form input[name=categories][value='{shirts.pk}']")
    page.click("#profile-form button[type=submit]")
    page.wait_for_selector("text=Profile saved.")

    # 2. ... and submits it for audit with its business registration.
    page.click("nav >> text=Audit")
    page.fill("#id_legal_name", "Browser Shirt Works Co., Ltd.")
    page.fill("#id_business_registration_number", "913302009999")
    page.set_input_files("#id_business_registration", str(licence))
    page.click("#audit-form button[type=submit]")
    page.wait_for_selector("text=Submitted. An operator will review your evidence.")
    assert page.inner_text("#audit-status") == "Waiting for review"

    # 3. An operator approves it in Django admin.
    operator_context, operator_page = _new_page(browser, live_server)
    browser_sign_in(operator_page, operator.email, PASSWORD)
    submission = AuditSubmission.objects.get(organization=factory)
    operator_page.goto(f"/admin/factories/auditsubmission/{submission.pk}/change/")
    operator_page.select_option("#id_decision", "approve")
    operator_page.fill("#id_decision_reason", "Licence and photos check out")
    operator_page.click("input[name=_save]")
    operator_page.wait_for_selector("text=Approved: the factory is now verified.")
    operator_context.close()
    factory.refresh_from_db()
    assert factory.verified

    # 4. The factory publishes 30 days of capacity in the calendar page.
    page.click("nav >> text=Capacity calendar")
    page.fill("#fill-form #id_units", "60")
    page.click("#fill-form button[type=submit]")
    page.wait_for_selector("text=Calendar saved.")
    today = timezone.localdate()
    first_cell = f"input[name='cell-{shirts.pk}-{today.isoformat()}']"
    assert page.input_value(first_cell) == "60"
    # Edit one day in the grid itself and save.
    page.fill(first_cell, "80")
    page.click("#capacity-grid button[type=submit]")
    page.wait_for_selector("text=Calendar saved.")
    assert CapacityDay.objects.filter(organization=factory).count() == 30
    assert CapacityDay.objects.get(organization=factory, date=today).units == 80

    # 5. A buyer finds it for a fitting order, and not for ones it cannot take.
    buyer_context, buyer_page = _new_page(browser, live_server)
    browser_sign_in(buyer_page, buyer_user.email, PASSWORD)
    buyer_page.click("text=Find factories")
    ready_by = (today + datetime.timedelta(days=10)).isoformat()

    def search(quantity: int) -> str:
        buyer_page.select_option("#id_category", "shirts")
        buyer_page.fill("#id_quantity", str(quantity))
        buyer_page.fill("#id_ready_by", ready_by)
        with buyer_page.expect_response(lambda response: "/factories/search/" in response.url):
            buyer_page.click("#factory-search button[type=submit]")
        buyer_page.wait_for_selector("#result-count")
        return buyer_page.inner_text("#search-results")

    found = search(300)
    assert "Browser Shirt Works" in found
    assert buyer_page.locator("li.result svg.sparkline").count() == 1
    assert "Browser Shirt Works" not in search(40)  # below its minimum order of 50
    assert "Browser Shirt Works" not in search(5000)  # more than its free capacity
    buyer_context.close()
