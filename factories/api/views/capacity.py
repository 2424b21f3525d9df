"""A factory's own 30-day capacity calendar: read, replace cells, upload a CSV."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from catalog.models import Category
from catalog.selectors import category_by_slug
from factories import selectors, services
from factories.api.views.base import FactoryAPIView
from factories.services.calendar import CSV_MAX_BYTES
from marketplace import limits

MAX_CELLS_PER_REQUEST = 1000


class CapacityDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    category = serializers.SlugField()
    units = serializers.IntegerField(**limits.DAILY_UNITS.field)
    held = serializers.IntegerField(read_only=True)
    booked = serializers.IntegerField(read_only=True)


class CapacityApi(FactoryAPIView):
    error_fields = {"cells": "days"}  # the service's cells are the body's days, one for one

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
            raise exceptions.ValidationError(errors)
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
            raise exceptions.ValidationError({"days": unknown})
        cells = [
            services.CapacityCell(
                date=row["date"], category_id=categories[row["category"]], units=row["units"]
            )
            for row in rows
        ]
        written = services.capacity_cells_set(organization=self.organization, cells=cells)
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
        if upload.size > CSV_MAX_BYTES:  # refused before reading it into memory
            raise exceptions.ValidationError({"file": [_("The file is larger than 1 MB.")]})
        written = services.capacity_csv_import(
            organization=self.organization, content=upload.read()
        )
        return Response(CapacityApi._body(sorted(written, key=lambda c: (c.date, c.category_id))))
