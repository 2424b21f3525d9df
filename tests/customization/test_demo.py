"""The customization demo (run by `seed_demo`): completed suit campaigns whose orders'
modules are batched together at the demo factory, an open campaign with pledges, and
nothing added when the seed runs again."""

import re

import pytest
from django.core.management import call_command

from customization.demo import COMPLETED_CAMPAIGN
from customization.models import (
    Campaign,
    CampaignStatus,
    Design,
    OrderModule,
    Pledge,
    ProductionBatch,
)
from customization.selectors import batch_sheets, massing_summary
from marketplace.models import Organization, User
from orders.models import Order

pytestmark = [pytest.mark.django_db, pytest.mark.slow, pytest.mark.date_sensitive]


def _counts():
    return (
        Design.objects.count(),
        Campaign.objects.count(),
        Pledge.objects.count(),
        Order.objects.count(),
        OrderModule.objects.count(),
        ProductionBatch.objects.count(),
    )


def test_demo_campaigns_and_a_batched_factory_day_are_seeded_once():
    call_command("seed_demo")
    first = _counts()
    evergreen = Organization.objects.get(slug="ningbo-evergreen")

    completed = Campaign.objects.get(title=COMPLETED_CAMPAIGN)
    assert completed.status == CampaignStatus.COMPLETED
    assert completed.factory == evergreen
    assert completed.pledged_quantity == completed.target_quantity == 40
    assert completed.order is not None
    assert completed.order.quantity == 40
    assert set(completed.pledges.values_list("status", flat=True)) == {Pledge.Status.CONVERTED}

    open_ = Campaign.objects.get(status=CampaignStatus.OPEN)
    assert 0 < open_.pledged_quantity < open_.target_quantity
    assert open_.pledges.count() == 2

    lines = OrderModule.objects.filter(order_id=completed.order_id, is_open=True)
    assert lines.exists()
    batches = ProductionBatch.objects.filter(organization=evergreen)
    assert set(lines.values_list("signature", flat=True)) <= set(
        batches.values_list("signature", flat=True)
    )

    call_command("seed_demo")
    assert _counts() == first


def _kpi(page: str, name: str) -> int:
    match = re.search(rf'<div class="kpi" id="{name}">(\d+)</div>', page)
    assert match is not None, name
    return int(match.group(1))


def test_the_demo_factory_batches_modules_of_several_orders_into_far_fewer_setups(client):
    call_command("seed_demo")
    evergreen = Organization.objects.get(slug="ningbo-evergreen")

    summary = massing_summary(organization=evergreen)
    assert summary.lines >= 30
    assert summary.waiting_lines == 0
    assert summary.batches > 0
    assert summary.lines >= 2.5 * summary.batches  # setups saved: 2.5x or more
    # Batches make modules of several orders, of both demo buyers.
    busiest = max(summary.days, key=lambda day: day["lines"])
    sheets = batch_sheets(organization=evergreen, day=busiest["date"])
    orders = {line.order_id for sheet in sheets for line in sheet.lines}
    assert max(len({line.order_id for line in sheet.lines}) for sheet in sheets) >= 4
    buyers = set(Order.objects.filter(pk__in=orders).values_list("buyer__slug", flat=True))
    assert buyers == {"bright-threads", "urban-nest-home"}

    # The factory's Massing page shows it.
    client.force_login(User.objects.get(email="factory@c2m.example"))
    page = client.get("/factory/massing/").content.decode()
    assert _kpi(page, "setups-before") == summary.lines
    assert _kpi(page, "setups-after") == summary.batches
    assert _kpi(page, "unbatched") == 0

    # A second seed adds no order, line or batch, and the page shows the same.
    counts = _counts()
    call_command("seed_demo")
    assert _counts() == counts
    assert massing_summary(organization=evergreen) == summary
