"""Who holds or booked a factory's days (read-only: reservations are made by orders)."""

from __future__ import annotations

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView

from factories import selectors
from factories.api.views.base import FactoryAPIView


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
