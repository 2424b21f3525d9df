"""Finance wire formats: money as `{"amount": "1234.50", "currency": "CNY"}`."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from finance.models import Account, Payment
from marketplace import limits
from marketplace.api.schema import money_schema
from marketplace.money import DEFAULT_CURRENCY, SUPPORTED_CURRENCIES, Money

MAX_AMOUNT = limits.AMOUNT_LIMIT


class MoneyField(serializers.Field):
    """Positive money only: zero, negative, fractional-cent and unknown-currency amounts
    are the field's 400."""

    def openapi_schema(self, direction: str) -> dict:
        return money_schema(direction, limit=MAX_AMOUNT, positive=True)

    default_error_messages = {
        "invalid": _('Send {"amount": "12.50", "currency": "CNY"}.'),
        "amount": _("Enter the amount as a decimal string."),
        "positive": _("Enter an amount above zero."),
        "places": _("Too many decimal places for the currency (no fractions of a cent)."),
        "currency": _("Unsupported currency."),
        "range": _("Enter an amount below 1,000,000,000."),
    }

    def to_representation(self, value: Money) -> dict[str, str]:
        return value.as_wire()

    def to_internal_value(self, data) -> Money:
        if not isinstance(data, dict) or "amount" not in data:
            raise serializers.ValidationError(self.error_messages["invalid"], code="invalid")
        currency = str(data.get("currency") or DEFAULT_CURRENCY).upper()
        if currency not in SUPPORTED_CURRENCIES:
            self.fail("currency")
        try:
            amount = Decimal(str(data["amount"]))
        except (InvalidOperation, ValueError):
            self.fail("amount")
        if not amount.is_finite():
            self.fail("amount")
        if amount.copy_abs() >= MAX_AMOUNT:
            self.fail("range")
        if amount <= 0:
            self.fail("positive")
        try:
            return Money.from_decimal(amount, currency)
        except ValueError:
            self.fail("places")


class PaymentOutputSerializer(serializers.ModelSerializer):
    order = serializers.IntegerField(source="order_id")
    amount = MoneyField()
    received = MoneyField()
    client_secret = serializers.SerializerMethodField()
    bank_account = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "order",
            "purpose",
            "method",
            "status",
            "amount",
            "received",
            "reference",
            "bank_account",
            "client_secret",
            "created_at",
            "received_at",
        ]

    def get_client_secret(self, payment: Payment) -> str | None:
        return payment.stripe_client_secret or None

    def get_bank_account(self, payment: Payment) -> str | None:
        from django.conf import settings

        return settings.FINANCE_BANK_ACCOUNT if payment.method == "bank_transfer" else None


class AccountOutputSerializer(serializers.ModelSerializer):
    balance = MoneyField()
    order = serializers.IntegerField(source="order_id", allow_null=True)

    class Meta:
        model = Account
        fields = ["id", "purpose", "order", "currency", "balance"]
