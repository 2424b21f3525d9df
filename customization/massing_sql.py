"""The SQL of customization-massing (ADR 0007), shared by its service and the selectors
that show batches: how line ranges cover lines, the run's reads and its writes. Values are
always bound parameters; the statements are composed from the constants here only."""

from __future__ import annotations

import datetime

# The window end bound of a range per batch: any end from the batch's day on.
FOREVER = datetime.date.max

# Every range of lines: the one a batch was opened for (its window ends on the batch's day
# or later) and the `LineRange` rows.
RANGES = f"""(
    SELECT id AS batch_id, start_from, start_to, day AS end_from,
           DATE '{FOREVER.isoformat()}' AS end_to, first_line, last_line
    FROM customization_productionbatch WHERE first_line IS NOT NULL
    UNION ALL
    SELECT batch_id, start_from, start_to, end_from, end_to, first_line, last_line
    FROM customization_linerange
)"""  # noqa: S608 - constants only

# A line `line` is made by batch `batch` when a range `r` of the batch covers it.
COVERS = """batch.organization_id = line.organization_id AND batch.signature = line.signature
    AND line.id BETWEEN r.first_line AND r.last_line
    AND line.window_start BETWEEN r.start_from AND r.start_to
    AND line.window_end BETWEEN r.end_from AND r.end_to"""

# Per signature, the last line id any range of the factory's batches reaches (every line
# above it is new: ids follow commit order under the massing lock), and whether a range
# of one window exists (written where capacity binds: lines below the top may wait only
# then, the ranges of the other path cover every line they pass over).
TOPS_SQL = f"""
SELECT batch.signature, max(r.last_line), bool_or(r.end_to < DATE '{FOREVER.isoformat()}')
FROM {RANGES} AS r
JOIN customization_productionbatch AS batch ON batch.id = r.batch_id
WHERE batch.organization_id = %(factory)s
GROUP BY batch.signature
"""  # noqa: S608 - constants only

# The factory's new open lines per (signature, window start) in placing order, days as
# numbers from today: lines, overdue lines (their window ended before today), units and
# earliest window end of the others, and an order (its category is the signature's: a
# signature is one product's module).
NEW_LINES_SQL = """
SELECT line.signature, line.window_start - %(today)s::date, count(*),
       count(*) FILTER (WHERE line.window_end < %(today)s),
       coalesce(sum(line.units) FILTER (WHERE line.window_end >= %(today)s), 0),
       min(line.window_end) FILTER (WHERE line.window_end >= %(today)s) - %(today)s::date,
       min(line.order_id)
FROM customization_ordermodule AS line {tops}
WHERE line.organization_id = %(factory)s AND line.is_open {above_tops}
GROUP BY line.signature, line.window_start
ORDER BY line.signature, line.window_start
"""
ABOVE_TOPS_JOIN = """
LEFT JOIN unnest(%(signatures)s::varchar[], %(tops)s::bigint[]) AS t(signature, top)
    ON t.signature = line.signature"""
ABOVE_TOPS_FILTER = "AND line.id > coalesce(t.top, 0)"

# Signatures with open lines below their top that no range covers and whose window has
# not ended: lines an earlier run left waiting for capacity.
BACKLOG_SQL = f"""
SELECT DISTINCT line.signature
FROM customization_ordermodule AS line
JOIN unnest(%(signatures)s::varchar[], %(tops)s::bigint[]) AS t(signature, top)
    ON t.signature = line.signature AND line.id <= t.top
WHERE line.organization_id = %(factory)s AND line.is_open AND line.window_end >= %(today)s
  AND NOT EXISTS (
    SELECT 1 FROM {RANGES} AS r
    JOIN customization_productionbatch AS batch ON batch.id = r.batch_id
    WHERE {COVERS}
)
"""  # noqa: S608 - constants only; values are bound parameters

# Some signatures' open lines no range covers, a row per window (signature, start, end)
# in placing order (signature, window end, start): lines, units, first and last id, the
# category.
UNPLACED_WINDOWS_SQL = f"""
WITH windows AS (
    SELECT line.signature, line.window_start, line.window_end, count(*) AS lines,
           sum(line.units) AS units, min(line.id) AS first, max(line.id) AS last,
           min(line.order_id) AS an_order
    FROM customization_ordermodule AS line
    WHERE line.organization_id = %(factory)s AND line.is_open
      AND line.signature = ANY(%(signatures)s::varchar[]) AND NOT EXISTS (
        SELECT 1 FROM {RANGES} AS r
        JOIN customization_productionbatch AS batch ON batch.id = r.batch_id
        WHERE {COVERS}
    )
    GROUP BY line.signature, line.window_start, line.window_end
)
SELECT w.signature, o.category_id, w.window_start, w.window_end, w.lines, w.units,
       w.first, w.last
FROM windows AS w
JOIN {{orders}} AS o ON o.id = w.an_order
ORDER BY w.signature COLLATE "C", w.window_end, w.window_start
"""  # noqa: S608 - constants only; values are bound parameters

# The unplaced lines of some windows, in id order (windows split over batches).
UNPLACED_LINES_SQL = f"""
SELECT line.signature, line.window_start, line.window_end, line.id, line.units
FROM customization_ordermodule AS line
JOIN unnest(%(signatures)s::varchar[], %(starts)s::date[], %(ends)s::date[])
    AS w(signature, window_start, window_end)
    ON w.signature = line.signature AND w.window_start = line.window_start
    AND w.window_end = line.window_end
WHERE line.organization_id = %(factory)s AND line.is_open AND NOT EXISTS (
    SELECT 1 FROM {RANGES} AS r
    JOIN customization_productionbatch AS batch ON batch.id = r.batch_id
    WHERE {COVERS}
)
ORDER BY line.signature, line.window_start, line.window_end, line.id
"""  # noqa: S608 - constants only; values are bound parameters

# The factory's batches from today on with the product units of their open lines.
BATCH_LOADS_SQL = f"""
SELECT batch.id, batch.signature, batch.day, coalesce(sum(line.units), 0)
FROM customization_productionbatch AS batch
LEFT JOIN {RANGES} AS r ON r.batch_id = batch.id
LEFT JOIN customization_ordermodule AS line ON line.is_open AND {COVERS}
WHERE batch.organization_id = %(factory)s AND batch.day >= %(today)s
GROUP BY batch.id
"""  # noqa: S608 - constants only; values are bound parameters

BATCH_SEQUENCE = "(SELECT pg_get_serial_sequence('customization_productionbatch', 'id'))::regclass"

# Ids for the new batches that `LineRange` rows name, taken first so that the rows need no
# answer from the INSERT.
BATCH_IDS_SQL = f"""
SELECT nextval({BATCH_SEQUENCE}) FROM generate_series(1, %(count)s)
"""  # noqa: S608 - constants only

# Days as numbers from today, each column as one comma-separated text (an empty value is
# NULL: a batch opened without a range of its own, or whose id the sequence gives here):
# quoting arrays of thousands of values (and formatting dates) costs more than the INSERT.
INSERT_BATCHES_SQL = f"""
INSERT INTO customization_productionbatch
    (id, organization_id, signature, day, created_at, first_line, last_line, start_from,
     start_to)
SELECT coalesce(new.id, nextval({BATCH_SEQUENCE})), %(factory)s, named.signature,
       %(today)s::date + new.day, now(),
       new.first_line, CASE WHEN new.first_line IS NOT NULL THEN %(last_line)s::bigint END,
       %(today)s::date + new.start_from,
       %(today)s::date + new.start_to
FROM unnest(
    string_to_array(%(ids)s, ',', '')::bigint[],
    string_to_array(%(signature_indexes)s, ',')::int[],
    string_to_array(%(days)s, ',')::int[], string_to_array(%(first_lines)s, ',', '')::bigint[],
    string_to_array(%(start_froms)s, ',', '')::int[],
    string_to_array(%(start_tos)s, ',', '')::int[]
) AS new(id, signature, day, first_line, start_from, start_to)
JOIN unnest(%(signatures)s::varchar[]) WITH ORDINALITY AS named(signature, position)
    ON named.position = new.signature
"""  # noqa: S608 - constants only; values are bound parameters

PLACE_SQL = """
INSERT INTO customization_linerange
    (batch_id, start_from, start_to, end_from, end_to, first_line, last_line)
SELECT batch, %(today)s::date + start_from, %(today)s::date + start_to,
       %(today)s::date + end_from, %(today)s::date + end_to, first, last
FROM unnest(
    string_to_array(%(batches)s, ',')::bigint[],
    string_to_array(%(start_froms)s, ',')::int[], string_to_array(%(start_tos)s, ',')::int[],
    string_to_array(%(end_froms)s, ',')::int[], string_to_array(%(end_tos)s, ',')::int[],
    string_to_array(%(firsts)s, ',')::bigint[], string_to_array(%(lasts)s, ',')::bigint[]
) AS new(batch, start_from, start_to, end_from, end_to, first, last)
"""

# A split line keeps `units` (and its modules for them); each rest is a new line.
SHRINK_SQL = """
UPDATE customization_ordermodule AS line
SET units = part.units, quantity = line.quantity / line.units * part.units
FROM unnest(%(lines)s::bigint[], %(units)s::int[]) AS part(id, units)
WHERE line.id = part.id AND line.units > 0
"""

SPLIT_SQL = """
INSERT INTO customization_ordermodule (organization_id, order_id, design_module_id, name,
    attributes, signature, quantity, units, window_start, window_end, is_open)
SELECT line.organization_id, line.order_id, line.design_module_id, line.name,
       line.attributes, line.signature, line.quantity / line.units * %(units)s, %(units)s,
       line.window_start, line.window_end, true
FROM customization_ordermodule AS line WHERE line.id = %(line)s
RETURNING id
"""

# The open lines some batches make: (line id, batch id).
BATCH_LINES_SQL = f"""
SELECT line.id, batch.id
FROM customization_productionbatch AS batch
JOIN {RANGES} AS r ON r.batch_id = batch.id
JOIN customization_ordermodule AS line ON line.is_open AND {COVERS}
WHERE batch.id = ANY(%(batches)s)
"""  # noqa: S608 - constants only; values are bound parameters

# Per batch of a factory, its day and how many open lines it makes whose window has not
# ended.
BATCH_LINE_COUNTS_SQL = f"""
SELECT batch.id, batch.day, count(*)
FROM customization_productionbatch AS batch
JOIN {RANGES} AS r ON r.batch_id = batch.id
JOIN customization_ordermodule AS line
    ON line.is_open AND line.window_end >= %(today)s AND {COVERS}
WHERE batch.organization_id = %(factory)s
GROUP BY batch.id, batch.day
"""  # noqa: S608 - constants only; values are bound parameters
