"""OpenAPI schema generation shared by every app.

Views follow the house style of nested `InputSerializer` / `OutputSerializer` classes, so
drf-spectacular's default component names ("Input", "Output") would collide across views.
A nested serializer is named after its view instead: `SignupApi.OutputSerializer` becomes
the component `SignupOutput`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema


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
