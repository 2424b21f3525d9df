"""The bill of modules: designs expand into modules whose signatures are equal exactly
when the parts are the same."""

from __future__ import annotations

import pytest

from customization.services import design_create
from tests.customization.conftest import (
    AIR_CONDITIONER_OPTIONS,
    CABINET_OPTIONS,
    CABINET_SIZE,
    SUIT_BODY,
    SUIT_STYLE,
)

pytestmark = pytest.mark.django_db


def _modules(design):
    return [
        (m.name, m.attributes, m.quantity_per_unit) for m in design.modules.order_by("position")
    ]


def test_cabinet_expands_into_panels_by_size_and_material(cabinet, buyer):
    organization, user = buyer
    design = design_create(
        organization=organization, acting_user=user, product=cabinet,
        options=CABINET_OPTIONS, measurements=CABINET_SIZE, quantity=30,
    )  # fmt: skip
    panels = [(name, (a.get("role"), a.get("width_mm"), a.get("height_mm"), a.get("material")), n)
              for name, a, n in _modules(design)]  # fmt: skip
    assert panels == [
        ("Panel 450 x 2000 mm", ("side", 450, 2000, "oak-veneer"), 2),
        ("Panel 764 x 450 mm", ("top-bottom", 764, 450, "oak-veneer"), 2),
        ("Panel 800 x 2000 mm", ("back", 800, 2000, "hdf-3mm"), 1),
        ("Panel 764 x 430 mm", ("shelf", 764, 430, "oak-veneer"), 3),
        ("Panel 400 x 2000 mm", ("door", 400, 2000, "oak-veneer"), 2),
        ("Steel bar handle", (None, None, None, None), 1),
    ]  # fmt: skip


def test_identical_modules_share_a_signature_across_designs(cabinet, buyer):
    organization, user = buyer
    first = design_create(
        organization=organization, acting_user=user, product=cabinet,
        options=CABINET_OPTIONS, measurements=CABINET_SIZE, quantity=30,
    )  # fmt: skip
    deeper = design_create(
        organization=organization, acting_user=user, product=cabinet,
        options=CABINET_OPTIONS, measurements={**CABINET_SIZE, "depth": 50}, quantity=40,
    )  # fmt: skip
    first_signatures = {m.attributes.get("role"): m.signature for m in first.modules.all()}
    deeper_signatures = {m.attributes.get("role"): m.signature for m in deeper.modules.all()}
    # The back and doors do not depend on the depth; sides, top, bottom and shelves do.
    assert first_signatures["back"] == deeper_signatures["back"]
    assert first_signatures["door"] == deeper_signatures["door"]
    assert first_signatures["side"] != deeper_signatures["side"]
    assert first_signatures["shelf"] != deeper_signatures["shelf"]
    assert first_signatures[None] == deeper_signatures[None]  # the handle


def test_suit_pattern_pieces_are_graded(suit, buyer):
    organization, user = buyer
    one = design_create(
        organization=organization, acting_user=user, product=suit,
        options={**SUIT_STYLE, "monogram": "BB"}, measurements=SUIT_BODY, quantity=30,
    )  # fmt: skip
    close = design_create(
        organization=organization, acting_user=user, product=suit,
        options=SUIT_STYLE, measurements={**SUIT_BODY, "chest": "100.6"}, quantity=30,
    )  # fmt: skip
    pieces = {m.name: m.signature for m in one.modules.all()}
    assert len(pieces) == 8  # 7 pattern pieces and the monogram
    assert "Monogram embroidery" in pieces
    other = {m.name: m.signature for m in close.modules.all()}
    # 100.6 cm grades like 100 cm: the same jacket pieces.
    assert pieces["Pattern piece: jacket-front"] == other["Pattern piece: jacket-front"]


def test_air_conditioner_expands_into_function_modules(air_conditioner, buyer):
    organization, user = buyer
    design = design_create(
        organization=organization, acting_user=user, product=air_conditioner,
        options=AIR_CONDITIONER_OPTIONS, measurements={}, quantity=30,
    )  # fmt: skip
    names = [name for name, _attributes, _count in _modules(design)]
    assert names == [
        "Inverter compressor module", "Heating (heat pump) module", "Wi-Fi control module",
        "Self-cleaning coil module", "PM2.5 filter module", "24 h timer module",
        "Front panel, white", "Outdoor unit (R32)",
    ]  # fmt: skip
