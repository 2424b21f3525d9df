"""Sampling for quality inspection: ISO 2859-1 single sampling, general inspection level II.

`aql_plan(lot_size, aql)` gives how many units to inspect and how many defects are still
acceptable. The checklist for a category comes from `InspectionChecklistItem` rows of the
category or its nearest ancestor that has some, else a generic list.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from orders.models import InspectionChecklistItem

# (largest lot size, code letter) for general inspection level II.
_LOT_CODE_LETTERS = [
    (8, "A"),
    (15, "B"),
    (25, "C"),
    (50, "D"),
    (90, "E"),
    (150, "F"),
    (280, "G"),
    (500, "H"),
    (1200, "J"),
    (3200, "K"),
    (10000, "L"),
    (35000, "M"),
    (150000, "N"),
    (500000, "P"),
]
_LAST_CODE_LETTER = "Q"
_SAMPLE_SIZES = {
    "A": 2,
    "B": 3,
    "C": 5,
    "D": 8,
    "E": 13,
    "F": 20,
    "G": 32,
    "H": 50,
    "J": 80,
    "K": 125,
    "L": 200,
    "M": 315,
    "N": 500,
    "P": 800,
    "Q": 1250,
}
# Acceptance numbers (Ac) of the normal single-sampling master table, by sample size, for
# the AQLs buyers use for consumer goods. Where the table points to another sample size
# (an arrow), the plan below follows the arrow.
_ACCEPTANCE = {
    "1.0": {13: 0, 20: 0, 32: 1, 50: 1, 80: 2, 125: 3, 200: 5, 315: 7, 500: 10, 800: 14, 1250: 21},
    "2.5": {5: 0, 8: 0, 13: 1, 20: 1, 32: 2, 50: 3, 80: 5, 125: 7, 200: 10, 315: 14, 500: 21},
    "4.0": {3: 0, 5: 0, 8: 1, 13: 1, 20: 2, 32: 3, 50: 5, 80: 7, 125: 10, 200: 14, 315: 21},
}
AQL_CHOICES = tuple(_ACCEPTANCE)
DEFAULT_AQL = "2.5"

GENERIC_CHECKLIST = [
    _("Quantity matches the order"),
    _("Dimensions / measurements within tolerance"),
    _("Materials and colours match the approved sample"),
    _("Workmanship: no visible defects"),
    _("Labels, marks and packaging as specified"),
]


@dataclass(frozen=True)
class SamplingPlan:
    lot_size: int
    aql: str
    sample_size: int
    acceptance_number: int

    @property
    def rejection_number(self) -> int:
        return self.acceptance_number + 1


def _code_letter(lot_size: int) -> str:
    for largest, letter in _LOT_CODE_LETTERS:
        if lot_size <= largest:
            return letter
    return _LAST_CODE_LETTER


def aql_plan(lot_size: int, aql: str = DEFAULT_AQL) -> SamplingPlan:
    if lot_size < 1:
        raise ValueError("lot size must be positive")
    if aql not in _ACCEPTANCE:
        raise ValueError(f"unsupported AQL {aql}")
    sample_size = _SAMPLE_SIZES[_code_letter(lot_size)]
    table = _ACCEPTANCE[aql]
    sizes = sorted(table)
    if sample_size < sizes[0]:
        sample_size = sizes[0]  # the arrow points down to the first plan with an Ac
    elif sample_size > sizes[-1]:
        sample_size = sizes[-1]
    acceptance = table.get(sample_size)
    if acceptance is None:
        acceptance = table[max(size for size in sizes if size <= sample_size)]
    sample_size = min(sample_size, lot_size)  # never inspect more than the lot: 100 %
    return SamplingPlan(
        lot_size=lot_size, aql=aql, sample_size=sample_size, acceptance_number=acceptance
    )


def checklist_for_category(category) -> list[str]:
    node = category
    while node is not None:
        items = [
            item.text
            for item in InspectionChecklistItem.objects.filter(category=node).order_by(
                "position", "pk"
            )
        ]
        if items:
            return items
        node = node.parent
    return [str(text) for text in GENERIC_CHECKLIST]


def order_checklist(order) -> list[str]:
    """The checklist that applies to an order: the one agreed in its quote (fixed on
    acceptance); orders opened before quotes carried one use their category's."""
    if order.inspection_checklist:
        return [str(item) for item in order.inspection_checklist]
    return checklist_for_category(order.category)


def order_aql_plan(order) -> SamplingPlan:
    """The sampling plan of the order's lot: the units it delivers, at the agreed AQL."""
    aql = order.aql if order.aql in AQL_CHOICES else DEFAULT_AQL
    return aql_plan(order.ship_quantity, aql)
