"""Finance fixtures: orders driven to the payment step through the orders services, staff
operators, credit lines, and the ledger invariants checked after every test."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from finance.models import AccountPurpose
from finance.services import ledger
from finance.services.ledger import ledger_invariant_problems
from marketplace.models import Organization, User
from marketplace.money import Money
from orders import services as order_services
from orders.models import Order
from tests.helpers import make_organization, make_user
from tests.orders.conftest import (
    REPORT_ALL,
    Deal,
    details_for,
    make_category,
    make_deal,
    report_all,
)

ROOT = Path(__file__).resolve().parent.parent.parent


def cny(amount: str) -> Money:
    return Money.from_decimal(amount, "CNY")


def make_operator() -> User:
    user = make_user()
    user.is_staff = True
    user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user


def step(deal: Deal, action: str, party: str, capture) -> None:
    """One step of the order flow as `party`, its on-commit money effects run (`capture` is
    pytest-django's `django_capture_on_commit_callbacks`); REPORT_ALL reports every unit."""
    if action == REPORT_ALL:
        report_all(deal)  # finishing needs every unit reported
        return
    with capture(execute=True):
        deal.act(action, party, **details_for(action, deal.refresh()))


def factory_payout_minor(deal: Deal) -> int:
    """What the platform owes the deal's factory, in minor units."""
    return ledger.organization_balance(
        organization_id=deal.factory.pk, purpose=AccountPurpose.FACTORY_PAYOUT, currency="CNY"
    ).amount_minor


def order_awaiting_payment(deal: Deal, *, with_sample: bool = False) -> Order:
    """Accept the quote; without a sample the order waits for payment at once."""
    deal.order = order_services.quote_accept(
        quote=deal.quote,
        acting_organization=deal.buyer,
        acting_user=deal.buyer_user,
        with_sample=with_sample,
    )
    return deal.refresh()


@pytest.fixture(autouse=True)
def _ledger_checked(request):
    """Every finance test ends with a consistent ledger; inside a test's transaction the
    deferred balance trigger is made immediate, so it runs for every posting here too."""
    marker = request.node.get_closest_marker("django_db")
    names = request.fixturenames
    if marker is None and not {"db", "transactional_db", "live_server"} & set(names):
        yield
        return
    transactional = {"transactional_db", "live_server"} & set(names) or (
        marker is not None and marker.kwargs.get("transaction")
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    if connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    yield
    assert ledger_invariant_problems() == {}


@pytest.fixture
def operator(db) -> User:
    return make_operator()


@pytest.fixture
def deal(db) -> Deal:
    return make_deal(category=make_category())


@pytest.fixture
def buyer_org(db) -> tuple[Organization, User]:
    return make_organization(Organization.Kind.BUYER)


# --- localstripe ---------------------------------------------------------------------------

LOCALSTRIPE_PORT = int(os.environ.get("LOCALSTRIPE_PORT", "18420"))
WEBHOOK_SECRET = "whsec_test_c2m"


@pytest.fixture(scope="session")
def localstripe_server(tmp_path_factory):
    """localstripe on 127.0.0.1:LOCALSTRIPE_PORT, from scratch, for the whole session."""
    log_path = tmp_path_factory.mktemp("localstripe") / "localstripe.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.finance.localstripe_server",
             "--port", str(LOCALSTRIPE_PORT), "--from-scratch"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{LOCALSTRIPE_PORT}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", LOCALSTRIPE_PORT), timeout=0.5):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"localstripe did not start:\n{log_path.read_text()}") from None
            time.sleep(0.2)
    try:
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def stripe_settings(settings, localstripe_server):
    settings.STRIPE_SECRET_KEY = "sk_test_c2m"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_c2m"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = localstripe_server
    settings.STRIPE_JS_URL = f"{localstripe_server}/js.stripe.com/v3/"
    return settings
