"""The customization demo (run by `seed_demo`): a completed campaign whose order's modules
are batched at the demo factory, an open campaign with pledges, and nothing added when the
seed runs again."""

import pytest
from django.core.management import call_command

from customization.models import (
    Campaign,
    CampaignStatus,
    OrderModule,
    Pledge,
    ProductionBatch,
)
from marketplace.models import Organization

pytestmark = [pytest.mark.django_db, pytest.mark.slow, pytest.mark.date_sensitive]


def _counts():
    return (
        Campaign.objects.count(),
        Pledge.objects.count(),
        OrderModule.objects.count(),
        ProductionBatch.objects.count(),
    )


def test_demo_campaigns_and_a_batched_factory_day_are_seeded_once():
    call_command("seed_demo")
    first = _counts()
    evergreen = Organization.objects.get(slug="ningbo-evergreen")

    completed = Campaign.objects.get(status=CampaignStatus.COMPLETED)
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
    signatures = set(lines.values_list("signature", flat=True))
    assert set(batches.values_list("signature", flat=True)) == signatures

    call_command("seed_demo")
    assert _counts() == first
