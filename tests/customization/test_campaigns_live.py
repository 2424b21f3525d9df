"""Campaigns against real concurrency and the real worker: parallel pledges never push a
capped campaign over its cap, and at the deadline the task the beat schedule names, run in
the Celery worker, refunds a campaign that missed its target and turns one that met it
into a paid production order."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from customization import services
from customization.models import Campaign, CampaignStatus, OrderModule, Pledge
from finance.models import CreditLine
from finance.services.ledger import ledger_invariant_problems
from marketplace.celery import app
from marketplace.exceptions import InvalidError
from marketplace.money import Money
from orders.models import Order, OrderStatus
from tests.conftest import wait_until
from tests.customization.test_campaigns import ac_design, credit_buyer
from tests.orders.conftest import in_days, make_factory
from tests.orders.test_concurrency import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


def _campaign(product, *, cap: int | None, target: int = 10, units: int = 0) -> Campaign:
    organizer, user = credit_buyer()
    factory, _owner = make_factory(product.product.category, units=units)
    return services.campaign_open(
        organization=organizer,
        acting_user=user,
        design=ac_design(product, organizer, user),
        factory=factory,
        title="Group buy",
        target_quantity=target,
        cap_quantity=cap,
        deadline=timezone.now() + datetime.timedelta(days=2),
        ready_by=in_days(20),
        target_unit_price=Money(2800_00, "CNY"),
    )


def test_parallel_pledges_never_exceed_the_cap(air_conditioner):
    campaign = _campaign(air_conditioner, cap=25)
    buyers = [credit_buyer() for _ in range(12)]
    results = run_in_threads(
        [
            lambda who=who: services.pledge_create(
                campaign=campaign, organization=who[0], acting_user=who[1], quantity=3
            )
            for who in buyers
        ]
    )
    accepted = [result for result in results if isinstance(result, Pledge)]
    refused = [result for result in results if isinstance(result, InvalidError)]
    assert len(accepted) == 8, results  # 8 x 3 = 24 <= 25; a ninth would make 27
    assert len(refused) == 4
    assert all("quantity" in error.message_dict for error in refused)
    campaign.refresh_from_db()
    assert campaign.pledged_quantity == 24 == sum(p.quantity for p in Pledge.objects.all())
    used = sum(CreditLine.objects.values_list("used_minor", flat=True))
    assert used == sum(p.amount_minor for p in Pledge.objects.all())
    assert ledger_invariant_problems() == {}


@pytest.mark.celery_worker
def test_beat_task_refunds_a_campaign_past_its_deadline_in_the_worker(
    air_conditioner, celery_worker
):
    campaign = _campaign(air_conditioner, cap=None, target=500)
    pledgers = [credit_buyer() for _ in range(3)]
    for organization, user in pledgers:
        services.pledge_create(
            campaign=campaign, organization=organization, acting_user=user, quantity=4
        )
    Campaign.objects.filter(pk=campaign.pk).update(
        deadline=timezone.now() - datetime.timedelta(seconds=1)
    )
    entry = app.conf.beat_schedule["customization-campaigns-close"]
    assert entry["task"] == "customization.tasks.campaigns_close_due_task"
    app.send_task(entry["task"])

    def refunded():
        return Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.FAILED

    wait_until(refunded, timeout=60)
    assert set(Pledge.objects.values_list("status", flat=True)) == {"refunded"}
    assert set(CreditLine.objects.values_list("used_minor", flat=True)) == {0}
    assert ledger_invariant_problems() == {}


@pytest.mark.celery_worker
def test_beat_task_completes_a_campaign_that_met_its_target_in_the_worker(
    air_conditioner, celery_worker
):
    campaign = _campaign(air_conditioner, cap=None, target=10, units=20)
    pledgers = [credit_buyer() for _ in range(3)]
    for organization, user in pledgers:
        services.pledge_create(
            campaign=campaign, organization=organization, acting_user=user, quantity=4
        )
    Campaign.objects.filter(pk=campaign.pk).update(
        deadline=timezone.now() - datetime.timedelta(seconds=1)
    )
    app.send_task(app.conf.beat_schedule["customization-campaigns-close"]["task"])

    def completed():
        return Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.COMPLETED

    wait_until(completed, timeout=60)
    order = Order.objects.get(pk=Campaign.objects.get(pk=campaign.pk).order_id)
    assert (order.quantity, order.status) == (12, OrderStatus.PAID)
    assert set(Pledge.objects.values_list("status", flat=True)) == {"converted"}
    # Each pledger owes the target price on its credit line, repaid on finance's schedule.
    lines = CreditLine.objects.filter(organization__in=[who[0] for who in pledgers])
    assert set(lines.values_list("used_minor", flat=True)) == {2800_00 * 4}
    wait_until(lambda: OrderModule.objects.filter(order=order).exists(), timeout=30)
    assert ledger_invariant_problems() == {}
