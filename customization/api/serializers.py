"""Shapes of the customization API (shared/API.md: Customization)."""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MONEY_SCHEMA = {
    "type": "object",
    "properties": {
        "amount": {"type": "string", "example": "1234.50"},
        "currency": {"type": "string", "example": "CNY"},
    },
    "required": ["amount", "currency"],
}


@extend_schema_field(MONEY_SCHEMA)
class MoneyField(serializers.Field):
    """`Money` on the wire: {"amount": "1234.50", "currency": "CNY"} (read-only)."""

    def to_representation(self, value):
        return value.as_wire()


@extend_schema_field({"type": "object", "additionalProperties": True})
class JSONObjectField(serializers.Field):
    """An object given as JSON (or, in a multipart form, as a JSON string)."""

    default_error_messages = {"invalid": _('Give an object, e.g. {{"group": "choice"}}.')}

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                self.fail("invalid")
        if not isinstance(data, dict):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class OptionOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_zh = serializers.CharField()
    price_delta = serializers.SerializerMethodField()

    def get_price_delta(self, option) -> dict:
        currency = self.context["currency"]
        from marketplace.money import Money

        return Money(option.price_delta_minor, currency).as_wire()


class OptionGroupOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_zh = serializers.CharField()
    kind = serializers.CharField()
    required = serializers.BooleanField()
    min_choices = serializers.IntegerField()
    max_choices = serializers.IntegerField()
    unit = serializers.CharField()
    min_value = serializers.DecimalField(max_digits=10, decimal_places=1, allow_null=True)
    max_value = serializers.DecimalField(max_digits=10, decimal_places=1, allow_null=True)
    max_length = serializers.IntegerField()
    help_text = serializers.CharField()
    options = OptionOutputSerializer(many=True)


class RuleOutputSerializer(serializers.Serializer):
    option = serializers.SerializerMethodField()
    kind = serializers.CharField()
    target = serializers.SerializerMethodField()

    def get_option(self, rule) -> dict:
        return {"group": rule.option.group.code, "code": rule.option.code}

    def get_target(self, rule) -> dict:
        return {"group": rule.target.group.code, "code": rule.target.code}


class CustomizableProductOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="product.pk")
    name = serializers.CharField(source="product.name")
    category = serializers.CharField(source="product.category.slug")
    base_price = MoneyField(source="product.base_price")
    min_order_quantity = serializers.IntegerField(source="product.min_order_quantity")
    option_groups = serializers.SerializerMethodField()
    rules = RuleOutputSerializer(many=True)

    def get_option_groups(self, product) -> Any:
        context = {"currency": product.product.currency}
        return OptionGroupOutputSerializer(product.groups.all(), many=True, context=context).data


class DesignModuleOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    attributes = serializers.JSONField()
    quantity_per_unit = serializers.IntegerField()
    signature = serializers.CharField()


class DesignOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    product = serializers.IntegerField(source="product.product_id")
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    options = serializers.JSONField(source="selections.options")
    measurements = serializers.JSONField(source="selections.measurements")
    unit_price = MoneyField()
    total = MoneyField()
    modules = DesignModuleOutputSerializer(many=True)
    created_at = serializers.DateTimeField()


class PriceLineSerializer(serializers.Serializer):
    label = serializers.CharField()
    amount = MoneyField()


class PriceOutputSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    quantity = serializers.IntegerField()
    full_unit_price = MoneyField()
    tier_share = serializers.CharField(help_text="share of the full price at this quantity")
    unit_price = MoneyField()
    total = MoneyField()
    lines = PriceLineSerializer(many=True)
