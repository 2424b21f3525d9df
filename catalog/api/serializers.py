"""Output shapes of the catalog API (shared/API.md: Catalog)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from catalog.models import Product
from catalog.selectors import product_price_table
from marketplace.api.serializers import MoneyField


class ProductImageOutputSerializer(serializers.Serializer):
    url = serializers.ImageField(source="image", use_url=True)
    thumbnail_url = serializers.ImageField(source="thumbnail", use_url=True)
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    alt_text = serializers.CharField()


class PriceRowSerializer(serializers.Serializer):
    min_quantity = serializers.IntegerField()
    unit_price = MoneyField()


class SpecificationSerializer(serializers.Serializer):
    name = serializers.CharField()
    value = serializers.CharField()


class ProductOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    slug = serializers.CharField()
    name = serializers.CharField()
    name_zh = serializers.CharField()
    summary = serializers.CharField()
    category = serializers.CharField(source="category.slug")
    factory = serializers.SerializerMethodField()
    base_price = MoneyField()
    min_order_quantity = serializers.IntegerField()
    customizable = serializers.BooleanField(source="is_customizable")
    price_tiers = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    def get_factory(self, product: Product) -> dict | None:
        if product.factory is None:
            return None
        return {
            "id": product.factory.pk,
            "slug": product.factory.slug,
            "name": product.factory.name,
        }

    def get_price_tiers(self, product: Product) -> Any:
        return PriceRowSerializer(product_price_table(product=product), many=True).data

    def get_thumbnail_url(self, product: Product) -> str | None:
        images = list(product.images.all())
        if not images:
            return None
        request = self.context.get("request")
        url = images[0].thumbnail.url
        return request.build_absolute_uri(url) if request else url


class ProductDetailOutputSerializer(ProductOutputSerializer):
    description = serializers.CharField()
    specifications = SpecificationSerializer(many=True)
    images = ProductImageOutputSerializer(many=True)


class SolutionItemOutputSerializer(serializers.Serializer):
    role = serializers.CharField()
    quantity = serializers.IntegerField()
    note = serializers.CharField()
    product = serializers.SerializerMethodField()

    def get_product(self, item) -> dict:
        return {
            "id": item.product.pk,
            "name": item.product.name,
            "category": item.product.category.slug,
            "base_price": item.product.base_price.as_wire(),
        }


class SolutionOutputSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    name_zh = serializers.CharField()
    application_area = serializers.CharField()
    description = serializers.CharField()
    configuration = SpecificationSerializer(many=True)
    items = SolutionItemOutputSerializer(many=True)
