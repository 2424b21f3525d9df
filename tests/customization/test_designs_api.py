"""POST /api/v1/designs/ and the price endpoint share the configurator service; bad input
is a 400 naming the option, and nothing is saved."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from customization.models import Design, DesignImage, DesignModule
from marketplace.models import Organization
from tests.customization.conftest import (
    AIR_CONDITIONER_OPTIONS,
    SIX_FUNCTIONS,
    SUIT_BODY,
    SUIT_STYLE,
)
from tests.helpers import api_client, make_organization

pytestmark = pytest.mark.django_db


def _body(customizable, **overrides):
    body = {
        "product": customizable.product_id,
        "options": AIR_CONDITIONER_OPTIONS,
        "measurements": {},
        "quantity": 100,
    }
    return {**body, **overrides}


def test_product_structure_is_public(air_conditioner):
    body = APIClient().get(f"/api/v1/customizable-products/{air_conditioner.product_id}/").json()
    functions = body["option_groups"][0]
    assert (functions["code"], functions["kind"], functions["min_choices"]) == (
        "functions",
        "multi",
        6,
    )
    assert len(functions["options"]) == 22
    assert functions["options"][0]["price_delta"] == {"amount": "320.00", "currency": "CNY"}
    assert body["rules"][0] == {
        "option": {"group": "functions", "code": "voice-control"},
        "kind": "requires",
        "target": {"group": "functions", "code": "wifi"},
    }
    assert APIClient().get("/api/v1/customizable-products/999999/").status_code == 404


def test_buyer_saves_a_priced_design_with_modules(air_conditioner, buyer):
    organization, user = buyer
    response = api_client(user).post("/api/v1/designs/", _body(air_conditioner), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    # 3253.00 at 100 units is 95%: 3090.35 a unit.
    assert body["unit_price"] == {"amount": "3090.35", "currency": "CNY"}
    assert body["total"] == {"amount": "309035.00", "currency": "CNY"}
    assert body["options"]["functions"] == SIX_FUNCTIONS
    assert len(body["modules"]) == 8
    design = Design.objects.get(pk=body["id"])
    assert design.organization == organization
    assert api_client(user).get(f"/api/v1/designs/{design.pk}/").json()["id"] == design.pk


def test_client_prices_are_ignored(air_conditioner, buyer):
    _organization, user = buyer
    body = _body(air_conditioner, unit_price={"amount": "1.00", "currency": "CNY"})
    response = api_client(user).post("/api/v1/designs/", body, format="json")
    assert response.json()["unit_price"]["amount"] == "3090.35"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"options": {**AIR_CONDITIONER_OPTIONS, "functions": [*SIX_FUNCTIONS, "ionizer"]}},
            "options.functions",
            "Choose between 6 and 6 of the 22 Functions (you chose 7).",
        ),
        (
            {"options": {**AIR_CONDITIONER_OPTIONS, "wings": "two"}},
            "options.wings",
            "There is no option group “wings” on this product.",
        ),
        ({"quantity": 10}, "quantity", "The quantity must be between 30 and 1000000."),
        ({"options": "functions"}, "options", None),
        ({"product": 999999}, "product", "There is no customizable product with this id."),
    ],
)
def test_bad_designs_are_400_and_save_nothing(air_conditioner, buyer, overrides, field, message):
    _organization, user = buyer
    response = api_client(user).post(
        "/api/v1/designs/", _body(air_conditioner, **overrides), format="json"
    )
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert field in errors
    if message:
        assert errors[field] == [message]
    assert Design.objects.count() == 0
    assert DesignModule.objects.count() == 0


def test_suit_measurement_out_of_range_is_400(suit, buyer):
    _organization, user = buyer
    body = {
        "product": suit.product_id,
        "options": SUIT_STYLE,
        "measurements": {**SUIT_BODY, "inseam": 200},
        "quantity": 30,
    }
    response = api_client(user).post("/api/v1/designs/", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "measurements.inseam": ["Inseam must be between 65.0 and 95.0 cm (got 200)."]
    }
    assert Design.objects.count() == 0


def _multipart(product, logo):
    return {
        "product": product.product_id,
        "options": json.dumps(AIR_CONDITIONER_OPTIONS),
        "quantity": 30,
        "images.logo": logo,
    }


def test_logo_upload_in_multipart(air_conditioner, buyer):
    _organization, user = buyer
    buffer = io.BytesIO()
    Image.new("RGB", (120, 60), "navy").save(buffer, format="PNG")
    logo = SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")
    response = api_client(user).post(
        "/api/v1/designs/", _multipart(air_conditioner, logo), format="multipart"
    )
    assert response.status_code == 201, response.content
    assert response.json()["modules"][-1]["name"] == "Logo pad print"
    assert DesignImage.objects.count() == 1

    bogus = SimpleUploadedFile("logo.png", b"GIF89a not really", content_type="image/png")
    response = api_client(user).post(
        "/api/v1/designs/", _multipart(air_conditioner, bogus), format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"images.logo": ["This file is not a readable image."]}
    assert Design.objects.count() == 1


def test_designs_are_private_to_their_organization(air_conditioner, buyer):
    _organization, user = buyer
    design_pk = (
        api_client(user)
        .post("/api/v1/designs/", _body(air_conditioner), format="json")
        .json()["id"]
    )
    _other, stranger = make_organization(Organization.Kind.BUYER)
    assert api_client(stranger).get(f"/api/v1/designs/{design_pk}/").status_code == 404
    assert api_client(stranger).get("/api/v1/designs/").json()["count"] == 0
    assert APIClient().get(f"/api/v1/designs/{design_pk}/").status_code == 401


def test_service_providers_cannot_save_designs(air_conditioner):
    _organization, user = make_organization(Organization.Kind.SERVICE_PROVIDER)
    response = api_client(user).post("/api/v1/designs/", _body(air_conditioner), format="json")
    assert response.status_code == 403
    assert Design.objects.count() == 0


def test_price_endpoint_explains_without_saving(air_conditioner):
    options = {**AIR_CONDITIONER_OPTIONS, "functions": ["voice-control", *SIX_FUNCTIONS[:5]]}
    response = APIClient().post(
        f"/api/v1/customizable-products/{air_conditioner.product_id}/price/",
        {"options": options, "quantity": 500},
        format="json",
    )
    body = response.json()
    assert response.status_code == 200
    assert body["valid"] is True
    assert body["tier_share"] == "90%"
    options["functions"] = ["voice-control", "inverter", "heating", "timer", "eco-mode", "ionizer"]
    body = (
        APIClient()
        .post(
            f"/api/v1/customizable-products/{air_conditioner.product_id}/price/",
            {"options": options, "quantity": 500},
            format="json",
        )
        .json()
    )
    assert body["valid"] is False
    assert body["errors"] == {"options.functions": ["“Voice control” requires “Wi-Fi control”."]}
    assert Design.objects.count() == 0


def test_demo_seed_configures_the_three_products_and_saves_designs(db):
    from catalog import demo as catalog_demo
    from customization import demo as customization_demo
    from marketplace import demo as marketplace_demo

    marketplace_demo.seed()
    catalog_demo.seed()
    customization_demo.seed()
    customization_demo.seed()  # idempotent
    names = sorted(Design.objects.values_list("name", flat=True))
    assert names == [
        "Navy groomsman suit",
        "Navy showroom staff suit",
        "Navy suit, peak lapel",
        "Navy suit, peak lapel, pleated trousers",
        "Oak wardrobe 80 x 200",
        "Office AC, Wi-Fi and heating",
    ]
    suit = Design.objects.get(name="Navy suit, peak lapel")
    assert suit.modules.count() == 8
    # The other suits are cut from the same jacket pattern pieces (front, back, sleeve,
    # collar: their bodies are of the same grade), so that massing batches them together.
    jacket = set(
        suit.modules.filter(attributes__has_key="lapel").values_list("signature", flat=True)
    )
    assert len(jacket) == 4
    for name in names:
        if name.startswith("Navy") and name != suit.name:
            design = Design.objects.get(name=name)
            assert jacket <= set(design.modules.values_list("signature", flat=True)), name
