"""The hot path's metric registry (name -> id) follows the metric table: a metric added or
removed is seen by the next reading, not an hour later when the shared cache expires."""

from __future__ import annotations

import pytest

from iot_gateway import metrics
from iot_gateway.models import Metric

pytestmark = pytest.mark.django_db


def test_adding_and_removing_a_metric_refreshes_the_registry():
    before = dict(metrics.metric_ids())  # loaded: kept in memory and in the shared cache
    assert "spindle_load" not in before
    added = Metric.objects.create(name="spindle_load", label="Spindle load", unit="%")
    assert metrics.metric_ids()["spindle_load"] == added.pk
    added.delete()
    assert "spindle_load" not in metrics.metric_ids()
