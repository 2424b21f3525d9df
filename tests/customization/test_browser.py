"""The buyer's customization journey in real Chromium: configure the air conditioner and
watch the price change, see a rule violation explained, save the design, ask factories
for a quote from it, and pledge to a group campaign (the progress moves)."""

import datetime

import pytest
from django.utils import timezone

from customization import services
from customization.models import Design, Pledge
from marketplace.money import Money
from orders.models import RFQ
from tests.conftest import browser_sign_in
from tests.customization.conftest import AIR_CONDITIONER_OPTIONS
from tests.customization.test_campaigns import credit_buyer
from tests.helpers import PASSWORD
from tests.orders.conftest import in_days, make_factory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.browser,
    pytest.mark.date_sensitive,
]

SIX = ["inverter", "heating", "wifi", "self-cleaning", "pm25-filter", "timer"]


def _check(page, code: str, checked: bool = True) -> None:
    page.locator(f"input[name='options.functions'][value='{code}']").set_checked(checked)


def _open_campaign(product):
    organizer, organizer_user = credit_buyer()
    factory, _user = make_factory(product.product.category, units=20)
    design = services.design_create(
        organization=organizer,
        acting_user=organizer_user,
        product=product,
        options=AIR_CONDITIONER_OPTIONS,
        measurements={},
        quantity=100,
        name="Office AC",
    )
    return services.campaign_open(
        organization=organizer,
        acting_user=organizer_user,
        design=design,
        factory=factory,
        title="Office AC group buy",
        target_quantity=50,
        cap_quantity=80,
        deadline=timezone.now() + datetime.timedelta(days=3),
        ready_by=in_days(20),
        target_unit_price=Money.from_decimal("2800.00", "CNY"),
    )


def test_buyer_configures_saves_asks_for_quotes_and_pledges(page, air_conditioner):
    campaign = _open_campaign(air_conditioner)
    buyer, buyer_user = credit_buyer()
    browser_sign_in(page, buyer_user.email, PASSWORD)

    page.goto(f"/configure/{air_conditioner.product_id}/")
    for code in SIX:
        _check(page, code)
    page.locator("input[name='options.panel-colour'][value='white']").check()
    page.locator("input[name='options.refrigerant'][value='r32']").check()
    page.wait_for_selector("#summary")
    white = page.locator("#unit-price").inner_text()

    page.locator("input[name='options.panel-colour'][value='silver']").check()
    page.wait_for_function(
        "previous => document.querySelector('#unit-price').innerText !== previous", arg=white
    )
    assert page.locator("#unit-price").inner_text() != white

    # Voice control without Wi-Fi: the rule is explained before saving.
    _check(page, "wifi", False)
    _check(page, "voice-control")
    page.wait_for_selector("#violations >> text=requires “Wi-Fi control”")
    _check(page, "voice-control", False)
    _check(page, "wifi")
    page.wait_for_selector("#summary")

    page.fill("input[name=name]", "Silver office AC")
    page.click("#save-design")
    page.wait_for_url("**/designs/*/")
    design = Design.objects.get(organization=buyer, name="Silver office AC")
    assert design.selections["options"]["panel-colour"] == "silver"

    # An RFQ from the design: the form comes filled in from it.
    page.click("#design-rfq")
    page.wait_for_url("**/rfqs/new/**")
    assert "Silver office AC" in page.locator("#rfq-design").inner_text()
    page.fill("input[name=ready_by]", in_days(25).isoformat())
    page.click("#rfq-form button[type=submit]")
    page.wait_for_url("**/rfqs/*/")
    rfq = RFQ.objects.get(buyer=buyer)
    assert rfq.design_id == design.pk

    # Pledge to the open campaign.
    page.goto(f"/campaigns/{campaign.pk}/")
    page.fill("#pledge-form input[name=quantity]", "20")
    page.click("#pledge-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    pledge = Pledge.objects.get(campaign=campaign, organization=buyer)
    assert pledge.quantity == 20
    assert "20" in page.content()
