"""The search result's factory card on the free-capacity line (docs/adr/0005, "Seventh
pass"): the `factory` object as JSON text and the figures the score components are worked
out from, kept by the same triggers as the search terms, so a search's page reads no table
but the lines. The organization trigger now also fires on a name or slug change, the profile
trigger on a city change."""

import importlib

from django.db import migrations, models

# The result's `factory` object (factories.api.views.search.SearchResultSerializer) as JSON
# text, byte for byte as the search page wrote it from the joined rows before.
CARD_FUNCTION = """
CREATE OR REPLACE FUNCTION factories_capacity_line_card(
    organization_id bigint, slug text, name text, verified boolean, region text, city text,
    min_order_quantity bigint, standard_lead_days bigint, free_sampling boolean,
    price_level bigint, on_time_rate double precision, rating double precision
) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT '{"id":' || organization_id::text
        || ',"slug":' || to_json(slug)::text
        || ',"name":' || to_json(name)::text
        || ',"verified":' || verified::text
        || ',"region":' || to_json(region)::text
        || ',"city":' || to_json(city)::text
        || ',"min_order_quantity":' || min_order_quantity::text
        || ',"standard_lead_days":' || standard_lead_days::text
        || ',"free_sampling":' || free_sampling::text
        || ',"price_level":' || price_level::text
        || ',"on_time_rate":' || coalesce(on_time_rate::text, 'null')
        || ',"rating":' || coalesce(rating::text, 'null')
        || ',"url":"/factories/' || organization_id::text || '/"}'
$$;
"""

# Locks the profile, then the factory's lines in (category) order, the same order the
# calendar writers use, then copies the terms and the card onto every line of the factory.
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
                                    f.median_quote_response_hours) AS merit,
           factories_capacity_line_card(o.id, o.slug, o.name, o.verified, p.region, p.city,
                                        p.min_order_quantity, p.standard_lead_days,
                                        p.free_sampling, p.price_level, f.on_time_rate,
                                        f.rating) AS card,
           p.price_level, f.on_time_rate, f.rating,
           f.median_quote_response_hours AS response_hours
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
        region = terms.region, merit = terms.merit, card = terms.card,
        price_level = terms.price_level, on_time_rate = terms.on_time_rate,
        rating = terms.rating, response_hours = terms.response_hours
    WHERE organization_id = factory
      AND (verified, min_order_quantity, standard_lead_days, free_sampling, region, merit,
           card, price_level, on_time_rate, rating, response_hours)
          IS DISTINCT FROM (terms.verified, terms.min_order_quantity,
                            terms.standard_lead_days, terms.free_sampling, terms.region,
                            terms.merit, terms.card, terms.price_level, terms.on_time_rate,
                            terms.rating, terms.response_hours);
END
$$;

CREATE TRIGGER factories_capacity_line_terms_organization
AFTER UPDATE OF verified, kind, name, slug ON marketplace_organization
FOR EACH ROW
WHEN ((OLD.verified, OLD.kind, OLD.name, OLD.slug)
      IS DISTINCT FROM (NEW.verified, NEW.kind, NEW.name, NEW.slug))
EXECUTE FUNCTION factories_capacity_line_terms_trigger();

CREATE TRIGGER factories_capacity_line_terms_profile
AFTER UPDATE ON factories_factoryprofile
FOR EACH ROW
WHEN ((OLD.min_order_quantity, OLD.standard_lead_days, OLD.free_sampling, OLD.region,
       OLD.city, OLD.price_level, OLD.organization_id)
      IS DISTINCT FROM
      (NEW.min_order_quantity, NEW.standard_lead_days, NEW.free_sampling, NEW.region,
       NEW.city, NEW.price_level, NEW.organization_id))
EXECUTE FUNCTION factories_capacity_line_terms_trigger();
"""

DROP_CHANGED_TRIGGERS = """
DROP TRIGGER IF EXISTS factories_capacity_line_terms_organization ON marketplace_organization;
DROP TRIGGER IF EXISTS factories_capacity_line_terms_profile ON factories_factoryprofile;
"""

BACKFILL_SQL = """
UPDATE factories_capacityline l
SET card = factories_capacity_line_card(o.id, o.slug, o.name, o.verified, p.region, p.city,
                                        p.min_order_quantity, p.standard_lead_days,
                                        p.free_sampling, p.price_level, f.on_time_rate,
                                        f.rating),
    price_level = p.price_level, on_time_rate = f.on_time_rate, rating = f.rating,
    response_hours = f.median_quote_response_hours
FROM marketplace_organization o
JOIN factories_factoryprofile p ON p.organization_id = o.id
LEFT JOIN factories_factoryperformance f ON f.organization_id = o.id
WHERE o.id = l.organization_id;
"""


def _before() -> str:
    """Migration 0006's functions and triggers, as this migration found them."""
    earlier = importlib.import_module("factories.migrations.0006_capacity_line")
    return (
        DROP_CHANGED_TRIGGERS
        + """
DROP TRIGGER IF EXISTS factories_capacity_line_terms_performance_insert
    ON factories_factoryperformance;
DROP TRIGGER IF EXISTS factories_capacity_line_terms_performance_update
    ON factories_factoryperformance;
"""
        + earlier.TERMS_SYNC_FUNCTION
        + "DROP FUNCTION IF EXISTS factories_capacity_line_card(bigint, text, text, boolean,"
        " text, text, bigint, bigint, boolean, bigint, double precision, double precision);"
    )


class Migration(migrations.Migration):

    dependencies = [
        ("factories", "0014_capacity_line_band_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="capacityline",
            name="card",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.AddField(
            model_name="capacityline",
            name="price_level",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="capacityline",
            name="on_time_rate",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="capacityline",
            name="rating",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="capacityline",
            name="response_hours",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.RunSQL(
            DROP_CHANGED_TRIGGERS + CARD_FUNCTION + TERMS_SYNC_FUNCTION + BACKFILL_SQL,
            _before(),
        ),
    ]
