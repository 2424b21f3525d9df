"""Inline SVG charts rendered on the server (no JavaScript): quote comparison and
production progress against the plan. Every text value is escaped."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from orders.selectors import ProgressPoint

WIDTH = 640
BAR_HEIGHT = 22
LABEL_WIDTH = 180


def _short(label: str, limit: int = 24) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def quote_comparison_svg(rows: list[dict]) -> SafeString:
    """rows: {"label", "unit_price" (Decimal), "currency", "lead_time_days"}. Two bar groups:
    unit price and lead time, each scaled to its own maximum."""
    if not rows:
        return mark_safe("")
    max_price = max(float(row["unit_price"]) for row in rows) or 1.0
    max_days = max(row["lead_time_days"] for row in rows) or 1
    plot = WIDTH - LABEL_WIDTH - 90
    height = 30 + len(rows) * (2 * BAR_HEIGHT + 14)
    parts = []
    for index, row in enumerate(rows):
        top = 24 + index * (2 * BAR_HEIGHT + 14)
        price_width = max(2, plot * float(row["unit_price"]) / max_price)
        days_width = max(2, plot * row["lead_time_days"] / max_days)
        parts.append(
            format_html(
                '<text x="0" y="{}" class="chart-label">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="#e8590c">'
                "<title>{}</title></rect>"
                '<text x="{}" y="{}" class="chart-value">{} {}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="#4263eb">'
                "<title>{}</title></rect>"
                '<text x="{}" y="{}" class="chart-value">{}</text>',
                top + 16,
                _short(str(row["label"])),
                LABEL_WIDTH,
                top,
                f"{price_width:.1f}",
                BAR_HEIGHT - 4,
                _("Unit price"),
                f"{LABEL_WIDTH + price_width + 6:.1f}",
                top + 14,
                row["currency"],
                row["unit_price"],
                LABEL_WIDTH,
                top + BAR_HEIGHT,
                f"{days_width:.1f}",
                BAR_HEIGHT - 4,
                _("Lead time"),
                f"{LABEL_WIDTH + days_width + 6:.1f}",
                top + BAR_HEIGHT + 14,
                _("%(days)d days") % {"days": row["lead_time_days"]},
            )
        )
    legend = format_html(
        '<rect x="{}" y="2" width="12" height="12" fill="#e8590c"/><text x="{}" y="12" '
        'class="chart-value">{}</text><rect x="{}" y="2" width="12" height="12" fill="#4263eb"/>'
        '<text x="{}" y="12" class="chart-value">{}</text>',
        LABEL_WIDTH,
        LABEL_WIDTH + 16,
        _("Unit price"),
        LABEL_WIDTH + 110,
        LABEL_WIDTH + 126,
        _("Lead time"),
    )
    return format_html(
        '<svg class="chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="100%">{}{}</svg>',
        _("Quotes compared: unit price and lead time"),
        WIDTH,
        height,
        legend,
        mark_safe("".join(parts)),  # noqa: S308 - each part built by format_html
    )


def progress_svg(points: list[ProgressPoint], quantity: int) -> SafeString:
    """Cumulative units: the plan (dashed) against what the factory reported (solid)."""
    if not points:
        return mark_safe("")
    height, left, bottom, top, right = 220, 48, 30, 12, 16
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    top_value = max(quantity, points[-1].planned_cumulative, points[-1].actual_cumulative, 1)
    step = plot_w / max(len(points) - 1, 1)

    def xy(index: int, value: int) -> str:
        return f"{left + index * step:.1f},{top + plot_h - plot_h * value / top_value:.1f}"

    planned = " ".join(xy(i, p.planned_cumulative) for i, p in enumerate(points))
    reported_until = max((index for index, point in enumerate(points) if point.actual), default=-1)
    actual = " ".join(
        xy(index, point.actual_cumulative)
        for index, point in enumerate(points[: reported_until + 1])
    )
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="3.5" fill="#2b8a3e"><title>{}: {}</title></circle>',
        (
            (*xy(index, point.actual_cumulative).split(","), point.day.isoformat(), point.actual)
            for index, point in enumerate(points)
            if point.actual
        ),
    )
    ticks = format_html_join(
        "",
        '<text x="{}" y="{}" class="chart-axis" text-anchor="middle">{}</text>',
        (
            (f"{left + index * step:.1f}", height - 10, point.day.strftime("%m-%d"))
            for index, point in enumerate(points)
            if len(points) <= 10 or index % max(len(points) // 8, 1) == 0
        ),
    )
    return format_html(
        '<svg class="chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="100%">'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#adb5bd"/>'
        '<text x="4" y="{}" class="chart-axis">{}</text>'
        '<text x="4" y="{}" class="chart-axis">0</text>'
        '<polyline points="{}" fill="none" stroke="#868e96" stroke-width="2" '
        'stroke-dasharray="6 4">'
        "<title>{}</title></polyline>"
        '<polyline points="{}" fill="none" stroke="#2b8a3e" stroke-width="3">'
        "<title>{}</title></polyline>{}"
        '{}<text x="{}" y="{}" class="chart-value">{}</text>'
        '<text x="{}" y="{}" class="chart-value" '
        'fill="#2b8a3e">{}</text></svg>',
        _("Production progress against the plan"),
        WIDTH,
        height,
        left,
        top + plot_h,
        WIDTH - right,
        top + plot_h,
        top + 10,
        top_value,
        top + plot_h,
        planned,
        _("Plan"),
        actual,
        _("Actual"),
        dots,
        ticks,
        left + 8,
        top + 12,
        _("- - plan: %(units)d") % {"units": points[-1].planned_cumulative},
        left + 160,
        top + 12,
        _("— actual: %(units)d") % {"units": points[-1].actual_cumulative},
    )
