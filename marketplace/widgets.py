"""Form widgets shared by every app."""

from __future__ import annotations

from django import forms

ISO_DATE_FORMAT = "%Y-%m-%d"


class IsoDateInput(forms.DateInput):
    """An ``<input type="date">`` whose value is always ISO 8601.

    Browsers only accept ``YYYY-MM-DD`` in a date input and show it in the reader's own
    format; the locale's first input format (``2026/12/14`` in Simplified Chinese) would
    leave the field blank.
    """

    input_type = "date"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs=attrs, format=format or ISO_DATE_FORMAT)
