"""Inline SVG charts for the platform dashboard, drawn on the server (no JavaScript).
Every label is escaped; each bar carries a <title> with its exact value."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH = 720
LABEL_WIDTH = 170
ROW = 20


def _n(value: float) -> str:
    """A coordinate, formatted before format_html escapes it (to a string)."""
    return f"{value:.1f}"


def _short(label: str, limit: int = 24) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def bars_svg(rows: list[tuple[str, float, str]], *, color: str = "#1f6feb") -> SafeString:
    """Horizontal bars: rows of (label, value, shown value)."""
    if not rows:
        return mark_safe("")
    top = max(value for _label, value, _shown in rows) or 1
    plot = WIDTH - LABEL_WIDTH - 110
    parts = [
        format_html(
            '<text x="0" y="{}" class="chart-label">{}</text>'
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>'
            '<text x="{}" y="{}" class="chart-value">{}</text>',
            index * (ROW + 6) + 14,
            _short(label),
            LABEL_WIDTH,
            index * (ROW + 6),
            _n(max(1.0, plot * value / top)),
            ROW,
            color,
            label,
            shown,
            _n(LABEL_WIDTH + max(1.0, plot * value / top) + 6),
            index * (ROW + 6) + 14,
            shown,
        )
        for index, (label, value, shown) in enumerate(rows)
    ]
    return _svg(len(rows) * (ROW + 6), parts)


def paired_bars_svg(rows: list[tuple[str, float, float]], *, names: tuple[str, str]) -> SafeString:
    """Two bars per label (e.g. published and booked), on one scale."""
    if not rows:
        return mark_safe("")
    top = max(max(a, b) for _label, a, b in rows) or 1
    plot = WIDTH - LABEL_WIDTH - 110
    step = 2 * ROW + 12
    parts = []
    for index, (label, first, second) in enumerate(rows):
        y = index * step
        parts.append(
            format_html(
                '<text x="0" y="{}" class="chart-label">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="#8b949e">'
                "<title>{} {}: {}</title></rect>"
                '<text x="{}" y="{}" class="chart-value">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="#e8590c">'
                "<title>{} {}: {}</title></rect>"
                '<text x="{}" y="{}" class="chart-value">{}</text>',
                y + ROW,
                _short(label),
                LABEL_WIDTH,
                y,
                _n(max(1.0, plot * first / top)),
                ROW,
                label,
                names[0],
                first,
                _n(LABEL_WIDTH + max(1.0, plot * first / top) + 6),
                y + 14,
                f"{first:,.0f} {names[0]}",
                LABEL_WIDTH,
                y + ROW,
                _n(max(1.0, plot * second / top)),
                ROW,
                label,
                names[1],
                second,
                _n(LABEL_WIDTH + max(1.0, plot * second / top) + 6),
                y + ROW + 14,
                f"{second:,.0f} {names[1]}",
            )
        )
    return _svg(len(rows) * step, parts)


def columns_svg(
    points: list[tuple[str, float, str]], *, color: str = "#1f6feb", height: int = 160
) -> SafeString:
    """Vertical columns over time: points of (label, value, shown value); every fourth
    label is written under the axis."""
    if not points:
        return mark_safe("")
    top = max(value for _label, value, _shown in points) or 1
    width = (WIDTH - 20) / len(points)
    parts = []
    for index, (label, value, shown) in enumerate(points):
        column = max(1.0, (height - 20) * value / top)
        x = 10 + index * width
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>',
                _n(x),
                _n(height - column),
                _n(max(1.0, width - 2)),
                _n(column),
                color,
                label,
                shown,
            )
        )
        if index % 4 == 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" class="chart-label">{}</text>', _n(x), height + 14, label
                )
            )
    return _svg(height + 20, parts)


def _svg(height: int, parts: list[SafeString]) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" role="img">'
        "{}</svg>",
        WIDTH,
        height + 4,
        format_html_join("", "{}", ((part,) for part in parts)),
    )
