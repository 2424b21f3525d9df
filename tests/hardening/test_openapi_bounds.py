"""The OpenAPI schema promises what validation enforces (issue 14, item 14): the bounds,
patterns, enums and required fields of the five operations schemathesis found too loose,
a maximum on every free-text field a client may send, and the links of the quote flow."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from marketplace import limits
from orders.inspection import AQL_CHOICES

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def _body(schema, path: str, method: str) -> dict[str, Any]:
    content = schema["paths"][path][method]["requestBody"]["content"]["application/json"]
    return _resolve(schema, content["schema"])


def _resolve(schema, node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _parameters(schema, path: str, method: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in schema["paths"][path][method].get("parameters", [])}


def test_factory_search_documents_its_query_bounds(schema):
    parameters = _parameters(schema, "/api/v1/factories/search/", "get")
    assert {name for name, p in parameters.items() if p.get("required")} == {
        "category",
        "quantity",
        "ready_by",
    }
    quantity = parameters["quantity"]["schema"]
    assert (quantity["minimum"], quantity["maximum"]) == (limits.QUANTITY.min, limits.QUANTITY.max)
    assert parameters["category"]["schema"]["pattern"] == "^[-a-zA-Z0-9_]+$"
    assert parameters["region"]["schema"]["maxLength"] == 80
    assert parameters["limit"]["schema"]["maximum"] == 100


def test_rfq_create_documents_every_bound(schema):
    body = _body(schema, "/api/v1/rfqs/", "post")
    properties = body["properties"]
    assert set(body["required"]) == {"category", "title", "quantity", "ready_by"}
    assert properties["spec"]["maxLength"] == limits.RFQ_SPEC
    assert properties["title"]["maxLength"] == limits.TITLE
    assert properties["quantity"]["maximum"] == limits.QUANTITY.max


def test_rfq_messages_documents_the_body_maximum_and_the_amount(schema):
    body = _body(schema, "/api/v1/rfqs/{id}/messages/", "post")
    assert body["required"] == ["body"]
    assert body["properties"]["body"]["maxLength"] == limits.MESSAGE
    price = body["properties"]["proposed_unit_price"]["anyOf"][0]["properties"]
    assert price["amount"]["pattern"]
    assert "CNY" in price["currency"]["enum"]


@pytest.mark.parametrize(
    ("path", "method"), [("/api/v1/rfqs/{id}/quotes/", "post"), ("/api/v1/quotes/{id}/", "patch")]
)
def test_quote_operations_document_bounds_pattern_and_enum(schema, path, method):
    body = _body(schema, path, method)
    properties = body["properties"]
    assert properties["note"]["maxLength"] == limits.QUOTE_NOTE
    lead = properties["lead_time_days"]
    assert (lead["minimum"], lead["maximum"]) == (1, limits.LEAD_TIME_DAYS.max)
    tier = _resolve(schema, properties["tiers"]["items"])
    assert tier["properties"]["min_quantity"]["maximum"] == limits.QUANTITY.max
    amount = properties["unit_price"]["anyOf"][0]["properties"]["amount"]
    assert amount["pattern"] == "^[0-9]{1,9}(\\.[0-9]{1,2})?$"
    if method == "post":
        assert set(body["required"]) == {"unit_price", "lead_time_days", "valid_until"}
    else:
        assert "required" not in body


def test_order_transitions_document_the_aql_enum(schema):
    body = _body(schema, "/api/v1/orders/{id}/transitions/", "post")
    aql = _resolve(schema, body["properties"]["aql"])
    assert set(aql["enum"]) == set(AQL_CHOICES)


def test_pagination_parameters_are_bounded(schema):
    parameters = _parameters(schema, "/api/v1/orders/", "get")
    assert parameters["page_size"]["schema"]["maximum"] == 500
    assert parameters["page"]["schema"]["minimum"] == 1
    assert APIClient().get("/api/v1/products/?page_size=501").status_code == 400


def _strings(schema, node: Any, where: str):
    """Every string a client may send, with where it is."""
    if isinstance(node, dict):
        node = _resolve(schema, node)
        if node.get("type") == "string" and not node.get("readOnly"):
            yield where, node
        for key in ("properties",):
            for name, child in node.get(key, {}).items():
                yield from _strings(schema, child, f"{where}.{name}")
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                yield from _strings(schema, node[key], f"{where}[]")
        for key in ("anyOf", "oneOf", "allOf"):
            for child in node.get(key, []):
                yield from _strings(schema, child, where)


def test_every_free_text_a_client_sends_has_a_documented_maximum(schema):
    unbounded = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {})
            for media, body in content.items():
                if media != "application/json":
                    continue
                for where, node in _strings(schema, body["schema"], f"{method} {path}"):
                    bounded = (
                        "maxLength" in node
                        or "enum" in node
                        or node.get("format") in ("date", "date-time", "email", "uri", "binary")
                        or "pattern" in node
                    )
                    if not bounded:
                        unbounded.append(where)
    assert unbounded == []


def test_the_quote_flow_is_linked(schema):
    quote_created = schema["paths"]["/api/v1/rfqs/{id}/quotes/"]["post"]["responses"]["201"]
    links = quote_created["links"]
    assert {link["operationId"] for link in links.values()} >= {
        "quotes_accept_create",
        "quotes_withdraw_create",
        "quotes_partial_update",
    }
    operation_ids = {
        operation["operationId"]
        for methods in schema["paths"].values()
        for operation in methods.values()
    }
    for link in links.values():
        assert link["operationId"] in operation_ids
        assert link["parameters"] == {"id": "$response.body#/id"}
    accepted = schema["paths"]["/api/v1/quotes/{id}/accept/"]["post"]["responses"]["201"]
    assert accepted["links"]["GetOrder"]["operationId"] == "orders_retrieve"
