"""Serializers every app's API shares (one OpenAPI component each, not one per app)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject

from marketplace import limits
from marketplace.api.schema import money_schema
from marketplace.money import DEFAULT_CURRENCY, SUPPORTED_CURRENCIES, Money


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


_query_serializers = threading.local()


def query_validated(serializer_class: type[serializers.Serializer], data: Mapping) -> Any:
    """`serializer_class(data=data)`'s `validated_data`, raising what
    `is_valid(raise_exception=True)` raises, from one instance of the class per thread.

    DRF builds a serializer's fields anew for every instance, a deep copy of each declared
    field: half of a query serializer's cost on the busiest read (the capacity search). A
    serializer of query parameters keeps nothing of a request on itself (no instance, no
    context, no partial update), so one instance validates every request of its thread
    with its fields built once."""
    instances: dict[type[serializers.Serializer], serializers.Serializer] | None = getattr(
        _query_serializers, "instances", None
    )
    if instances is None:
        instances = _query_serializers.instances = {}
    serializer = instances.get(serializer_class)
    if serializer is None:
        serializer = instances[serializer_class] = serializer_class()
    return serializer.run_validation(data)


class OrganizationRefSerializer(PlainReadMixin, serializers.Serializer):
    """Another organization as a party shows it: id, slug and name."""

    id = serializers.IntegerField(source="pk")
    slug = serializers.SlugField()
    name = serializers.CharField()


class MoneyField(serializers.Field):
    """Money on the wire in every API: `{"amount": "1234.50", "currency": "CNY"}` <-> `Money`
    (integer minor units). A bare amount ("1234.50" or 1234.5) is read in the default
    currency. What a client may send is bounded: below `limit` (major units, exclusive), at
    most the currency's decimal places, a supported currency and, with `positive`, above
    zero. Answers may be larger (an order's total) or negative (a balance)."""

    default_error_messages = {
        "invalid": _('Send {"amount": "12.50", "currency": "CNY"}.'),
        "amount": _("Enter the amount as a decimal string with at most 2 decimal places."),
        "currency": _("Unsupported currency."),
        "positive": _("Enter an amount above zero."),
        "range": _("Enter an amount below {limit}."),
    }

    def __init__(
        self, *, positive: bool = False, limit: Decimal = limits.AMOUNT_LIMIT, **kwargs: Any
    ) -> None:
        self.positive = positive
        self.limit = limit
        super().__init__(**kwargs)

    def openapi_schema(self, direction: str) -> dict[str, Any]:
        return money_schema(direction, bare_amount=True, limit=self.limit, positive=self.positive)

    def to_representation(self, value: Money) -> dict[str, str]:
        return value.as_wire()

    def to_internal_value(self, data: Any) -> Money:
        if isinstance(data, str | int | float | Decimal):
            data = {"amount": str(data)}
        if not isinstance(data, dict) or "amount" not in data:
            # Not self.fail(): it would read the message's braces as format fields.
            raise serializers.ValidationError(self.error_messages["invalid"], code="invalid")
        currency = str(data.get("currency") or DEFAULT_CURRENCY).upper()
        if currency not in SUPPORTED_CURRENCIES:
            self.fail("currency")
        try:
            amount = Decimal(str(data["amount"]))
        except ArithmeticError:
            self.fail("amount")
        if not amount.is_finite():
            self.fail("amount")
        # Bounded before scaling: "1e999999" overflowed and "1e999990" took minutes of CPU.
        if amount.copy_abs() >= self.limit:
            self.fail("range", limit=f"{self.limit:,}")
        if self.positive and amount <= 0:
            self.fail("positive")
        try:
            return Money.from_decimal(amount, currency)
        except ValueError:
            self.fail("amount")
