"""Customization API: customizable products, pricing and designs. Every view parses
input, resolves scoped objects, calls one service and renders."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from customization import selectors, services
from customization.api.serializers import (
    CampaignOutputSerializer,
    CustomizableProductOutputSerializer,
    DesignOutputSerializer,
    JSONObjectField,
    PledgeOutputSerializer,
    PriceOutputSerializer,
)
from customization.models import Design
from customization.services.configurator import MAX_QUANTITY
from marketplace import limits
from marketplace.api.base import OrganizationAPIView
from marketplace.api.idempotency import idempotent
from marketplace.api.serializers import MoneyField
from marketplace.exceptions import InvalidError

IMAGE_PREFIX = "images."


def _product_or_404(pk: int):
    product = selectors.customizable_product_get(pk=pk)
    if product is None:
        raise exceptions.NotFound(_("Not found."))
    return product


class ConfigurationInputSerializer(serializers.Serializer):
    options = JSONObjectField(required=False, default=dict)
    measurements = JSONObjectField(required=False, default=dict)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)


def _images(request) -> dict:
    return {
        name[len(IMAGE_PREFIX) :]: upload
        for name, upload in request.FILES.items()
        if name.startswith(IMAGE_PREFIX)
    }


class CustomizableProductDetailApi(APIView):
    permission_classes = (AllowAny,)

    @extend_schema(responses={200: CustomizableProductOutputSerializer})
    def get(self, request, pk: int):
        product = _product_or_404(pk)
        return Response(CustomizableProductOutputSerializer(product).data)


class CustomizableProductPriceApi(APIView):
    """Validate and price a configuration without saving it (what the configurator shows)."""

    permission_classes = (AllowAny,)
    parser_classes = (JSONParser, MultiPartParser, FormParser)

    @extend_schema(request=ConfigurationInputSerializer, responses={200: PriceOutputSerializer})
    def post(self, request, pk: int):
        product = _product_or_404(pk)
        data = ConfigurationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        evaluation = services.design_evaluate(
            product=product, images=_images(request), **data.validated_data
        )
        share = Decimal(evaluation.tier_basis_points) / 100
        body = {
            "valid": evaluation.is_valid,
            "errors": evaluation.errors,
            "quantity": evaluation.quantity,
            "full_unit_price": evaluation.full_unit_price,
            "tier_share": f"{share.normalize():f}%",
            "unit_price": evaluation.unit_price,
            "total": evaluation.total,
            "lines": [
                {"label": label, "amount": amount} for label, amount in evaluation.price_lines
            ],
        }
        return Response(PriceOutputSerializer(body).data)


class DesignListCreateApi(OrganizationAPIView):
    queryset = Design.objects.all()
    parser_classes = (JSONParser, MultiPartParser, FormParser)

    class InputSerializer(ConfigurationInputSerializer):
        product = serializers.IntegerField(min_value=1)
        name = serializers.CharField(
            required=False, allow_blank=True, max_length=limits.DESIGN_NAME
        )

    def narrow_queryset(self, queryset):
        return (
            queryset.select_related("product")
            .prefetch_related("modules")
            .order_by("-created_at", "-pk")
        )

    @extend_schema(responses={200: DesignOutputSerializer(many=True)})
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(DesignOutputSerializer(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: DesignOutputSerializer})
    @idempotent
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        product = selectors.customizable_product_get(pk=values.pop("product"))
        if product is None:
            raise InvalidError({"product": [_("There is no customizable product with this id.")]})
        design = services.design_create(
            organization=self.organization,
            acting_user=request.user,
            product=product,
            images=_images(request),
            **values,
        )
        design = selectors.design_get(organization=self.organization, pk=design.pk)
        return Response(DesignOutputSerializer(design).data, status=status.HTTP_201_CREATED)


class DesignDetailApi(OrganizationAPIView):
    @extend_schema(responses={200: DesignOutputSerializer})
    def get(self, request, pk: int):
        design = selectors.design_get(organization=self.organization, pk=pk)
        if design is None:
            raise exceptions.NotFound(_("Not found."))
        return Response(DesignOutputSerializer(design).data)


class CampaignListCreateApi(OrganizationAPIView):
    class InputSerializer(serializers.Serializer):
        design = serializers.IntegerField(min_value=1)
        factory = serializers.IntegerField(min_value=1, required=False, allow_null=True)
        title = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=limits.CAMPAIGN_TITLE
        )
        target_quantity = serializers.IntegerField(**limits.CAMPAIGN_QUANTITY.field)
        cap_quantity = serializers.IntegerField(
            required=False, allow_null=True, default=None, **limits.CAMPAIGN_QUANTITY.field
        )
        deadline = serializers.DateTimeField()
        ready_by = serializers.DateField()
        target_unit_price = MoneyField()

    @extend_schema(responses={200: CampaignOutputSerializer(many=True)})
    def get(self, request):
        queryset = selectors.campaigns_list(status=request.query_params.get("status") or None)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(CampaignOutputSerializer(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: CampaignOutputSerializer})
    @idempotent
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        design = selectors.design_get(organization=self.organization, pk=values.pop("design"))
        if design is None:
            raise InvalidError({"design": [_("Choose one of your own saved designs.")]})
        factory_pk = values.pop("factory", None)
        factory = selectors.factory_get(pk=factory_pk) if factory_pk else None
        campaign = services.campaign_open(
            organization=self.organization,
            acting_user=request.user,
            design=design,
            factory=factory,
            **values,
        )
        campaign = selectors.campaign_get(pk=campaign.pk)
        return Response(CampaignOutputSerializer(campaign).data, status=status.HTTP_201_CREATED)


def _campaign_or_404(pk: int):
    campaign = selectors.campaign_get(pk=pk)
    if campaign is None:
        raise exceptions.NotFound(_("Not found."))
    return campaign


class CampaignDetailApi(OrganizationAPIView):
    @extend_schema(responses={200: CampaignOutputSerializer})
    def get(self, request, pk: int):
        return Response(CampaignOutputSerializer(_campaign_or_404(pk)).data)


class CampaignPledgesApi(OrganizationAPIView):
    class InputSerializer(serializers.Serializer):
        quantity = serializers.IntegerField(**limits.CAMPAIGN_QUANTITY.field)

    @extend_schema(responses={200: PledgeOutputSerializer(many=True)})
    def get(self, request, pk: int):
        campaign = _campaign_or_404(pk)
        pledges = selectors.pledges_for(organization=self.organization, campaign=campaign)
        page = self.paginate_queryset(pledges)
        return self.get_paginated_response(PledgeOutputSerializer(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: PledgeOutputSerializer})
    @idempotent
    def post(self, request, pk: int):
        campaign = _campaign_or_404(pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pledge = services.pledge_create(
            campaign=campaign,
            organization=self.organization,
            acting_user=request.user,
            quantity=data.validated_data["quantity"],
        )
        return Response(PledgeOutputSerializer(pledge).data, status=status.HTTP_201_CREATED)
