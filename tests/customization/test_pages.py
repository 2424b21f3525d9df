"""The configurator page: live price and violations through htmx, saving a design, and
the organization's designs (another organization's design is a 404)."""

from __future__ import annotations

import pytest
from django.test import Client

from customization.models import Design
from marketplace.models import Organization
from tests.customization.conftest import SIX_FUNCTIONS
from tests.helpers import PASSWORD, make_organization

pytestmark = pytest.mark.django_db


def _form(functions, quantity="30"):
    return {
        "options.functions": functions,
        "options.panel-colour": "silver",
        "options.refrigerant": "r32",
        "quantity": quantity,
    }


def _signed_in(user) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def test_preview_shows_price_and_explains_a_violation(air_conditioner):
    url = f"/configure/{air_conditioner.product_id}/preview/"
    response = Client().post(url, _form(SIX_FUNCTIONS), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "CNY 3,333.00" in html  # 2600 + 653 of functions + 80 silver
    assert "To fix before saving" not in html
    response = Client().post(
        url,
        _form(["inverter", "heating", "self-cleaning", "pm25-filter", "timer", "voice-control"]),
    )
    html = response.content.decode()
    assert "To fix before saving" in html
    assert "“Voice control” requires “Wi-Fi control”." in html


def test_saving_a_design_from_the_page(air_conditioner, buyer):
    _organization, user = buyer
    client = _signed_in(user)
    response = client.post(f"/configure/{air_conditioner.product_id}/save/", _form(SIX_FUNCTIONS))
    design = Design.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/designs/{design.pk}/"
    assert design.unit_price_minor == 333_300
    page = client.get(f"/designs/{design.pk}/").content.decode()
    assert "Front panel, silver" in page
    assert design.name in client.get("/designs/").content.decode()


def test_an_invalid_save_re_renders_with_errors_and_saves_nothing(air_conditioner, buyer):
    _organization, user = buyer
    response = _signed_in(user).post(
        f"/configure/{air_conditioner.product_id}/save/", _form([*SIX_FUNCTIONS, "ionizer"])
    )
    assert response.status_code == 400
    assert "(you chose 7)" in response.content.decode()
    assert Design.objects.count() == 0


def test_another_organizations_design_is_404(air_conditioner, buyer):
    _organization, user = buyer
    _signed_in(user).post(f"/configure/{air_conditioner.product_id}/save/", _form(SIX_FUNCTIONS))
    design = Design.objects.get()
    _other, stranger = make_organization(Organization.Kind.BUYER)
    assert _signed_in(stranger).get(f"/designs/{design.pk}/").status_code == 404


def test_anonymous_cannot_save(air_conditioner):
    response = Client().post(f"/configure/{air_conditioner.product_id}/save/", _form(SIX_FUNCTIONS))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert Design.objects.count() == 0


def test_catalog_page_searches(air_conditioner):
    page = Client().get("/products/", {"q": "air"}).content.decode()
    assert "Air Conditioner" in page
    assert f"/configure/{air_conditioner.product_id}/" in page


def test_preview_lists_factories_with_free_capacity(air_conditioner):
    from tests.factories.conftest import make_factory

    factory, _owner = make_factory([air_conditioner.product.category], units=20, days=30)
    url = f"/configure/{air_conditioner.product_id}/preview/"
    html = Client().post(url, _form(SIX_FUNCTIONS, quantity="60")).content.decode()
    assert factory.name in html
    # Twenty a day: sixty units are done on the third day (or later, with the lead time).
    assert "earliest completion" in html
    html = Client().post(url, _form(SIX_FUNCTIONS, quantity="900")).content.decode()
    assert factory.name not in html
