"""Trigram indexes on the normalized place and certificate keys the search's lenient
filters compare (`factories.selectors.PLACE_KEY_SQL`, `CERTIFICATION_KEY_SQL`): without
them each such search normalized every factory's region and city, a sequential scan of
the profiles (0.3-0.4 s a statement at 100,000 factories). The expressions are the
selectors' own, with the pattern of `factories.certifications.NOISE_PATTERN` as it was
when this was written; a test holds the search's statements to these indexes.

pg_trgm is a contrib extension the embedded PostgreSQL of `make run` may lack (as in
catalog's 0002): where it is missing, the filters work as before, without the indexes.
"""

from django.db import migrations

NOISE = r"[\s!-/:-@\[-`{-~（）·’、，。®™]+"

FORWARD = f"""
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX factories_profile_place_key_trgm ON factories_factoryprofile
      USING gin ((regexp_replace(lower(region || ' ' || city), '{NOISE}', '', 'g')) gin_trgm_ops);
    CREATE INDEX factories_certification_key_trgm ON factories_certification
      USING gin ((regexp_replace(lower(name), '{NOISE}', '', 'g')) gin_trgm_ops);
  END IF;
END $$;
"""

BACKWARD = """
DROP INDEX IF EXISTS factories_profile_place_key_trgm;
DROP INDEX IF EXISTS factories_certification_key_trgm;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("factories", "0012_capacity_line_free_merit"),
    ]

    operations = [migrations.RunSQL(sql=FORWARD, reverse_sql=BACKWARD)]
