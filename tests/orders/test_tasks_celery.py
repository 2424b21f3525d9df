"""The real Celery worker (shared fixture) matches a new RFQ after commit, and the beat
tasks run in it."""

import pytest

from marketplace.models import Organization
from orders.models import RFQ, OrderStatus
from orders.tasks import factory_performance_push_task, orders_auto_step_task
from tests.conftest import wait_until
from tests.helpers import api_client, make_organization
from tests.orders.conftest import drive, in_days, make_category, make_deal, make_factory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.celery_worker,
    pytest.mark.date_sensitive,
]


def test_worker_matches_a_new_rfq_to_verified_factories_with_capacity(celery_worker):
    category = make_category()
    good, _owner = make_factory(category, units=100, name="Good Capacity Co")
    make_factory(category, units=100, verified=False, name="Unaudited")
    make_factory(category, units=2, name="Too Busy")
    _buyer, user = make_organization(Organization.Kind.BUYER)
    client = api_client(user)
    response = client.post(
        "/api/v1/rfqs/",
        {
            "category": category.slug,
            "title": "Poplin shirts",
            "quantity": 400,
            "ready_by": in_days(20).isoformat(),
            "spec": "",
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["matched_factories"] == []
    rfq_pk = response.json()["id"]

    def matched():
        body = client.get(f"/api/v1/rfqs/{rfq_pk}/").json()
        return body["matched_factories"] or None

    factories = wait_until(matched, timeout=30)
    assert [row["factory"]["id"] for row in factories] == [good.pk]
    assert factories[0]["available_units"] >= 400
    rfq = RFQ.objects.get(pk=rfq_pk)
    assert rfq.invite_rounds == 1
    # Titles are stored as message keys: read them as the factory does, rendered.
    assert any("Poplin shirts" in notice.display_title for notice in good.notifications.all())


def test_worker_runs_auto_step_and_performance_tasks(celery_worker):
    from datetime import timedelta

    from django.utils import timezone

    from orders.models import Order

    deal = make_deal()
    order = drive(deal, OrderStatus.SHIPPED)
    Order.objects.filter(pk=order.pk).update(shipped_at=timezone.now() - timedelta(days=30))
    assert orders_auto_step_task.delay().get(timeout=30) == 1
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DELIVERED
    figures = factory_performance_push_task.delay(deal.factory.pk).get(timeout=30)
    assert figures["on_time_rate"] == 1.0
