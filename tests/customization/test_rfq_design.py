"""An RFQ made from a saved design: only the buyer's own, in the design's category; the
invited factory sees the design and its bill of modules; the order made from the quote
carries its module lines (through orders' signals), and they close with the order."""

from __future__ import annotations

import pytest
from django.test import Client

from customization import services as customization_services
from customization.models import Design, OrderModule
from marketplace.models import Organization
from orders import services as order_services
from orders.models import RFQ
from tests.customization.conftest import AIR_CONDITIONER_OPTIONS
from tests.helpers import PASSWORD, api_client, make_organization
from tests.orders.conftest import in_days, make_factory, make_quote

pytestmark = pytest.mark.django_db


def _design(product, organization, user, quantity=60) -> Design:
    return customization_services.design_create(
        organization=organization,
        acting_user=user,
        product=product,
        options=AIR_CONDITIONER_OPTIONS,
        measurements={},
        quantity=quantity,
        name="Office AC",
    )


def _payload(design: Design, **overrides):
    body = {
        "category": design.product.product.category.slug,
        "title": "Office air conditioners",
        "quantity": design.quantity,
        "ready_by": in_days(20).isoformat(),
        "design": design.pk,
    }
    return {**body, **overrides}


def _signed_in(user) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def test_rfq_from_own_design_reaches_the_factory_and_the_order_carries_modules(
    air_conditioner, buyer, django_capture_on_commit_callbacks
):
    organization, user = buyer
    factory, factory_user = make_factory(air_conditioner.product.category, units=20)
    design = _design(air_conditioner, organization, user)
    response = api_client(user).post("/api/v1/rfqs/", _payload(design), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["design"] == design.pk
    rfq = RFQ.objects.get(pk=response.json()["id"])
    order_services.rfq_match(rfq_pk=rfq.pk)  # the matching task's service
    assert rfq.invitations.filter(factory=factory).exists()

    page = _signed_in(factory_user).get(f"/rfqs/{rfq.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="rfq-design"' in html
    for module in design.modules.all():
        assert module.name in html

    quote = make_quote(rfq, factory, factory_user)
    with django_capture_on_commit_callbacks(execute=True):
        order = order_services.quote_accept(
            quote=quote, acting_organization=organization, acting_user=user, with_sample=False
        )
    assert order.design_id == design.pk
    lines = list(OrderModule.objects.filter(order=order).order_by("pk"))
    assert [(line.signature, line.quantity) for line in lines] == [
        (module.signature, module.quantity_per_unit * order.quantity)
        for module in design.modules.all()
    ]
    plan = order.plan_allocations
    assert {(line.window_start, line.window_end) for line in lines} == {(min(plan), order.ready_by)}
    assert all(line.organization_id == factory.pk and line.is_open for line in lines)
    # Opening again (the sweep) adds nothing.
    assert customization_services.order_modules_open(order_pk=order.pk) == []
    assert customization_services.orders_missing_modules() == []

    with django_capture_on_commit_callbacks(execute=True):
        order_services.order_transition(
            order=order, action="cancel", acting_user=user, acting_organization=organization
        )
    assert not OrderModule.objects.filter(order=order, is_open=True).exists()


def test_another_organizations_design_is_refused_and_nothing_saved(air_conditioner, buyer):
    _organization, user = buyer
    other, other_user = make_organization(Organization.Kind.BUYER)
    design = _design(air_conditioner, other, other_user)
    response = api_client(user).post("/api/v1/rfqs/", _payload(design), format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["design"]
    assert RFQ.objects.count() == 0


def test_a_design_in_another_category_is_refused(air_conditioner, suit, buyer):
    organization, user = buyer
    design = _design(air_conditioner, organization, user)
    body = _payload(design, category=suit.product.category.slug)
    response = api_client(user).post("/api/v1/rfqs/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["category"]
    assert RFQ.objects.count() == 0


def test_rfq_page_starts_from_a_design(air_conditioner, buyer):
    organization, user = buyer
    design = _design(air_conditioner, organization, user)
    client = _signed_in(user)
    page = client.get(f"/rfqs/new/?design={design.pk}")
    html = page.content.decode()
    assert 'id="rfq-design"' in html
    assert "Office AC" in html
    assert f'name="design" value="{design.pk}"' in html
    form = {
        "category": str(design.product.product.category_id),
        "title": "Office air conditioners",
        "quantity": "60",
        "ready_by": in_days(20).isoformat(),
        "design": str(design.pk),
    }
    response = client.post("/rfqs/new/", form)
    assert response.status_code == 302
    assert RFQ.objects.get().design_id == design.pk


def test_rfq_page_refuses_another_organizations_design(air_conditioner, buyer):
    _organization, user = buyer
    other, other_user = make_organization(Organization.Kind.BUYER)
    design = _design(air_conditioner, other, other_user)
    client = _signed_in(user)
    assert "Office AC" not in client.get(f"/rfqs/new/?design={design.pk}").content.decode()
    form = {
        "category": str(design.product.product.category_id),
        "title": "Office air conditioners",
        "quantity": "60",
        "ready_by": in_days(20).isoformat(),
        "design": str(design.pk),
    }
    response = client.post("/rfqs/new/", form)
    assert response.status_code == 200
    assert "Choose one of your own saved designs." in response.content.decode()
    assert RFQ.objects.count() == 0
