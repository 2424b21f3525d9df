"""The platform dashboard's figures, gathered from each app's platform-wide selectors.

Query count (documented, and asserted in tests/console/test_dashboard.py): 14 queries
whatever the volume of history — the 11 figures (orders 6, capacity 1, money 2, alarms and
leads 2), plus the request's session, user and memberships (the site's context processor).
Every figure is one grouped aggregate in PostgreSQL; nothing is loaded row by row."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from factories import selectors as factory_selectors
from finance import selectors as finance_selectors
from iot_gateway import selectors as iot_selectors
from marketplace.money import Money
from orders import selectors as order_selectors

WEEKS = 52
SELECTOR_QUERIES = 11


@dataclass(frozen=True)
class PlatformDashboard:
    since: datetime.datetime
    today: datetime.date
    orders: order_selectors.PlatformOrderFigures
    capacity: list[dict]
    money: finance_selectors.PlatformMoney
    alarms_and_leads: list[dict]

    @property
    def on_time_percent(self) -> float | None:
        return _percent(self.orders.on_time, self.orders.delivered)

    @property
    def defect_percent(self) -> float | None:
        return _percent(self.orders.defects, self.orders.inspected_units)

    @property
    def dispute_percent(self) -> float | None:
        return _percent(self.orders.disputes, self.orders.delivered)

    def weekly_rows(self) -> list[dict]:
        return [
            {**row, "gmv": Money(row["gmv_minor"] or 0, row["currency"])}
            for row in self.orders.weekly
        ]


def _percent(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def platform_dashboard(
    *, weeks: int = WEEKS, today: datetime.date | None = None
) -> PlatformDashboard:
    today = today or timezone.localdate()
    start = today - datetime.timedelta(weeks=weeks)
    since = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    return PlatformDashboard(
        since=since,
        today=today,
        orders=order_selectors.platform_order_figures(since=since),
        capacity=factory_selectors.platform_capacity(today=today),
        money=finance_selectors.platform_money(),
        alarms_and_leads=iot_selectors.platform_alarms_and_leads(since=since),
    )
