"""What the benchmarks in bench/ share: the Postgres admin connection that creates and drops
their scratch databases, the environment their Django processes run with, and a buyer, a
factory and orders seeded through the services.

Scripts import it as `bench._support` once they have put the repository's root on sys.path
(children started with multiprocessing inherit sys.path; those started with subprocess get
the root as their working directory or on PYTHONPATH). The leading underscore keeps it out
of `make bench`, which runs `bench/[a-z]*.py`.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from marketplace.models import Organization, User
    from orders.models import Order

SERVER_URL = "postgres://postgres@127.0.0.1:5432"
ADMIN_URL = f"{SERVER_URL}/postgres"
PASSWORD = "bench-password-2026"


def database_url(database: str) -> str:
    """The URL of the scratch database `database` on the bench's server."""
    return f"{SERVER_URL}/{database}"


def admin(sql: str) -> None:
    """Run `sql` as the server's admin (outside any scratch database), e.g. CREATE DATABASE."""
    subprocess.run(
        ["psql", ADMIN_URL, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        capture_output=True,
    )


def environment(
    database: str,
    *,
    redis_db: int = 3,
    redis_url: str | None = None,
    inherit: bool = True,
    **extra: str,
) -> dict[str, str]:
    """The environment of a bench's Django process on the scratch database `database`.

    REDIS_URL is `redis_url` if given, else BENCH_REDIS_URL, else the local Redis's database
    `redis_db`. With `inherit` the result starts from a copy of os.environ (the bench's keys
    and `extra` win); without, it holds the bench's keys and `extra` only.
    """
    if redis_url is None:
        redis_url = os.environ.get("BENCH_REDIS_URL", f"redis://127.0.0.1:6379/{redis_db}")
    return {
        **(os.environ if inherit else {}),
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.base",
        "SECRET_KEY": "bench-only-not-secret",
        "DATABASE_URL": database_url(database),
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def person(email: str) -> User:
    """A user with the bench's password (Django must be set up)."""
    from marketplace.models import User

    return User.objects.create_user(email=email, password=PASSWORD)


@dataclass
class Seeded:
    buyer: Organization
    factory: Organization
    buyer_user: User
    factory_user: User
    orders: list[Order] = field(default_factory=list)


def seed_orders(
    count: int,
    *,
    with_sample: bool,
    each: Callable[[Seeded, Order], None] | None = None,
) -> Seeded:
    """`count` orders between one verified buyer and one verified factory, through the
    services (Django must be set up): the two organizations with their owners, a category
    the factory makes with 30 days of ample capacity, then per order an RFQ, its matching,
    the factory's quote and the buyer's acceptance (`with_sample` as given). `each(seeded,
    order)`, if given, runs right after each acceptance, before the next RFQ."""
    import datetime

    from django.utils import timezone

    from catalog.models import Category
    from factories import services as factory_services
    from marketplace import services as marketplace_services
    from marketplace.models import Organization
    from marketplace.money import Money
    from orders import services

    buyer_user, factory_user = person("buyer@bench.example"), person("factory@bench.example")
    buyer = marketplace_services.organization_create(
        name="Bench Buyer", kind=Organization.Kind.BUYER, owner=buyer_user, verified=True
    )
    factory = marketplace_services.organization_create(
        name="Bench Factory", kind=Organization.Kind.FACTORY, owner=factory_user, verified=True
    )
    seeded = Seeded(buyer=buyer, factory=factory, buyer_user=buyer_user, factory_user=factory_user)
    category = Category.objects.create(slug="bench-shirts", name="Shirts")
    factory_services.factory_profile_update(
        organization=factory, categories=[category], description="Bench", region="Zhejiang"
    )
    today = timezone.localdate()
    factory_services.capacity_fill_range(
        organization=factory,
        category=category,
        start=today,
        end=today + datetime.timedelta(days=29),
        units=100_000,
    )
    for index in range(count):
        rfq = services.rfq_create(
            buyer=buyer,
            acting_user=buyer_user,
            category=category,
            title=f"Bench shirts {index}",
            quantity=200,
            ready_by=today + datetime.timedelta(days=20),
        )
        services.rfq_match(rfq_pk=rfq.pk)
        quote = services.quote_submit(
            rfq=rfq,
            factory=factory,
            acting_user=factory_user,
            unit_price=Money.from_decimal("38.50"),
            lead_time_days=7,
            valid_until=today + datetime.timedelta(days=7),
        )
        order = services.quote_accept(
            quote=quote, acting_organization=buyer, acting_user=buyer_user, with_sample=with_sample
        )
        if each is not None:
            each(seeded, order)
        seeded.orders.append(order)
    return seeded
