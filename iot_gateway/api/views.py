"""Equipment API (shared/API.md "Equipment"). Each view parses input, resolves scoped
objects (404 when not the caller's), calls one service and renders the result."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Category
from iot_gateway import selectors, services
from iot_gateway.api.authentication import DevicePrincipal, DeviceTokenAuthentication
from iot_gateway.api.ratelimit import telemetry_budget_take
from iot_gateway.api.serializers import (
    AlarmOutputSerializer,
    CredentialOutputSerializer,
    DeviceOutputSerializer,
    LeadOutputSerializer,
    LeadQuoteOutputSerializer,
)
from marketplace import limits
from marketplace.api.base import OrganizationAPIView
from marketplace.api.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from marketplace.api.parsers import json_body_parse
from marketplace.api.serializers import MoneyField, query_validated
from marketplace.models import Membership, Organization

MANAGERS = Membership.MANAGING_ROLES


class DeviceListCreateApi(OrganizationAPIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=120)
        serial_number = serializers.CharField(max_length=80)
        model = serializers.CharField(max_length=120)
        supplier = serializers.SlugRelatedField(
            slug_field="slug", queryset=Organization.objects.filter(kind=Organization.Kind.FACTORY)
        )
        installed_on = serializers.DateField()
        region = serializers.CharField(max_length=80)
        location = serializers.CharField(
            max_length=200, required=False, allow_blank=True, default=""
        )
        category = serializers.SlugRelatedField(slug_field="slug", queryset=Category.objects.all())
        product_reference = serializers.CharField(
            max_length=80, required=False, allow_blank=True, default=""
        )
        require_signature = serializers.BooleanField(required=False, default=False)

    @extend_schema(responses={200: DeviceOutputSerializer(many=True)})
    def get(self, request):
        page = self.paginate_queryset(selectors.device_list(organization=self.organization))
        return self.get_paginated_response(DeviceOutputSerializer(page, many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: inline_serializer(
                "DeviceRegistered",
                {"device": DeviceOutputSerializer(), "credential": CredentialOutputSerializer()},
            )
        },
    )
    def post(self, request):
        if self.membership.role not in MANAGERS:
            self.permission_denied(request, _("Only an owner or admin can register devices."))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        device, issued = services.device_register(
            organization=self.organization, acting_user=request.user, **data.validated_data
        )
        body = {
            "device": DeviceOutputSerializer(device).data,
            "credential": CredentialOutputSerializer(issued).data,
        }
        return Response(body, status=status.HTTP_201_CREATED)


class DeviceDetailApi(OrganizationAPIView):
    @extend_schema(responses={200: DeviceOutputSerializer})
    def get(self, request, pk: int):
        device = selectors.device_get(organization=self.organization, pk=pk)
        return Response(DeviceOutputSerializer(device).data)


class DeviceTokenRotateApi(OrganizationAPIView):
    required_roles = MANAGERS

    @extend_schema(request=None, responses={201: CredentialOutputSerializer})
    def post(self, request, pk: int):
        device = selectors.device_get(organization=self.organization, pk=pk)
        issued = services.device_token_rotate(device=device, acting_user=request.user)
        return Response(CredentialOutputSerializer(issued).data, status=status.HTTP_201_CREATED)


class DeviceRevokeApi(OrganizationAPIView):
    required_roles = MANAGERS

    @extend_schema(request=None, responses={200: DeviceOutputSerializer})
    def post(self, request, pk: int):
        device = selectors.device_get(organization=self.organization, pk=pk)
        services.device_revoke(device=device, acting_user=request.user)
        return Response(
            DeviceOutputSerializer(selectors.device_get(organization=self.organization, pk=pk)).data
        )


class IsDevice(BasePermission):
    def has_permission(self, request, view) -> bool:
        if not isinstance(request.user, DevicePrincipal):
            raise NotAuthenticated(_("Send the device token: Authorization: Device <token>."))
        return True


class TelemetryApi(APIView):
    """Up to 5,000 readings of the calling device; all stored or none.

    The busiest endpoint, so a JSON POST skips DRF's request wrapping, content negotiation
    and rendering (they cost more CPU than storing a batch of 100): `dispatch` runs the
    same authentication class, the same bounded JSON parser and the same service, and
    hands every failure to DRF's own exception handling, so errors keep the API's format
    and the schema below stays DRF's. Other methods and content types go through DRF.
    """

    authentication_classes = [DeviceTokenAuthentication]
    permission_classes = [IsDevice]
    throttle_classes: list = []

    def dispatch(self, request, *args, **kwargs):
        if request.method != "POST" or request.content_type != "application/json":
            return super().dispatch(request, *args, **kwargs)
        try:
            accepted = self._lean_post(request)
        except Exception as exc:
            return self._refuse(request, exc, *args, **kwargs)
        response = HttpResponse(accepted, status=status.HTTP_202_ACCEPTED)
        response["Content-Type"] = "application/json"
        return response

    def _lean_post(self, request) -> bytes:
        authenticated = DeviceTokenAuthentication().authenticate(request)
        if authenticated is None:
            raise NotAuthenticated(_("Send the device token: Authorization: Device <token>."))
        body: Any = {}  # what DRF makes of an empty body
        if request.META.get("CONTENT_LENGTH", "0") not in ("", "0"):
            body = json_body_parse(request.read, request.encoding or settings.DEFAULT_CHARSET)
        result = self._ingest(request, authenticated[0], body)
        return json.dumps(result, separators=(",", ":")).encode()

    def _refuse(self, request, exc: Exception, *args, **kwargs):
        """The answer DRF gives to `exc` (raised by the lean path) on this view."""
        self.args, self.kwargs = args, kwargs
        self.request = self.initialize_request(request, *args, **kwargs)
        self.headers = self.default_response_headers
        self.response = self.finalize_response(
            self.request, self.handle_exception(exc), *args, **kwargs
        )
        return self.response

    @extend_schema(
        request=inline_serializer(
            "TelemetryBatch",
            {
                "device": serializers.CharField(
                    required=False, max_length=80, help_text="Serial number (optional check)"
                ),
                "readings": serializers.ListField(
                    child=inline_serializer(
                        "Reading",
                        {
                            "metric": serializers.CharField(max_length=40),
                            "ts": serializers.DateTimeField(),
                            "value": serializers.FloatField(),
                        },
                    )
                ),
            },
        ),
        responses={
            202: inline_serializer(
                "TelemetryAccepted",
                {"accepted": serializers.IntegerField(), "stored": serializers.IntegerField()},
            )
        },
    )
    def post(self, request):
        return Response(
            self._ingest(request, request.user, request.data), status=status.HTTP_202_ACCEPTED
        )

    def _ingest(self, request, principal: DevicePrincipal, body) -> dict[str, int]:
        try:
            return self._ingest_as(principal, body)
        except services.CredentialRefusedError:
            fresh = DeviceTokenAuthentication().reauthenticate(request, principal)
        try:
            return self._ingest_as(fresh, body)
        except services.CredentialRefusedError:
            raise AuthenticationFailed(_("Invalid or revoked device token.")) from None

    def _ingest_as(self, principal: DevicePrincipal, body) -> dict[str, int]:
        device = principal.device
        if not isinstance(body, dict):
            raise ValidationError({"readings": [_("Send an object with a list of readings.")]})
        claimed = body.get("device")
        if claimed is not None and claimed != device.serial_number:
            # A token may write only its own device's telemetry.
            raise AuthenticationFailed(_("This token does not belong to that device."))
        readings = body.get("readings")
        count = len(readings) if isinstance(readings, list) else 0
        telemetry_budget_take(
            device_pk=device.pk, organization_pk=device.organization_id, readings=count
        )
        result = services.telemetry_ingest(
            device=device,
            readings=readings,
            credential=principal.credential.pk,
            signed=principal.signed,
        )
        return {"accepted": result.accepted, "stored": result.stored}


class DeviceTelemetryApi(OrganizationAPIView):
    class QuerySerializer(serializers.Serializer):
        metric = serializers.CharField(max_length=40)
        since = serializers.DateTimeField(required=False)
        until = serializers.DateTimeField(required=False)
        bucket = serializers.ChoiceField(
            choices=list(selectors.BUCKETS), required=False, default="raw"
        )

        def validate(self, attrs):
            until = attrs.get("until") or timezone.now()
            since = attrs.get("since") or until - datetime.timedelta(hours=24)
            if since >= until:
                raise serializers.ValidationError({"since": [_("since must be before until.")]})
            if attrs["bucket"] in ("raw", "minute") and until - since > datetime.timedelta(days=7):
                raise serializers.ValidationError(
                    {
                        "bucket": [
                            _("Raw and per-minute series cover at most 7 days; use hour or day.")
                        ]
                    }
                )
            metric = selectors.metric_by_name(attrs["metric"])
            if metric is None:
                raise serializers.ValidationError({"metric": [_("Unknown metric.")]})
            return {**attrs, "since": since, "until": until, "metric": metric}

    @extend_schema(
        parameters=[
            OpenApiParameter("metric", str, required=True),
            OpenApiParameter("since", datetime.datetime),
            OpenApiParameter("until", datetime.datetime),
            OpenApiParameter("bucket", str, enum=list(selectors.BUCKETS)),
        ],
        responses={
            200: inline_serializer(
                "TelemetrySeries",
                {
                    "metric": serializers.CharField(),
                    "bucket": serializers.CharField(),
                    "points": serializers.ListField(child=serializers.DictField()),
                },
            )
        },
    )
    def get(self, request, pk: int):
        device = selectors.device_get(organization=self.organization, pk=pk)
        params = query_validated(self.QuerySerializer, request.query_params)
        points = selectors.telemetry_series(
            device=device,
            metric=params["metric"],
            since=params["since"],
            until=params["until"],
            bucket=params["bucket"],
        )
        return Response(
            {"metric": params["metric"].name, "bucket": params["bucket"], "points": points}
        )


class AlarmListApi(OrganizationAPIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=["open", "active", "acknowledged", "cleared"])
        ],
        responses={200: AlarmOutputSerializer(many=True)},
    )
    def get(self, request):
        alarms = selectors.alarm_list(
            organization=self.organization, status=request.query_params.get("status")
        )
        page = self.paginate_queryset(alarms)
        return self.get_paginated_response(AlarmOutputSerializer(page, many=True).data)


class AlarmAcknowledgeApi(OrganizationAPIView):
    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(
            max_length=limits.SHORT_NOTE, required=False, allow_blank=True, default=""
        )

    @extend_schema(request=InputSerializer, responses={200: AlarmOutputSerializer})
    def post(self, request, pk: int):
        alarm = selectors.alarm_get(organization=self.organization, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        alarm = services.alarm_acknowledge(
            alarm=alarm, acting_user=request.user, note=data.validated_data["note"]
        )
        return Response(AlarmOutputSerializer(alarm).data)


class LeadListApi(OrganizationAPIView):
    @extend_schema(responses={200: LeadOutputSerializer(many=True)})
    def get(self, request):
        page = self.paginate_queryset(selectors.lead_list(organization=self.organization))
        context = {"organization": self.organization}
        return self.get_paginated_response(
            LeadOutputSerializer(page, many=True, context=context).data
        )


class LeadDetailApi(OrganizationAPIView):
    @extend_schema(responses={200: LeadOutputSerializer})
    def get(self, request, pk: int):
        lead = selectors.lead_get(organization=self.organization, pk=pk)
        return Response(
            LeadOutputSerializer(lead, context={"organization": self.organization}).data
        )


class LeadQuoteApi(OrganizationAPIView):
    allowed_organization_kinds = (Organization.Kind.FACTORY, Organization.Kind.SERVICE_PROVIDER)

    class InputSerializer(serializers.Serializer):
        price = MoneyField(positive=True, limit=limits.LEAD_AMOUNT_LIMIT)
        days_to_service = serializers.IntegerField(**limits.DAYS_TO_SERVICE.field)
        valid_until = serializers.DateField()
        note = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=limits.LEAD_NOTE
        )

    @extend_schema(
        request=InputSerializer,
        responses={201: LeadQuoteOutputSerializer},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
    @idempotent
    def post(self, request, pk: int):
        lead = selectors.lead_get(organization=self.organization, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        quote = services.lead_quote_submit(
            lead=lead,
            organization=self.organization,
            acting_user=request.user,
            **data.validated_data,
        )
        return Response(LeadQuoteOutputSerializer(quote).data, status=status.HTTP_201_CREATED)


class LeadQuoteAcceptApi(OrganizationAPIView):
    allowed_organization_kinds = (Organization.Kind.BUYER,)
    required_roles = MANAGERS

    @extend_schema(
        request=None,
        responses={200: LeadQuoteOutputSerializer},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
    @idempotent
    def post(self, request, pk: int, quote_pk: int):
        quote = selectors.lead_quote_get(organization=self.organization, lead_pk=pk, pk=quote_pk)
        quote = services.lead_quote_accept(
            quote=quote, organization=self.organization, acting_user=request.user
        )
        return Response(LeadQuoteOutputSerializer(quote).data)
