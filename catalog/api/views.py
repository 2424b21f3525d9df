"""Catalog API: the category tree, products (search and detail) and solutions. Public
reads: the catalog is the marketplace's shop window."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.serializers import (
    ProductDetailOutputSerializer,
    ProductOutputSerializer,
    SolutionOutputSerializer,
)
from catalog.selectors import category_by_slug, category_list, product_get, product_search
from catalog.selectors import solution_list as solution_queryset
from marketplace.api.serializers import query_validated

MAX_QUERY_LENGTH = 200


class CategoryListApi(APIView):
    permission_classes = (AllowAny,)

    class OutputSerializer(serializers.Serializer):
        slug = serializers.SlugField()
        name = serializers.CharField()
        name_zh = serializers.CharField()
        parent = serializers.CharField(source="parent.slug", allow_null=True, read_only=True)

    @extend_schema(
        responses={200: inline_serializer("CategoryList", {"results": OutputSerializer(many=True)})}
    )
    def get(self, request):
        categories = category_list()
        return Response({"results": self.OutputSerializer(categories, many=True).data})


class ProductListApi(ListAPIView):
    permission_classes = (AllowAny,)
    serializer_class = ProductOutputSerializer

    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=MAX_QUERY_LENGTH,
            help_text="words in English or Chinese",
        )
        category = serializers.SlugField(
            required=False, max_length=80, help_text="category slug (with its children)"
        )
        factory = serializers.IntegerField(
            required=False, min_value=1, max_value=2**62, help_text="the publishing factory's id"
        )
        customizable = serializers.BooleanField(required=False, allow_null=True, default=None)

    # The filter serializer itself documents the parameters: its bounds are the schema's.
    @extend_schema(parameters=[FilterSerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        values = query_validated(self.FilterSerializer, self.request.query_params)
        category = None
        if values.get("category"):
            category = category_by_slug(slug=values["category"])
            if category is None:
                raise exceptions.ValidationError({"category": [_("Unknown category.")]})
        return product_search(
            query=values.get("q", ""),
            category=category,
            factory_pk=values.get("factory"),
            customizable=values.get("customizable"),
        )


class ProductDetailApi(APIView):
    permission_classes = (AllowAny,)

    @extend_schema(responses={200: ProductDetailOutputSerializer})
    def get(self, request, pk: int):
        product = product_get(pk=pk)
        if product is None:
            raise exceptions.NotFound(_("Not found."))
        return Response(ProductDetailOutputSerializer(product, context={"request": request}).data)


class SolutionListApi(ListAPIView):
    permission_classes = (AllowAny,)
    serializer_class = SolutionOutputSerializer

    def get_queryset(self):
        return solution_queryset()
