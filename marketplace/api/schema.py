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
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes


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


class ReadOnlySlugRelatedField(OpenApiSerializerFieldExtension):
    """A read-only `SlugRelatedField` on a plain `Serializer` has no model to take the slug's
    type from; our slugs are strings. Writable ones keep drf-spectacular's own mapping."""

    target_class = "rest_framework.relations.SlugRelatedField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: str) -> Any:
        if getattr(self.target, "queryset", None) is not None:
            return auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        return build_basic_type(OpenApiTypes.STR)
