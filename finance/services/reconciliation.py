"""The daily invariant check: any broken ledger invariant raises a notification to the
platform's operators (every operator organization), once per day and kind of problem."""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.utils import timezone

from finance import texts
from finance.services.ledger import ledger_invariant_problems
from marketplace.models import Organization
from marketplace.services import notification_send

logger = logging.getLogger(__name__)


def ledger_invariants_check() -> int:
    """Returns how many kinds of problem were found; safe to run twice (one alert a day)."""
    problems = ledger_invariant_problems()
    if not problems:
        return 0
    logger.error("Ledger invariants broken: %s", problems)
    key = f"finance:invariants-alerted:{timezone.localdate().isoformat()}:{sorted(problems)}"
    if cache.add(key, True, timeout=36 * 3600):
        body = "\n".join(f"{name}: {rows}" for name, rows in problems.items())
        for organization in Organization.objects.filter(kind=Organization.Kind.OPERATOR):
            notification_send(
                organization=organization,
                title=texts.LEDGER_IMBALANCE(),
                body=body,
                url="/admin/finance/account/reconciliation/",
            )
    return len(problems)
