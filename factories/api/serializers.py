"""Output shapes shared by the factories API views."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from factories.models import FactoryProfile


class PerformanceOutputSerializer(serializers.Serializer):
    on_time_rate = serializers.FloatField(allow_null=True)
    rating = serializers.FloatField(allow_null=True)
    rating_count = serializers.IntegerField()
    defect_rate = serializers.FloatField(allow_null=True)
    repeat_buyer_rate = serializers.FloatField(allow_null=True)
    median_quote_response_hours = serializers.FloatField(allow_null=True)
    bookings_count = serializers.IntegerField()
    capacity_utilisation = serializers.FloatField(allow_null=True)


EMPTY_PERFORMANCE = {
    "on_time_rate": None,
    "rating": None,
    "rating_count": 0,
    "defect_rate": None,
    "repeat_buyer_rate": None,
    "median_quote_response_hours": None,
    "bookings_count": 0,
    "capacity_utilisation": None,
}


class FactoryOutputSerializer(serializers.Serializer):
    """The public profile (shared/API.md: Factories and capacity)."""

    id = serializers.IntegerField(source="organization.pk")
    slug = serializers.CharField(source="organization.slug")
    name = serializers.CharField(source="organization.name")
    verified = serializers.BooleanField(source="organization.verified")
    audit_status = serializers.CharField()
    description = serializers.CharField()
    country = serializers.CharField()
    region = serializers.CharField()
    city = serializers.CharField()
    established_year = serializers.IntegerField(allow_null=True)
    workers_count = serializers.IntegerField()
    floor_area_m2 = serializers.IntegerField()
    processes = serializers.ListField(child=serializers.CharField(), source="process_list")
    technology = serializers.CharField()
    quality_control = serializers.CharField()
    capabilities = serializers.SerializerMethodField()
    min_order_quantity = serializers.IntegerField()
    standard_lead_days = serializers.IntegerField()
    free_sampling = serializers.BooleanField()
    price_level = serializers.IntegerField()
    calendar_stale = serializers.BooleanField()
    performance = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    def get_capabilities(self, profile: FactoryProfile) -> list[str]:
        return sorted(category.slug for category in profile.categories.all())

    def get_performance(self, profile: FactoryProfile) -> dict:
        record = getattr(profile.organization, "factory_performance", None)
        if record is None:
            return dict(EMPTY_PERFORMANCE)
        return PerformanceOutputSerializer(record).data

    def get_url(self, profile: FactoryProfile) -> str:
        return reverse("factories:showcase", kwargs={"pk": profile.organization_id})


class PhotoOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    image = serializers.ImageField()
    thumbnail = serializers.ImageField()
    caption = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class LineOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    category = serializers.CharField(source="category.slug")
    daily_output = serializers.IntegerField()
    workers = serializers.IntegerField()
    description = serializers.CharField()


class EquipmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    manufacturer = serializers.CharField()
    model_number = serializers.CharField()
    quantity = serializers.IntegerField()
    year = serializers.IntegerField(allow_null=True)


class CertificationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    scheme = serializers.CharField(help_text="a listed scheme's code, or empty")
    issuer = serializers.CharField()
    number = serializers.CharField()
    issued_on = serializers.DateField(allow_null=True)
    expires_on = serializers.DateField()
    expired = serializers.BooleanField(source="is_expired")


class CapacityPointSerializer(serializers.Serializer):
    date = serializers.DateField()
    units = serializers.IntegerField()
    held = serializers.IntegerField()
    booked = serializers.IntegerField()
    free = serializers.IntegerField()


class FactoryDetailOutputSerializer(FactoryOutputSerializer):
    photos = PhotoOutputSerializer(many=True, source="showcase.photos")
    lines = LineOutputSerializer(many=True, source="showcase.lines")
    equipment = EquipmentOutputSerializer(many=True, source="showcase.equipment")
    certifications = CertificationOutputSerializer(many=True, source="showcase.certifications")
    capacity = CapacityPointSerializer(many=True, source="showcase.capacity")
