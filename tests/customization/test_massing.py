"""Customization-massing: identical modules across a factory's open orders are batched by
signature and day, inside every order's window; re-running changes nothing."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.demo import CATEGORY_TREE
from catalog.models import Category
from catalog.services import category_tree_ensure
from customization.models import OrderModule, ProductionBatch
from customization.selectors import batch_sheets, massing_summary, open_module_lines
from customization.services import (
    design_create,
    massing_run,
    order_modules_attach,
    order_modules_close,
)
from factories.models import CapacityDay
from marketplace.models import Organization
from tests.customization.conftest import CABINET_OPTIONS, CABINET_SIZE
from tests.customization.massing_helpers import make_orders, module_line, publish_capacity
from tests.helpers import make_organization

pytestmark = pytest.mark.django_db

SIGNATURES = ["a" * 32, "b" * 32, "c" * 32, "d" * 32, "e" * 32]
CALENDAR_START = -4  # the calendar (and the windows) from four days before "today"
CALENDAR_DAYS = 28

order_strategy = st.fixed_dictionaries(
    {
        "start": st.integers(min_value=-4, max_value=12),
        "length": st.integers(min_value=0, max_value=10),
        "units": st.integers(min_value=1, max_value=60),
        "signatures": st.lists(st.sampled_from(SIGNATURES), min_size=1, max_size=4),
        "closed": st.booleans(),
    }
)
# Daily capacity: closed days, tight days and roomy ones.
capacity_strategy = st.lists(
    st.sampled_from([0, 10, 25, 40, 80, 400]), min_size=CALENDAR_DAYS, max_size=CALENDAR_DAYS
)


def _add_orders(factory, category, orders_spec, today):
    buyer, _owner = make_organization(Organization.Kind.BUYER)
    orders = make_orders(
        buyer=buyer, factory=factory, category=category, count=len(orders_spec), ready_by=today
    )
    lines = []
    for order, spec in zip(orders, orders_spec, strict=True):
        start = today + datetime.timedelta(days=spec["start"])
        end = start + datetime.timedelta(days=spec["length"])
        lines += [
            module_line(
                factory=factory,
                order=order,
                signature=signature,
                start=start,
                end=end,
                quantity=2 * spec["units"],
                units=spec["units"],
            )
            for signature in set(spec["signatures"])
        ]
    OrderModule.objects.bulk_create(lines)
    for order, spec in zip(orders, orders_spec, strict=True):
        if spec["closed"]:
            order_modules_close(order_pk=order.pk)
    return {
        (order.pk, signature): spec["units"]
        for order, spec in zip(orders, orders_spec, strict=True)
        for signature in spec["signatures"]
    }


def _check_invariants(factory, today, capacity, expected_units):
    batches = {batch.pk: batch for batch in ProductionBatch.objects.filter(organization=factory)}
    load: dict[int, int] = {}
    units: dict[tuple[int, str], int] = {}
    waiting = []
    placed = dict(open_module_lines(organization=factory).values_list("pk", "batch_id"))
    for line in OrderModule.objects.filter(organization=factory):
        line.batch_id = placed.get(line.pk)
        key = (line.order_id, line.signature)
        units[key] = units.get(key, 0) + line.units
        assert line.quantity == 2 * line.units, "a split line keeps its modules per unit"
        if not line.is_open:
            continue
        if line.batch_id is None:
            if line.window_end >= today:
                waiting.append(line)
            continue  # overdue windows are reported, never batched in the past
        batch = batches[line.batch_id]
        assert batch.signature == line.signature, "a batch never mixes signatures"
        assert line.window_start <= batch.day <= line.window_end, "batched inside its window"
        assert batch.day >= today
        load[batch.pk] = load.get(batch.pk, 0) + line.units
    assert units == expected_units, "splitting never loses or adds a unit"
    for pk, units_made in load.items():
        assert units_made <= capacity.get(batches[pk].day, 0), "within the day's capacity"
    by_key = {(batch.signature, batch.day): batch.pk for batch in batches.values()}
    for line in waiting:
        # Left waiting only when no day of its window has room for any of it.
        day = max(line.window_start, today)
        while day <= line.window_end:
            pk = by_key.get((line.signature, day))
            room = capacity.get(day, 0) - (load.get(pk, 0) if pk else 0)
            assert room <= 0, f"{line} waits though {day} has room for {room}"
            day += datetime.timedelta(days=1)
    keys = ProductionBatch.objects.filter(organization=factory).values_list("signature", "day")
    assert len(set(keys)) == len(keys), "one batch per signature and day"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first=st.lists(order_strategy, min_size=1, max_size=20),
    later=st.lists(order_strategy, min_size=0, max_size=10),
    daily=capacity_strategy,
)
def test_every_open_module_lands_in_one_batch_within_its_window_and_capacity(first, later, daily):
    today = datetime.date(2026, 11, 30)
    category_tree_ensure(tree=CATEGORY_TREE)
    category = Category.objects.get(slug="cabinets")
    factory, _owner = make_organization(Organization.Kind.FACTORY)
    capacity = publish_capacity(
        factory=factory,
        category=category,
        start=today + datetime.timedelta(days=CALENDAR_START),
        units=daily,
    )
    expected = _add_orders(factory, category, first, today)
    massing_run(factory=factory, today=today)
    _check_invariants(factory, today, capacity, expected)
    # More orders arrive (another factory's orders never mix in) and massing runs again.
    if later:
        expected |= _add_orders(factory, category, later, today)
        massing_run(factory=factory, today=today)
        _check_invariants(factory, today, capacity, expected)
    again = massing_run(factory=factory, today=today)
    assert (again.lines_placed, again.lines_split, again.batches_created) == (0, 0, 0)
    _check_invariants(factory, today, capacity, expected)


def test_a_day_full_of_one_module_splits_the_line_over_the_window(cabinet, buyer):
    organization, _user = buyer
    factory, _owner = make_organization(Organization.Kind.FACTORY)
    today = datetime.date(2026, 11, 30)
    category = cabinet.product.category
    publish_capacity(factory=factory, category=category, start=today, units=[20, 0, 30, 40])
    first, second = make_orders(
        buyer=organization, factory=factory, category=category, count=2, ready_by=today
    )
    end = today + datetime.timedelta(days=3)
    OrderModule.objects.bulk_create(
        [
            module_line(factory=factory, order=first, signature="s" * 32, start=today, end=end,
                        units=30, quantity=60),
            module_line(factory=factory, order=second, signature="s" * 32, start=today, end=end,
                        units=70, quantity=140),
        ]
    )  # fmt: skip
    result = massing_run(factory=factory, today=today)
    assert (result.lines_placed, result.lines_split, result.unplaced_lines) == (2, 1, 1)
    days = dict(ProductionBatch.objects.values_list("pk", "day"))
    made = {
        (line.order_id, days.get(line.batch_id)): (line.units, line.quantity)
        for line in open_module_lines(organization=factory)
    }
    # Day 3 (40 units) takes the first order; the second fills the 10 units left there,
    # then day 2 (30) and day 0 (20); day 1 is closed, so its last 10 units wait.
    assert made == {
        (first.pk, end): (30, 60),
        (second.pk, end): (10, 20),
        (second.pk, today + datetime.timedelta(days=2)): (30, 60),
        (second.pk, today): (20, 40),
        (second.pk, None): (10, 20),
    }
    assert massing_summary(organization=factory, today=today).waiting_lines == 1
    # Capacity published later: the next run places the rest, nothing else moves.
    CapacityDay.objects.filter(
        organization=factory, date=today + datetime.timedelta(days=1)
    ).update(units=10)
    result = massing_run(factory=factory, today=today)
    assert (result.lines_read, result.lines_placed, result.batches_created) == (1, 1, 1)
    assert not open_module_lines(organization=factory).filter(batch_id=None).exists()


def test_identical_panels_of_two_orders_share_a_batch_and_the_sheet_has_barcodes(cabinet, buyer):
    organization, user = buyer
    factory, _owner = make_organization(Organization.Kind.FACTORY)
    design = design_create(
        organization=organization, acting_user=user, product=cabinet,
        options=CABINET_OPTIONS, measurements=CABINET_SIZE, quantity=30,
    )  # fmt: skip
    today = datetime.date(2026, 11, 30)
    publish_capacity(factory=factory, category=cabinet.product.category, start=today, units=100)
    orders = make_orders(
        buyer=organization,
        factory=factory,
        category=cabinet.product.category,
        count=2,
        ready_by=today,
    )
    order_modules_attach(
        factory=factory, order_pk=orders[0].pk, design=design, quantity=30,
        window_start=today, window_end=today + datetime.timedelta(days=6),
    )  # fmt: skip
    order_modules_attach(
        factory=factory, order_pk=orders[1].pk, design=design, quantity=40,
        window_start=today + datetime.timedelta(days=3),
        window_end=today + datetime.timedelta(days=9),
    )  # fmt: skip
    summary = massing_summary(organization=factory, today=today)
    assert (summary.lines, summary.batches) == (12, 0)
    result = massing_run(factory=factory, today=today)
    assert result.batches_created == 6  # six distinct modules, one day each (day 6 fits both)
    summary = massing_summary(organization=factory, today=today)
    assert (summary.lines, summary.batched_lines, summary.batches) == (12, 12, 6)
    assert summary.setups_saved_ratio == 2.0
    sheets = batch_sheets(organization=factory, day=today + datetime.timedelta(days=6))
    assert len(sheets) == 6
    side = next(sheet for sheet in sheets if sheet.attributes.get("role") == "side")
    assert side.units == 2 * 30 + 2 * 40
    assert [line.order_id for line in side.lines] == [orders[0].pk, orders[1].pk]
    assert side.lines[0].barcode_value == f"C2M-{orders[0].pk}-{side.lines[0].pk}"


def test_another_factorys_lines_are_not_batched(cabinet, buyer):
    organization, _user = buyer
    today = datetime.date(2026, 11, 30)
    factory, _owner = make_organization(Organization.Kind.FACTORY)
    other, _owner = make_organization(Organization.Kind.FACTORY)
    order = make_orders(
        buyer=organization,
        factory=other,
        category=cabinet.product.category,
        count=1,
        ready_by=today,
    )[0]
    OrderModule.objects.create(
        organization=other, order=order, name="x", signature="f" * 32, quantity=1,
        window_start=today, window_end=today,
    )  # fmt: skip
    assert massing_run(factory=factory, today=today).lines_read == 0
    assert ProductionBatch.objects.count() == 0


def test_factory_pages_show_setups_and_printable_sheets_with_barcodes(cabinet, buyer):
    from django.test import Client
    from django.utils import timezone

    from tests.helpers import PASSWORD

    organization, user = buyer
    factory, owner = make_organization(Organization.Kind.FACTORY)
    design = design_create(
        organization=organization, acting_user=user, product=cabinet,
        options=CABINET_OPTIONS, measurements=CABINET_SIZE, quantity=30,
    )  # fmt: skip
    today = timezone.localdate()
    publish_capacity(factory=factory, category=cabinet.product.category, start=today, units=100)
    orders = make_orders(
        buyer=organization,
        factory=factory,
        category=cabinet.product.category,
        count=3,
        ready_by=today,
    )
    for order in orders:
        order_modules_attach(
            factory=factory, order_pk=order.pk, design=design, quantity=30,
            window_start=today, window_end=today + datetime.timedelta(days=4),
        )  # fmt: skip
    massing_run(factory=factory)
    client = Client()
    client.login(email=owner.email, password=PASSWORD)
    page = client.get("/factory/massing/").content.decode()
    assert '<div class="kpi" id="setups-before">18</div>' in page
    assert '<div class="kpi" id="setups-after">6</div>' in page
    day = (today + datetime.timedelta(days=4)).isoformat()
    sheet = client.get(f"/factory/massing/{day}/").content.decode()
    assert sheet.count("<svg") == 18
    assert f"C2M-{orders[0].pk}-" in sheet
    # Another factory sees no batch of ours; a buyer has no such page.
    _other, other_owner = make_organization(Organization.Kind.FACTORY)
    client.login(email=other_owner.email, password=PASSWORD)
    assert "<svg" not in client.get(f"/factory/massing/{day}/").content.decode()
    client.login(email=user.email, password=PASSWORD)
    assert client.get(f"/factory/massing/{day}/").status_code == 404


def test_sheets_and_summary_show_each_line_in_the_batch_that_makes_it(cabinet, buyer):
    """Lines reach a batch three ways: the range a batch is opened for, a later run's lines
    joining it, and a range per window or line where capacity binds; the day's sheets and
    the summary find each line in its one batch."""
    organization, _user = buyer
    factory, _owner = make_organization(Organization.Kind.FACTORY)
    today = datetime.date(2026, 11, 30)
    category = cabinet.product.category
    publish_capacity(factory=factory, category=category, start=today, units=100, days=10)
    first, second, third, fourth, fifth, sixth = make_orders(
        buyer=organization, factory=factory, category=category, count=6, ready_by=today
    )
    day = datetime.timedelta(days=1)
    panel, door = "p" * 32, "d" * 32
    OrderModule.objects.bulk_create(
        module_line(factory=factory, order=order, signature=panel, start=today, end=today + 4 * day)
        for order in (first, second, third)
    )
    massing_run(factory=factory, today=today)
    OrderModule.objects.bulk_create(
        [
            module_line(factory=factory, order=fourth, signature=panel, start=today + 2 * day,
                        end=today + 6 * day, units=10, quantity=10),
            module_line(factory=factory, order=fifth, signature=door, start=today,
                        end=today + day, units=60, quantity=60),
            module_line(factory=factory, order=sixth, signature=door, start=today,
                        end=today + day, units=60, quantity=60),
        ]
    )  # fmt: skip
    result = massing_run(factory=factory, today=today)
    assert (result.lines_placed, result.lines_split, result.batches_created) == (3, 1, 2)
    days = dict(ProductionBatch.objects.filter(organization=factory).values_list("pk", "day"))
    made = {
        (line.order_id, days[line.batch_id]): line.units
        for line in open_module_lines(organization=factory)
    }
    # The fourth order's panel joins the batch the first three opened on day 4; the doors
    # fill day 1 (100 units) and the rest of the sixth order's waits for day 0.
    assert made == {
        (first.pk, today + 4 * day): 30,
        (second.pk, today + 4 * day): 30,
        (third.pk, today + 4 * day): 30,
        (fourth.pk, today + 4 * day): 10,
        (fifth.pk, today + day): 60,
        (sixth.pk, today + day): 40,
        (sixth.pk, today): 20,
    }
    on_sheets = {
        (line.order_id, sheet.batch.day): line.units
        for offset in range(5)
        for sheet in batch_sheets(organization=factory, day=today + offset * day)
        for line in sheet.lines
    }
    assert on_sheets == made
    summary = massing_summary(organization=factory, today=today)
    assert (summary.lines, summary.batched_lines, summary.waiting_lines) == (6, 7, 0)
    assert (summary.batches, [entry["lines"] for entry in summary.days]) == (3, [1, 2, 4])
