"""A failing Redis or broker (issue 14, item 13): the API answers 503 JSON with
Retry-After, never an HTML 500; a task sent after commit gives up quickly and the sweep
picks the work up. The same with real paused processes: test_live_server_hardening.py."""

from __future__ import annotations

import contextlib
import datetime
import time

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from kombu import pools
from rest_framework.test import APIClient

from marketplace.celery import app
from marketplace.models import Organization
from orders.models import RFQ, RFQInvitation
from orders.tasks import rfqs_match_missed_task
from tests.helpers import api_client, make_organization
from tests.orders.conftest import in_days, make_category, make_factory

pytestmark = pytest.mark.django_db

UNREACHABLE = "redis://127.0.0.1:1/0"
DEAD_CACHE = {
    "default": {
        "BACKEND": "marketplace.cache.PrefixedRedisCache",
        "LOCATION": UNREACHABLE,
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}
UNAVAILABLE = {"detail": "The service is briefly unavailable. Please try again in a few seconds."}


def _drop_broker_connections() -> None:
    """Celery keeps a connection pool (and a producer pool on top of it) made from the broker
    URL it first saw; drop both so the next publish connects to the URL configured now.

    The pools live in kombu's process-wide registry keyed by URL, so closing one in place
    (`force_close_all()`) would hand the same closed pool back to the next caller of that URL
    ("Acquire on closed pool" in every later real-worker test). `pools.reset()` closes their
    connections and forgets them, so the next publish builds fresh ones."""
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@contextlib.contextmanager
def _broker_down():
    saved = app.conf.broker_url, app.conf.broker_write_url
    app.conf.broker_url = app.conf.broker_write_url = UNREACHABLE
    _drop_broker_connections()
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.broker_write_url = saved
        # Without this, every later test that sends a task would still aim at the dead port.
        _drop_broker_connections()


@pytest.fixture
def unreachable_broker():
    with _broker_down():
        yield


def test_the_broker_pool_serves_again_after_the_outage():
    """The pool used before the outage must not come back closed after it."""
    with app.connection_or_acquire() as connection:
        connection.ensure_connection(max_retries=1)
    with _broker_down():
        pass
    with app.connection_or_acquire() as connection:
        connection.ensure_connection(max_retries=1)
        assert connection.connected


@pytest.mark.parametrize("authenticated", [False, True])
def test_api_answers_503_json_with_retry_after_when_the_cache_is_down(authenticated):
    if authenticated:
        _organization, user = make_organization(Organization.Kind.BUYER)
        client = api_client(user)
    else:
        client = APIClient()
    with override_settings(CACHES=DEAD_CACHE):
        response = client.get("/api/v1/categories/" if not authenticated else "/api/v1/rfqs/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == UNAVAILABLE
    assert response["Retry-After"] == "10"


def test_rfq_saved_while_the_broker_is_down_is_matched_by_the_sweep(
    unreachable_broker, django_capture_on_commit_callbacks, caplog
):
    category = make_category()
    factory, _owner = make_factory(category)
    _buyer, user = make_organization(Organization.Kind.BUYER)
    client = Client()
    client.force_login(user)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/rfqs/new/",
            {
                "category": category.pk,
                "title": "Saved during the outage",
                "quantity": 50,
                "ready_by": in_days(20).isoformat(),
                "spec": "",
            },
        )
    assert "Broker unavailable: orders.tasks.rfq_match_task" in caplog.text
    rfq = RFQ.objects.get(title="Saved during the outage")
    assert response.status_code == 302
    # CELERY_PUBLISH_TIMEOUT bounds it; the margin is wide so a loaded machine cannot fail it,
    # while the unbounded send this replaced waited for the whole outage.
    assert time.monotonic() - started < 60
    assert rfq.matched_at is None
    assert rfqs_match_missed_task() == 0  # under a minute old: its own task may still come
    RFQ.objects.filter(pk=rfq.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=2))
    assert rfqs_match_missed_task() == 1
    assert RFQInvitation.objects.filter(rfq=rfq, factory=factory).exists()
    assert rfqs_match_missed_task() == 0  # safe to run again
