"""Predicted failures: a robust linear trend (Theil-Sen: the median of the slopes between
every pair of hourly averages) of each metric a threshold rule watches, extended to the
rule's threshold. A crossing within the horizon raises an "expected to fail in N days"
lead before the fault. Outliers (a single spike) barely move a Theil-Sen line, unlike
least squares, and the model is explainable on the page: the line and where it crosses."""

from __future__ import annotations

import datetime
import statistics
from dataclasses import dataclass

from django.utils import timezone

from iot_gateway.models import OPEN_ALARM_STATUSES, Alarm, Device, FaultRule, TelemetryRollup
from iot_gateway.services.leads import lead_from_prediction
from iot_gateway.services.rules import rules_for_device

HISTORY = datetime.timedelta(days=7)
HORIZON = datetime.timedelta(days=14)
MIN_POINTS = 12


@dataclass(frozen=True)
class Forecast:
    rule: FaultRule
    slope_per_day: float
    origin: datetime.datetime
    origin_value: float
    crossing_at: datetime.datetime | None
    points: int

    def value_at(self, moment: datetime.datetime) -> float:
        return (
            self.origin_value + self.slope_per_day * (moment - self.origin).total_seconds() / 86400
        )


def theil_sen(points: list[tuple[float, float]]) -> tuple[float, float]:
    """(slope, intercept) of the Theil-Sen line through (x, y) points."""
    slopes = [
        (y2 - y1) / (x2 - x1)
        for index, (x1, y1) in enumerate(points)
        for x2, y2 in points[index + 1 :]
        if x2 != x1
    ]
    slope = statistics.median(slopes) if slopes else 0.0
    intercept = statistics.median(y - slope * x for x, y in points)
    return slope, intercept


def forecast(
    *, rule: FaultRule, hourly: list[tuple[datetime.datetime, float]], now: datetime.datetime
) -> Forecast | None:
    if len(hourly) < MIN_POINTS or rule.threshold is None:
        return None
    points = [((moment - now).total_seconds() / 86400, value) for moment, value in hourly]
    slope, intercept = theil_sen(points)  # x in days from now, so intercept is "now"
    crossing = None
    toward = slope > 0 if rule.operator == FaultRule.Operator.ABOVE else slope < 0
    if toward and slope != 0:
        days = (rule.threshold - intercept) / slope
        if days >= 0:
            crossing = now + datetime.timedelta(days=days)
    return Forecast(rule, slope, now, intercept, crossing, len(points))


def _hourly(
    device: Device, metric_id: int, now: datetime.datetime
) -> list[tuple[datetime.datetime, float]]:
    rows = TelemetryRollup.objects.filter(
        device=device,
        metric_id=metric_id,
        bucket=TelemetryRollup.Bucket.HOUR,
        start__gte=now - HISTORY,
    ).order_by("start")
    return [(row.start + datetime.timedelta(minutes=30), row.average) for row in rows]


def metric_forecasts(
    *, device: Device, now: datetime.datetime | None = None
) -> dict[int, Forecast]:
    """One forecast per metric watched by a threshold rule (the first such rule)."""
    now = now or timezone.now()
    result: dict[int, Forecast] = {}
    for rule in rules_for_device(device).filter(kind=FaultRule.Kind.THRESHOLD):
        if rule.metric_id in result:
            continue
        predicted = forecast(rule=rule, hourly=_hourly(device, rule.metric_id, now), now=now)  # type: ignore[arg-type]
        if predicted is not None:
            result[rule.metric_id] = predicted  # type: ignore[index]
    return result


def predictions_run(*, now: datetime.datetime | None = None) -> int:
    """Raise a prediction lead for each device and rule whose trend crosses the threshold
    within the horizon while no alarm is open for it yet. Returns the leads made."""
    now = now or timezone.now()
    made = 0
    devices = Device.objects.filter(status=Device.Status.ACTIVE, last_seen_at__gte=now - HISTORY)
    for device in devices.select_related("organization", "supplier"):
        for predicted in metric_forecasts(device=device, now=now).values():
            if predicted.crossing_at is None or predicted.crossing_at - now > HORIZON:
                continue
            if Alarm.objects.filter(
                device=device, rule=predicted.rule, status__in=OPEN_ALARM_STATUSES
            ).exists():
                continue
            evidence = {
                "model": "theil-sen",
                "slope_per_day": round(predicted.slope_per_day, 6),
                "value_now": round(predicted.origin_value, 4),
                "threshold": predicted.rule.threshold,
                "crossing_at": predicted.crossing_at.isoformat(),
                "points": predicted.points,
            }
            lead = lead_from_prediction(
                device=device,
                rule=predicted.rule,
                failure_on=timezone.localtime(predicted.crossing_at).date(),
                evidence=evidence,
            )
            made += lead is not None
    return made
