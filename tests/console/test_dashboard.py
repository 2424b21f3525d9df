"""The platform dashboard: staff only, figures from generated history, a constant number
of queries whatever the volume, and each chart's figures as CSV."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order, OrderStatus
from tests.helpers import make_operator, make_user

pytestmark = pytest.mark.django_db


def _dashboard_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/admin/dashboard/")
    assert response.status_code == 200
    return len(queries.captured_queries), response.content.decode()


def test_the_dashboard_shows_generated_history_with_constant_queries(client):
    client.force_login(make_operator())
    call_command("generate_history", orders=60, weeks=8, seed=3, stdout=io.StringIO())
    few, page = _dashboard_queries(client)
    assert 'id="chart-gmv"' in page
    assert "<svg" in page
    call_command("generate_history", orders=600, weeks=8, seed=4, stdout=io.StringIO())
    many, page = _dashboard_queries(client)
    assert many == few
    assert many == 14  # documented in marketplace/console/dashboard.py

    completed = Order.objects.filter(status=OrderStatus.COMPLETED).count()
    status_csv = client.get("/admin/dashboard/status.csv")
    assert status_csv["Content-Type"].startswith("text/csv")
    rows = dict(list(csv.reader(io.StringIO(status_csv.content.decode())))[1:])
    assert int(rows["completed"]) == completed
    weekly = list(
        csv.reader(io.StringIO(client.get("/admin/dashboard/weekly.csv").content.decode()))
    )
    assert weekly[0] == ["week", "currency", "orders", "gmv"]
    assert (
        sum(int(row[2]) for row in weekly[1:])
        == Order.objects.exclude(status=OrderStatus.CANCELLED).count()
    )
    assert client.get("/admin/dashboard/nothing.csv").status_code == 404


def test_the_dashboard_is_for_staff_only(client):
    client.force_login(make_user())
    assert client.get("/admin/dashboard/").status_code == 302
    assert client.get("/admin/dashboard/status.csv").status_code == 302
