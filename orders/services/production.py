"""Production progress reported by the factory, and the system's automatic steps
(auto-confirmation, auto-completion, overdue reminders)."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.exceptions import NotFoundError
from marketplace.models import Organization, User
from marketplace.texts import Text, choice
from orders import notify, texts
from orders.exceptions import OrderConflictError, WrongPartyError
from orders.models import Order, OrderEvent, OrderStatus, ProductionReport
from orders.selectors import PROGRESS_REPORT_VALUES
from orders.services.transition import order_party, order_transition_apply
from orders.transitions import (
    TIMED_ACTIONS,
    TRANSITIONS,
    Action,
    Event,
    Party,
    Timeout,
    next_actor,
    statuses_waiting_for,
)
from orders.transitions.effects import reported_units


def production_progress_open(*, order: Order, party: Party) -> bool:
    """Whether `party` may report production progress on `order` now."""
    return party == Party.FACTORY and order.status == OrderStatus.IN_PRODUCTION


# What a progress write reads of the order (the parties, the state, the quantity, the plan
# its answer charts; the other 33 columns, two of them JSON, cost more to load), in the
# order `_PROGRESS_WRITE_SQL` answers them.
_PROGRESS_ORDER_FIELDS = (
    "id",
    "buyer_id",
    "factory_id",
    "inspector_id",
    "status",
    "quantity",
    "production_started_at",
    "production_plan",
)
_PROGRESS_ORDER_COLUMNS = ", ".join(_PROGRESS_ORDER_FIELDS)
# The order, looked up among the caller's orders only.
_CALLERS_ORDER = "id = %(order)s AND %(organization)s IN (buyer_id, factory_id, inspector_id)"

# The order locked, among the caller's orders only. Written out rather than built by the
# ORM on every write: compiling the parties' OR, the lock and the columns cost more CPU than
# running the write's other statements.
_PROGRESS_LOCK_SQL = f"""
SELECT {_PROGRESS_ORDER_COLUMNS}
FROM orders_order
WHERE {_CALLERS_ORDER}
FOR UPDATE
"""  # noqa: S608 - constants only


def _progress_lock(*, order_pk: int, acting_organization: Organization) -> Order:
    """The order locked, looked up among the caller's orders only: another organization's
    (or a missing) order is the same NotFoundError, and no lock is taken on it. The lock
    is also the lookup, so a progress write reads the order once."""
    parameters = {"order": order_pk, "organization": acting_organization.pk}
    order = next(iter(Order.objects.raw(_PROGRESS_LOCK_SQL, parameters)), None)
    if order is None:
        raise NotFoundError(_("Not found."))
    _progress_check(order=order, acting_organization=acting_organization)
    return order


def _progress_check(*, order: Order, acting_organization: Organization) -> None:
    """Only the factory reports progress, and only while the order is in production."""
    if order_party(order=order, organization=acting_organization) != Party.FACTORY:
        raise WrongPartyError(_("Only the factory reports production progress."))
    if order.status != OrderStatus.IN_PRODUCTION:
        raise OrderConflictError(_("Progress can be reported only while in production."))


# The whole write in one message to the server, so one round trip and no BEGIN or COMMIT of
# its own: PostgreSQL runs a message's statements as one transaction (outside a Django
# atomic block; inside one, as part of it). The first statement locks the order, looked up
# among the caller's orders (another organization's is neither read nor locked). The second
# starts after the lock is granted and, in READ COMMITTED, takes a fresh snapshot: it sees
# every entry committed by the writer it waited for (one statement, a CTE with FOR UPDATE,
# would not). It reads the order and its entries, adds the entry and its timeline event
# only if the write passes every check the service makes (the party, the state, the day,
# the units, the quantity or a note: `_progress_errors`, with the same values), and answers
# the order, the new entry's id (null if refused) and the entries before it, as one JSON
# value: the only result kept (pghistory's cursor wrapper skips to the last one).
_PROGRESS_WRITE_SQL = f"""
SELECT 1 FROM orders_order
WHERE {_CALLERS_ORDER}
FOR UPDATE;
WITH o AS (
    SELECT {_PROGRESS_ORDER_COLUMNS}
    FROM orders_order
    WHERE {_CALLERS_ORDER}
), prior AS (
    SELECT id, day, units, note, corrects_id, reported_at FROM orders_productionreport
    WHERE order_id = (SELECT id FROM o)
), entry AS (
    INSERT INTO orders_productionreport (order_id, day, units, note, reported_by_id, reported_at)
    SELECT o.id, %(day)s, %(units)s, %(entry_note)s, %(user)s, %(now)s
    FROM o
    WHERE %(valid)s AND o.factory_id = %(organization)s AND o.status = %(status)s
      AND (o.production_started_at IS NULL OR o.production_started_at < %(day_end)s)
      AND (%(noted)s OR (SELECT coalesce(sum(units), 0) FROM prior) + %(units)s <= o.quantity)
    RETURNING id
), event AS (
    INSERT INTO orders_orderevent (
        order_id, at, actor_id, actor_organization_id, action, from_status, to_status,
        note, note_key, note_params, data)
    SELECT o.id, %(now)s, %(user)s, %(organization)s, %(action)s, o.status, o.status,
           %(note)s, '', '{{}}'::jsonb,
           jsonb_build_object('entry', entry.id, 'day', %(day)s::date::text,
                              'units', %(units)s::integer,
                              'total', (SELECT coalesce(sum(units), 0) FROM prior)
                                       + %(units)s::integer)
    FROM entry, o
)
SELECT json_build_array(
    {", ".join("o." + name for name in _PROGRESS_ORDER_FIELDS)}, (SELECT id FROM entry),
    (SELECT json_agg(json_build_array(id, day, units, note, corrects_id, reported_at)
                     ORDER BY reported_at, id)
     FROM prior))::text
FROM o
"""  # noqa: S608 - constants only


def _progress_order(values: list[Any]) -> Order:
    """An order of the write's columns (the others deferred, as `objects.raw` leaves them)."""
    row = dict(zip(_PROGRESS_ORDER_FIELDS, values, strict=True))
    if row["production_started_at"] is not None:
        row["production_started_at"] = datetime.datetime.fromisoformat(row["production_started_at"])
    fields = [f.attname for f in Order._meta.concrete_fields if f.attname in row]
    return Order.from_db(connection.alias, fields, [row[name] for name in fields])


def _progress_errors(
    *,
    order: Order,
    day: datetime.date,
    units: int,
    note: str,
    today: datetime.date,
    day_end: datetime.datetime | None,
    total: int,
) -> dict[str, list[str]]:
    """The field errors of a report of `units` on `day` making `total`, by field. The same
    checks `_PROGRESS_WRITE_SQL` makes before adding the entry, with the same values."""
    errors: dict[str, list[str]] = {}
    started_at = order.production_started_at
    if day > today:
        errors["day"] = [_("You cannot report a day in the future.")]
    elif started_at is not None and day_end is not None and started_at >= day_end:
        # Production started after `day` ended (local time): the day is before the start.
        started = timezone.localtime(started_at).date()
        errors["day"] = [_("Production started on %(date)s.") % {"date": started}]
    if units < 1:
        errors["units"] = [_("Report at least one unit (correct an earlier entry instead).")]
    if not errors and (over := _over_quantity_error(order, total, note)):
        errors["note"] = over
    return errors


def _over_quantity_error(order: Order, total: int, note: str) -> list[str]:
    """Reported units beyond the order's quantity need a note saying why."""
    if total > order.quantity and not note.strip():
        return [
            _(
                "That makes %(total)d units, more than the %(quantity)d ordered: add a note "
                "explaining the extra units."
            )
            % {"total": total, "quantity": order.quantity}
        ]
    return []


def production_progress_record(
    *,
    order: Order,
    acting_organization: Organization,
    acting_user: User,
    day: datetime.date,
    units: int,
    note: str = "",
) -> ProductionReport:
    """The factory reports `units` finished on `day` (a shift, a batch): a new entry added
    to the others, never replacing one. The total may pass the order's quantity only with
    a note."""
    report, _entries = production_progress_record_entries(
        order_pk=order.pk,
        acting_organization=acting_organization,
        acting_user=acting_user,
        day=day,
        units=units,
        note=note,
    )
    return report


def production_progress_record_entries(
    *,
    order_pk: int,
    acting_organization: Organization,
    acting_user: User,
    day: datetime.date,
    units: int,
    note: str = "",
) -> tuple[ProductionReport, list[dict[str, Any]]]:
    """`production_progress_record`, with the order's entries and corrections after it as
    plain rows (`selectors.progress_report_rows`, oldest first): read once, under the
    order's lock (every progress write takes it first), for the total and the answer. The
    order is looked up by `order_pk` among `acting_organization`'s (NotFoundError, a 404,
    for another's) by the lock itself; the entry is `report.order`.

    One round trip (`_PROGRESS_WRITE_SQL`): the entry is added only if every check passes;
    when it is not, the errors are told from what the statement read under the lock."""
    today = timezone.localdate()
    day_end = None
    if day <= today:  # the instant `day` ends here, to compare the start of production with
        next_day = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
        day_end = timezone.make_aware(next_day)
    now = timezone.now()
    parameters: dict[str, Any] = {
        "order": order_pk,
        "organization": acting_organization.pk,
        "user": acting_user.pk,
        "now": now,
        "day": day,
        "units": units,
        "entry_note": note[:300],
        "note": note,
        "valid": units >= 1 and day <= today,
        "day_end": day_end,
        "noted": bool(note.strip()),
        "status": str(OrderStatus.IN_PRODUCTION),
        "action": str(Event.PROGRESS_REPORTED),
    }
    with connection.cursor() as cursor:
        cursor.execute(_PROGRESS_WRITE_SQL, parameters)
        while cursor.nextset():  # the last result (pghistory's wrapper may be there already)
            pass
        row = cursor.fetchone()
    if row is None:
        raise NotFoundError(_("Not found."))
    *order_values, entry_pk, prior = json.loads(row[0])
    order = _progress_order(order_values)
    _progress_check(order=order, acting_organization=acting_organization)
    entries = [
        {
            "pk": pk,
            "day": datetime.date.fromisoformat(entry_day),
            "units": entry_units,
            "note": entry_note,
            "corrects_id": corrects_id,
            "reported_at": datetime.datetime.fromisoformat(reported_at),
        }
        for pk, entry_day, entry_units, entry_note, corrects_id, reported_at in prior or ()
    ]
    if entry_pk is None:
        total = sum(entry["units"] for entry in entries) + units
        errors = _progress_errors(
            order=order, day=day, units=units, note=note, today=today, day_end=day_end, total=total
        )
        if not errors:  # the statement and `_progress_errors` disagree: a bug, not input
            raise RuntimeError("The progress write refused an entry that passes every check.")
        raise ValidationError(errors)
    report = ProductionReport(
        pk=entry_pk,
        order=order,
        day=day,
        units=units,
        note=parameters["entry_note"],
        reported_by=acting_user,
        reported_at=now,
    )
    report._state.adding, report._state.db = False, connection.alias
    entries.append({field: getattr(report, field) for field in PROGRESS_REPORT_VALUES})
    entries.sort(key=lambda entry: (entry["reported_at"], entry["pk"]))
    return report, entries


@transaction.atomic
def production_progress_correct(
    *,
    order: Order,
    acting_organization: Organization,
    acting_user: User,
    entry_pk: int,
    units: int,
    reason: str,
) -> ProductionReport:
    """Correct an earlier entry to `units`: a correction entry of its own (the signed
    difference, with the reason), never an edit of the entry."""
    order = _progress_lock(order_pk=order.pk, acting_organization=acting_organization)
    entry = (
        ProductionReport.objects.filter(order=order, pk=entry_pk, corrects__isnull=True)
        .annotate(corrected=Sum("corrections__units"))
        .first()
    )
    errors: dict[str, list[str]] = {}
    if entry is None:
        raise ValidationError({"entry": [_("Choose one of this order's progress entries.")]})
    reason = reason.strip()
    if not reason:
        errors["reason"] = [_("Say why the entry is corrected.")]
    current = entry.units + int(entry.corrected or 0)
    difference = units - current
    if units < 0:
        errors["units"] = [_("Cannot be negative.")]
    elif difference == 0:
        errors["units"] = [_("The entry already says %(n)d units.") % {"n": current}]
    total = reported_units(order) + difference
    if not errors and (over := _over_quantity_error(order, total, reason)):
        errors["units"] = over
    if errors:
        raise ValidationError(errors)
    correction = ProductionReport.objects.create(
        order=order,
        day=entry.day,
        units=difference,
        note=reason[:300],
        corrects=entry,
        reported_by=acting_user,
    )
    OrderEvent.objects.create(
        order=order,
        actor=acting_user,
        actor_organization=acting_organization,
        action=Event.PROGRESS_CORRECTED,
        from_status=order.status,
        to_status=order.status,
        note=reason,
        data={
            "entry": entry.pk,
            "correction": correction.pk,
            "day": entry.day.isoformat(),
            "from_units": current,
            "to_units": units,
            "total": total,
        },
    )
    return correction


# --- automatic steps (beat) ----------------------------------------------------------------


def orders_due_for_auto_step(*, now: datetime.datetime | None = None) -> list[tuple[int, Action]]:
    """(order pk, action) pairs the system should apply now: every timed action of the
    table (receipt confirmed after some days in transit, completion once the dispute
    window closed) whose time has come."""
    now = now or timezone.now()
    due: list[tuple[int, Action]] = []
    for transition in TIMED_ACTIONS:
        assert transition.timeout is not None
        cutoff = now - datetime.timedelta(days=transition.timeout.days)
        pks = Order.objects.filter(
            status__in=transition.allowed_from(Party.SYSTEM),
            **{f"{transition.timeout.since_field}__lt": cutoff},
        ).values_list("pk", flat=True)
        due.extend((pk, transition.action) for pk in pks)
    return due


def order_auto_step(*, order_pk: int, action: Action | str) -> bool:
    """Apply one timed step; False when the order moved on meanwhile (safe to repeat)."""
    transition = TRANSITIONS[Action(action)]
    assert transition.timeout is not None, f"{action} is not a timed step"
    try:
        order_transition_apply(
            order_pk=order_pk,
            action=transition.action,
            party=Party.SYSTEM,
            acting_user=None,
            acting_organization=None,
            note=Text(Timeout.note_key(transition.action), {"days": transition.timeout.days}),
        )
    except (OrderConflictError, Order.DoesNotExist):
        return False
    return True


def _reminder_body(order: Order, now: datetime.datetime) -> Text:
    lapsed = order.hold_expires_at is not None and order.hold_expires_at < now
    if order.status == OrderStatus.AWAITING_PAYMENT and lapsed:
        assert order.hold_expires_at is not None
        return texts.OVERDUE_HOLD_LAPSED(date=timezone.localtime(order.hold_expires_at).date())
    if order.status == OrderStatus.IN_PRODUCTION:
        return texts.OVERDUE_LATE(date=order.ready_by)
    return texts.OVERDUE_IDLE(date=timezone.localtime(order.status_changed_at).date())


# Statuses in which an order waiting too long for the buyer or the factory is reminded.
_IDLE_REMINDED = frozenset(
    statuses_waiting_for(Party.BUYER, idle_only=True)
    + statuses_waiting_for(Party.FACTORY, idle_only=True)
)


@transaction.atomic
def orders_remind_overdue(*, now: datetime.datetime | None = None) -> int:
    """Remind whoever must act on an order that has waited longer than ORDERS_OVERDUE_AFTER,
    the factory of an order in production past its promised date, and the buyer whose
    capacity hold lapsed before payment. At most one reminder per period per order: running
    it twice sends nothing new."""
    now = now or timezone.now()
    cutoff = now - settings.ORDERS_OVERDUE_AFTER
    not_reminded = Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lt=cutoff)
    waiting = Q(status__in=sorted(_IDLE_REMINDED), status_changed_at__lt=cutoff)
    late = Q(status=OrderStatus.IN_PRODUCTION, ready_by__lt=timezone.localdate(now))
    hold_lapsed = Q(status=OrderStatus.AWAITING_PAYMENT, hold_expires_at__lt=now)
    overdue = (
        Order.objects.select_for_update(of=("self",), skip_locked=True)
        .filter(not_reminded & (waiting | late | hold_lapsed))
        .select_related("buyer", "factory")
    )
    count = 0
    for order in overdue:
        organization = order.buyer if next_actor(order.status) == Party.BUYER else order.factory
        notify.order_event(
            order=order,
            organization=organization,
            title=texts.OVERDUE(number=order.number, status=choice("orders.status", order.status)),
            body=_reminder_body(order, now),
        )
        Order.objects.filter(pk=order.pk).update(last_reminded_at=now)
        count += 1
    return count
