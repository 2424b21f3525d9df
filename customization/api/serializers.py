"""Shapes of the customization API (shared/API.md: Customization)."""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace.api.serializers import MoneyField, OrganizationRefSerializer
from marketplace.money import Money


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


class CampaignOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    title = serializers.CharField()
    organization = OrganizationRefSerializer()
    factory = OrganizationRefSerializer()
    design = serializers.IntegerField(source="design_id")
    product = serializers.CharField(source="design.product.product.name")
    target_quantity = serializers.IntegerField()
    cap_quantity = serializers.IntegerField(allow_null=True)
    pledged_quantity = serializers.IntegerField()
    progress_percent = serializers.IntegerField()
    deadline = serializers.DateTimeField()
    ready_by = serializers.DateField()
    unit_price = MoneyField()
    target_unit_price = MoneyField()
    status = serializers.CharField()
    outcome = serializers.CharField(source="display_outcome")
    order = serializers.IntegerField(source="order_id", allow_null=True)
    created_at = serializers.DateTimeField()


class PledgeOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    campaign = serializers.IntegerField(source="campaign_id")
    quantity = serializers.IntegerField()
    amount = MoneyField()
    refunded = MoneyField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
