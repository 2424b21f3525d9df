"""Generate platform history for the dashboard and the console's lists at scale.

python manage.py generate_history --orders 50000          # a year, about 50k orders
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from marketplace.console.history import history_generate


class Command(BaseCommand):
    help = (
        "Generate a year of synthetic orders, inspections, disputes, RFQ invitations and capacity."
    )

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=50_000)
        parser.add_argument("--weeks", type=int, default=52)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, orders: int, weeks: int, seed: int, **options):
        started = time.perf_counter()
        summary = history_generate(orders=orders, weeks=weeks, seed=seed)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Generated {summary.orders:,} orders over {weeks} weeks in {elapsed:.1f} s: "
            f"{summary.buyers} buyers, {summary.factories} factories, "
            f"{summary.inspections:,} inspections, {summary.disputes:,} disputes, "
            f"{summary.invitations:,} RFQ invitations, {summary.capacity_days:,} capacity days."
        )
