"""OpenAPI schema generation shared by every app.

Views follow the house style of nested `InputSerializer` / `OutputSerializer` classes, so
drf-spectacular's default component names ("Input", "Output") would collide across views.
A nested serializer is named after its view instead: `SignupApi.OutputSerializer` becomes
the component `SignupOutput`. Imported by `MarketplaceConfig.ready()`, which registers the
field extension below for every app.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent, build_basic_type
from drf_spectacular.types import OpenApiTypes
from rest_framework.permissions import AllowAny

from marketplace import limits
from marketplace.money import DEFAULT_CURRENCY, SUPPORTED_CURRENCIES

SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"

# The one error body (shared/API.md, "Errors"; marketplace/api/errors.py).
ERROR_COMPONENT = ResolvedComponent(
    name="Error",
    type=ResolvedComponent.SCHEMA,
    object="Error",
    schema={
        "type": "object",
        "properties": {
            "detail": {"type": "string", "description": "What is wrong with the request."},
            "errors": {
                "type": "object",
                "description": "400 only: each field's messages (nested for lists and objects).",
                "additionalProperties": True,
            },
        },
    },
)
# What any operation can answer besides its success. 400 and 404 come from everywhere: a
# caller in several organizations without `X-Organization` (400) or naming one it is not in
# (404), invalid input, a page past the end of a list, another organization's object.
ERRORS_EVERYWHERE = {
    "400": "Invalid input: `errors` names each field, `detail` the request as a whole.",
    "404": "Not found, or owned by another organization (never 403 for that).",
    "429": "Too many requests (or sign-in attempts): retry after `Retry-After` seconds.",
    "503": "PostgreSQL, Redis or the task queue did not answer: retry after `Retry-After`.",
}
ERRORS_AUTHENTICATED = {
    "401": "Not authenticated.",
    "403": "Not allowed for your kind of organization or your role.",
}
# A public operation still reads an Authorization header when one is sent.
ERROR_BAD_TOKEN = {
    "401": "The token sent is invalid or revoked (send none to be answered anonymously).",
}
ERROR_CONFLICT = {
    "409": "A conflict with the current state (a transition not allowed now, capacity gone).",
}
IDEMPOTENCY_HEADER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "maxLength": 255},
    "description": "Retry safely: the same key and body within 24 h replays the first response.",
}
ERRORS_IDEMPOTENT = {
    "409": "A conflict with the current state, or this Idempotency-Key is still in progress.",
    "422": "This Idempotency-Key was used with a different request.",
}


def nested_serializer_component_name(serializer_class: type) -> str | None:
    qualname = serializer_class.__qualname__
    if "." not in qualname or "<locals>" in qualname:
        return None
    outer, _dot, inner = qualname.rpartition(".")
    outer = outer.replace(".", "").removesuffix("Api").removesuffix("View")
    return outer + inner


class AutoSchema(SpectacularAutoSchema):
    def get_serializer_name(self, serializer: Any, direction: str) -> str:
        name = nested_serializer_component_name(type(serializer))
        return name or super().get_serializer_name(serializer, direction)

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        errors = dict(ERRORS_EVERYWHERE)
        if not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            errors.update(ERRORS_AUTHENTICATED)
            if self.method != "GET":
                errors.update(ERROR_CONFLICT)
        elif self.view.get_authenticators():
            errors.update(ERROR_BAD_TOKEN)
        handler = getattr(self.view, self.method.lower(), None)
        if getattr(handler, "honours_idempotency_key", False):
            parameters = operation.setdefault("parameters", [])
            if not any(p.get("name") == IDEMPOTENCY_HEADER["name"] for p in parameters):
                parameters.append(dict(IDEMPOTENCY_HEADER))
            errors.update(ERRORS_IDEMPOTENT)
        self.registry.register_on_missing(ERROR_COMPONENT)
        responses = operation["responses"]
        for code, description in errors.items():
            responses.setdefault(
                code,
                {
                    "description": description,
                    "content": {"application/json": {"schema": ERROR_COMPONENT.ref}},
                },
            )
        return operation


def money_schema(
    direction: str,
    *,
    bare_amount: bool = False,
    limit: Decimal = limits.AMOUNT_LIMIT,
    positive: bool = False,
) -> dict[str, Any]:
    """Money on the wire, `{"amount": "1234.50", "currency": "CNY"}`. What a client may
    send is bounded (below `limit`, at most 2 decimal places, a supported currency; with
    `bare_amount`, the amount alone is read in the default currency); what the API
    answers can be larger (an order's total) or negative (a balance)."""
    if direction == "response":
        return {
            "type": "object",
            "properties": {
                "amount": {"type": "string", "example": "1234.50"},
                "currency": {"type": "string", "example": "CNY"},
            },
            "required": ["amount", "currency"],
        }
    digits = len(str(int(limit))) - 1
    amount = {
        "type": "string",
        "pattern": rf"^[0-9]{{1,{digits}}}(\.[0-9]{{1,2}})?$",
        "maxLength": digits + 3,
        "example": "1234.50",
        "description": f"A decimal string, {'above 0 and ' if positive else ''}below {limit:,}.",
    }
    money = {
        "type": "object",
        "properties": {
            "amount": amount,
            "currency": {
                "type": "string",
                "enum": list(SUPPORTED_CURRENCIES),
                "default": DEFAULT_CURRENCY,
            },
        },
        "required": ["amount"],
    }
    if not bare_amount:
        return money
    number = {"type": "number", "minimum": 0, "maximum": int(limit), "exclusiveMaximum": True}
    return {"anyOf": [money, amount, number]}


class SelfDocumentingField(OpenApiSerializerFieldExtension):
    """A field with an `openapi_schema(direction)` method documents itself: what a client
    may send (`request`) can differ from what the API answers (`response`)."""

    target_class = "rest_framework.fields.Field"
    match_subclasses = True
    priority = 1

    @classmethod
    def _matches(cls, target: Any) -> bool:
        return callable(getattr(target, "openapi_schema", None)) and super()._matches(target)

    def map_serializer_field(self, auto_schema: Any, direction: str) -> Any:
        return self.target.openapi_schema(direction)


class ReadOnlySlugRelatedField(OpenApiSerializerFieldExtension):
    """A read-only `SlugRelatedField` on a plain `Serializer` has no model to take the slug's
    type from; our slugs are strings. Writable ones keep drf-spectacular's own mapping."""

    target_class = "rest_framework.relations.SlugRelatedField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: str) -> Any:
        queryset = getattr(self.target, "queryset", None)
        if queryset is None:
            return build_basic_type(OpenApiTypes.STR)
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if schema.get("type") == "string":
            # The slug's own bounds: anything else cannot name a row.
            slug = queryset.model._meta.get_field(self.target.slug_field)
            if slug.max_length:
                schema.setdefault("maxLength", slug.max_length)
            if isinstance(slug, models.SlugField):
                schema.setdefault("pattern", SLUG_PATTERN)
        return schema
