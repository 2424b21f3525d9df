"""Group / pre-sale campaigns: pledges paid into escrow on credit, completion into one
production order at the dropped price (capacity held, paid from the pledges, carrying the
design's modules), refunds when the target is missed, and bad input refused with nothing
saved."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from customization import services
from customization.models import Campaign, CampaignStatus, Design, OrderModule, Pledge
from factories.selectors import reservation_by_reference
from finance.models import CreditDraw, CreditLine, Escrow, Refund
from finance.services.credit import (
    credit_due_dates_set,
    credit_flag_overdue,
    credit_limit_set,
    credit_repay,
)
from finance.services.ledger import ledger_invariant_problems
from marketplace.models import Organization
from marketplace.money import Money
from orders.matching.services import Assignment, batch_match_apply, batch_match_plan
from orders.models import Order, OrderStatus
from orders.services import order_transition_apply
from orders.transitions import Action, Party
from tests.customization.conftest import AIR_CONDITIONER_OPTIONS
from tests.helpers import api_client, make_operator, make_organization
from tests.orders.conftest import in_days, make_factory

pytestmark = pytest.mark.django_db


def cny(amount: str) -> Money:
    return Money.from_decimal(amount, "CNY")


def credit_buyer(limit: str = "1000000.00"):
    organization, user = make_organization(Organization.Kind.BUYER)
    credit_limit_set(organization=organization, limit=cny(limit), reason="Test", acting_user=user)
    return organization, user


def ac_design(product, organization, user) -> Design:
    return services.design_create(
        organization=organization,
        acting_user=user,
        product=product,
        options=AIR_CONDITIONER_OPTIONS,
        measurements={},
        quantity=100,
        name="Office AC",
    )


def campaign_body(design: Design, factory: Organization, /, **overrides) -> dict:
    body = {
        "design": design.pk,
        "factory": factory.pk,
        "title": "Office AC group buy",
        "target_quantity": 50,
        "cap_quantity": 80,
        "deadline": (timezone.now() + datetime.timedelta(days=3)).isoformat(),
        "ready_by": in_days(20).isoformat(),
        "target_unit_price": {"amount": "2800.00", "currency": "CNY"},
    }
    return {**body, **overrides}


@pytest.fixture
def setting(air_conditioner):
    organizer, organizer_user = credit_buyer()
    factory, _factory_user = make_factory(air_conditioner.product.category, units=20)
    design = ac_design(air_conditioner, organizer, organizer_user)
    response = api_client(organizer_user).post(
        "/api/v1/campaigns/", campaign_body(design, factory), format="json"
    )
    assert response.status_code == 201, response.content
    campaign = Campaign.objects.get(pk=response.json()["id"])
    return campaign, (organizer, organizer_user), factory


def pledge(campaign, who, quantity):
    organization, user = who
    return services.pledge_create(
        campaign=campaign, organization=organization, acting_user=user, quantity=quantity
    )


def after_deadline(campaign) -> datetime.datetime:
    return campaign.deadline + datetime.timedelta(minutes=1)


def credit_used(organization) -> int:
    return CreditLine.objects.get(organization=organization).used_minor


def test_campaign_meets_its_target_and_becomes_one_paid_order(
    setting, django_capture_on_commit_callbacks
):
    campaign, organizer, factory = setting
    other = credit_buyer()
    assert campaign.unit_price == cny("3090.35")  # the design's price at 100 units
    response = api_client(other[1]).post(
        f"/api/v1/campaigns/{campaign.pk}/pledges/", {"quantity": 30}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == {"amount": "92710.50", "currency": "CNY"}
    pledge(campaign, organizer, 25)
    assert credit_used(other[0]) == 309035 * 30

    body = api_client(other[1]).get(f"/api/v1/campaigns/{campaign.pk}/").json()
    assert (body["pledged_quantity"], body["progress_percent"], body["status"]) == (55, 100, "open")

    with django_capture_on_commit_callbacks(execute=True):
        closed = services.campaign_close(campaign_pk=campaign.pk, now=after_deadline(campaign))
    assert closed.status == CampaignStatus.COMPLETED
    order = Order.objects.get(pk=closed.order_id)
    assert (order.buyer_id, order.factory_id, order.quantity) == (
        organizer[0].pk,
        factory.pk,
        55,
    )
    assert order.unit_price == cny("2800.00")
    assert order.design_id == campaign.design_id
    assert order.status == OrderStatus.PAID
    assert order.reservation_reference  # capacity held like any accepted quote
    assert Escrow.objects.get(order=order).funded_minor == order.total.amount_minor
    # Each pledger pays the dropped price: the drop went back to its credit line.
    assert credit_used(other[0]) == 280000 * 30
    assert credit_used(organizer[0]) == 280000 * 25
    assert set(Pledge.objects.values_list("status", "refunded_minor")) == {
        ("converted", 29035 * 30),
        ("converted", 29035 * 25),
    }
    assert OrderModule.objects.filter(order=order).count() == campaign.design.modules.count()
    assert ledger_invariant_problems() == {}
    # Closing again changes nothing.
    assert services.campaign_close(campaign_pk=campaign.pk).order_id == order.pk
    assert Order.objects.count() == 1


def test_campaign_missing_its_target_refunds_every_pledge(setting):
    campaign, organizer, _factory = setting
    other = credit_buyer()
    pledge(campaign, other, 10)
    pledge(campaign, organizer, 5)
    closed = services.campaign_close(campaign_pk=campaign.pk, now=after_deadline(campaign))
    assert closed.status == CampaignStatus.FAILED
    assert "15 of 50" in closed.display_outcome
    assert Order.objects.count() == 0
    assert credit_used(other[0]) == credit_used(organizer[0]) == 0
    assert set(Pledge.objects.values_list("status", flat=True)) == {"refunded"}
    assert ledger_invariant_problems() == {}
    services.campaign_close(campaign_pk=campaign.pk, now=after_deadline(campaign))
    assert credit_used(other[0]) == 0


def test_campaign_before_its_deadline_is_left_open(setting):
    campaign, organizer, _factory = setting
    pledge(campaign, organizer, 60)
    assert services.campaign_close(campaign_pk=campaign.pk).status == CampaignStatus.OPEN
    assert services.campaigns_due() == []


def _state():
    return (
        list(Pledge.objects.values_list("pk", flat=True)),
        list(Campaign.objects.values_list("pledged_quantity", flat=True)),
        list(CreditLine.objects.order_by("pk").values_list("used_minor", flat=True)),
    )


def test_a_pledge_above_the_cap_is_a_400_naming_quantity(setting):
    campaign, organizer, _factory = setting
    pledge(campaign, organizer, 70)
    other = credit_buyer()
    before = _state()
    response = api_client(other[1]).post(
        f"/api/v1/campaigns/{campaign.pk}/pledges/", {"quantity": 11}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "quantity": ["Only 10 units are left under the campaign's cap."]
    }
    assert _state() == before


def test_a_pledge_after_the_deadline_is_a_400_naming_deadline(setting):
    campaign, _organizer, _factory = setting
    other = credit_buyer()
    Campaign.objects.filter(pk=campaign.pk).update(
        deadline=timezone.now() - datetime.timedelta(minutes=1)
    )
    before = _state()
    response = api_client(other[1]).post(
        f"/api/v1/campaigns/{campaign.pk}/pledges/", {"quantity": 5}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["deadline"]
    assert _state() == before


def test_a_pledge_the_credit_line_cannot_cover_is_a_409(setting):
    campaign, _organizer, _factory = setting
    poor = credit_buyer(limit="1000.00")
    before = _state()
    response = api_client(poor[1]).post(
        f"/api/v1/campaigns/{campaign.pk}/pledges/", {"quantity": 5}, format="json"
    )
    assert response.status_code == 409
    assert _state() == before


def test_factories_do_not_pledge_and_unknown_campaigns_are_404(setting, air_conditioner):
    campaign, _organizer, _factory = setting
    _other_factory, factory_user = make_factory(air_conditioner.product.category, units=0)
    response = api_client(factory_user).post(
        f"/api/v1/campaigns/{campaign.pk}/pledges/", {"quantity": 5}, format="json"
    )
    assert response.status_code == 403
    response = api_client(factory_user).post(
        "/api/v1/campaigns/999999/pledges/", {"quantity": 5}, format="json"
    )
    assert response.status_code == 404
    assert Pledge.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"target_quantity": 0}, "target_quantity"),
        ({"cap_quantity": 20}, "cap_quantity"),
        ({"deadline": "2001-01-01T00:00:00Z"}, "deadline"),
        ({"ready_by": "2001-01-01"}, "ready_by"),
        ({"target_unit_price": {"amount": "9999.00", "currency": "CNY"}}, "target_unit_price"),
        ({"target_unit_price": {"amount": "0", "currency": "CNY"}}, "target_unit_price"),
        ({"title": "Group\x07buy"}, "title"),
        ({"factory": None}, "factory"),
    ],
)
def test_bad_campaign_input_is_a_400_naming_the_field(air_conditioner, overrides, field):
    organization, user = credit_buyer()
    factory, _owner = make_factory(air_conditioner.product.category, units=0)
    design = ac_design(air_conditioner, organization, user)
    response = api_client(user).post(
        "/api/v1/campaigns/", campaign_body(design, factory, **overrides), format="json"
    )
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == [field]
    assert Campaign.objects.count() == 0


def test_a_campaign_on_another_organizations_design_is_refused(air_conditioner):
    _organization, user = credit_buyer()
    other, other_user = credit_buyer()
    factory, _owner = make_factory(air_conditioner.product.category, units=0)
    design = ac_design(air_conditioner, other, other_user)
    response = api_client(user).post(
        "/api/v1/campaigns/", campaign_body(design, factory), format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["design"]
    assert Campaign.objects.count() == 0


def _signed_in(user):
    from django.test import Client

    from tests.helpers import PASSWORD

    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def test_campaign_page_shows_progress_and_takes_pledges(setting):
    campaign, organizer, _factory = setting
    pledge(campaign, organizer, 20)
    other = credit_buyer()
    client = _signed_in(other[1])
    html = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'id="campaign-progress" max="50" value="20"' in html
    assert "20 of 50 units pledged (40%)" in html
    response = client.post(f"/campaigns/{campaign.pk}/", {"quantity": "5"})
    assert response.status_code == 302
    assert Campaign.objects.get(pk=campaign.pk).pledged_quantity == 25
    before = _state()
    response = client.post(f"/campaigns/{campaign.pk}/", {"quantity": "60"})
    assert response.status_code == 400
    assert "Only 55 units are left under the campaign&#x27;s cap." in response.content.decode()
    assert _state() == before
    assert campaign.title in client.get("/campaigns/").content.decode()


def test_opening_a_campaign_from_the_design_page(air_conditioner):
    organization, user = credit_buyer()
    factory, _owner = make_factory(air_conditioner.product.category, units=20)
    design = ac_design(air_conditioner, organization, user)
    client = _signed_in(user)
    assert str(factory.pk) in client.get(f"/designs/{design.pk}/campaign/").content.decode()
    form = {
        "title": "Group buy",
        "factory": str(factory.pk),
        "target_quantity": "40",
        "deadline": (timezone.localtime() + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        "ready_by": in_days(20).isoformat(),
        "target_unit_price": "2900.00",
    }
    response = client.post(f"/designs/{design.pk}/campaign/", {**form, "target_quantity": "0"})
    assert response.status_code == 400
    assert Campaign.objects.count() == 0
    response = client.post(f"/designs/{design.pk}/campaign/", form)
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert (campaign.factory_id, campaign.target_unit_price) == (factory.pk, cny("2900.00"))


def test_a_campaign_that_met_its_target_enters_the_batch_matcher_and_holds_capacity(
    setting,
):
    campaign, organizer, factory = setting
    reference = f"campaign:{campaign.pk}"
    pledge(campaign, organizer, 40)
    # Below the target nothing is committed: the matcher does not see the campaign.
    assert not [a for a in batch_match_plan().assignments if a.reference == reference]

    pledge(campaign, credit_buyer(), 15)
    plan = batch_match_plan()
    (assignment,) = [a for a in plan.assignments if a.reference == reference]
    first_day = timezone.localdate(campaign.deadline) + datetime.timedelta(days=1)
    assert (assignment.factory_pk, assignment.units, assignment.share) == (factory.pk, 55, 1.0)
    assert all(first_day <= day <= campaign.ready_by for day, _units in assignment.allocations)
    assert sum(units for _day, units in assignment.allocations) == 55

    # Through the Celery payload, as the apply task receives it; applying twice holds once.
    payload = Assignment.from_payload(assignment.as_payload())
    assert batch_match_apply(assignments=[payload]) == 1
    assert batch_match_apply(assignments=[payload]) == 0
    hold = reservation_by_reference(reference=reference)
    assert hold.status == "held"
    assert sum(day.units for day in hold.days.all()) == 55
    assert hold.organization_id == factory.pk
    # Held: the next run plans the campaign no more.
    assert not [a for a in batch_match_plan().assignments if a.reference == reference]

    closed = services.campaign_close(campaign_pk=campaign.pk, now=after_deadline(campaign))
    assert closed.status == CampaignStatus.COMPLETED
    order = Order.objects.get(pk=closed.order_id)
    # The campaign's hold became the order's.
    assert reservation_by_reference(reference=reference).status == "released"
    order_hold = reservation_by_reference(reference=order.reservation_reference)
    assert order_hold.status in ("held", "booked")
    assert sum(day.units for day in order_hold.days.all()) == 55


def test_a_campaign_whose_factory_has_no_room_is_not_held(air_conditioner):
    organizer, organizer_user = credit_buyer()
    factory, _user = make_factory(air_conditioner.product.category, units=1, days=30)
    design = ac_design(air_conditioner, organizer, organizer_user)
    response = api_client(organizer_user).post(
        "/api/v1/campaigns/", campaign_body(design, factory), format="json"
    )
    campaign = Campaign.objects.get(pk=response.json()["id"])
    pledge(campaign, (organizer, organizer_user), 60)
    plan = batch_match_plan()
    # Partly planned at most, and a partial plan holds nothing.
    assert batch_match_apply(assignments=plan.assignments) == 0
    assert reservation_by_reference(reference=f"campaign:{campaign.pk}") is None


def _completed(setting, django_capture_on_commit_callbacks):
    campaign, organizer, _factory = setting
    other = credit_buyer()
    pledge(campaign, other, 30)
    pledge(campaign, organizer, 25)
    with django_capture_on_commit_callbacks(execute=True):
        closed = services.campaign_close(campaign_pk=campaign.pk, now=after_deadline(campaign))
    return Order.objects.get(pk=closed.order_id), organizer, other


def test_a_cancelled_campaign_order_refunds_every_pledger_through_finance(
    setting, django_capture_on_commit_callbacks
):
    order, organizer, other = _completed(setting, django_capture_on_commit_callbacks)
    assert credit_used(other[0]) == 280000 * 30
    with django_capture_on_commit_callbacks(execute=True):
        order_transition_apply(
            order_pk=order.pk,
            action=Action.CANCEL,
            party=Party.OPERATOR,
            acting_user=make_operator(),
            acting_organization=None,
            note="The factory cannot make it after all.",
            details={},
        )
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    escrow = Escrow.objects.get(order=order)
    assert escrow.refunded_minor == escrow.funded_minor == order.total.amount_minor
    # Each pledger's credit line is whole again, and the refunds say whose it was.
    assert credit_used(other[0]) == credit_used(organizer[0]) == 0
    assert sorted(
        Refund.objects.filter(order=order).values_list("organization_id", "amount_minor")
    ) == sorted([(other[0].pk, 280000 * 30), (organizer[0].pk, 280000 * 25)])
    assert set(CreditDraw.objects.filter(order=order).values_list("status", flat=True)) == {
        "repaid"
    }
    assert ledger_invariant_problems() == {}


def test_credit_drawn_by_a_completed_campaign_is_repaid_on_a_schedule(
    setting, django_capture_on_commit_callbacks
):
    order, organizer, other = _completed(setting, django_capture_on_commit_callbacks)
    draws = {draw.organization_id: draw for draw in CreditDraw.objects.filter(order=order)}
    assert {pk: draw.amount_minor for pk, draw in draws.items()} == {
        other[0].pk: 280000 * 30,
        organizer[0].pk: 280000 * 25,
    }
    assert {draw.due_on for draw in draws.values()} == {None}  # the clock starts at delivery
    delivered = timezone.localdate()
    credit_due_dates_set(order_pk=order.pk, delivered_on=delivered)
    line = CreditLine.objects.get(organization=other[0])
    due = delivered + datetime.timedelta(days=line.repayment_days)
    assert set(CreditDraw.objects.filter(order=order).values_list("due_on", flat=True)) == {due}
    # Unpaid past the due date: overdue, and the pledger's line takes no new credit.
    credit_flag_overdue(today=due + datetime.timedelta(days=1))
    line.refresh_from_db()
    assert line.overdue
    # Repaid by bank transfer: the draw is settled and the line unblocked.
    line = credit_repay(
        organization=other[0],
        amount=cny("84000.00"),
        bank_reference="BANK-1",
        acting_user=make_operator(),
    )
    assert (line.overdue, line.used_minor) == (False, 0)
    assert CreditDraw.objects.get(pk=draws[other[0].pk].pk).status == "repaid"
    assert ledger_invariant_problems() == {}
