"""The batch matcher inside the marketplace: which RFQs it plans for, what it reads, the
invitations it writes (idempotently), its chunking, and a real Celery worker running it."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.utils import timezone

from catalog.models import Category
from factories import services as factory_services
from marketplace.celery import app as celery_app
from marketplace.models import Organization
from orders import services as order_services
from orders.matching import services, tasks
from orders.matching.selectors import ON_SUBMISSION_GRACE
from orders.models import RFQ, RFQInvitation
from tests.conftest import wait_until
from tests.helpers import make_organization

pytestmark = pytest.mark.date_sensitive

_sequence = itertools.count(1)
LATER = datetime.timedelta(minutes=1)


def make_category(slug: str) -> Category:
    return Category.objects.get_or_create(slug=slug, defaults={"name": slug.title()})[0]


def make_factory(category, *, units, days=30, verified=True, **profile) -> Organization:
    factory, _owner = make_organization(Organization.Kind.FACTORY, verified=verified)
    profile.setdefault("description", "We sew shirts.")
    factory_services.factory_profile_update(organization=factory, categories=[category], **profile)
    today = timezone.localdate()
    factory_services.capacity_fill_range(
        organization=factory,
        category=category,
        start=today,
        end=today + datetime.timedelta(days=days - 1),
        units=units,
    )
    return factory


def make_rfq(buyer, owner, category, *, quantity, ready_in_days) -> RFQ:
    rfq = order_services.rfq_create(
        buyer=buyer,
        acting_user=owner,
        category=category,
        title=f"Shirts {next(_sequence)}",
        quantity=quantity,
        ready_by=timezone.localdate() + datetime.timedelta(days=ready_in_days),
    )
    # Past the on-submission matcher's grace period, as a waiting RFQ would be.
    RFQ.objects.filter(pk=rfq.pk).update(created_at=timezone.now() - ON_SUBMISSION_GRACE - LATER)
    return rfq


@pytest.fixture
def shirts():
    return make_category("batch-shirts")


@pytest.fixture
def buyer():
    return make_organization(Organization.Kind.BUYER)


@pytest.mark.django_db
def test_plan_gives_each_rfq_one_factory_of_its_category_with_room_before_ready_by(shirts, buyer):
    other = make_category("batch-shoes")
    small = make_factory(shirts, units=10, price_level=1)  # 10/day: 90 units by day 8
    roomy = make_factory(shirts, units=100, price_level=4)
    make_factory(other, units=500, price_level=1)
    first = make_rfq(*buyer, shirts, quantity=300, ready_in_days=8)
    second = make_rfq(*buyer, shirts, quantity=50, ready_in_days=8)

    plan = services.batch_match_plan()

    by_rfq = {a.rfq_pk: a for a in plan.assignments}
    assert plan.demands == 2
    assert plan.demanded_units == 350
    assert by_rfq[first.pk].factory_pk == roomy.pk
    assert by_rfq[first.pk].units == 300
    # Produced by day 2, reported after the default 7-day lead time, as search does.
    assert by_rfq[first.pk].completion == timezone.localdate() + datetime.timedelta(days=7)
    assert by_rfq[second.pk].factory_pk == small.pk  # cheaper, and 50 fit in its 90
    assert by_rfq[second.pk].units == 50
    assert plan.assigned_units == 350


@pytest.mark.django_db
def test_plan_skips_invited_new_and_closed_rfqs_and_factories_that_cannot_take_them(shirts, buyer):
    make_factory(shirts, units=100, verified=False)
    make_factory(shirts, units=100, min_order_quantity=500)
    make_factory(shirts, units=100, standard_lead_days=10)  # cannot finish by day 9
    invited = make_rfq(*buyer, shirts, quantity=40, ready_in_days=9)
    RFQInvitation.objects.create(rfq=invited, factory=make_factory(shirts, units=0))
    cancelled = make_rfq(*buyer, shirts, quantity=40, ready_in_days=9)
    RFQ.objects.filter(pk=cancelled.pk).update(status=RFQ.Status.CANCELLED)
    brand_new = make_rfq(*buyer, shirts, quantity=40, ready_in_days=9)
    RFQ.objects.filter(pk=brand_new.pk).update(created_at=timezone.now())
    make_rfq(*buyer, shirts, quantity=40, ready_in_days=9)  # the one waiting RFQ

    plan = services.batch_match_plan()

    assert plan.demands == 1
    assert plan.assignments == []  # unverified, 500+ units minimum, or 10 days' lead time


@pytest.mark.django_db
def test_plan_reads_with_a_constant_number_of_queries(shirts, buyer, django_assert_max_num_queries):
    for price_level in (1, 2, 3, 4, 5):
        make_factory(shirts, units=50, price_level=price_level)
    for quantity in (40, 80, 120, 160, 200, 240, 280, 320):
        make_rfq(*buyer, shirts, quantity=quantity, ready_in_days=12)

    with django_assert_max_num_queries(4):
        plan = services.batch_match_plan()

    assert plan.demands == 8
    assert plan.assigned_units == sum((40, 80, 120, 160, 200, 240, 280, 320))


@pytest.mark.django_db
def test_apply_invites_the_planned_factory_once_even_when_run_twice(shirts, buyer):
    factory = make_factory(shirts, units=100, standard_lead_days=1)
    rfq = make_rfq(*buyer, shirts, quantity=150, ready_in_days=6)
    plan = services.batch_match_plan()

    first = services.batch_match_apply(assignments=plan.assignments)
    second = services.batch_match_apply(assignments=plan.assignments)

    invitation = RFQInvitation.objects.get(rfq=rfq)
    assert (first, second) == (1, 0)
    assert invitation.factory_id == factory.pk
    assert invitation.source == RFQInvitation.Source.BATCH
    assert invitation.available_units == 150
    assert invitation.earliest_completion == timezone.localdate() + datetime.timedelta(days=1)
    rfq.refresh_from_db()
    assert rfq.matched_at is not None
    assert services.batch_match_plan().demands == 0


@pytest.mark.django_db
def test_apply_leaves_rfqs_that_closed_or_got_a_factory_meanwhile(shirts, buyer):
    make_factory(shirts, units=100)
    closed = make_rfq(*buyer, shirts, quantity=60, ready_in_days=8)
    matched = make_rfq(*buyer, shirts, quantity=60, ready_in_days=8)
    plan = services.batch_match_plan()
    RFQ.objects.filter(pk=closed.pk).update(status=RFQ.Status.CANCELLED)
    earlier = make_factory(shirts, units=0)
    RFQInvitation.objects.create(rfq=matched, factory=earlier)

    created = services.batch_match_apply(assignments=plan.assignments)

    assert created == 0
    assert not RFQInvitation.objects.filter(rfq=closed).exists()
    assert list(RFQInvitation.objects.filter(rfq=matched).values_list("factory", flat=True)) == [
        earlier.pk
    ]


@pytest.mark.parametrize(
    ("count", "sizes"),
    [
        (0, []),
        (1, [1]),
        (99, [99]),
        (250, [250]),
        (501, [251, 250]),
        (1200, [400, 400, 400]),
        (10_000, [500] * 20),
    ],
)
def test_chunks_hold_at_least_100_demands_and_at_most_500(count, sizes):
    assignment = services.Assignment(1, 2, 30, datetime.date(2026, 1, 1), 1.0)
    plan = services.BatchPlan(demands=count, demanded_units=0, assignments=[assignment] * count)

    chunks = services.batch_match_chunks(plan=plan)

    assert [len(chunk) for chunk in chunks] == sizes


def test_assignment_payload_round_trips():
    assignment = services.Assignment(7, 9, 120, datetime.date(2026, 12, 1), 0.8)

    assert services.Assignment.from_payload(assignment.as_payload()) == assignment


def test_beat_runs_the_batch_matcher_periodically():
    entries = [e["task"] for e in celery_app.conf.beat_schedule.values()]

    assert "orders.matching.tasks.batch_match_task" in entries


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_batch_match_task_on_a_real_worker_invites_factories_in_chunks(
    celery_worker, shirts, buyer
):
    # Submitted while no factory had room: the on-submission matcher invites nobody.
    rfqs = [make_rfq(*buyer, shirts, quantity=30 + i, ready_in_days=20) for i in range(120)]
    wait_until(lambda: not RFQ.objects.filter(pk__in=[r.pk for r in rfqs], matched_at=None))
    assert not RFQInvitation.objects.filter(rfq__in=rfqs).exists()
    factories = [make_factory(shirts, units=400) for _ in range(3)]

    dispatched = tasks.batch_match_task.delay().get(timeout=60)

    assert dispatched == 120
    wait_until(lambda: RFQInvitation.objects.filter(rfq__in=rfqs).count() == 120, timeout=60)
    invited = RFQInvitation.objects.filter(rfq__in=rfqs)
    assert set(invited.values_list("factory_id", flat=True)) <= {f.pk for f in factories}
    assert set(invited.values_list("source", flat=True)) == {RFQInvitation.Source.BATCH}
    assert tasks.batch_match_task.delay().get(timeout=60) == 0
    assert invited.count() == 120
