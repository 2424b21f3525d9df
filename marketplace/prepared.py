"""Statements PostgreSQL parses and plans once per connection (server-side prepared)."""

from __future__ import annotations

import functools
import re
import time
from typing import Any

import psycopg
from django.db import connection

_PLACEHOLDER = re.compile(r"%\((?P<name>[^)]+)\)s|%(?P<other>.?)", re.DOTALL)


@functools.lru_cache(maxsize=128)
def _positional(sql: str) -> tuple[str, tuple[str, ...]]:
    """`sql`, written with named placeholders (`%(name)s`, psycopg's), in PostgreSQL's own
    `$1`..`$n` (one number a name) with `%%` as `%`, and the names in their numbers' order.
    psycopg parses a statement at every execution when it is longer than 4,096 characters
    (the search's page is five times that); this is worked out once per statement text."""
    names: dict[str, int] = {}

    def number(match: re.Match) -> str:
        if match["name"] is not None:
            return f"${names.setdefault(match['name'], len(names) + 1)}"
        if match["other"] == "%":
            return "%"
        raise ValueError(f"only %(name)s placeholders and %% are allowed: {match[0]!r}")

    return _PLACEHOLDER.sub(number, sql), tuple(names)


def fetchone_prepared(sql: str, parameters: dict[str, Any] | list[Any]) -> tuple:
    """Run `sql` as a prepared statement (`fetchall_prepared`) and return its one row."""
    rows = fetchall_prepared(sql, parameters)
    if not rows:
        raise RuntimeError("a prepared statement meant to return one row returned none")
    return rows[0]


def fetchall_prepared(sql: str, parameters: dict[str, Any] | list[Any]) -> list[tuple]:
    """Run `sql` as a prepared statement on Django's connection, in Django's transaction,
    and return its rows.

    Django binds parameters on the client, so PostgreSQL parses and plans a statement
    anew each time it runs; for a long statement that costs as much as running it. Django
    also sets psycopg's `prepare_threshold` to None on its connections, under which
    `execute(prepare=True)` prepares nothing, so it is raised for this statement only (no
    other statement is counted into preparing). Errors are Django's
    (`wrap_database_errors`), and the statement is logged as Django logs one, with its
    values. It runs on its generic plan from the first execution (every connection sets
    plan_cache_mode=force_generic_plan): prepare only a statement whose best plan does not
    depend on its values, and write a value the plan does depend on (an index expression's
    constant, say) into the statement's text."""
    connection.validate_no_broken_transaction()
    connection.ensure_connection()
    raw = connection.connection
    threshold = raw.prepare_threshold
    started = time.monotonic()
    if isinstance(parameters, dict):  # named: sent as $1..$n, converted once (`_positional`)
        text, names = _positional(sql)
        cursor_class: type[psycopg.Cursor] = psycopg.RawCursor
        query: str = text
        values: list[Any] = [parameters[name] for name in names]
    else:
        cursor_class, query, values = psycopg.Cursor, sql, parameters
    try:
        raw.prepare_threshold = 2**31 - 1
        with connection.wrap_database_errors, cursor_class(raw) as cursor:
            cursor.execute(query, values, prepare=True)
            rows = cursor.fetchall()
    finally:
        raw.prepare_threshold = threshold
    if connection.queries_logged:
        logged = psycopg.ClientCursor(raw).mogrify(sql, parameters)
        connection.queries_log.append({"sql": logged, "time": f"{time.monotonic() - started:.3f}"})
    return rows
