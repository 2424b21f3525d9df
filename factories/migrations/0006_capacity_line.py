"""The free-capacity read model (docs/adr/0005): the table, the merit function and the
triggers that keep each line's search terms equal to its factory's, then a backfill from
the calendar."""

import django.contrib.postgres.fields
import django.db.models.deletion
import datetime

from django.db import migrations, models
from django.utils import timezone

# The search-independent part of the ADR 0002 score: price, on-time rate, rating and quote
# response, with the same weights and priors as factories.selectors (a test compares them).
MERIT_FUNCTION = """
CREATE OR REPLACE FUNCTION factories_capacity_merit(
    price_level integer, on_time_rate double precision, rating double precision,
    response_hours double precision
) RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 0.10::float8 * ((5.0::float8 - price_level) / 4.0::float8)
         + 0.25::float8 * COALESCE(on_time_rate, 0.7::float8)
         + 0.15::float8 * (COALESCE(rating, 3.0::float8) / 5.0::float8)
         + 0.15::float8 * (1.0::float8 / (1.0::float8
               + GREATEST(COALESCE(response_hours, 24.0::float8), 0.0::float8) / 24.0::float8))
$$;
"""

# Locks the profile, then the factory's lines in (category) order, the same order the
# calendar writers use, then copies the terms onto every line of the factory.
TERMS_SYNC_FUNCTION = """
CREATE OR REPLACE FUNCTION factories_capacity_line_terms_sync(factory bigint)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    terms record;
BEGIN
    PERFORM 1 FROM factories_factoryprofile WHERE organization_id = factory FOR UPDATE;
    PERFORM 1 FROM factories_capacityline WHERE organization_id = factory
        ORDER BY category_id FOR UPDATE;
    SELECT (o.verified AND o.kind = 'factory') AS verified,
           p.min_order_quantity, p.standard_lead_days, p.free_sampling, p.region,
           factories_capacity_merit(p.price_level, f.on_time_rate, f.rating,
                                    f.median_quote_response_hours) AS merit
    INTO terms
    FROM marketplace_organization o
    JOIN factories_factoryprofile p ON p.organization_id = o.id
    LEFT JOIN factories_factoryperformance f ON f.organization_id = o.id
    WHERE o.id = factory;
    IF NOT FOUND THEN
        UPDATE factories_capacityline SET verified = false
        WHERE organization_id = factory AND verified;
        RETURN;
    END IF;
    UPDATE factories_capacityline
    SET verified = terms.verified, min_order_quantity = terms.min_order_quantity,
        standard_lead_days = terms.standard_lead_days, free_sampling = terms.free_sampling,
        region = terms.region, merit = terms.merit
    WHERE organization_id = factory
      AND (verified, min_order_quantity, standard_lead_days, free_sampling, region, merit)
          IS DISTINCT FROM (terms.verified, terms.min_order_quantity,
                            terms.standard_lead_days, terms.free_sampling, terms.region,
                            terms.merit);
END
$$;

CREATE OR REPLACE FUNCTION factories_capacity_line_terms_trigger()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'marketplace_organization' THEN
        PERFORM factories_capacity_line_terms_sync(NEW.id);
    ELSE
        PERFORM factories_capacity_line_terms_sync(NEW.organization_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER factories_capacity_line_terms_organization
AFTER UPDATE OF verified, kind ON marketplace_organization
FOR EACH ROW
WHEN (OLD.verified IS DISTINCT FROM NEW.verified OR OLD.kind IS DISTINCT FROM NEW.kind)
EXECUTE FUNCTION factories_capacity_line_terms_trigger();

CREATE TRIGGER factories_capacity_line_terms_profile
AFTER UPDATE ON factories_factoryprofile
FOR EACH ROW
WHEN ((OLD.min_order_quantity, OLD.standard_lead_days, OLD.free_sampling, OLD.region,
       OLD.price_level, OLD.organization_id)
      IS DISTINCT FROM
      (NEW.min_order_quantity, NEW.standard_lead_days, NEW.free_sampling, NEW.region,
       NEW.price_level, NEW.organization_id))
EXECUTE FUNCTION factories_capacity_line_terms_trigger();

CREATE TRIGGER factories_capacity_line_terms_performance_insert
AFTER INSERT ON factories_factoryperformance
FOR EACH ROW EXECUTE FUNCTION factories_capacity_line_terms_trigger();

CREATE TRIGGER factories_capacity_line_terms_performance_update
AFTER UPDATE ON factories_factoryperformance
FOR EACH ROW
WHEN ((OLD.on_time_rate, OLD.rating, OLD.median_quote_response_hours)
      IS DISTINCT FROM (NEW.on_time_rate, NEW.rating, NEW.median_quote_response_hours))
EXECUTE FUNCTION factories_capacity_line_terms_trigger();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS factories_capacity_line_terms_organization ON marketplace_organization;
DROP TRIGGER IF EXISTS factories_capacity_line_terms_profile ON factories_factoryprofile;
DROP TRIGGER IF EXISTS factories_capacity_line_terms_performance_insert
    ON factories_factoryperformance;
DROP TRIGGER IF EXISTS factories_capacity_line_terms_performance_update
    ON factories_factoryperformance;
DROP FUNCTION IF EXISTS factories_capacity_line_terms_trigger();
DROP FUNCTION IF EXISTS factories_capacity_line_terms_sync(bigint);
DROP FUNCTION IF EXISTS factories_capacity_merit(integer, double precision,
    double precision, double precision);
"""

# One line per factory and category with a cell in the window, computed from the calendar
# (self-contained: later changes to the services do not change what this migration did).
BACKFILL_SQL = """
INSERT INTO factories_capacityline
    (organization_id, category_id, window_start, free, cumulative, published, verified,
     min_order_quantity, standard_lead_days, free_sampling, region, merit)
SELECT line.organization_id, line.category_id, %(start)s, line.free, line.cumulative,
       line.published, (o.verified AND o.kind = 'factory'), p.min_order_quantity,
       p.standard_lead_days, p.free_sampling, p.region,
       factories_capacity_merit(p.price_level, f.on_time_rate, f.rating,
                                f.median_quote_response_hours)
FROM (
    SELECT organization_id, category_id,
           array_agg(free ORDER BY day) AS free,
           array_prepend(0, array_agg(running::integer ORDER BY day)) AS cumulative,
           array_agg(published ORDER BY day) AS published
    FROM (
        SELECT pair.organization_id, pair.category_id, g.day,
               COALESCE(GREATEST(d.units - d.held - d.booked, 0), 0) AS free,
               d.id IS NOT NULL AS published,
               sum(COALESCE(GREATEST(d.units - d.held - d.booked, 0), 0)) OVER (
                   PARTITION BY pair.organization_id, pair.category_id ORDER BY g.day
               ) AS running
        FROM (
            SELECT DISTINCT organization_id, category_id FROM factories_capacityday
            WHERE date >= %(start)s AND date < %(start)s::date + 30
        ) pair
        CROSS JOIN generate_series(0, 29) AS g(day)
        LEFT JOIN factories_capacityday d
               ON d.organization_id = pair.organization_id
              AND d.category_id = pair.category_id
              AND d.date = %(start)s::date + g.day
    ) cells
    GROUP BY organization_id, category_id
) line
JOIN marketplace_organization o ON o.id = line.organization_id
JOIN factories_factoryprofile p ON p.organization_id = line.organization_id
LEFT JOIN factories_factoryperformance f ON f.organization_id = line.organization_id
ON CONFLICT (organization_id, category_id) DO NOTHING
"""


def backfill(apps, schema_editor):
    start: datetime.date = timezone.localdate()
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(BACKFILL_SQL, {"start": start})


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0001_initial'),
        ('factories', '0005_profile_for_every_factory'),
        ('marketplace', '0003_notification_email_delivery'),
    ]

    operations = [
        # Search no longer reads the calendar; the covering index only slowed its writes.
        migrations.RemoveIndex(model_name="capacityday", name="capacity_search_idx"),
        migrations.CreateModel(
            name='CapacityLine',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('window_start', models.DateField()),
                ('free', django.contrib.postgres.fields.ArrayField(base_field=models.IntegerField(), size=30)),
                ('cumulative', django.contrib.postgres.fields.ArrayField(base_field=models.IntegerField(), size=31)),
                ('published', django.contrib.postgres.fields.ArrayField(base_field=models.BooleanField(), size=30)),
                ('verified', models.BooleanField(default=False)),
                ('min_order_quantity', models.PositiveIntegerField(default=0)),
                ('standard_lead_days', models.PositiveSmallIntegerField(default=0)),
                ('free_sampling', models.BooleanField(default=False)),
                ('region', models.CharField(blank=True, max_length=80)),
                ('merit', models.FloatField(default=0.0)),
                ('category', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='catalog.category')),
                ('organization', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='marketplace.organization')),
            ],
            options={
                'verbose_name': 'free capacity line',
                'verbose_name_plural': 'free capacity lines',
                'indexes': [models.Index(models.F('category'), models.OrderBy(models.F('merit'), descending=True), models.F('organization'), condition=models.Q(('verified', True)), name='capacity_line_rank_idx'), models.Index(models.F('category'), models.F('cumulative__7'), condition=models.Q(('verified', True)), name='capacity_line_free7_idx'), models.Index(models.F('category'), models.F('cumulative__14'), condition=models.Q(('verified', True)), name='capacity_line_free14_idx'), models.Index(models.F('category'), models.F('cumulative__21'), condition=models.Q(('verified', True)), name='capacity_line_free21_idx'), models.Index(models.F('category'), models.F('cumulative__30'), condition=models.Q(('verified', True)), name='capacity_line_free30_idx')],
                'constraints': [models.UniqueConstraint(fields=('organization', 'category'), name='unique_capacity_line')],
            },
        ),
        migrations.RunSQL(MERIT_FUNCTION + TERMS_SYNC_FUNCTION, DROP_SQL),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
