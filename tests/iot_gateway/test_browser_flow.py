"""Equipment in real Chromium: telemetry over HTTP with the device's token, the real worker
raises the alarm and routes the lead; the supplier and a service provider see it, the
provider quotes, and the owner accepts the quote as an order both sides see."""

from __future__ import annotations

import datetime

import pytest
import requests
from django.utils import timezone

from iot_gateway.models import Alarm, ServiceLead
from orders.models import Order
from tests.conftest import browser_sign_in, wait_until
from tests.helpers import PASSWORD
from tests.iot_gateway.conftest import reading, threshold_rule

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.browser,
    pytest.mark.celery_worker,
]


def signed_in_page(browser, live_server, user):
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    browser_sign_in(page, user.email, PASSWORD)
    return page


def test_fault_alarm_lead_quote_and_order_in_the_browser(
    page, browser, live_server, celery_worker, fleet, truncate_readings
):
    threshold_rule(fleet, duration_seconds=60)
    now = timezone.now()
    response = requests.post(
        f"{live_server.url}/api/v1/telemetry/",
        json={
            "readings": [
                reading("temperature", 80 + 2 * i, seconds_ago=300 - 30 * i, now=now)
                for i in range(10)
            ]
        },
        headers={"Authorization": f"Device {fleet.token}"},
        timeout=30,
    )
    assert response.status_code == 202, response.text
    lead = wait_until(lambda: ServiceLead.objects.filter(device=fleet.device).first(), 60)

    # The owner sees the alarm on the equipment pages.
    browser_sign_in(page, fleet.owner_user.email, PASSWORD)
    page.click("nav >> text=Equipment")
    page.goto("/equipment/alarms/")
    assert "Overheating" in page.content()
    assert Alarm.objects.get().status == "active"

    # The supplier sees the lead in its inbox.
    supplier = signed_in_page(browser, live_server, fleet.supplier_user)
    supplier.click("nav >> text=Service leads")
    assert lead.display_title in supplier.content()

    # The service provider sees it too and quotes.
    provider = signed_in_page(browser, live_server, fleet.provider_user)
    provider.click("nav >> text=Service leads")
    provider.click(f"text={lead.display_title}")
    provider.fill("input[name=amount]", "1280.00")
    provider.select_option("select[name=currency]", "CNY")
    provider.fill("input[name=days_to_service]", "2")
    valid_until = timezone.localdate() + datetime.timedelta(days=7)
    provider.fill("input[name=valid_until]", valid_until.isoformat())
    provider.fill("textarea[name=note]", "New thermostat, fitted on site.")
    provider.click("text=Send quote")
    provider.wait_for_load_state("networkidle")
    assert "Your quote was sent to the owner." in provider.content()

    # The owner accepts it: the order page opens, awaiting payment.
    page.goto(f"/service-leads/{lead.pk}/")
    assert "1280.00" in page.content()
    page.click("form[action$='/accept/'] button[type=submit]")
    page.wait_for_url("**/orders/*/")
    order = Order.objects.get()
    assert order.number in page.content()
    assert "Awaiting payment" in page.content()
    assert (order.buyer, order.factory) == (fleet.owner, fleet.provider)

    # The provider finds it among its orders.
    provider.click("nav >> text=Orders")
    provider.click(f"text={order.number}")
    provider.wait_for_url(f"**/orders/{order.pk}/")
    assert lead.display_title in provider.content()
