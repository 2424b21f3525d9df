"""Factory profiles: the public directory and virtual factory, and a factory's own
profile with its photos, production lines, equipment and certifications."""

from __future__ import annotations

from django.db.models import Model
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Category
from catalog.selectors import category_by_slug
from factories import certifications as certification_schemes
from factories import selectors, services
from factories.api.serializers import (
    CertificationOutputSerializer,
    EquipmentOutputSerializer,
    FactoryDetailOutputSerializer,
    FactoryOutputSerializer,
    LineOutputSerializer,
    PhotoOutputSerializer,
)
from factories.api.views.base import FactoryAPIView, acting_organization
from factories.models import Certification, Equipment, FactoryPhoto, ProductionLine
from marketplace import limits

# --- public ------------------------------------------------------------------------------


class FactoryListApi(ListAPIView):
    permission_classes = (AllowAny,)
    serializer_class = FactoryOutputSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("category", str, description="category slug"),
            OpenApiParameter("region", str),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        category = None
        if params.get("category"):
            category = category_by_slug(slug=params["category"])
            if category is None:
                raise exceptions.ValidationError({"category": [_("Unknown category.")]})
        # Public: audited factories only (unaudited claims are not published).
        return selectors.factory_public_list(
            category=category, region=params.get("region", ""), verified=True
        )


class FactoryDetailApi(APIView):
    permission_classes = (AllowAny,)

    @extend_schema(responses={200: FactoryDetailOutputSerializer})
    def get(self, request, pk: int):
        profile = selectors.factory_visible_get(pk=pk, viewer=acting_organization(request))
        profile.showcase = selectors.factory_showcase(profile=profile)
        data = FactoryDetailOutputSerializer(profile, context={"request": request}).data
        return Response(data)


# --- a factory's own profile -------------------------------------------------------------


class OwnProfileApi(FactoryAPIView):
    class InputSerializer(serializers.Serializer):
        description = serializers.CharField(
            required=False, allow_blank=True, max_length=limits.PROFILE_TEXT
        )
        country = serializers.CharField(required=False, max_length=60)
        region = serializers.CharField(required=False, allow_blank=True, max_length=80)
        city = serializers.CharField(required=False, allow_blank=True, max_length=80)
        address = serializers.CharField(required=False, allow_blank=True, max_length=255)
        established_year = serializers.IntegerField(
            required=False, allow_null=True, **limits.ESTABLISHED_YEAR.field
        )
        workers_count = serializers.IntegerField(required=False, **limits.WORKERS.field)
        floor_area_m2 = serializers.IntegerField(required=False, **limits.FLOOR_AREA_M2.field)
        processes = serializers.ListField(
            child=serializers.CharField(max_length=120), required=False, max_length=50
        )
        technology = serializers.CharField(
            required=False, allow_blank=True, max_length=limits.PROFILE_TEXT
        )
        quality_control = serializers.CharField(
            required=False, allow_blank=True, max_length=limits.PROFILE_TEXT
        )
        capabilities = serializers.ListField(
            child=serializers.SlugField(), required=False, max_length=50
        )
        min_order_quantity = serializers.IntegerField(
            required=False, **limits.MIN_ORDER_QUANTITY.field
        )
        standard_lead_days = serializers.IntegerField(
            required=False, **limits.STANDARD_LEAD_DAYS.field
        )
        free_sampling = serializers.BooleanField(required=False)
        price_level = serializers.IntegerField(required=False, **limits.PRICE_LEVEL.field)
        auto_roll_calendar = serializers.BooleanField(required=False)

        def validate_capabilities(self, slugs: list[str]) -> list[Category]:
            categories = list(Category.objects.filter(slug__in=slugs))
            missing = sorted(set(slugs) - {category.slug for category in categories})
            if missing:
                raise serializers.ValidationError(
                    _("Unknown categories: %(slugs)s.") % {"slugs": ", ".join(missing)}
                )
            return categories

    def _profile_body(self):
        profile = selectors.factory_profile_get(organization=self.organization)
        return FactoryOutputSerializer(profile).data

    @extend_schema(responses={200: FactoryOutputSerializer})
    def get(self, request):
        return Response(self._profile_body())

    @extend_schema(request=InputSerializer, responses={200: FactoryOutputSerializer})
    def put(self, request):
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        categories = fields.pop("capabilities", None)
        if "processes" in fields:
            fields["processes"] = "\n".join(fields["processes"])
        services.factory_profile_update(
            organization=self.organization, categories=categories, **fields
        )
        return Response(self._profile_body())


class PhotoListApi(FactoryAPIView):
    parser_classes = (MultiPartParser, FormParser)

    class InputSerializer(serializers.Serializer):
        image = serializers.FileField()
        caption = serializers.CharField(required=False, allow_blank=True, max_length=200)

    @extend_schema(responses={200: PhotoOutputSerializer(many=True)})
    def get(self, request):
        photos = selectors.profile_items(organization=self.organization, model=FactoryPhoto)
        page = self.paginate_queryset(photos)
        body = PhotoOutputSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(body)

    @extend_schema(request=InputSerializer, responses={201: PhotoOutputSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        photo = services.factory_photo_add(
            organization=self.organization,
            upload=data.validated_data["image"],
            caption=data.validated_data.get("caption", ""),
        )
        body = PhotoOutputSerializer(photo, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class PhotoDetailApi(FactoryAPIView):
    queryset = FactoryPhoto.objects.all()

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        services.factory_photo_delete(photo=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class _ItemInput(serializers.Serializer):
    def to_fields(self) -> dict:
        return dict(self.validated_data)


class LineInputSerializer(_ItemInput):
    name = serializers.CharField(max_length=120)
    category = serializers.SlugField()
    daily_output = serializers.IntegerField(**limits.DAILY_OUTPUT.field)
    workers = serializers.IntegerField(required=False, default=0, **limits.WORKERS.field)
    description = serializers.CharField(required=False, allow_blank=True, max_length=255)

    def validate_category(self, slug: str) -> Category:
        category = category_by_slug(slug=slug)
        if category is None:
            raise serializers.ValidationError(_("Unknown category."))
        return category


class EquipmentInputSerializer(_ItemInput):
    name = serializers.CharField(max_length=120)
    manufacturer = serializers.CharField(required=False, allow_blank=True, max_length=120)
    model_number = serializers.CharField(required=False, allow_blank=True, max_length=120)
    quantity = serializers.IntegerField(
        required=False, default=1, **limits.EQUIPMENT_QUANTITY.field
    )
    year = serializers.IntegerField(required=False, allow_null=True, **limits.EQUIPMENT_YEAR.field)


class CertificationInputSerializer(_ItemInput):
    scheme = serializers.ChoiceField(
        choices=[scheme.code for scheme in certification_schemes.SCHEMES],
        required=False,
        allow_blank=True,
        help_text="a listed scheme (GET /api/v1/factories/filters/); the name defaults to it",
    )
    name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    issuer = serializers.CharField(required=False, allow_blank=True, max_length=120)
    number = serializers.CharField(required=False, allow_blank=True, max_length=120)
    issued_on = serializers.DateField(required=False, allow_null=True)
    expires_on = serializers.DateField()


PROFILE_ITEMS = {
    "lines": (ProductionLine, LineInputSerializer, LineOutputSerializer, "line"),
    "equipment": (Equipment, EquipmentInputSerializer, EquipmentOutputSerializer, "equipment"),
    "certifications": (
        Certification,
        CertificationInputSerializer,
        CertificationOutputSerializer,
        "certification",
    ),
}
SAVERS = {
    ProductionLine: services.production_line_save,
    Equipment: services.equipment_save,
    Certification: services.certification_save,
}


class _ProfileItemMixin:
    kind = "lines"

    @property
    def model(self) -> type[Model]:
        return PROFILE_ITEMS[self.kind][0]

    def _save(self, instance=None, data=None):
        model, input_class, output_class, keyword = PROFILE_ITEMS[self.kind]
        serializer = input_class(data=data)
        serializer.is_valid(raise_exception=True)
        extra = {keyword: instance} if instance is not None else {}
        saved = SAVERS[model](organization=self.organization, **extra, **serializer.to_fields())
        return output_class(saved).data


def _item_views(kind: str):
    model, input_class, output_class, _keyword = PROFILE_ITEMS[kind]

    class ItemListApi(_ProfileItemMixin, FactoryAPIView):
        @extend_schema(responses={200: output_class(many=True)})
        def get(self, request):
            items = selectors.profile_items(organization=self.organization, model=model)
            page = self.paginate_queryset(items)
            return self.get_paginated_response(output_class(page, many=True).data)

        @extend_schema(request=input_class, responses={201: output_class})
        def post(self, request):
            return Response(self._save(data=request.data), status=status.HTTP_201_CREATED)

    class ItemDetailApi(_ProfileItemMixin, FactoryAPIView):
        queryset = model.objects.all()

        @extend_schema(request=input_class, responses={200: output_class})
        def put(self, request, pk: int):
            return Response(self._save(instance=self.get_object(), data=request.data))

        @extend_schema(responses={204: None})
        def delete(self, request, pk: int):
            services.profile_item_delete(item=self.get_object())
            return Response(status=status.HTTP_204_NO_CONTENT)

    name = kind.title().replace("_", "")
    for view, suffix in ((ItemListApi, "ListApi"), (ItemDetailApi, "DetailApi")):
        view.kind = kind
        view.__name__ = view.__qualname__ = f"Profile{name}{suffix}"
    return ItemListApi, ItemDetailApi


LineListApi, LineDetailApi = _item_views("lines")
EquipmentListApi, EquipmentDetailApi = _item_views("equipment")
CertificationListApi, CertificationDetailApi = _item_views("certifications")
