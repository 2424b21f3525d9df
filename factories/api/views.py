"""Factories API: public profiles and capacity search; a factory's own profile, calendar
and audit. Every view parses input, resolves tenant-scoped objects, calls one service."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS, AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Category
from catalog.selectors import category_by_slug
from factories import selectors, services
from factories.api.serializers import (
    CertificationOutputSerializer,
    EquipmentOutputSerializer,
    FactoryDetailOutputSerializer,
    FactoryOutputSerializer,
    LineOutputSerializer,
    PhotoOutputSerializer,
)
from factories.models import (
    AuditEvidence,
    AuditSubmission,
    Certification,
    Equipment,
    FactoryPhoto,
    ProductionLine,
)
from marketplace.api.base import OrganizationAPIView
from marketplace.api.errors import ConflictError
from marketplace.api.parsers import BoundedJSONParser
from marketplace.models import Membership, Organization

FACTORY = (Organization.Kind.FACTORY,)
MAX_CELLS_PER_REQUEST = 1000


class FactoryAPIView(OrganizationAPIView):
    """A factory's own data: any member reads, owners and admins write."""

    allowed_organization_kinds = FACTORY
    write_roles = Membership.MANAGING_ROLES

    def check_permissions(self, request):
        super().check_permissions(request)
        if request.method not in SAFE_METHODS and self.membership.role not in self.write_roles:
            raise exceptions.PermissionDenied(_("Only an owner or admin can change this."))


def _bad_request(errors: dict) -> exceptions.ValidationError:
    return exceptions.ValidationError(errors)


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
                raise _bad_request({"category": [_("Unknown category.")]})
        # Public: audited factories only (unaudited claims are not published).
        return selectors.factory_public_list(
            category=category, region=params.get("region", ""), verified=True
        )


class FactoryDetailApi(APIView):
    permission_classes = (AllowAny,)

    @extend_schema(responses={200: FactoryDetailOutputSerializer})
    def get(self, request, pk: int):
        profile = selectors.factory_public_get(pk=pk)
        if profile is None or not profile.organization.verified:
            raise exceptions.NotFound(_("Not found."))
        profile.showcase = selectors.factory_showcase(profile=profile)
        data = FactoryDetailOutputSerializer(profile, context={"request": request}).data
        return Response(data)


class SearchResultSerializer(serializers.Serializer):
    """One search result (the shape `_search_result_body` builds)."""

    factory = inline_serializer(
        "SearchFactory",
        {
            "id": serializers.IntegerField(),
            "slug": serializers.CharField(),
            "name": serializers.CharField(),
            "verified": serializers.BooleanField(),
            "region": serializers.CharField(),
            "city": serializers.CharField(),
            "min_order_quantity": serializers.IntegerField(),
            "standard_lead_days": serializers.IntegerField(),
            "free_sampling": serializers.BooleanField(),
            "price_level": serializers.IntegerField(),
            "on_time_rate": serializers.FloatField(allow_null=True),
            "rating": serializers.FloatField(allow_null=True),
            "url": serializers.CharField(),
        },
    )
    available_units = serializers.IntegerField()
    earliest_completion = serializers.DateField()
    score = serializers.FloatField()
    free_capacity = inline_serializer(
        "SearchFreeCapacity",
        {
            "start": serializers.DateField(help_text="the first day (today)"),
            "units": serializers.ListField(
                child=serializers.IntegerField(),
                help_text="free units per day for 30 days from start (0 = none or closed)",
            ),
        },
    )


class FactorySearchApi(APIView):
    permission_classes = (AllowAny,)

    class InputSerializer(serializers.Serializer):
        category = serializers.SlugField()
        quantity = serializers.IntegerField(min_value=1, max_value=10_000_000)
        ready_by = serializers.DateField()
        region = serializers.CharField(required=False, allow_blank=True, max_length=80)
        certification = serializers.CharField(required=False, allow_blank=True, max_length=120)
        free_sampling = serializers.BooleanField(required=False, allow_null=True, default=None)
        limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=50)

        def validate_category(self, slug: str) -> Category:
            category = category_by_slug(slug=slug)
            if category is None:
                raise serializers.ValidationError(_("Unknown category."))
            return category

        def validate_ready_by(self, ready_by: datetime.date) -> datetime.date:
            if ready_by <= timezone.localdate():
                raise serializers.ValidationError(_("Choose a date after today."))
            return ready_by

    OutputSerializer = SearchResultSerializer

    class PageSerializer(serializers.Serializer):
        """Ranked results, best first, at most `limit`: one page, `next` is always null."""

        count = serializers.IntegerField()
        next = serializers.CharField(allow_null=True)
        previous = serializers.CharField(allow_null=True)
        results = SearchResultSerializer(many=True)

    @extend_schema(parameters=[InputSerializer], responses={200: PageSerializer})
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        query = dict(params.validated_data)
        results = selectors.factory_search(**query)
        # Built as plain dicts: 50 results x 30 days through nested serializers costs more
        # than the query itself (see bench/capacity_search.py). The schema is OutputSerializer.
        body = [_search_result_body(result) for result in results]
        return Response({"count": len(body), "next": None, "previous": None, "results": body})


def _search_result_body(result: selectors.SearchResult) -> dict:
    profile, performance = result.profile, result.performance
    return {
        "factory": {
            "id": result.factory.pk,
            "slug": result.factory.slug,
            "name": result.factory.name,
            "verified": result.factory.verified,
            "region": profile.region,
            "city": profile.city,
            "min_order_quantity": profile.min_order_quantity,
            "standard_lead_days": profile.standard_lead_days,
            "free_sampling": profile.free_sampling,
            "price_level": profile.price_level,
            "on_time_rate": performance.on_time_rate if performance else None,
            "rating": performance.rating if performance else None,
            "url": f"/factories/{result.factory.pk}/",
        },
        "available_units": result.available_units,
        "earliest_completion": result.earliest_completion.isoformat(),
        "score": result.score,
        "free_capacity": {
            "start": result.series[0]["date"].isoformat() if result.series else None,
            "units": [point["free"] for point in result.series],
        },
    }


# --- a factory's calendar ----------------------------------------------------------------


class CapacityDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    category = serializers.SlugField()
    units = serializers.IntegerField(min_value=0, max_value=10_000_000)
    held = serializers.IntegerField(read_only=True)
    booked = serializers.IntegerField(read_only=True)


class CapacityApi(FactoryAPIView):
    class InputSerializer(serializers.Serializer):
        days = CapacityDaySerializer(many=True, allow_empty=False)

        def validate_days(self, days: list) -> list:
            if len(days) > MAX_CELLS_PER_REQUEST:
                raise serializers.ValidationError(
                    _("At most %(n)d days per request.") % {"n": MAX_CELLS_PER_REQUEST}
                )
            return days

    class OutputSerializer(serializers.Serializer):
        days = serializers.ListField(child=CapacityDaySerializer())

    @staticmethod
    def _body(cells) -> dict:
        return {
            "days": [
                {
                    "date": cell.date.isoformat(),
                    "category": cell.category.slug,
                    "units": cell.units,
                    "held": cell.held,
                    "booked": cell.booked,
                }
                for cell in cells
            ]
        }

    @extend_schema(
        parameters=[
            OpenApiParameter("start", datetime.date),
            OpenApiParameter("end", datetime.date),
            OpenApiParameter("category", str),
        ],
        responses={200: OutputSerializer},
    )
    def get(self, request):
        """The caller factory's calendar over the 30-day window (not paginated: bounded)."""
        params = request.query_params
        errors, bounds = {}, {}
        for name in ("start", "end"):
            if params.get(name):
                try:
                    bounds[name] = datetime.date.fromisoformat(params[name])
                except ValueError:
                    errors[name] = [_("Use YYYY-MM-DD.")]
        category = None
        if params.get("category"):
            category = category_by_slug(slug=params["category"])
            if category is None:
                errors["category"] = [_("Unknown category.")]
        if errors:
            raise _bad_request(errors)
        cells = selectors.capacity_calendar(
            organization=self.organization, category=category, **bounds
        )
        return Response(self._body(cells))

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def put(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rows = data.validated_data["days"]
        slugs = {row["category"] for row in rows}
        categories = dict(Category.objects.filter(slug__in=slugs).values_list("slug", "pk"))
        unknown = {
            index: {"category": [_("Unknown category.")]}
            for index, row in enumerate(rows)
            if row["category"] not in categories
        }
        if unknown:  # keyed by the row's index, like DRF's own errors for list items
            raise _bad_request({"days": unknown})
        cells = [
            services.CapacityCell(
                date=row["date"], category_id=categories[row["category"]], units=row["units"]
            )
            for row in rows
        ]
        try:
            written = services.capacity_cells_set(organization=self.organization, cells=cells)
        except services.CapacityEditError as error:
            raise _bad_request({"days": error.errors}) from error
        return Response(self._body(sorted(written, key=lambda c: (c.date, c.category.slug))))


class CapacityUploadApi(FactoryAPIView):
    parser_classes = (MultiPartParser, FormParser)

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(help_text="CSV rows: date,category,units")

    @extend_schema(request=InputSerializer, responses={200: CapacityApi.OutputSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        if upload.size > 1024 * 1024:
            raise _bad_request({"file": [_("The file is larger than 1 MB.")]})
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise _bad_request({"file": [_("Save the file as UTF-8 CSV.")]}) from error
        cells = services.capacity_csv_parse(organization=self.organization, text=text)
        try:
            written = services.capacity_cells_set(organization=self.organization, cells=cells)
        except services.CapacityEditError as error:
            raise _bad_request({"file": error.messages(cells)}) from error
        return Response(CapacityApi._body(sorted(written, key=lambda c: (c.date, c.category_id))))


class ReservationListApi(FactoryAPIView, ListAPIView):
    """Who holds or booked which of the caller factory's days, and how."""

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField(source="pk")
        reference = serializers.CharField()
        category = serializers.CharField(source="category.slug")
        status = serializers.CharField()
        quantity = serializers.IntegerField()
        expires_at = serializers.DateTimeField(allow_null=True)
        created_at = serializers.DateTimeField()
        days = inline_serializer(
            "ReservationDayOut",
            {"date": serializers.DateField(), "units": serializers.IntegerField()},
            many=True,
        )

    serializer_class = OutputSerializer

    def get_queryset(self):
        return selectors.reservations_for_factory(organization=self.organization)


# --- a factory's own profile -------------------------------------------------------------


class OwnProfileApi(FactoryAPIView):
    class InputSerializer(serializers.Serializer):
        description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
        country = serializers.CharField(required=False, max_length=60)
        region = serializers.CharField(required=False, allow_blank=True, max_length=80)
        city = serializers.CharField(required=False, allow_blank=True, max_length=80)
        address = serializers.CharField(required=False, allow_blank=True, max_length=255)
        established_year = serializers.IntegerField(
            required=False, allow_null=True, min_value=1800, max_value=2100
        )
        workers_count = serializers.IntegerField(required=False, min_value=0)
        floor_area_m2 = serializers.IntegerField(required=False, min_value=0)
        processes = serializers.ListField(
            child=serializers.CharField(max_length=120), required=False, max_length=50
        )
        technology = serializers.CharField(required=False, allow_blank=True, max_length=5000)
        quality_control = serializers.CharField(required=False, allow_blank=True, max_length=5000)
        capabilities = serializers.ListField(
            child=serializers.SlugField(), required=False, max_length=50
        )
        min_order_quantity = serializers.IntegerField(required=False, min_value=1)
        standard_lead_days = serializers.IntegerField(required=False, min_value=1, max_value=120)
        free_sampling = serializers.BooleanField(required=False)
        price_level = serializers.IntegerField(required=False, min_value=1, max_value=5)
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
        profile = selectors.factory_profile_for(organization=self.organization)
        return FactoryOutputSerializer(profile).data

    @extend_schema(responses={200: FactoryOutputSerializer})
    def get(self, request):
        services.factory_profile_ensure(organization=self.organization)
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
        body = PhotoOutputSerializer(photos, many=True, context={"request": request}).data
        return Response({"count": len(body), "next": None, "previous": None, "results": body})

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
    daily_output = serializers.IntegerField(min_value=1, max_value=10_000_000)
    workers = serializers.IntegerField(required=False, min_value=0, default=0)
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
    quantity = serializers.IntegerField(required=False, min_value=1, default=1)
    year = serializers.IntegerField(required=False, allow_null=True, min_value=1950)


class CertificationInputSerializer(_ItemInput):
    name = serializers.CharField(max_length=120)
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
            body = output_class(items, many=True).data
            return Response({"count": len(body), "next": None, "previous": None, "results": body})

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


# --- audit -------------------------------------------------------------------------------


class AuditListApi(FactoryAPIView):
    parser_classes = (MultiPartParser, FormParser, BoundedJSONParser)

    class InputSerializer(serializers.Serializer):
        legal_name = serializers.CharField(max_length=200)
        business_registration_number = serializers.CharField(max_length=60)
        note = serializers.CharField(required=False, allow_blank=True, max_length=5000)
        business_registration = serializers.FileField()
        certificates = serializers.ListField(child=serializers.FileField(), required=False)
        photos = serializers.ListField(child=serializers.FileField(), required=False)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField(source="pk")
        status = serializers.CharField()
        legal_name = serializers.CharField()
        business_registration_number = serializers.CharField()
        submitted_at = serializers.DateTimeField()
        reviewed_at = serializers.DateTimeField(allow_null=True)
        decision_reason = serializers.CharField()
        evidence = inline_serializer(
            "AuditEvidenceOut",
            {"kind": serializers.CharField(), "description": serializers.CharField()},
            many=True,
        )

    @extend_schema(responses={200: OutputSerializer(many=True)})
    def get(self, request):
        history = selectors.audit_history(organization=self.organization)
        body = self.OutputSerializer(history, many=True).data
        return Response({"count": len(body), "next": None, "previous": None, "results": body})

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request):
        payload = request.data.copy() if hasattr(request.data, "getlist") else request.data
        if hasattr(request.data, "getlist"):
            payload.setlist("certificates", request.FILES.getlist("certificates"))
            payload.setlist("photos", request.FILES.getlist("photos"))
        data = self.InputSerializer(data=payload)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        evidence = [
            services.EvidenceInput(
                kind=AuditEvidence.Kind.BUSINESS_REGISTRATION, file=values["business_registration"]
            )
        ]
        evidence += [
            services.EvidenceInput(kind=AuditEvidence.Kind.CERTIFICATE, file=upload)
            for upload in values.get("certificates", [])
        ]
        evidence += [
            services.EvidenceInput(kind=AuditEvidence.Kind.PHOTO, file=upload)
            for upload in values.get("photos", [])
        ]
        try:
            submission = services.audit_submit(
                organization=self.organization,
                acting_user=request.user,
                legal_name=values["legal_name"],
                business_registration_number=values["business_registration_number"],
                note=values.get("note", ""),
                evidence=evidence,
            )
        except services.AuditStateError as error:
            raise ConflictError(str(error)) from error
        except DjangoValidationError:
            raise
        submission = AuditSubmission.objects.prefetch_related("evidence").get(pk=submission.pk)
        return Response(self.OutputSerializer(submission).data, status=status.HTTP_201_CREATED)
