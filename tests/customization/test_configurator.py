"""The one validation and pricing service (design_evaluate) and the bill of modules."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from customization.services import design_evaluate
from tests.customization.conftest import (
    AIR_CONDITIONER_OPTIONS,
    CABINET_OPTIONS,
    CABINET_SIZE,
    SIX_FUNCTIONS,
    SUIT_BODY,
    SUIT_STYLE,
)

pytestmark = pytest.mark.django_db


def _png(size=(64, 64)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="PNG")
    return SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")


def test_air_conditioner_price_is_base_plus_deltas_times_tier(air_conditioner):
    evaluation = design_evaluate(
        product=air_conditioner, options=AIR_CONDITIONER_OPTIONS, measurements={}, quantity=30
    )
    assert evaluation.errors == {}
    # 2600.00 + inverter 320 + heating 180 + wifi 60 + self-cleaning 40 + pm2.5 50 + timer 3
    assert (
        evaluation.unit_price.amount_minor
        == 260_000 + 32_000 + 18_000 + 6_000 + 4_000 + 5_000 + 300
    )
    assert evaluation.total.amount_minor == evaluation.unit_price.amount_minor * 30

    at_500 = design_evaluate(
        product=air_conditioner, options=AIR_CONDITIONER_OPTIONS, measurements={}, quantity=500
    )
    assert at_500.tier_basis_points == 9000
    assert at_500.unit_price.amount_minor == round(325_300 * 0.9)


def test_seven_of_twenty_two_functions_names_the_group_and_the_rule(air_conditioner):
    options = {**AIR_CONDITIONER_OPTIONS, "functions": [*SIX_FUNCTIONS, "ionizer"]}
    evaluation = design_evaluate(
        product=air_conditioner, options=options, measurements={}, quantity=30
    )
    assert evaluation.errors == {
        "options.functions": ["Choose between 6 and 6 of the 22 Functions (you chose 7)."]
    }


def test_requires_and_excludes_rules(air_conditioner):
    functions = ["inverter", "heating", "voice-control", "uv-sterilization", "ionizer", "timer"]
    options = {**AIR_CONDITIONER_OPTIONS, "functions": functions}
    evaluation = design_evaluate(
        product=air_conditioner, options=options, measurements={}, quantity=30
    )
    assert evaluation.errors == {
        "options.functions": [
            "“Voice control” requires “Wi-Fi control”.",
            "“UV sterilization” cannot be combined with “Ionizer”.",
        ]
    }


def test_unknown_groups_and_choices_are_named(air_conditioner):
    options = {**AIR_CONDITIONER_OPTIONS, "panel-colour": "pink", "turbo": "yes"}
    evaluation = design_evaluate(
        product=air_conditioner, options=options, measurements={"width": 3}, quantity=30
    )
    assert set(evaluation.errors) == {"options.panel-colour", "options.turbo", "measurements.width"}
    assert (
        "“pink” is not one of the choices for Panel colour."
        in evaluation.errors["options.panel-colour"]
    )


def test_missing_required_group_and_quantity_below_minimum(air_conditioner):
    options = {"functions": SIX_FUNCTIONS}
    evaluation = design_evaluate(
        product=air_conditioner, options=options, measurements={}, quantity=5
    )
    assert evaluation.errors["options.panel-colour"] == ["Panel colour is required."]
    assert evaluation.errors["quantity"] == ["The quantity must be between 30 and 1000000."]


def test_suit_measurement_out_of_range_and_decimals(suit):
    body = {**SUIT_BODY, "chest": 300, "neck": "40.25", "waist": "abc"}
    evaluation = design_evaluate(product=suit, options=SUIT_STYLE, measurements=body, quantity=30)
    assert evaluation.errors["measurements.chest"] == [
        "Chest must be between 70.0 and 160.0 cm (got 300)."
    ]
    assert evaluation.errors["measurements.neck"] == ["Neck takes at most one decimal place."]
    assert evaluation.errors["measurements.waist"] == ["Waist must be a number."]


def test_text_with_control_characters_or_too_long(suit):
    for text, message in (
        ("AB\x07C", "Monogram must not contain control characters."),
        ("ABCDEFGHIJKLMN", "Monogram is at most 12 characters (it has 14)."),
    ):
        options = {**SUIT_STYLE, "monogram": text}
        evaluation = design_evaluate(
            product=suit, options=options, measurements=SUIT_BODY, quantity=30
        )
        assert evaluation.errors == {"options.monogram": [message]}


def test_logo_must_be_a_small_real_image(air_conditioner):
    not_image = SimpleUploadedFile("logo.png", b"not an image at all", content_type="image/png")
    huge = SimpleUploadedFile("logo.png", b"\x89PNG" + b"0" * (10 * 1024 * 1024))
    for upload, message in (
        (not_image, "This file is not a readable image."),
        (huge, "The image is larger than 5 MB."),
    ):
        evaluation = design_evaluate(
            product=air_conditioner,
            options=AIR_CONDITIONER_OPTIONS,
            measurements={},
            quantity=30,
            images={"logo": upload},
        )
        assert evaluation.errors == {"images.logo": [message]}
    good = design_evaluate(
        product=air_conditioner,
        options=AIR_CONDITIONER_OPTIONS,
        measurements={},
        quantity=30,
        images={"logo": _png()},
    )
    assert good.errors == {}
    assert good.unit_price.amount_minor == 325_300 + 500


def test_cabinet_rule_handles_need_doors(cabinet):
    options = {**CABINET_OPTIONS, "doors": "0"}
    evaluation = design_evaluate(
        product=cabinet, options=options, measurements=CABINET_SIZE, quantity=30
    )
    assert evaluation.errors == {
        "options.handles": ["“Brushed steel bar” cannot be combined with “Open, no doors”."]
    }
