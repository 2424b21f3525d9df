"""Production progress reported by the factory, and the system's automatic steps
(auto-confirmation, auto-completion, overdue reminders)."""

from __future__ import annotations

import datetime
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
from orders.selectors import PROGRESS_REPORT_VALUES, progress_report_rows
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


# The order locked, among the caller's orders only, with what a progress write reads of
# it (the parties, the state, the quantity, the plan its answer charts; the other 33
# columns, two of them JSON, cost more to load). Written out rather than built by the ORM
# on every write: compiling the parties' OR, the lock and the columns cost more CPU than
# running the write's other statements.
_PROGRESS_LOCK_SQL = """
SELECT id, buyer_id, factory_id, inspector_id, status, quantity, production_started_at,
       production_plan
FROM orders_order
WHERE id = %(order)s AND %(organization)s IN (buyer_id, factory_id, inspector_id)
FOR UPDATE
"""


def _progress_lock(*, order_pk: int, acting_organization: Organization) -> Order:
    """The order locked, looked up among the caller's orders only: another organization's
    (or a missing) order is the same NotFoundError, and no lock is taken on it. The lock
    is also the lookup, so a progress write reads the order once."""
    parameters = {"order": order_pk, "organization": acting_organization.pk}
    order = next(iter(Order.objects.raw(_PROGRESS_LOCK_SQL, parameters)), None)
    if order is None:
        raise NotFoundError(_("Not found."))
    if order_party(order=order, organization=acting_organization) != Party.FACTORY:
        raise WrongPartyError(_("Only the factory reports production progress."))
    if order.status != OrderStatus.IN_PRODUCTION:
        raise OrderConflictError(_("Progress can be reported only while in production."))
    return order


# The entry and its timeline event in one statement: one round trip fewer while the
# order's lock is held. The event's data names the entry, handed on by the CTE.
_ENTRY_WITH_EVENT_SQL = """
WITH entry AS (
    INSERT INTO orders_productionreport (order_id, day, units, note, reported_by_id, reported_at)
    VALUES (%(order)s, %(day)s, %(units)s, %(entry_note)s, %(user)s, %(now)s)
    RETURNING id
)
INSERT INTO orders_orderevent (
    order_id, at, actor_id, actor_organization_id, action, from_status, to_status,
    note, note_key, note_params, data)
SELECT %(order)s, %(now)s, %(user)s, %(organization)s, %(action)s, %(status)s, %(status)s,
       %(note)s, '', '{}'::jsonb,
       jsonb_build_object('entry', entry.id, 'day', %(day)s::date::text,
                          'units', %(units)s::integer, 'total', %(total)s::integer)
FROM entry
RETURNING (data ->> 'entry')::bigint
"""


def _progress_entry_create(
    *,
    order: Order,
    acting_organization: Organization,
    acting_user: User,
    day: datetime.date,
    units: int,
    note: str,
    total: int,
) -> ProductionReport:
    """A new entry of `units` on `day` and its `PROGRESS_REPORTED` event (the same columns
    `objects.create` would write for both), in one statement."""
    now = timezone.now()
    parameters: dict[str, Any] = {
        "order": order.pk,
        "day": day,
        "units": units,
        "entry_note": note[:300],
        "user": acting_user.pk,
        "now": now,
        "organization": acting_organization.pk,
        "action": str(Event.PROGRESS_REPORTED),
        "status": str(order.status),
        "note": note,
        "total": total,
    }
    with connection.cursor() as cursor:
        cursor.execute(_ENTRY_WITH_EVENT_SQL, parameters)
        (pk,) = cursor.fetchone()
    report = ProductionReport(
        pk=pk,
        order=order,
        day=day,
        units=units,
        note=parameters["entry_note"],
        reported_by=acting_user,
        reported_at=now,
    )
    report._state.adding, report._state.db = False, connection.alias
    return report


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


@transaction.atomic
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
    for another's) by the lock itself; the entry is `report.order`."""
    order = _progress_lock(order_pk=order_pk, acting_organization=acting_organization)
    errors: dict[str, list[str]] = {}
    started = (
        timezone.localtime(order.production_started_at).date()
        if order.production_started_at
        else None
    )
    if day > timezone.localdate():
        errors["day"] = [_("You cannot report a day in the future.")]
    elif started and day < started:
        errors["day"] = [_("Production started on %(date)s.") % {"date": started}]
    if units < 1:
        errors["units"] = [_("Report at least one unit (correct an earlier entry instead).")]
    entries = progress_report_rows(order)
    total = sum(entry["units"] for entry in entries) + units
    if not errors and (over := _over_quantity_error(order, total, note)):
        errors["note"] = over
    if errors:
        raise ValidationError(errors)
    report = _progress_entry_create(
        order=order,
        acting_organization=acting_organization,
        acting_user=acting_user,
        day=day,
        units=units,
        note=note,
        total=total,
    )
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
