"""Editing the 30-day capacity calendar: set cells, fill ranges, copy weeks, close days,
CSV import, and the daily roll / staleness check."""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Category
from factories import texts
from factories.models import CAPACITY_WINDOW_DAYS, CapacityDay, FactoryProfile
from factories.services.capacity_lines import calendar_write, capacity_lines_rebuild
from marketplace.exceptions import InvalidError
from marketplace.models import NotificationTopic, Organization
from marketplace.services import notification_send

MAX_UNITS_PER_DAY = 10_000_000
STALE_HORIZON_DAYS = 7
CSV_MAX_BYTES = 1024 * 1024
CSV_MAX_ROWS = 5000


@dataclass(frozen=True)
class CapacityCell:
    date: datetime.date
    category_id: int
    units: int


class CapacityEditError(InvalidError):
    """Some cells cannot be written; nothing was. `errors` maps each failing cell's index
    to its field errors; as a form or page error it is one line per problem, under "cells",
    naming the day; the API shows `detail`, keyed by index like its own list errors."""

    def __init__(self, errors: dict[int, dict[str, list[str]]], cells: list[CapacityCell]) -> None:
        self.errors = errors
        lines: list[str] = []
        for index, fields in sorted(errors.items()):
            prefix = f"{cells[index].date.isoformat()}: " if index < len(cells) else ""
            lines.extend(prefix + message for problems in fields.values() for message in problems)
        super().__init__({"cells": lines})

    @property
    def detail(self) -> dict:
        return {"cells": self.errors}


def capacity_window(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    today = today or timezone.localdate()
    return today, today + datetime.timedelta(days=CAPACITY_WINDOW_DAYS - 1)


def _validate(
    *, organization: Organization, cells: list[CapacityCell]
) -> dict[int, dict[str, list[str]]]:
    start, end = capacity_window()
    allowed = set(
        FactoryProfile.categories.through.objects.filter(
            factoryprofile__organization=organization
        ).values_list("category_id", flat=True)
    )
    errors: dict[int, dict[str, list[str]]] = {}
    seen: set[tuple[datetime.date, int]] = set()
    for index, cell in enumerate(cells):
        problems: dict[str, list[str]] = {}
        if not start <= cell.date <= end:
            problems["date"] = [
                _("Choose a date from %(start)s to %(end)s.")
                % {"start": start.isoformat(), "end": end.isoformat()}
            ]
        if cell.category_id not in allowed:
            problems["category"] = [_("Add this category to your factory profile first.")]
        if not 0 <= cell.units <= MAX_UNITS_PER_DAY:
            problems["units"] = [
                _("Enter a whole number from 0 to %(max)d.") % {"max": MAX_UNITS_PER_DAY}
            ]
        if (cell.date, cell.category_id) in seen:
            problems["date"] = [*problems.get("date", []), _("This day is listed twice.")]
        seen.add((cell.date, cell.category_id))
        if problems:
            errors[index] = problems
    return errors


_UPSERT = """
INSERT INTO factories_capacityday
    (organization_id, category_id, date, units, held, booked, updated_at)
SELECT %s, cell.category_id, cell.day, cell.units, 0, 0, now()
FROM unnest(%s::bigint[], %s::date[], %s::integer[]) AS cell(category_id, day, units)
ORDER BY cell.category_id, cell.day
ON CONFLICT (organization_id, category_id, date) DO UPDATE
    SET units = EXCLUDED.units, updated_at = EXCLUDED.updated_at
    WHERE factories_capacityday.held + factories_capacityday.booked <= EXCLUDED.units
RETURNING category_id, date
"""


@transaction.atomic
def capacity_cells_set(
    *, organization: Organization, cells: list[CapacityCell]
) -> list[CapacityDay]:
    """Replace the given (date, category) cells, all or nothing.

    One upsert whose conflict branch only fires when the new units still cover what is
    held plus booked: a reservation racing with this edit can never be overbooked.
    """
    errors = _validate(organization=organization, cells=cells)
    if errors:
        raise CapacityEditError(errors, cells)
    if not cells:
        return []
    lines = [(organization.pk, cell.category_id) for cell in cells]
    with calendar_write(lines=lines), connection.cursor() as cursor:
        cursor.execute(
            _UPSERT,
            [
                organization.pk,
                [cell.category_id for cell in cells],
                [cell.date for cell in cells],
                [cell.units for cell in cells],
            ],
        )
        written = {(row[0], row[1]) for row in cursor.fetchall()}
        refused = [
            index
            for index, cell in enumerate(cells)
            if (cell.category_id, cell.date) not in written
        ]
        if refused:
            # Raised inside the block: the read model is left as the rollback leaves it.
            raise _refused_error(organization=organization, cells=cells, refused=refused)
    _stale_clear(organization=organization)
    keys = {(cell.category_id, cell.date) for cell in cells}
    rows = CapacityDay.objects.filter(
        organization=organization,
        category_id__in={key[0] for key in keys},
        date__in={key[1] for key in keys},
    ).select_related("category")
    return [row for row in rows if (row.category_id, row.date) in keys]


def _refused_error(
    *, organization: Organization, cells: list[CapacityCell], refused: list[int]
) -> CapacityEditError:
    taken = {
        (row.category_id, row.date): row.held + row.booked
        for row in CapacityDay.objects.filter(
            organization=organization, date__in={cells[index].date for index in refused}
        )
    }
    return CapacityEditError(
        {
            index: {
                "units": [
                    _("%(taken)d units are already held or booked on this day.")
                    % {"taken": taken.get((cells[index].category_id, cells[index].date), 0)}
                ]
            }
            for index in refused
        },
        cells,
    )


def capacity_fill_range(
    *,
    organization: Organization,
    category: Category,
    start: datetime.date,
    end: datetime.date,
    units: int,
    weekdays: set[int] | None = None,
) -> list[CapacityDay]:
    """Set `units` on every day from start to end (optionally only some weekdays, 0=Monday)."""
    if end < start:
        raise InvalidError({"end": [_("The end must not be before the start.")]})
    cells = []
    day = start
    while day <= end:
        if weekdays is None or day.weekday() in weekdays:
            cells.append(CapacityCell(date=day, category_id=category.pk, units=units))
        day += datetime.timedelta(days=1)
    return capacity_cells_set(organization=organization, cells=cells)


def _categories_made(organization: Organization) -> list[int]:
    return sorted(
        FactoryProfile.categories.through.objects.filter(
            factoryprofile__organization=organization
        ).values_list("category_id", flat=True)
    )


@transaction.atomic
def capacity_fill(
    *,
    organization: Organization,
    start: datetime.date,
    end: datetime.date,
    units: int,
    weekdays: set[int] | None = None,
    category: Category | None = None,
) -> list[CapacityDay]:
    """`capacity_fill_range` for one category, or for every category the factory makes,
    all or nothing: a refused day in any category leaves the whole calendar as it was."""
    category_ids = [category.pk] if category is not None else _categories_made(organization)
    categories = Category.objects.in_bulk(category_ids)
    written: list[CapacityDay] = []
    for category_id in category_ids:
        written += capacity_fill_range(
            organization=organization,
            category=categories[category_id],
            start=start,
            end=end,
            units=units,
            weekdays=weekdays,
        )
    return written


def capacity_close_range(
    *,
    organization: Organization,
    start: datetime.date,
    end: datetime.date,
    category: Category | None = None,
) -> list[CapacityDay]:
    """Close every day from start to end (see `capacity_mark_closed`)."""
    if end < start:
        raise InvalidError({"end": [_("The end must not be before the start.")]})
    dates = [start + datetime.timedelta(days=offset) for offset in range((end - start).days + 1)]
    return capacity_mark_closed(organization=organization, dates=dates, category=category)


def capacity_mark_closed(
    *, organization: Organization, dates: list[datetime.date], category: Category | None = None
) -> list[CapacityDay]:
    """Publish zero units on these days for one category, or for every category made."""
    category_ids = [category.pk] if category is not None else _categories_made(organization)
    cells = [
        CapacityCell(date=day, category_id=category_id, units=0)
        for category_id in sorted(category_ids)
        for day in sorted(set(dates))
    ]
    return capacity_cells_set(organization=organization, cells=cells)


def capacity_copy_week(
    *,
    organization: Organization,
    source_start: datetime.date,
    category: Category | None = None,
) -> list[CapacityDay]:
    """Copy the 7 days from `source_start` onto every later week inside the window.

    With `source_start` a week ago this is "copy last week"; with today it repeats the
    current week across the window. Days the source week left unpublished stay as they are.
    """
    window_start, window_end = capacity_window()
    source = CapacityDay.objects.filter(
        organization=organization,
        date__gte=source_start,
        date__lt=source_start + datetime.timedelta(days=7),
    )
    if category is not None:
        source = source.filter(category=category)
    cells = []
    for row in source.order_by("category_id", "date"):
        target = row.date + datetime.timedelta(days=7)
        while target <= window_end:
            if target >= window_start:
                cells.append(
                    CapacityCell(date=target, category_id=row.category_id, units=row.units)
                )
            target += datetime.timedelta(days=7)
    if not cells:
        raise InvalidError({"source_start": [_("Nothing is published in that week to copy.")]})
    cells.sort(key=lambda cell: (cell.category_id, cell.date))
    return capacity_cells_set(organization=organization, cells=cells)


def capacity_csv_parse(*, organization: Organization, text: str) -> list[CapacityCell]:
    """Rows `date,category,units` (a header row is optional); category is a slug."""
    slugs = dict(
        Category.objects.filter(
            pk__in=FactoryProfile.categories.through.objects.filter(
                factoryprofile__organization=organization
            ).values("category_id")
        ).values_list("slug", "pk")
    )
    cells, problems = [], []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not any(part.strip() for part in row):
            continue
        if number == 1 and row[0].strip().lower() == "date":
            continue
        if len(row) != 3:
            problems.append(_("Line %(n)d: expected date,category,units.") % {"n": number})
            continue
        raw_date, slug, raw_units = (part.strip() for part in row)
        try:
            day = datetime.date.fromisoformat(raw_date)
        except ValueError:
            problems.append(_("Line %(n)d: the date must be YYYY-MM-DD.") % {"n": number})
            continue
        if slug not in slugs:
            problems.append(
                _("Line %(n)d: %(slug)s is not a category in your profile.")
                % {"n": number, "slug": slug}
            )
            continue
        if not raw_units.isdigit():
            problems.append(_("Line %(n)d: units must be a whole number.") % {"n": number})
            continue
        cells.append(CapacityCell(date=day, category_id=slugs[slug], units=int(raw_units)))
    if len(cells) > CSV_MAX_ROWS:
        problems.append(_("At most 5,000 rows per file."))
    if problems:
        raise InvalidError({"file": problems})
    if not cells:
        raise InvalidError({"file": [_("The file has no rows.")]})
    return cells


@transaction.atomic
def capacity_csv_import(*, organization: Organization, content: bytes) -> list[CapacityDay]:
    """Publish the rows of an uploaded CSV file (UTF-8, at most 1 MB), all or nothing;
    every problem is reported under "file"."""
    if len(content) > CSV_MAX_BYTES:
        raise InvalidError({"file": [_("The file is larger than 1 MB.")]})
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidError({"file": [_("Save the file as UTF-8 CSV.")]}) from error
    cells = capacity_csv_parse(organization=organization, text=text)
    try:
        return capacity_cells_set(organization=organization, cells=cells)
    except CapacityEditError as error:
        raise InvalidError({"file": error.messages}) from error


_ROLL_SOURCE = """
SELECT c.organization_id, c.category_id
FROM factories_capacityday c
JOIN factories_factoryprofile p ON p.organization_id = c.organization_id
WHERE c.date = %(source)s AND p.auto_roll_calendar
ORDER BY c.organization_id, c.category_id
"""

_ROLL = """
INSERT INTO factories_capacityday
    (organization_id, category_id, date, units, held, booked, updated_at)
SELECT c.organization_id, c.category_id, %(end)s, c.units, 0, 0, now()
FROM factories_capacityday c
JOIN factories_factoryprofile p ON p.organization_id = c.organization_id
WHERE c.date = %(source)s AND p.auto_roll_calendar
ORDER BY c.organization_id, c.category_id
ON CONFLICT (organization_id, category_id, date) DO NOTHING
"""


def capacity_window_roll(*, today: datetime.date | None = None) -> int:
    """Publish the new last day of the window for factories that asked to repeat their
    weekly pattern, copying the same weekday one week earlier, then move every line of the
    free-capacity read model to the new window. Idempotent; returns the days published."""
    today = today or timezone.localdate()
    _start, end = capacity_window(today)
    parameters = {"end": end, "source": end - datetime.timedelta(days=7)}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_ROLL_SOURCE, parameters)
        lines = [(row[0], row[1]) for row in cursor.fetchall()]
        with calendar_write(lines=lines, today=today):
            cursor.execute(_ROLL, parameters)
            rolled = cursor.rowcount
    capacity_lines_rebuild(today=today, only_stale=True)
    return rolled


def _stale_clear(*, organization: Organization) -> None:
    horizon = timezone.localdate() + datetime.timedelta(days=STALE_HORIZON_DAYS)
    if CapacityDay.objects.filter(organization=organization, date__gte=horizon).exists():
        FactoryProfile.objects.filter(organization=organization, calendar_stale=True).update(
            calendar_stale=False, calendar_stale_since=None
        )


@transaction.atomic
def capacity_stale_flag() -> int:
    """Flag factories whose calendar ends less than a week ahead, tell them once, and clear
    the flag for those that published again. Returns how many were newly flagged."""
    horizon = timezone.localdate() + datetime.timedelta(days=STALE_HORIZON_DAYS)
    last_days = dict(
        CapacityDay.objects.values("organization_id")
        .annotate(last=Max("date"))
        .values_list("organization_id", "last")
    )
    fresh_ids = [pk for pk, last in last_days.items() if last >= horizon]
    FactoryProfile.objects.filter(organization_id__in=fresh_ids, calendar_stale=True).update(
        calendar_stale=False, calendar_stale_since=None
    )
    newly_stale = list(
        FactoryProfile.objects.select_for_update(of=("self",))
        .filter(calendar_stale=False, organization__kind=Organization.Kind.FACTORY)
        .exclude(organization_id__in=fresh_ids)
        .select_related("organization")
    )
    for profile in newly_stale:
        profile.calendar_stale = True
        profile.calendar_stale_since = timezone.now()
        profile.save(update_fields=["calendar_stale", "calendar_stale_since"])
        notification_send(
            organization=profile.organization,
            topic=NotificationTopic.ORDERS,
            title=texts.CALENDAR_STALE(),
            body=texts.CALENDAR_STALE_BODY(date=horizon.isoformat()),
            url=reverse("factories:capacity"),
        )
    return len(newly_stale)
