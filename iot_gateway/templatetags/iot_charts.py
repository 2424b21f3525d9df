"""Server-rendered SVG line charts for telemetry (no JavaScript chart library): the series
(with its min-max band when bucketed), the rule threshold, and the predicted trend line up
to where it crosses the threshold."""

from __future__ import annotations

import datetime

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()

WIDTH, HEIGHT, PAD = 720, 180, 28
LINE, BAND, THRESHOLD, TREND = "#1c7ed6", "#d0ebff", "#c92a2a", "#e67700"


def _value(point: dict) -> float:
    return point["avg"] if "avg" in point else point["value"]


@register.simple_tag
def telemetry_chart(
    points: list[dict],
    since: datetime.datetime,
    until: datetime.datetime,
    forecast=None,
    unit: str = "",
) -> SafeString:
    if not points:
        return mark_safe("")
    end = until
    if forecast is not None and forecast.crossing_at is not None:
        end = max(until, min(forecast.crossing_at, until + (until - since)))
    values = [_value(point) for point in points]
    lows = [point.get("min", _value(point)) for point in points]
    highs = [point.get("max", _value(point)) for point in points]
    extra = []
    if forecast is not None:
        extra = [forecast.rule.threshold, forecast.value_at(end)]
    low, high = min(lows + extra), max(highs + extra)
    if high == low:
        high, low = high + 1, low - 1
    span = (end - since).total_seconds() or 1

    def x(moment: datetime.datetime) -> float:
        return round(PAD + (moment - since).total_seconds() / span * (WIDTH - 2 * PAD), 1)

    def y(value: float) -> float:
        return round(HEIGHT - PAD - (value - low) / (high - low) * (HEIGHT - 2 * PAD), 1)

    parts = []
    if any("min" in point for point in points):
        upper = " ".join(f"{x(p['ts'])},{y(p['max'])}" for p in points)
        lower = " ".join(f"{x(p['ts'])},{y(p['min'])}" for p in reversed(points))
        parts.append(f'<polygon points="{upper} {lower}" fill="{BAND}" stroke="none"/>')
    line = " ".join(f"{x(p['ts'])},{y(v)}" for p, v in zip(points, values, strict=True))
    parts.append(f'<polyline points="{line}" fill="none" stroke="{LINE}" stroke-width="1.5"/>')
    if forecast is not None:
        threshold_y = y(forecast.rule.threshold)
        label = escape(
            _("threshold %(value)g %(unit)s") % {"value": forecast.rule.threshold, "unit": unit}
        )
        parts.append(
            f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{threshold_y}" y2="{threshold_y}" '
            f'stroke="{THRESHOLD}" stroke-dasharray="4 3"/>'
            f'<text x="{WIDTH - PAD}" y="{threshold_y - 4}" text-anchor="end" font-size="11" '
            f'fill="{THRESHOLD}">{label}</text>'
        )
        start = max(since, forecast.origin - datetime.timedelta(days=7))
        parts.append(
            f'<line class="trend" x1="{x(start)}" y1="{y(forecast.value_at(start))}" '
            f'x2="{x(end)}" y2="{y(forecast.value_at(end))}" stroke="{TREND}" '
            'stroke-width="1.5" stroke-dasharray="6 3"/>'
        )
        if forecast.crossing_at is not None and forecast.crossing_at <= end:
            cross_x = x(forecast.crossing_at)
            text = escape(
                _("crossing %(date)s") % {"date": forecast.crossing_at.date().isoformat()}
            )
            parts.append(
                f'<circle class="crossing" cx="{cross_x}" cy="{threshold_y}" r="4" fill="{TREND}"/>'
                f'<text x="{cross_x}" y="{threshold_y + 14}" text-anchor="middle" '
                f'font-size="11" fill="{TREND}">{text}</text>'
            )
    axis = (
        f'<text x="{PAD}" y="{HEIGHT - 8}" font-size="11" fill="#666">'
        f"{escape(since.strftime('%m-%d %H:%M'))}</text>"
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 8}" text-anchor="end" font-size="11" fill="#666">'
        f"{escape(end.strftime('%m-%d %H:%M'))}</text>"
        f'<text x="2" y="{PAD - 8}" font-size="11" fill="#666">{high:.4g}</text>'
        f'<text x="2" y="{HEIGHT - PAD + 12}" font-size="11" fill="#666">{low:.4g}</text>'
    )
    title = escape(_("%(count)d points") % {"count": len(points)})
    return mark_safe(  # noqa: S308 - numbers and escaped text only
        f'<svg class="chart telemetry-chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" aria-label="{title}"><title>{title}</title>'
        + "".join(parts)
        + axis
        + "</svg>"
    )
