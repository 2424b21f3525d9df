"""The standard metrics every device may report. A data migration adds them once; the demo
(and tests that flush the database) ensure them again through `metrics_ensure_standard`."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from iot_gateway.models import Metric

# name, label (translated when shown: Metric.display_label), unit
STANDARD_METRICS = [
    ("temperature", gettext_noop("Temperature"), "°C"),
    ("vibration", gettext_noop("Vibration"), "mm/s"),
    ("pressure", gettext_noop("Pressure"), "bar"),
    ("current", gettext_noop("Motor current"), "A"),
    ("rpm", gettext_noop("Spindle speed"), "rpm"),
    ("humidity", gettext_noop("Humidity"), "%"),
    ("power", gettext_noop("Power"), "kW"),
    ("error_code", gettext_noop("Error code"), ""),
]


def metrics_ensure_standard() -> int:
    """Create the standard metrics that are missing; returns how many were created."""
    created = 0
    for name, label, unit in STANDARD_METRICS:
        created += Metric.objects.get_or_create(name=name, defaults={"label": label, "unit": unit})[
            1
        ]
    return created
