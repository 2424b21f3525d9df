"""Code 128 barcodes as inline SVG for the printable batch sheets (python-barcode)."""

from __future__ import annotations

import io

import barcode
from barcode.writer import SVGWriter
from django.utils.safestring import SafeString, mark_safe

OPTIONS = {"module_height": 8, "font_size": 6, "text_distance": 3, "quiet_zone": 2}


def code128_svg(value: str) -> SafeString:
    """The SVG element (no XML prolog) encoding `value`; values are our own ASCII codes."""
    output = io.BytesIO()
    barcode.get("code128", value, writer=SVGWriter()).write(output, options=OPTIONS)
    markup = output.getvalue().decode()
    return mark_safe(markup[markup.index("<svg") :])  # noqa: S308 - generated from our own ASCII id
