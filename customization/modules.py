"""The bill of modules: how a valid configuration expands into modules, each with a
canonical signature so identical modules are recognisable across designs and orders.

A signature is a hash of the category, the module's code and its attributes as canonical
JSON (sorted keys, no whitespace): language-independent, and equal exactly when the shop
floor would make the same part. Dimensions are whole millimetres; a suit's pattern pieces
are graded (measurements rounded to a 2 cm grade) so bodies of the same grade share them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from customization.models import ModuleRecipe

if TYPE_CHECKING:
    from customization.services.configurator import Evaluation

PANEL_THICKNESS_MM = 18
SUIT_GRADE_CM = 2


@dataclass(frozen=True)
class Module:
    code: str
    name: str
    attributes: dict[str, Any] = field(default_factory=dict)
    quantity_per_unit: int = 1


def module_signature(*, category: str, code: str, attributes: dict[str, Any]) -> str:
    canonical = json.dumps(
        {"category": category, "code": code, "attributes": attributes},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _recipe_values(evaluation: Evaluation) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for options in evaluation.chosen.values():
        for option in options:
            values.update(option.module.get("recipe", {}))
    return values


def _option_modules(evaluation: Evaluation) -> list[Module]:
    modules = []
    for options in evaluation.chosen.values():
        for option in options:
            spec = option.module
            if spec.get("name"):
                modules.append(
                    Module(
                        code=spec.get("code", option.code),
                        name=spec["name"],
                        attributes=spec.get("attributes", {}),
                        quantity_per_unit=int(spec.get("quantity", 1)),
                    )
                )
    for group in evaluation.groups:
        if not group.module_name:
            continue
        if group.code in evaluation.texts:
            attributes = {"text": evaluation.texts[group.code]}
        elif group.code in evaluation.image_digests:
            attributes = {"image_sha256": evaluation.image_digests[group.code]}
        else:
            continue
        modules.append(Module(code=group.code, name=group.module_name, attributes=attributes))
    return modules


def _mm(value: Decimal) -> int:
    return int((value * 10).to_integral_value())


def _cabinet_panels(evaluation: Evaluation) -> list[Module]:
    size = evaluation.measurements
    if not all(name in size for name in ("width", "height", "depth")):
        return []  # a product set up without the three measurements has no panels
    width, height, depth = _mm(size["width"]), _mm(size["height"]), _mm(size["depth"])
    recipe = _recipe_values(evaluation)
    material = recipe.get("material", "white-mdf")
    inner_width = width - 2 * PANEL_THICKNESS_MM

    def panel(role: str, panel_width: int, panel_height: int, count: int, stock: str) -> Module:
        return Module(
            code="panel",
            name=f"Panel {panel_width} x {panel_height} mm",
            attributes={
                "width_mm": panel_width,
                "height_mm": panel_height,
                "material": stock,
                "role": role,
            },
            quantity_per_unit=count,
        )

    panels = [
        panel("side", depth, height, 2, material),
        panel("top-bottom", inner_width, depth, 2, material),
        panel("back", width, height, 1, "hdf-3mm"),
    ]
    shelves = int(recipe.get("shelves", 0))
    if shelves:
        panels.append(panel("shelf", inner_width, depth - 20, shelves, material))
    doors = int(recipe.get("doors", 0))
    if doors:
        panels.append(panel("door", width // doors, height, doors, material))
    return panels


JACKET_PIECES = (("jacket-front", 2), ("jacket-back", 2), ("sleeve", 4), ("collar", 1))
TROUSER_PIECES = (("trouser-front", 2), ("trouser-back", 2), ("waistband", 1))
JACKET_MEASURES = ("chest", "waist", "shoulder", "sleeve", "jacket_length", "neck")
TROUSER_MEASURES = ("trouser_waist", "hip", "inseam", "thigh", "outseam")


def _grade(value: Decimal) -> int:
    return int((value / SUIT_GRADE_CM).to_integral_value()) * SUIT_GRADE_CM


def _suit_pieces(evaluation: Evaluation) -> list[Module]:
    recipe = _recipe_values(evaluation)
    fabric = recipe.get("fabric", "wool")
    style = {key: value for key, value in recipe.items() if key != "fabric"}
    measures = evaluation.measurements

    def pieces(names, measure_names, extra) -> list[Module]:
        grade = {name: _grade(measures[name]) for name in measure_names if name in measures}
        return [
            Module(
                code=piece,
                name=f"Pattern piece: {piece}",
                attributes={"fabric": fabric, "grade": grade, **extra},
                quantity_per_unit=count,
            )
            for piece, count in names
        ]

    jacket_style = {key: value for key, value in style.items() if not key.startswith("trouser")}
    trouser_style = {key: value for key, value in style.items() if key.startswith("trouser")}
    return pieces(JACKET_PIECES, JACKET_MEASURES, jacket_style) + pieces(
        TROUSER_PIECES, TROUSER_MEASURES, trouser_style
    )


def modules_expand(evaluation: Evaluation) -> list[tuple[Module, str]]:
    """The design's modules with their signatures, in a stable order."""
    recipe = evaluation.product.recipe
    modules: list[Module] = []
    if recipe == ModuleRecipe.CABINET:
        modules.extend(_cabinet_panels(evaluation))
    elif recipe == ModuleRecipe.SUIT:
        modules.extend(_suit_pieces(evaluation))
    modules.extend(_option_modules(evaluation))
    category = evaluation.product.product.category.slug
    return [
        (
            module,
            module_signature(category=category, code=module.code, attributes=module.attributes),
        )
        for module in modules
    ]
