"""The transition table (`orders.transitions`) is consistent, every field an effect changes
is declared and saved, and its extension points (guards, `order_transitioned`) hold."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from django.db import transaction
from django.db.models import DateTimeField
from django.dispatch import receiver
from django.forms.models import model_to_dict

from marketplace.exceptions import ConflictError
from orders import services
from orders.models import Order, OrderStatus
from orders.signals import order_transitioned
from orders.transitions import (
    INITIAL_STATUSES,
    TERMINAL_STATUSES,
    TRANSITIONS,
    Action,
    EffectContext,
    Party,
    register_guard,
    unregister_guard,
)
from tests.helpers import api_client
from tests.orders.conftest import NOTES, Deal, details_for, drive, make_category, prepare

S = OrderStatus
SERVICE_OWNED = {"status", "status_changed_at", "last_reminded_at", "updated_at"}
PEOPLE = (Party.BUYER, Party.FACTORY, Party.OPERATOR)


def test_every_action_has_one_row_with_a_label():
    assert list(TRANSITIONS) == list(Action)
    for action, transition in TRANSITIONS.items():
        assert transition.action == action
        assert str(transition.label).strip(), action
        assert transition.rules, action


def test_every_status_is_reachable_from_where_orders_open():
    reached, frontier = set(INITIAL_STATUSES), list(INITIAL_STATUSES)
    while frontier:
        status = frontier.pop()
        for transition in TRANSITIONS.values():
            allowed = any(status in statuses for statuses in transition.rules.values())
            if allowed and transition.target not in reached:
                reached.add(transition.target)
                frontier.append(transition.target)
    assert reached == set(S)


def test_terminal_statuses_have_no_way_out_and_every_other_status_has_one():
    for status in S:
        ways_out = [
            transition.action
            for transition in TRANSITIONS.values()
            if any(status in statuses for statuses in transition.rules.values())
        ]
        if status in TERMINAL_STATUSES:
            assert ways_out == [], status
        else:
            assert ways_out, status


def test_follow_up_steps_are_the_systems_from_where_the_first_step_lands():
    for transition in TRANSITIONS.values():
        if transition.then is None:
            continue
        follow_up = TRANSITIONS[transition.then]
        assert transition.target in follow_up.allowed_from(Party.SYSTEM)
        assert not follow_up.manual
        assert transition.next_actor is None  # nobody waits: the system moves on at once


# System steps another app takes through a service hook: Finance marks the order paid
# (`order_mark_paid`) once the escrow holds the agreed amount.
HOOKED_STEPS = {Action.MARK_PAID}


def test_system_only_steps_are_reached_by_a_follow_up_a_timeout_or_a_hook():
    follow_ups = {item.then for item in TRANSITIONS.values()}
    for transition in TRANSITIONS.values():
        if not transition.manual:
            assert (
                transition.action in follow_ups
                or transition.timeout is not None
                or transition.action in HOOKED_STEPS
            )


def test_next_actor_is_the_same_for_every_way_into_a_status_and_can_move_there():
    by_status: dict[str, set[Party | None]] = defaultdict(set)
    for transition in TRANSITIONS.values():
        by_status[transition.target].add(transition.next_actor)
    for status, actors in by_status.items():
        assert len(actors) == 1, (status, actors)
        (actor,) = actors
        if status in TERMINAL_STATUSES:
            assert actor is None
        if actor is not None:
            assert any(status in item.allowed_from(actor) for item in TRANSITIONS.values())


def test_timed_steps_are_system_steps_counted_from_a_timestamp_of_the_order():
    timed = [item for item in TRANSITIONS.values() if item.timeout is not None]
    assert {item.action for item in timed} == {Action.CONFIRM_DELIVERY, Action.COMPLETE}
    for transition in timed:
        assert transition.timeout is not None
        assert transition.allowed_from(Party.SYSTEM)
        assert isinstance(Order._meta.get_field(transition.timeout.since_field), DateTimeField)
        assert transition.timeout.days > 0
        assert transition.timeout.note_text()


def test_declared_changes_are_order_fields_the_effect_owns():
    concrete = {field.name for field in Order._meta.concrete_fields}
    for transition in TRANSITIONS.values():
        assert transition.changes <= concrete, transition.action
        assert not transition.changes & SERVICE_OWNED, transition.action
        if transition.effect is None:
            assert transition.changes == frozenset(), transition.action


def test_people_are_offered_only_what_they_may_do():
    for transition in TRANSITIONS.values():
        people = [party for party in transition.rules if party in PEOPLE]
        assert transition.manual == bool(people), transition.action


# --- every field an effect touches is declared, and saved --------------------------------


def _fields(order: Order) -> dict[str, Any]:
    return {field.name: getattr(order, field.attname) for field in Order._meta.concrete_fields}


def _actor(deal: Deal, transition, status: str) -> tuple[Party, Any, Any]:
    for party in (Party.BUYER, Party.FACTORY, Party.OPERATOR, Party.SYSTEM):
        if status in transition.allowed_from(party):
            organization = {Party.BUYER: deal.buyer, Party.FACTORY: deal.factory}.get(party)
            user = deal.factory_user if party == Party.FACTORY else deal.buyer_user
            return party, organization, user
    raise AssertionError("no party may take the action from this status")


class _RollBackError(Exception):
    pass


def _changed_by_effect(order_pk: int, transition, context: EffectContext) -> set[str]:
    """Run the effect alone on the locked order, and roll back everything it wrote."""
    changed: set[str] = set()
    try:
        with transaction.atomic():
            order = (
                Order.objects.select_for_update(of=("self",))
                .select_related("buyer", "factory", "category")
                .get(pk=order_pk)
            )
            before = _fields(order)
            if transition.effect is not None:
                transition.effect(order, context)
            after = _fields(order)
            changed = {name for name in before if before[name] != after[name]}
            raise _RollBackError
    except _RollBackError:
        pass
    return changed


@pytest.mark.django_db
@pytest.mark.parametrize("action", list(Action))
def test_every_field_an_effect_changes_is_declared_and_saved(action):
    transition = TRANSITIONS[action]
    from_statuses = sorted(set().union(*transition.rules.values()))
    changed_anywhere: set[str] = set()
    for status in from_statuses:
        # A category per deal: the matcher invites only the best few factories of one.
        deal, order = prepare(status, action, category=make_category(f"{action}-{status}"))
        party, organization, user = _actor(deal, transition, status)
        details = details_for(action, order)
        note = NOTES.get(action, "checked")
        context = EffectContext(
            acting_user=user, acting_organization=organization, note=note, details=details
        )
        changed = _changed_by_effect(order.pk, transition, context)
        assert changed <= transition.changes, (status, changed - transition.changes)
        changed_anywhere |= changed
        # And through the service, what the effect changed in memory is what was saved.
        result = services.order_transition_apply(
            order_pk=order.pk,
            action=action,
            party=party,
            acting_user=user,
            acting_organization=organization,
            note=note,
            details=details,
        )
        assert model_to_dict(result) == model_to_dict(Order.objects.get(pk=order.pk))
    # No field is declared that no from-status ever changes.
    assert changed_anywhere == transition.changes


# --- guards and the on-commit signal -------------------------------------------------------


@pytest.mark.django_db
def test_a_registered_guard_refuses_the_action_and_nothing_changes(deal):
    order = drive(deal, S.PAID)
    seen: list[tuple[str, Party]] = []

    def escrow_not_funded(*, order: Order, party: Party) -> None:
        seen.append((order.status, party))
        raise ConflictError("Escrow is not funded yet.")

    before = model_to_dict(Order.objects.get(pk=order.pk))
    events = order.events.count()
    register_guard(Action.START_PRODUCTION, escrow_not_funded)
    try:
        response = api_client(deal.factory_user).post(
            f"/api/v1/orders/{order.pk}/transitions/",
            {"action": "start_production"},
            format="json",
        )
    finally:
        unregister_guard(Action.START_PRODUCTION, escrow_not_funded)
    assert response.status_code == 409
    assert "Escrow is not funded yet." in response.content.decode()
    assert seen == [(S.PAID, Party.FACTORY)]
    assert model_to_dict(Order.objects.get(pk=order.pk)) == before
    assert order.events.count() == events
    # Unregistered, the same call goes through.
    assert deal.act(Action.START_PRODUCTION, "factory").status == S.IN_PRODUCTION


@pytest.mark.django_db
def test_order_transitioned_is_sent_after_commit_for_every_step(
    deal, django_capture_on_commit_callbacks
):
    drive(deal, S.SAMPLE_SHIPPED)
    received: list[dict[str, Any]] = []

    @receiver(order_transitioned, sender=Order, weak=False, dispatch_uid="test_collect")
    def collect(sender, **kwargs):
        received.append({key: kwargs[key] for key in ("action", "from_status", "to_status")})
        received[-1].update(party=kwargs["party"], order_pk=kwargs["order_pk"])

    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            deal.act(Action.APPROVE_SAMPLE, "buyer")
        assert received == []  # nothing before commit
        for callback in callbacks:
            callback()
    finally:
        order_transitioned.disconnect(dispatch_uid="test_collect", sender=Order)
    order_pk = deal.refresh().pk
    assert received == [
        {
            "action": Action.APPROVE_SAMPLE,
            "from_status": S.SAMPLE_SHIPPED,
            "to_status": S.SAMPLE_APPROVED,
            "party": Party.BUYER,
            "order_pk": order_pk,
        },
        {
            "action": Action.REQUEST_PAYMENT,
            "from_status": S.SAMPLE_APPROVED,
            "to_status": S.AWAITING_PAYMENT,
            "party": Party.SYSTEM,
            "order_pk": order_pk,
        },
    ]


@pytest.mark.django_db
def test_a_refused_transition_announces_nothing(deal, django_capture_on_commit_callbacks):
    drive(deal, S.SAMPLE_REQUESTED)
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(ConflictError),
    ):
        deal.act(Action.COMPLETE, "buyer")
    assert callbacks == []


@pytest.mark.django_db
def test_mark_paid_hook_acts_as_the_system(deal):
    order = drive(deal, S.AWAITING_PAYMENT)
    paid = services.order_mark_paid(order=order)
    assert paid.status == S.PAID
    event = paid.events.get(action=Action.MARK_PAID)
    assert (event.actor, event.actor_organization) == (None, None)
