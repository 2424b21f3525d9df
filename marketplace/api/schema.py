"""OpenAPI schema generation shared by every app.

Views follow the house style of nested `InputSerializer` / `OutputSerializer` classes, so
drf-spectacular's default component names ("Input", "Output") would collide across views.
A nested serializer is named after its view instead: `SignupApi.OutputSerializer` becomes
the component `SignupOutput`. Imported by `MarketplaceConfig.ready()`, which registers the
field extension below for every app.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent, build_basic_type
from drf_spectacular.types import OpenApiTypes
from rest_framework.permissions import AllowAny

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


class ReadOnlySlugRelatedField(OpenApiSerializerFieldExtension):
    """A read-only `SlugRelatedField` on a plain `Serializer` has no model to take the slug's
    type from; our slugs are strings. Writable ones keep drf-spectacular's own mapping."""

    target_class = "rest_framework.relations.SlugRelatedField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: str) -> Any:
        if getattr(self.target, "queryset", None) is not None:
            return auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        return build_basic_type(OpenApiTypes.STR)
