"""One set of input bounds for the HTML forms, the API serializers and the OpenAPI schema.

Every whole number a client may send and every free-text maximum is named here once. Forms
and serializers take them as keyword arguments (`**QUANTITY.field`, `max_length=RFQ_SPEC`),
so a page and the API refuse the same input with a message on the field (never a database
`integer out of range`), and drf-spectacular documents the same `minimum`, `maximum` and
`maxLength`. CONTRIBUTING.md ("Input bounds") lists them for API clients.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypedDict

from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual


class IntBounds(TypedDict):
    min_value: int
    max_value: int


@dataclass(frozen=True)
class Bound:
    """An inclusive range of whole numbers."""

    min: int
    max: int

    @property
    def field(self) -> IntBounds:
        """Keyword arguments for forms.IntegerField and serializers.IntegerField."""
        return {"min_value": self.min, "max_value": self.max}


# --- Whole numbers ------------------------------------------------------------------------
# The largest value a PostgreSQL `integer` column holds; every bound below stays under it.
INT32_MAX = 2**31 - 1

# Units ordered: RFQs, repeat orders, quote tiers, factory search, reservations.
QUANTITY = Bound(1, 10_000_000)
# Units a factory can make, or made, in one day (calendar cells, lines, progress reports).
DAILY_UNITS = Bound(0, 10_000_000)
# A row's id posted back by a form (an integer column).
ROW_ID = Bound(1, INT32_MAX)
# Units one progress report adds (a report of nothing adds nothing: corrections lower a total).
PROGRESS_UNITS = Bound(1, 10_000_000)
DAILY_OUTPUT = Bound(1, 10_000_000)
# Days a factory quotes to make an order; days a buyer moves a hold; days to a service visit.
LEAD_TIME_DAYS = Bound(1, 365)
HOLD_EXTENSION_DAYS = Bound(1, 365)
DAYS_TO_SERVICE = Bound(0, 365)
# Defects an inspector counted in the sample (never more than the order's units).
DEFECTS_FOUND = Bound(0, 10_000_000)
REVIEW_SCORE = Bound(1, 5)
# Factory profile and its lines and equipment.
WORKERS = Bound(0, 1_000_000)
FLOOR_AREA_M2 = Bound(0, 100_000_000)
MIN_ORDER_QUANTITY = Bound(1, 10_000_000)
STANDARD_LEAD_DAYS = Bound(1, 120)
PRICE_LEVEL = Bound(1, 5)
ESTABLISHED_YEAR = Bound(1800, 2100)
EQUIPMENT_QUANTITY = Bound(1, 100_000)
EQUIPMENT_YEAR = Bound(1950, 2100)
# Group buying: units pledged, a campaign's target and cap.
CAMPAIGN_QUANTITY = Bound(1, 1_000_000)

# --- Money (major units) -------------------------------------------------------------------
# Amounts taken from clients stay below this: a unit price this large times the largest
# QUANTITY still fits a bigint in minor units.
AMOUNT_LIMIT = Decimal(1_000_000_000)
AMOUNT_MAX = Decimal("999999999.99")
# Service and device lead quotes (iot_gateway's MoneyField refuses 100,000,000 and more).
LEAD_AMOUNT_LIMIT = Decimal(100_000_000)
LEAD_AMOUNT_MAX = Decimal("99999999.99")

# --- Free text (characters) ---------------------------------------------------------------
PASSWORD = 4096  # Django's own cap on what it hashes
TITLE = 200
RFQ_SPEC = 10_000
QUOTE_NOTE = 2_000
MESSAGE = 5_000
# A quote's inspection checklist as typed: up to 30 checks of up to 200 characters, one a line.
INSPECTION_CHECKLIST = 30 * 201
ORDER_NOTE = 5_000  # a note on a transition (ship, approve, ...)
DISPUTE_REASON = 5_000
SHORT_NOTE = 300  # progress reports, hold extensions, alarm acknowledgements
INSPECTION_NOTE = 2_000
REVIEW_COMMENT = 5_000
REVIEW_REPLY = 5_000
PROFILE_TEXT = 5_000  # factory and service-provider descriptions, technology, QC
PROFILE_PROCESSES = 5_000
AUDIT_NOTE = 5_000
LEAD_NOTE = 2_000  # service and device lead quotes
CAMPAIGN_TITLE = 200
DESIGN_NAME = 200


def text_max_length_constraint(field: str, limit: int, name: str) -> models.CheckConstraint:
    """The database's own guard on a free text's maximum (a CHECK on its length)."""
    return models.CheckConstraint(condition=LessThanOrEqual(Length(field), limit), name=name)


def bound_form_fields(fields: Mapping[str, Any], bounds: Mapping[str, Bound | int]) -> None:
    """Apply bounds to form fields built from model fields (a ModelForm's): a `Bound` to an
    integer field, an int as the maximum length of a text field; validators, and the
    widget's min/max/maxlength attributes so the browser says so first."""
    for name, bound in bounds.items():
        field = fields[name]
        if isinstance(bound, Bound):
            field.min_value, field.max_value = bound.min, bound.max
            field.validators += [MinValueValidator(bound.min), MaxValueValidator(bound.max)]
            field.widget.attrs.update({"min": bound.min, "max": bound.max})
        else:
            field.max_length = bound
            field.validators.append(MaxLengthValidator(bound))
            field.widget.attrs["maxlength"] = str(bound)
