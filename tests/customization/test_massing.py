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
from marketplace.models import Organization
from tests.customization.conftest import CABINET_OPTIONS, CABINET_SIZE
from tests.customization.massing_helpers import make_orders, module_line
from tests.helpers import make_organization

pytestmark = pytest.mark.django_db

SIGNATURES = ["a" * 32, "b" * 32, "c" * 32, "d" * 32, "e" * 32]

order_strategy = st.fixed_dictionaries(
    {
        "start": st.integers(min_value=-4, max_value=12),
        "length": st.integers(min_value=0, max_value=10),
        "signatures": st.lists(st.sampled_from(SIGNATURES), min_size=1, max_size=4),
        "closed": st.booleans(),
    }
)


def _setup(orders_spec, today):
    category_tree_ensure(tree=CATEGORY_TREE)
    category = Category.objects.get(slug="cabinets")
    factory, _owner = make_organization(Organization.Kind.FACTORY)
    buyer, _owner = make_organization(Organization.Kind.BUYER)
    orders = make_orders(
        buyer=buyer, factory=factory, category=category, count=len(orders_spec), ready_by=today
    )
    lines = []
    for order, spec in zip(orders, orders_spec, strict=True):
        start = today + datetime.timedelta(days=spec["start"])
        end = start + datetime.timedelta(days=spec["length"])
        lines += [
            module_line(factory=factory, order=order, signature=signature, start=start, end=end)
            for signature in spec["signatures"]
        ]
    OrderModule.objects.bulk_create(lines)
    for order, spec in zip(orders, orders_spec, strict=True):
        if spec["closed"]:
            order_modules_close(order_pk=order.pk)
    return factory


def _check_invariants(factory, today):
    batches = {batch.pk: batch for batch in ProductionBatch.objects.filter(organization=factory)}
    for line in open_module_lines(organization=factory):
        if line.window_end < today:
            assert line.batch_id is None  # overdue: reported, never batched in the past
            continue
        assert line.batch_id is not None, "every open module lands in a batch"
        batch = batches[line.batch_id]
        assert batch.signature == line.signature, "a batch never mixes signatures"
        assert line.window_start <= batch.day <= line.window_end, "batched inside its window"
        assert batch.day >= today
    keys = ProductionBatch.objects.filter(organization=factory).values_list("signature", "day")
    assert len(set(keys)) == len(keys), "one batch per signature and day"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first=st.lists(order_strategy, min_size=1, max_size=20),
    later=st.lists(order_strategy, min_size=0, max_size=10),
)
def test_every_open_module_lands_in_exactly_one_batch(first, later):
    today = datetime.date(2026, 11, 30)
    factory = _setup(first, today)
    massing_run(factory=factory, today=today)
    _check_invariants(factory, today)
    # More orders arrive (another factory's orders never mix in) and massing runs again.
    if later:
        category = Category.objects.get(slug="cabinets")
        buyer, _owner = make_organization(Organization.Kind.BUYER)
        orders = make_orders(
            buyer=buyer, factory=factory, category=category, count=len(later), ready_by=today
        )
        OrderModule.objects.bulk_create(
            module_line(
                factory=factory,
                order=order,
                signature=signature,
                start=today + datetime.timedelta(days=spec["start"]),
                end=today + datetime.timedelta(days=spec["start"] + spec["length"]),
            )
            for order, spec in zip(orders, later, strict=True)
            for signature in spec["signatures"]
        )
        massing_run(factory=factory, today=today)
        _check_invariants(factory, today)
    again = massing_run(factory=factory, today=today)
    assert (again.windows_uncovered, again.batches_created) == (0, 0)


def test_identical_panels_of_two_orders_share_a_batch_and_the_sheet_has_barcodes(cabinet, buyer):
    organization, user = buyer
    factory, _owner = make_organization(Organization.Kind.FACTORY)
    design = design_create(
        organization=organization, acting_user=user, product=cabinet,
        options=CABINET_OPTIONS, measurements=CABINET_SIZE, quantity=30,
    )  # fmt: skip
    today = datetime.date(2026, 11, 30)
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
    assert massing_run(factory=factory, today=today).windows_uncovered == 0
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
