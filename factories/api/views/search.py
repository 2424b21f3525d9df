"""Capacity search: factories that can make a quantity by a date, ranked (public)."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import renderers, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from catalog.models import Category
from catalog.selectors import category_by_slug
from factories import certifications as certification_schemes
from factories import regions, selectors
from marketplace import limits
from marketplace.api.renderers import JSONRenderer, PreRendered
from marketplace.api.serializers import query_validated


class SearchResultSerializer(serializers.Serializer):
    """One search result (the shape `selectors.factory_search_page` builds)."""

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
    score_components = inline_serializer(
        "SearchScoreComponent",
        {
            "key": serializers.ChoiceField(
                choices=["fit", "price", "on_time", "rating", "response"]
            ),
            "label": serializers.CharField(help_text="in the request's language"),
            "weight": serializers.FloatField(),
            "value": serializers.FloatField(help_text="0..1"),
            "points": serializers.FloatField(
                help_text="weight x value; a result's points add up to its score"
            ),
            "estimated": serializers.BooleanField(
                help_text="no history yet: a neutral prior stands in (ADR 0002)"
            ),
            "detail": serializers.CharField(),
        },
        many=True,
    )
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
    # DRF's renderers, with a JSON renderer that sends the database's page as it is.
    renderer_classes = [
        JSONRenderer if renderer is renderers.JSONRenderer else renderer
        for renderer in api_settings.DEFAULT_RENDERER_CLASSES
    ]

    class InputSerializer(serializers.Serializer):
        category = serializers.SlugField()
        quantity = serializers.IntegerField(**limits.QUANTITY.field)
        ready_by = serializers.DateField()
        region = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=80,
            help_text="a province or city (English or Chinese, e.g. Zhejiang, Ningbo, 宁波)"
            " or other text the factory's region or city contains",
        )
        certification = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=120,
            help_text="a scheme code or name, or text a certificate's name contains"
            " (OEKO-TEX finds OEKO-TEX Standard 100)",
        )
        free_sampling = serializers.BooleanField(required=False, allow_null=True, default=None)
        with_sample = serializers.BooleanField(
            required=False,
            default=False,
            help_text="a sample is approved first: production starts after the sample days",
        )
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
        params = query_validated(self.InputSerializer, request.query_params)
        # The page is JSON PostgreSQL builds (ADR 0005): turning 50 results x 30 days and
        # their score components into dicts and JSON cost more than the queries. The schema
        # is PageSerializer; a test holds it equal to the page built in Python from
        # `factory_search`, the search the pages run.
        count, results = selectors.factory_search_page(**params)
        body = b'{"count":%d,"next":null,"previous":null,"results":%b}' % (
            count,
            results.encode(),
        )
        return Response(PreRendered(body))


class FactoryFiltersApi(APIView):
    """The lists the search filters choose from: provinces with their cities, and
    certification schemes (public)."""

    permission_classes = (AllowAny,)

    @extend_schema(
        responses={
            200: inline_serializer(
                "FactoryFilters",
                {
                    "regions": inline_serializer(
                        "FilterProvince",
                        {
                            "name": serializers.CharField(),
                            "name_zh": serializers.CharField(),
                            "cities": inline_serializer(
                                "FilterCity",
                                {
                                    "name": serializers.CharField(),
                                    "name_zh": serializers.CharField(),
                                },
                                many=True,
                            ),
                        },
                        many=True,
                    ),
                    "certifications": inline_serializer(
                        "FilterScheme",
                        {"code": serializers.CharField(), "name": serializers.CharField()},
                        many=True,
                    ),
                },
            )
        }
    )
    def get(self, request):
        return Response(
            {
                "regions": [
                    {
                        "name": province.name,
                        "name_zh": province.name_zh,
                        "cities": [
                            {"name": city.name, "name_zh": city.name_zh} for city in province.cities
                        ],
                    }
                    for province in regions.PROVINCES
                ],
                "certifications": [
                    {"code": scheme.code, "name": scheme.name}
                    for scheme in certification_schemes.SCHEMES
                ],
            }
        )
