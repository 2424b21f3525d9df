"""Finance API (shared/API.md "Money"): payments into an order's escrow, the caller's
balances and credit line, a factory's financing request, and the Stripe webhook."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from finance import selectors
from finance.api.serializers import AccountOutputSerializer, PaymentOutputSerializer
from finance.models import FinancingAdvance, PaymentMethod, PaymentPurpose
from finance.services import financing, payments
from finance.services import stripe as stripe_services
from marketplace.api.base import OrganizationAPIView
from marketplace.api.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from marketplace.api.serializers import MoneyField
from marketplace.exceptions import InvalidError
from marketplace.models import Organization
from marketplace.money import Money
from orders import selectors as order_selectors


class OrderPaymentsApi(OrganizationAPIView):
    class InputSerializer(serializers.Serializer):
        purpose = serializers.ChoiceField(choices=PaymentPurpose.values)
        method = serializers.ChoiceField(choices=PaymentMethod.values)
        # Optional: the amount the client expects to pay; a mismatch is a 400, not a charge.
        amount = MoneyField(positive=True, required=False)

    @extend_schema(
        responses={
            200: inline_serializer("OrderPayments", {"results": PaymentOutputSerializer(many=True)})
        }
    )
    def get(self, request, pk: int):
        order = order_selectors.order_get(
            organization=self.organization, pk=pk, relations=(), parties_only=True
        )
        rows = selectors.order_payments(order_pk=order.pk)
        return Response({"results": PaymentOutputSerializer(rows, many=True).data})

    @extend_schema(
        request=InputSerializer,
        responses={201: PaymentOutputSerializer},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
    @idempotent
    def post(self, request, pk: int):
        order = order_selectors.order_get(
            organization=self.organization, pk=pk, relations=(), parties_only=True
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = payments.payment_create(
            order=order,
            organization=self.organization,
            purpose=data.validated_data["purpose"],
            method=data.validated_data["method"],
            acting_user=request.user,
            expected_amount=data.validated_data.get("amount"),
        )
        return Response(PaymentOutputSerializer(payment).data, status=status.HTTP_201_CREATED)


class BalancesApi(OrganizationAPIView):
    @extend_schema(
        responses={
            200: inline_serializer("Balances", {"results": AccountOutputSerializer(many=True)})
        }
    )
    def get(self, request):
        accounts = selectors.organization_accounts(organization=self.organization)
        return Response({"results": AccountOutputSerializer(accounts, many=True).data})


class CreditLineApi(OrganizationAPIView):
    allowed_organization_kinds = (Organization.Kind.BUYER,)

    @extend_schema(
        responses={
            200: inline_serializer(
                "CreditLine",
                {
                    "limit": MoneyField(),
                    "used": MoneyField(),
                    "available": MoneyField(),
                    "overdue": MoneyField(),
                    "blocked": serializers.BooleanField(),
                    "repayment_days": serializers.IntegerField(allow_null=True),
                },
            )
        }
    )
    def get(self, request):
        summary = selectors.credit_summary(organization=self.organization)
        if summary is None:
            zero = Money.zero()
            body = {
                "limit": zero.as_wire(),
                "used": zero.as_wire(),
                "available": zero.as_wire(),
                "overdue": zero.as_wire(),
                "blocked": False,
                "repayment_days": None,
            }
        else:
            body = {
                "limit": summary.limit.as_wire(),
                "used": summary.used.as_wire(),
                "available": summary.available.as_wire(),
                "overdue": summary.overdue.as_wire(),
                "blocked": summary.blocked,
                "repayment_days": summary.repayment_days,
            }
        return Response(body)


class OrderAdvanceApi(OrganizationAPIView):
    allowed_organization_kinds = (Organization.Kind.FACTORY,)

    class InputSerializer(serializers.Serializer):
        amount = MoneyField(positive=True)
        note = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: inline_serializer(
                "Advance",
                {
                    "id": serializers.IntegerField(),
                    "status": serializers.CharField(),
                    "amount": MoneyField(),
                },
            )
        },
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
    @idempotent
    def post(self, request, pk: int):
        order = order_selectors.order_get(
            organization=self.organization, pk=pk, relations=(), parties_only=True
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        advance: FinancingAdvance = financing.advance_request(
            order=order,
            organization=self.organization,
            amount=data.validated_data["amount"],
            acting_user=request.user,
            note=data.validated_data["note"],
        )
        body = {"id": advance.pk, "status": advance.status, "amount": advance.amount.as_wire()}
        return Response(body, status=status.HTTP_201_CREATED)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's events: 400 (and nothing applied) on a bad signature, else 200 whether the
    event was applied now or before."""
    try:
        event = stripe_services.stripe_event_parse(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except InvalidError as error:
        return JsonResponse({"errors": error.message_dict}, status=400)
    applied = stripe_services.stripe_event_apply(event=event)
    return JsonResponse({"received": True, "applied": applied})
