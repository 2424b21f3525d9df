"""Date sanity shared by RFQs, repeat orders, quotes and counter-offers: a promise must lie
ahead of today and within the planning horizon (a year by default), never in year 9999."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _


def future_date_errors(value: datetime.date, *, allow_today: bool = False) -> list[str]:
    today = timezone.localdate()
    if value < today or (value == today and not allow_today):
        if allow_today:
            return [_("The date cannot be in the past.")]
        return [_("The date must be in the future.")]
    horizon = today + datetime.timedelta(days=settings.ORDERS_PLANNING_HORIZON_DAYS)
    if value > horizon:
        return [
            _("The date must be within %(days)d days (by %(date)s).")
            % {"days": settings.ORDERS_PLANNING_HORIZON_DAYS, "date": horizon.isoformat()}
        ]
    return []
