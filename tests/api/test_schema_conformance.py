"""Responses match what the OpenAPI schema at /api/schema/ says about them.

Clients generate code from the schema; a field documented as a string that arrives as
null, or a list documented as a page envelope, breaks them. Each case here was found by
schemathesis' `response_schema_conformance` check against the live API."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from orders.models import OrderStatus
from tests.helpers import api_client
from tests.orders.conftest import drive, make_deal

pytestmark = pytest.mark.django_db


def _as_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 `nullable: true` is `type: [..., "null"]` in JSON Schema."""
    if isinstance(node, list):
        return [_as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _as_json_schema(value) for key, value in node.items()}
    if converted.pop("nullable", False):
        if "type" in converted:
            converted["type"] = [converted["type"], "null"]
        else:
            converted = {"anyOf": [converted, {"type": "null"}]}
    return converted


def assert_matches_schema(client, path: str, template: str, status: int = 200) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    response = client.get(path)
    assert response.status_code == status, response.content[:300]
    documented = schema["paths"][template]["get"]["responses"][str(status)]
    body_schema = documented["content"]["application/json"]["schema"]
    resolvable = _as_json_schema({**body_schema, "components": schema["components"]})
    jsonschema.validate(response.json(), resolvable)


@pytest.fixture
def order_with_system_event():
    deal = make_deal()
    order = drive(deal, OrderStatus.AWAITING_PAYMENT)
    # Approving the sample requests payment on its own: an event with no acting organization.
    assert order.events.filter(actor_organization__isnull=True).exists()
    return deal, order


def test_order_detail_with_a_system_event_matches_the_schema(order_with_system_event):
    deal, order = order_with_system_event
    assert_matches_schema(
        api_client(deal.buyer_user), f"/api/v1/orders/{order.pk}/", "/api/v1/orders/{id}/"
    )


def test_order_events_match_the_schema(order_with_system_event):
    deal, order = order_with_system_event
    assert_matches_schema(
        api_client(deal.buyer_user),
        f"/api/v1/orders/{order.pk}/events/",
        "/api/v1/orders/{id}/events/",
    )


def test_order_progress_matches_the_schema():
    deal = make_deal()
    order = drive(deal, OrderStatus.IN_PRODUCTION)
    assert_matches_schema(
        api_client(deal.factory_user),
        f"/api/v1/orders/{order.pk}/progress/",
        "/api/v1/orders/{id}/progress/",
    )


def test_order_with_corrections_an_inspector_and_a_staff_inspection_matches_the_schema():
    from django.utils import timezone

    from marketplace.models import Organization
    from orders import services
    from orders.transitions import Action, Party
    from tests.helpers import make_organization, make_user
    from tests.orders.conftest import details_for, report_all

    deal = make_deal()
    order = drive(deal, OrderStatus.IN_PRODUCTION)
    agency, _user = make_organization(Organization.Kind.INSPECTION)
    services.order_inspector_assign(
        order=order, acting_organization=deal.buyer, acting_user=deal.buyer_user, inspector=agency
    )
    entry = services.production_progress_record(
        order=order,
        acting_organization=deal.factory,
        acting_user=deal.factory_user,
        day=timezone.localdate(),
        units=10,
    )
    services.production_progress_correct(
        order=order,
        acting_organization=deal.factory,
        acting_user=deal.factory_user,
        entry_pk=entry.pk,
        units=8,
        reason="Recount",
    )
    report_all(deal)
    deal.act("finish_production", "factory")
    staff = make_user()
    staff.is_staff = True
    services.order_transition_apply(  # platform staff: an inspection of no organization
        order_pk=order.pk,
        action=Action.RECORD_INSPECTION,
        party=Party.OPERATOR,
        acting_user=staff,
        acting_organization=None,
        details=details_for("record_inspection", order),
    )
    client = api_client(deal.buyer_user)
    assert_matches_schema(client, f"/api/v1/orders/{order.pk}/", "/api/v1/orders/{id}/")
    assert_matches_schema(
        client, f"/api/v1/orders/{order.pk}/progress/", "/api/v1/orders/{id}/progress/"
    )


def test_categories_match_the_schema():
    make_deal()  # a category with a parent
    assert_matches_schema(api_client(), "/api/v1/categories/", "/api/v1/categories/")


def _schema(client) -> dict:
    return client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def test_every_operation_documents_the_error_statuses_it_can_answer(client):
    """A multi-organization caller gets 400 without X-Organization and 404 for a slug it
    does not belong to on any scoped endpoint; lists answer 404 for a page past the end.
    These were undocumented (schemathesis' status_code_conformance failed on 60 of 61)."""
    schema = _schema(client)
    missing = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            expected = {"400", "404"}
            if operation.get("security") and {} not in operation["security"]:
                expected |= {"401", "403"}
                if method != "get":
                    expected.add("409")  # shared/API.md: a conflict with the current state
            if any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", [])):
                expected |= {"409", "422"}
            if not expected <= codes:
                missing.append((method.upper(), path, sorted(expected - codes)))
    assert not missing, missing


@pytest.mark.parametrize(
    ("path", "template", "status"),
    [
        ("/api/v1/orders/999999/", "/api/v1/orders/{id}/", 404),
        ("/api/v1/orders/?page=999", "/api/v1/orders/", 404),
        ("/api/v1/orders/?status=%00", "/api/v1/orders/", 400),
    ],
)
def test_error_bodies_match_the_documented_error_schema(path, template, status):
    deal = make_deal()
    assert_matches_schema(api_client(deal.buyer_user), path, template, status=status)


def test_idempotent_operations_document_the_header_and_its_answers(client):
    """Orders' idempotent POSTs honoured Idempotency-Key without saying so in the schema."""
    operations = _schema(client)["paths"]
    for path in [
        "/api/v1/rfqs/",
        "/api/v1/rfqs/{id}/quotes/",
        "/api/v1/quotes/{id}/accept/",
        "/api/v1/orders/{id}/repeat/",
    ]:
        operation = operations[path]["post"]
        headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        assert headers.count("Idempotency-Key") == 1, (path, headers)
        assert {"409", "422"} <= set(operation["responses"]), path
    assert not any(
        p["name"] == "Idempotency-Key"
        for p in operations["/api/v1/rfqs/"]["get"].get("parameters", [])
    )
