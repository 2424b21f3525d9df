"""`marketplace.prepared`: a statement prepared once per connection, inside Django's
transaction, logged with its values."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace.prepared import fetchall_prepared, fetchone_prepared

pytestmark = pytest.mark.django_db

SQL = "SELECT %(base)s::integer + 1, current_setting('application_name') IS NOT NULL"


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_the_statement_is_prepared_once_and_answers_with_its_values():
    before = len(_prepared_statements())
    assert fetchone_prepared(SQL, {"base": 1}) == (2, True)
    assert fetchone_prepared(SQL, {"base": 41}) == (42, True)
    prepared = _prepared_statements()
    assert len(prepared) == before + 1
    assert "::integer + 1" in prepared[-1]
    assert connection.connection.prepare_threshold is None  # Django's, left as it was


def test_it_runs_on_its_generic_plan_from_the_first_execution():
    # A statement whose custom plan looks cheaper (a constant to fold) would otherwise be
    # planned anew at every execution (plan_cache_mode=auto).
    sql = "SELECT n FROM generate_series(1, 3) n WHERE n >= %(low)s::integer ORDER BY n"
    assert fetchall_prepared(sql, {"low": 2}) == [(2,), (3,)]
    assert fetchall_prepared(sql, {"low": 3}) == [(3,)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE '%%generate_series(1, 3)%%'"
        )
        assert cursor.fetchall() == [(2, 0)]


def test_named_values_may_repeat_and_percent_is_written_twice_in_a_long_statement():
    # Longer than psycopg's 4,096-character limit for remembering a statement's parsing.
    padding = "/* " + "x" * 5000 + " */"
    sql = f"SELECT %(a)s::int * 100 + %(b)s::int * 10 + %(a)s::int, '100%%' {padding}"
    assert fetchone_prepared(sql, {"b": 2, "a": 1}) == (121, "100%")
    assert fetchone_prepared(sql, {"a": 3, "b": 0, "unused": "x"}) == (303, "100%")


def test_a_lone_percent_is_refused():
    with pytest.raises(ValueError, match="placeholders"):
        fetchone_prepared("SELECT 7 % %(n)s::int", {"n": 4})


def test_it_is_logged_with_its_values():
    with CaptureQueriesContext(connection) as queries:
        fetchone_prepared(SQL, {"base": 7})
    assert queries[-1]["sql"].startswith("SELECT 7::integer + 1")


def test_it_runs_in_the_callers_transaction():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE prepared_probe (n integer) ON COMMIT DROP")
        cursor.execute("INSERT INTO prepared_probe VALUES (5)")
    assert fetchone_prepared("SELECT count(*) FROM prepared_probe", []) == (1,)
