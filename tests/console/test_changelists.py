"""Lists at scale: every changelist an operator works from runs the same number of queries
with 10 orders' worth of history as with 100 (no N+1), and shows money as money."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order
from tests.helpers import make_operator

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "/admin/orders/order/",
    "/admin/orders/dispute/",
    "/admin/orders/rfq/",
    "/admin/orders/quote/",
    "/admin/finance/payment/",
    "/admin/finance/creditline/",
    "/admin/finance/creditdraw/",
    "/admin/finance/financingadvance/",
    "/admin/finance/disputedecision/",
    "/admin/finance/journaltransaction/",
    "/admin/finance/account/",
    "/admin/finance/refund/",
    "/admin/factories/auditsubmission/",
    "/admin/factories/factoryprofile/",
    "/admin/factories/certification/",
    "/admin/factories/capacityday/",
    "/admin/factories/reservation/",
    "/admin/marketplace/organization/",
    "/admin/marketplace/membership/",
    "/admin/marketplace/user/",
    "/admin/marketplace/notification/",
    "/admin/iot_gateway/alarm/",
    "/admin/iot_gateway/servicelead/",
    "/admin/console/auditevent/",
]


def _queries(client) -> dict[str, int]:
    counts = {}
    for url in CHANGELISTS:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[url] = len(queries.captured_queries)
    return counts


def test_changelists_run_the_same_queries_with_ten_and_a_hundred_orders(client):
    client.force_login(make_operator())
    call_command("generate_history", orders=10, weeks=4, seed=5, stdout=io.StringIO())
    ten = _queries(client)
    call_command("generate_history", orders=90, weeks=4, seed=6, stdout=io.StringIO())
    assert Order.objects.count() == 100
    hundred = _queries(client)
    assert hundred == ten


def test_orders_list_shows_titles_and_money(client):
    client.force_login(make_operator())
    call_command("generate_history", orders=3, weeks=1, seed=7, stdout=io.StringIO())
    order = Order.objects.select_related("buyer", "factory").first()
    page = client.get("/admin/orders/order/").content.decode()
    assert f"{order.number} · {order.buyer.name} -&gt; {order.factory.name}" in page
    assert f"CNY {order.unit_price_minor // 100}." in page
    assert "minor units" not in page
    exported = client.post(
        "/admin/orders/order/export/", {"format": "0", "resource": "0", **_all_fields()}
    )
    assert exported.status_code == 200
    assert order.title in exported.content.decode()


def _all_fields() -> dict[str, str]:
    from orders.admin import OrderResource

    return {f"orderresource_{name}": "on" for name in OrderResource.Meta.fields}


def test_every_changelist_offers_the_csv_export(rf):
    from django.contrib import admin

    request = rf.get("/admin/")
    request.user = make_operator()
    offered = {
        model._meta.label: "export_csv" in model_admin.get_actions(request)
        for model, model_admin in admin.site._registry.items()
    }
    assert offered
    assert [label for label, has_it in offered.items() if not has_it] == []


@pytest.mark.parametrize(
    "url",
    [
        "/admin/orders/order/",
        "/admin/orders/rfq/",
        "/admin/factories/capacityday/",
        "/admin/marketplace/organization/",
        "/admin/marketplace/user/",
        "/admin/console/auditevent/",
    ],
)
def test_a_changelist_exports_its_whole_filtered_list_as_csv(client, url):
    client.force_login(make_operator())
    call_command("generate_history", orders=6, weeks=2, seed=8, stdout=io.StringIO())
    listing = client.get(url)
    assert 'value="export_csv"' in listing.content.decode()
    first = listing.context["cl"].result_list[0]
    exported = client.post(
        url, {"action": "export_csv", "select_across": "1", "index": "0",
              "_selected_action": [str(first.pk)]},
    )  # fmt: skip
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("text/csv")
    lines = exported.content.decode().splitlines()
    assert lines[0]
    assert "<" not in lines[0]
    assert len(lines) == 1 + listing.context["cl"].result_count


def test_the_csv_export_shows_money_as_money(client):
    client.force_login(make_operator())
    call_command("generate_history", orders=3, weeks=1, seed=9, stdout=io.StringIO())
    order = Order.objects.order_by("pk").first()
    exported = client.post(
        "/admin/orders/order/",
        {"action": "export_csv", "index": "0", "_selected_action": [str(order.pk)]},
    ).content.decode()
    assert f"{order.number} · " in exported
    assert f"CNY {order.unit_price_minor // 100}." in exported
