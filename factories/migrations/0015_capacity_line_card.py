"""The search result's factory card on the free-capacity line (docs/adr/0005, "Seventh
pass"): the `factory` object as JSON text, the score components' figures that do not depend
on the search, and the values they are worked out from, kept by the same triggers as the search terms, so a search's page reads no table
but the lines. The organization trigger now also fires on a name or slug change, the profile
trigger on a city change."""

import importlib

import django.contrib.postgres.fields
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

# `round(x * k)` as Python rounds the exact binary value of x * k: `round(value, 4)` for
# k = 10 ** 4, `f"{value:.1f}"` for 10, half to even. `round(x * k)` is that unless the
# product, itself rounded, lies within a rounding error of a half: there x is split exactly
# (Veltkamp: x = high + low, 26 bits each, and the odd part of k (625, or 5) has at most 10
# bits, so both partial products are exact floats) and the sign of the exact product minus
# the half above its floor decides, a tie going to the even neighbour. For the figures'
# ranges (0..1, 0..5 stars, hours far below 10 ** 14). tests/factories/test_search_page.py
# holds it to Python's round and format at the halves and the floats either side of them.
ROUND_FUNCTIONS = """
CREATE OR REPLACE FUNCTION factories_python_round(x double precision, k double precision)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN abs(x * k - round(x * k)) < 0.4999::float8 THEN round(x * k)
        WHEN ((x * 134217729::float8 - (x * 134217729::float8 - x)) * k
              - (floor(x * k) + 0.5::float8))
             + (x - (x * 134217729::float8 - (x * 134217729::float8 - x))) * k > 0
            THEN floor(x * k) + 1
        WHEN ((x * 134217729::float8 - (x * 134217729::float8 - x)) * k
              - (floor(x * k) + 0.5::float8))
             + (x - (x * 134217729::float8 - (x * 134217729::float8 - x))) * k < 0
            THEN floor(x * k)
        WHEN floor(x * k) = 2 * floor(floor(x * k) / 2) THEN floor(x * k)
        ELSE floor(x * k) + 1
    END
$$;

CREATE OR REPLACE FUNCTION factories_score_figures(
    value double precision, weight double precision, estimated boolean
) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT '"value":' || (factories_python_round(value, 10000::float8) / 10000::float8)::text
        || ',"points":'
        || (factories_python_round(weight * value, 10000::float8) / 10000::float8)::text
        || ',"estimated":' || estimated::text
$$;

CREATE OR REPLACE FUNCTION factories_one_decimal(value double precision)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (factories_python_round(value, 10::float8)::bigint / 10)::text || '.'
        || mod(factories_python_round(value, 10::float8)::bigint, 10)::text
$$;
"""

# The score components that do not depend on the search (factories.selectors.
# score_components: price, on time, rating, response; same weights and priors as
# `factories_capacity_merit`), as the search page writes them: 1-4 each component's
# `"value":..,"points":..,"estimated":..` JSON members, 5-7 the figures its sentence shows
# (on-time percent, stars and response hours to one decimal). PL/pgSQL: each figure is
# worked out once (a SQL function with a subquery is not inlined, and cost 165 us a call).
FIGURES_FUNCTION = """
CREATE OR REPLACE FUNCTION factories_capacity_line_figures(
    price_level bigint, on_time_rate double precision, rating double precision,
    response_hours double precision
) RETURNS text[] LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    price_value double precision := (5::float8 - price_level) / 4::float8;
    on_time_value double precision := coalesce(on_time_rate, 0.7::float8);
    stars double precision := coalesce(rating, 3.0::float8);
    hours_used double precision := CASE WHEN response_hours IS NULL THEN 24.0::float8
                                        WHEN 0::float8 > response_hours THEN 0::float8
                                        ELSE response_hours END;
BEGIN
    RETURN ARRAY[
        factories_score_figures(price_value, 0.1::float8, false),
        factories_score_figures(on_time_value, 0.25::float8, on_time_rate IS NULL),
        factories_score_figures(stars / 5::float8, 0.15::float8, rating IS NULL),
        factories_score_figures(1::float8 / (1::float8 + hours_used / 24::float8),
                                0.15::float8, response_hours IS NULL),
        round(100::float8 * on_time_value)::bigint::text,
        factories_one_decimal(stars),
        factories_one_decimal(hours_used)];
END
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
           factories_capacity_line_figures(p.price_level, f.on_time_rate, f.rating,
                                           f.median_quote_response_hours) AS figures,
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
        figures = terms.figures, price_level = terms.price_level,
        on_time_rate = terms.on_time_rate, rating = terms.rating,
        response_hours = terms.response_hours
    WHERE organization_id = factory
      AND (verified, min_order_quantity, standard_lead_days, free_sampling, region, merit,
           card, figures, price_level, on_time_rate, rating, response_hours)
          IS DISTINCT FROM (terms.verified, terms.min_order_quantity,
                            terms.standard_lead_days, terms.free_sampling, terms.region,
                            terms.merit, terms.card, terms.figures, terms.price_level,
                            terms.on_time_rate, terms.rating, terms.response_hours);
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
    figures = factories_capacity_line_figures(p.price_level, f.on_time_rate, f.rating,
                                              f.median_quote_response_hours),
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
        " DROP FUNCTION IF EXISTS factories_capacity_line_figures(bigint, double precision,"
        " double precision, double precision);"
        " DROP FUNCTION IF EXISTS factories_score_figures(double precision, double precision,"
        " boolean);"
        " DROP FUNCTION IF EXISTS factories_one_decimal(double precision);"
        " DROP FUNCTION IF EXISTS factories_python_round(double precision, double precision);"
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
            name="figures",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.TextField(), blank=True, default=list, size=7
            ),
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
            DROP_CHANGED_TRIGGERS
            + CARD_FUNCTION
            + ROUND_FUNCTIONS
            + FIGURES_FUNCTION
            + TERMS_SYNC_FUNCTION
            + BACKFILL_SQL,
            _before(),
        ),
    ]
