from __future__ import annotations

from rest_framework import serializers

from iot_gateway.models import Alarm, Device, LeadQuote, ServiceLead
from iot_gateway.selectors import lead_quotes_visible
from marketplace.money import Money


class DeviceOutputSerializer(serializers.ModelSerializer):
    supplier = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    open_alarms = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Device
        fields = [
            "id", "name", "serial_number", "model", "product_reference", "category", "supplier",
            "installed_on", "region", "location", "status", "require_signature",
            "last_seen_at", "open_alarms", "created_at",
        ]  # fmt: skip


class CredentialOutputSerializer(serializers.Serializer):
    token = serializers.CharField()
    signing_secret = serializers.CharField()
    prefix = serializers.CharField(source="credential.prefix")


class AlarmOutputSerializer(serializers.ModelSerializer):
    device = serializers.PrimaryKeyRelatedField(read_only=True)
    rule = serializers.CharField(source="rule.name")
    message = serializers.CharField(
        source="display_message", help_text="In the request's language (Accept-Language)."
    )

    class Meta:
        model = Alarm
        fields = [
            "id", "device", "rule", "status", "severity", "message", "raised_at",
            "last_triggered_at", "occurrences", "last_value", "acknowledged_at", "cleared_at",
            "escalations",
        ]  # fmt: skip


class LeadQuoteOutputSerializer(serializers.ModelSerializer):
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    price = serializers.SerializerMethodField()

    class Meta:
        model = LeadQuote
        fields = [
            "id", "organization", "price", "days_to_service", "valid_until", "note", "status",
            "order", "created_at",
        ]  # fmt: skip

    def get_price(self, quote: LeadQuote) -> dict[str, str]:
        return Money(quote.price_minor, quote.currency).as_wire()


class LeadOutputSerializer(serializers.ModelSerializer):
    device = DeviceOutputSerializer(read_only=True)
    alarm = serializers.PrimaryKeyRelatedField(read_only=True)
    owner = serializers.SlugRelatedField(source="organization", slug_field="slug", read_only=True)
    routed_to = serializers.SerializerMethodField()
    quotes = serializers.SerializerMethodField()
    title = serializers.CharField(
        source="display_title", help_text="In the request's language (Accept-Language)."
    )
    evidence = serializers.JSONField(
        source="evidence_shown",
        help_text="The alarm's message (`alarm.message`) is in the request's language.",
    )

    class Meta:
        model = ServiceLead
        fields = [
            "id", "kind", "source", "title", "status", "owner", "device", "alarm",
            "predicted_failure_on", "evidence", "routed_to", "quotes", "created_at",
        ]  # fmt: skip

    def get_routed_to(self, lead: ServiceLead) -> list[dict]:
        return [
            {"organization": route.organization.slug, "role": route.role, "rank": route.rank}
            for route in lead.routes.all()
        ]

    def get_quotes(self, lead: ServiceLead) -> list[dict]:
        quotes = lead_quotes_visible(lead=lead, organization=self.context["organization"])
        return list(LeadQuoteOutputSerializer(quotes, many=True).data)
