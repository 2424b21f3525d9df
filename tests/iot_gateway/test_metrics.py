"""The standard metrics: ensured again after a flush, labels shown in the reader's language."""

import pytest
from django.utils import translation

from iot_gateway.models import Metric
from iot_gateway.services import metrics_ensure_standard

pytestmark = pytest.mark.django_db


def test_missing_standard_metrics_are_created_once():
    metrics_ensure_standard()  # a transactional test before this one may have flushed them
    Metric.objects.filter(name__in=["temperature", "pressure"]).delete()
    assert metrics_ensure_standard() == 2
    assert metrics_ensure_standard() == 0
    assert Metric.objects.filter(name="temperature", unit="°C").exists()


def test_a_standard_label_is_shown_in_chinese():
    metrics_ensure_standard()
    metric = Metric.objects.get(name="temperature")
    with translation.override("zh-hans"):
        assert metric.display_label == "温度"
    assert metric.display_label == "Temperature"
