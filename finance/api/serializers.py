"""Finance wire formats: money as `{"amount": "1234.50", "currency": "CNY"}`."""

from __future__ import annotations

from rest_framework import serializers

from finance.models import Account, Payment
from marketplace.api.serializers import MoneyField


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
