"""Serializers every app's API shares (one OpenAPI component each, not one per app)."""

from rest_framework import serializers


class OrganizationRefSerializer(serializers.Serializer):
    """Another organization as a party shows it: id, slug and name."""

    id = serializers.IntegerField(source="pk")
    slug = serializers.SlugField()
    name = serializers.CharField()
