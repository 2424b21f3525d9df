import pytest
from django.core import mail

from factories import selectors as factory_selectors
from marketplace.models import Notification
from orders import services
from orders.models import RFQ, OrderEvent, OrderStatus, Quote, RFQInvitation
from tests.orders.conftest import NOTES, drive, drive_steps, make_deal, make_factory, make_quote

pytestmark = pytest.mark.django_db


def reservation(order):
    return factory_selectors.reservation_by_reference(reference=order.reservation_reference)


def test_matching_invites_verified_factories_with_capacity_only(category):
    deal = make_deal(category=category)
    invited = set(deal.rfq.invitations.values_list("factory_id", flat=True))
    assert invited == {deal.factory.pk}
    unverified, _owner = make_factory(category, verified=False)
    too_small, _owner = make_factory(category, units=5, days=3)
    rfq = RFQ.objects.get(pk=deal.rfq.pk)
    assert unverified.pk not in invited
    assert too_small.pk not in invited
    assert rfq.invite_rounds == 1
    assert rfq.matched_at is not None
    assert Notification.objects.filter(organization=deal.factory).count() >= 1


def test_full_life_cycle_records_every_step_and_books_capacity(deal):
    order = drive(deal, OrderStatus.COMPLETED)
    assert order.status == OrderStatus.COMPLETED
    actions = list(order.events.values_list("action", flat=True))
    assert actions == [
        "order_created",
        "skip_sample",
        "mark_paid",
        "start_production",
        "progress_reported",
        "finish_production",
        "record_inspection",
        "ship",
        "confirm_delivery",
        "complete",
    ]
    assert reservation(order).status == "booked"
    assert order.capacity_booked is True
    assert order.carrier == "COSCO"


def test_accepting_holds_capacity_and_declines_other_quotes(deal, category):
    rival, rival_user = make_factory(category, name="Rival Garments")
    RFQInvitation.objects.create(rfq=deal.rfq, factory=rival)
    rival_quote = make_quote(deal.rfq, rival, rival_user)
    order = services.quote_accept(
        quote=deal.quote, acting_organization=deal.buyer, acting_user=deal.buyer_user
    )
    held = reservation(order)
    assert held.status == "held"
    assert held.quantity == 300
    assert sum(order.production_plan.values()) == 300
    rival_quote.refresh_from_db()
    deal.quote.refresh_from_db()
    assert rival_quote.status == Quote.Status.DECLINED
    assert deal.quote.status == Quote.Status.ACCEPTED
    assert RFQ.objects.get(pk=deal.rfq.pk).status == RFQ.Status.AWARDED


def test_sample_rejection_and_resampling_loop(deal):
    order = drive(deal, OrderStatus.SAMPLE_REJECTED)
    assert order.status == OrderStatus.SAMPLE_REJECTED
    drive_steps(deal, [("request_sample", "buyer")])
    assert deal.refresh().status == OrderStatus.SAMPLE_REQUESTED
    assert (
        OrderEvent.objects.filter(order=order, action="reject_sample").get().display_note
        == (NOTES["reject_sample"])
    )


def test_approving_the_sample_moves_on_to_payment_through_sample_approved(deal):
    order = drive(deal, OrderStatus.AWAITING_PAYMENT)
    transitions = list(
        order.events.exclude(action="order_created").values_list("from_status", "to_status")
    )
    assert transitions[-2:] == [
        ("sample_shipped", "sample_approved"),
        ("sample_approved", "awaiting_payment"),
    ]


def test_cancel_releases_the_hold(deal):
    order = drive(deal, OrderStatus.CANCELLED)
    assert reservation(order).status == "released"
    assert order.cancelled_at is not None


def test_mark_paid_service_is_a_recorded_system_transition(deal):
    order = drive(deal, OrderStatus.AWAITING_PAYMENT)
    services.order_mark_paid(order=order, acting_user=deal.buyer_user)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    event = order.events.get(action="mark_paid")
    assert event.actor == deal.buyer_user
    assert event.data["amount"] == {"amount": "11670.00", "currency": "CNY"}


def test_notifications_and_email_go_to_the_other_party(deal):
    drive(deal, OrderStatus.SAMPLE_SHIPPED)
    titles = [item.display_title for item in Notification.objects.filter(organization=deal.buyer)]
    assert any("Sample shipped" in title for title in titles)
    assert mail.outbox == []  # emails leave after commit only


def test_skipping_the_sample_before_it_is_made_drops_the_fee(deal):
    order = drive(deal, OrderStatus.SAMPLE_REQUESTED)
    assert order.total.amount_minor == 300 * 3850 + 12000
    drive_steps(deal, [("skip_sample", "buyer")])
    order = deal.refresh()
    assert (order.with_sample, order.sample_fee_minor) == (False, 0)
    assert order.total.amount_minor == 300 * 3850


def test_skipping_after_a_rejected_sample_keeps_the_fee(deal):
    drive(deal, OrderStatus.SAMPLE_REJECTED)
    drive_steps(deal, [("skip_sample", "buyer")])
    assert deal.refresh().sample_fee_minor == 12000
