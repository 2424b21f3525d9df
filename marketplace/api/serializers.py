"""Serializers every app's API shares (one OpenAPI component each, not one per app)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject


class PlainReadMixin:
    """A read-only output serializer's `to_representation` without DRF's per-field
    machinery, for the hot lists: each field's value is read straight from its source
    (`getattr` along `source`) and handed to the field's own `to_representation`, so the
    output is the same as DRF's. A value DRF would treat specially (a missing attribute, a
    related row that does not exist, a callable) takes DRF's own path for that field."""

    def _plain_fields(self) -> list[tuple[str, tuple[str, ...], Any, Any]]:
        plan = getattr(self, "_plain_plan", None)
        if plan is None:
            plan = [
                (field.field_name, tuple(field.source_attrs), field, field.to_representation)
                for field in self._readable_fields  # type: ignore[attr-defined]
            ]
            self._plain_plan = plan
        return plan

    def to_representation(self, instance: Any) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for name, attrs, field, represent in self._plain_fields():
            value = instance
            try:
                for attr in attrs:
                    value = value[attr] if type(value) is dict else getattr(value, attr)
                    if callable(value):
                        raise LookupError(attr)  # a method or a manager: DRF's rules
            except (AttributeError, KeyError, LookupError, ObjectDoesNotExist):
                try:
                    value = field.get_attribute(instance)
                except SkipField:
                    continue
                if isinstance(value, PKOnlyObject) and value.pk is None:
                    value = None
            result[name] = None if value is None else represent(value)
        return result


class OrganizationRefSerializer(PlainReadMixin, serializers.Serializer):
    """Another organization as a party shows it: id, slug and name."""

    id = serializers.IntegerField(source="pk")
    slug = serializers.SlugField()
    name = serializers.CharField()
