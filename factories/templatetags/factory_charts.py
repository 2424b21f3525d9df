"""Server-rendered inline SVG charts for capacity (no JavaScript chart library)."""

from __future__ import annotations

import datetime

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from factories import regions, selectors

register = template.Library()

FREE_COLOUR = "#2b8a3e"
HELD_COLOUR = "#e67700"
BOOKED_COLOUR = "#1c7ed6"
LATE_COLOUR = "#b2d8bb"
EMPTY_COLOUR = "#dee2e6"


@register.simple_tag
def capacity_sparkline(series: list[dict], ready_by: datetime.date | None = None) -> SafeString:
    """Free units per day over the window as small bars; days after `ready_by` are pale and
    unpublished days show as a grey tick."""
    bar, gap, height = 6, 1, 36
    peak = max((point["free"] for point in series), default=0) or 1
    parts = []
    for index, point in enumerate(series):
        x = index * (bar + gap)
        late = ready_by is not None and point["date"] > ready_by
        label = escape(
            _("%(date)s: %(free)d free")
            % {"date": point["date"].isoformat(), "free": point["free"]}
            if point.get("published", True)
            else _("%(date)s: not published") % {"date": point["date"].isoformat()}
        )
        if not point.get("published", True):
            parts.append(
                f'<rect x="{x}" y="{height - 2}" width="{bar}" height="2" fill="{EMPTY_COLOUR}">'
                f"<title>{label}</title></rect>"
            )
            continue
        bar_height = max(round(point["free"] / peak * (height - 2)), 1 if point["free"] else 0)
        colour = LATE_COLOUR if late else FREE_COLOUR
        parts.append(
            f'<rect x="{x}" y="{height - bar_height}" width="{bar}" height="{bar_height}" '
            f'fill="{colour}"><title>{label}</title></rect>'
        )
    width = len(series) * (bar + gap)
    title = escape(_("Free capacity over the next 30 days (peak %(peak)d)") % {"peak": peak})
    return mark_safe(  # noqa: S308 - every interpolated value is a number or escaped
        f'<svg class="sparkline" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="{title}"><title>{title}</title>'
        + "".join(parts)
        + "</svg>"
    )


@register.simple_tag
def capacity_stacked_chart(summary: list[dict]) -> SafeString:
    """Booked, held and free units per day, stacked, with a legend and the peak marked."""
    bar, gap, height, top = 16, 4, 140, 14
    peak = max((day["units"] for day in summary), default=0) or 1
    parts = []
    for index, day in enumerate(summary):
        x = index * (bar + gap) + 30
        y = height
        label = escape(
            _("%(date)s: %(free)d free, %(held)d held, %(booked)d booked")
            % {
                "date": day["date"].isoformat(),
                "free": day["free"],
                "held": day["held"],
                "booked": day["booked"],
            }
        )
        parts.append(f"<g><title>{label}</title>")
        for value, colour in (
            (day["booked"], BOOKED_COLOUR),
            (day["held"], HELD_COLOUR),
            (day["free"], FREE_COLOUR),
        ):
            if value <= 0:
                continue
            segment = max(round(value / peak * (height - top)), 1)
            y -= segment
            parts.append(
                f'<rect x="{x}" y="{y}" width="{bar}" height="{segment}" fill="{colour}"/>'
            )
        if day["units"] == 0:
            parts.append(
                f'<rect x="{x}" y="{height - 2}" width="{bar}" height="2" fill="{EMPTY_COLOUR}"/>'
            )
        if index % 7 == 0:
            parts.append(
                f'<text x="{x}" y="{height + 14}" font-size="10" fill="#5b6577">'
                f"{day['date']:%m-%d}</text>"
            )
        parts.append("</g>")
    width = 30 + len(summary) * (bar + gap)
    legend = "".join(
        f'<rect x="{30 + offset}" y="0" width="10" height="10" fill="{colour}"/>'
        f'<text x="{44 + offset}" y="9" font-size="11" fill="#1d2433">{escape(name)}</text>'
        for offset, colour, name in (
            (0, FREE_COLOUR, _("free")),
            (70, HELD_COLOUR, _("held")),
            (140, BOOKED_COLOUR, _("booked")),
        )
    )
    axis = (
        f'<text x="0" y="{top + 8}" font-size="10" fill="#5b6577">{peak}</text>'
        f'<text x="0" y="{height}" font-size="10" fill="#5b6577">0</text>'
        f'<line x1="28" y1="{height}" x2="{width}" y2="{height}" stroke="#dfe3ea"/>'
    )
    title = escape(_("Capacity over the next 30 days: free, held and booked units"))
    return mark_safe(  # noqa: S308 - every interpolated value is a number or escaped
        f'<svg class="capacity-chart" role="img" viewBox="0 0 {width} {height + 20}" '
        f'width="100%" aria-label="{title}"><title>{title}</title>'
        + legend
        + axis
        + "".join(parts)
        + "</svg>"
    )


@register.simple_tag
def rate_bar(value: float | None, good_high: bool = True) -> SafeString:
    """A 0..1 rate as a small horizontal bar with its percentage."""
    if value is None:
        return mark_safe(f'<span class="muted">{escape(_("no data yet"))}</span>')  # noqa: S308
    percent = round(value * 100, 1)
    good = value >= 0.9 if good_high else value <= 0.02
    colour = FREE_COLOUR if good else HELD_COLOUR
    return mark_safe(  # noqa: S308 - numbers only
        f'<svg width="120" height="10" role="img" aria-label="{percent}%">'
        f'<rect width="120" height="10" fill="{EMPTY_COLOUR}" rx="3"/>'
        f'<rect width="{round(value * 120)}" height="10" fill="{colour}" rx="3"/></svg> '
        f"<span>{percent}%</span>"
    )


@register.inclusion_tag("factories/dashboard_panel.html", takes_context=True)
def factory_dashboard_panel(context) -> dict:
    """The dashboard card: a factory's audit status, calendar health and next 30 days; a
    buyer's shortcut to capacity search."""
    organization = context.get("current_organization")
    if organization is None:
        return {"kind": None}
    if organization.kind != "factory":
        return {"kind": organization.kind}
    profile = selectors.factory_profile_for(organization=organization)
    summary = selectors.capacity_summary(organization=organization)
    return {
        "kind": "factory",
        "organization": organization,
        "profile": profile,
        "summary": summary,
        "published_days": sum(1 for day in summary if day["units"]),
        "free_units": sum(day["free"] for day in summary),
        "booked_units": sum(day["booked"] for day in summary),
        "held_units": sum(day["held"] for day in summary),
    }


@register.simple_tag
def place_label(region: str, city: str = "") -> str:
    """A factory's city and province in the reader's language (`factories.regions`)."""
    return regions.place_label(region, city)
