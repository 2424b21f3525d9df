"""Load realistic demo data. Idempotent: a second run adds no duplicates.

Each app that has demo data exposes `<app>.demo.seed()`; they run in dependency order.
"""

from importlib import import_module

from django.core.management.base import BaseCommand

DEMO_MODULES = [
    "marketplace.demo",
    "catalog.demo",
    "factories.demo",
    "customization.demo",
    "orders.demo",
    "finance.demo",
    "iot_gateway.demo",
]


class Command(BaseCommand):
    help = "Load (or refresh) the demo organizations, people, categories and app data."

    def handle(self, *args, **options):
        for dotted in DEMO_MODULES:
            try:
                module = import_module(dotted)
            except ModuleNotFoundError as error:
                if error.name == dotted:
                    continue
                raise
            module.seed()
            self.stdout.write(f"  seeded {dotted}")
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
