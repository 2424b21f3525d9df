"""`query_validated` (one query serializer per class and thread) answers what a serializer
built for the request answers: the same values, the same errors."""

import pytest
from django.http import QueryDict
from rest_framework import serializers

from marketplace.api.serializers import query_validated


class Window(serializers.Serializer):
    """Fields, a field's own validation and the serializer's, as query serializers have."""

    since = serializers.DateField()
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=50)
    metric = serializers.CharField(required=False, allow_blank=True, max_length=8)

    def validate_metric(self, value: str) -> str:
        if value == "secret":
            raise serializers.ValidationError("Not a metric.")
        return value.upper()

    def validate(self, attrs: dict) -> dict:
        if attrs.get("metric") == "LATE" and attrs["limit"] > 10:
            raise serializers.ValidationError("At most ten late points.")
        return attrs


def built_for_the_request(data: QueryDict) -> tuple[dict | None, dict | None]:
    serializer = Window(data=data)
    if serializer.is_valid():
        return dict(serializer.validated_data), None
    return None, serializer.errors


def through_query_validated(data: QueryDict) -> tuple[dict | None, dict | None]:
    try:
        return dict(query_validated(Window, data)), None
    except serializers.ValidationError as error:
        return None, error.detail


@pytest.mark.parametrize(
    "query",
    [
        "since=2026-12-01",
        "since=2026-12-01&limit=7&metric=temp",
        "since=yesterday&limit=0",
        "limit=500&metric=secret",
        "since=2026-12-01&metric=late&limit=20",
        "since=2026-12-01&metric=toolongametric",
        "",
    ],
)
def test_the_same_values_and_errors_as_a_serializer_built_for_the_request(query):
    data = QueryDict(query)
    expected = built_for_the_request(data)
    assert through_query_validated(data) == expected
    assert through_query_validated(data) == expected  # the reused instance kept nothing
