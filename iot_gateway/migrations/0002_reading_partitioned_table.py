"""Raw telemetry: one table partitioned by day on `ts` (native declarative partitioning).

The primary key (device, metric, ts) makes a replayed reading a no-op (ON CONFLICT DO
NOTHING) and serves the series query; BRIN on ts keeps time scans cheap at almost no
write cost. Partitions are created ahead and dropped after the retention period by
`iot_gateway.services.partitions` (see docs/adr/0008-telemetry-scaling.md). There are no
foreign keys: they would cost every COPY a lookup, and devices are never deleted.
"""

from django.db import migrations

CREATE = """
CREATE TABLE iot_gateway_reading (
    device_id bigint NOT NULL,
    metric_id integer NOT NULL,
    ts timestamptz NOT NULL,
    value double precision NOT NULL,
    PRIMARY KEY (device_id, metric_id, ts)
) PARTITION BY RANGE (ts);
CREATE INDEX iot_gateway_reading_ts_brin ON iot_gateway_reading USING brin (ts);
"""

DROP = "DROP TABLE IF EXISTS iot_gateway_reading CASCADE;"

METRICS = [
    ("temperature", "Temperature", "°C"),
    ("vibration", "Vibration", "mm/s"),
    ("pressure", "Pressure", "bar"),
    ("current", "Motor current", "A"),
    ("rpm", "Spindle speed", "rpm"),
    ("humidity", "Humidity", "%"),
    ("power", "Power", "kW"),
    ("error_code", "Error code", ""),
]


def add_metrics(apps, schema_editor):
    Metric = apps.get_model("iot_gateway", "Metric")
    for name, label, unit in METRICS:
        Metric.objects.get_or_create(name=name, defaults={"label": label, "unit": unit})


class Migration(migrations.Migration):
    dependencies = [("iot_gateway", "0001_devices_alarms_leads")]

    operations = [
        migrations.RunSQL(CREATE, DROP),
        migrations.RunPython(add_metrics, migrations.RunPython.noop),
    ]
