import datetime

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from factories import selectors as factory_selectors
from factories import services as factory_services
from marketplace.models import Notification, Organization
from marketplace.tasks import notification_emails_send_task
from orders import services
from orders.models import (
    Dispute,
    Inspection,
    Order,
    OrderEvent,
    OrderStatus,
    ProductionReport,
    Review,
)
from tests.helpers import api_client, assert_other_organization_gets_404, make_organization
from tests.orders.conftest import (
    details_for,
    drive,
    in_days,
    make_factory,
    nothing_changes,
    passing_checklist,
)

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]
S = OrderStatus


def transition(user, order, **body):
    return api_client(user).post(f"/api/v1/orders/{order.pk}/transitions/", body, format="json")


def test_order_list_and_detail_scoping(deal):
    order = drive(deal, S.SAMPLE_REQUESTED)
    for user in (deal.buyer_user, deal.factory_user):
        listing = api_client(user).get("/api/v1/orders/").json()
        assert [row["id"] for row in listing["results"]] == [order.pk]
        detail = api_client(user).get(f"/api/v1/orders/{order.pk}/").json()
        assert detail["status"] == "sample_requested"
        assert detail["events"][0]["actor"] == deal.buyer_user.get_full_name()
        assert set(detail["events"][0]) >= {"at", "actor", "action", "note"}
    _other, other_user = make_organization(Organization.Kind.BUYER)
    assert api_client(other_user).get("/api/v1/orders/").json()["results"] == []
    assert_other_organization_gets_404(api_client(other_user), "get", f"/api/v1/orders/{order.pk}/")


def test_available_actions_follow_the_party(deal):
    order = drive(deal, S.SAMPLE_REQUESTED)
    buyer = api_client(deal.buyer_user).get(f"/api/v1/orders/{order.pk}/").json()
    factory = api_client(deal.factory_user).get(f"/api/v1/orders/{order.pk}/").json()
    assert buyer["available_actions"] == ["skip_sample", "cancel"]
    assert factory["available_actions"] == ["ship_sample", "cancel"]


def test_unknown_action_is_400(deal):
    order = drive(deal, S.SAMPLE_REQUESTED)
    with nothing_changes():
        response = transition(deal.buyer_user, order, action="teleport")
    assert response.status_code == 400
    assert "action" in response.json()["errors"]


def test_reject_sample_requires_a_reason(deal):
    order = drive(deal, S.SAMPLE_SHIPPED)
    with nothing_changes():
        response = transition(deal.buyer_user, order, action="reject_sample")
    assert response.status_code == 400
    assert "note" in response.json()["errors"]
    assert Order.objects.get(pk=order.pk).status == S.SAMPLE_SHIPPED


def test_failed_inspection_blocks_shipment_until_reinspection(deal):
    order = drive(deal, S.INSPECTION)
    checklist = passing_checklist(order)
    # The buyer inspects: an independent inspection, no acceptance needed.
    failed = transition(
        deal.buyer_user, order, action="record_inspection", defects_found=9, checklist=checklist
    )
    assert failed.status_code == 200
    inspection = failed.json()["inspections"][-1]
    # 300 units, general level II -> code H, 50 sampled; AQL 2.5 accepts at most 3.
    assert (inspection["sample_size"], inspection["acceptance_number"]) == (50, 3)
    assert inspection["passed"] is False
    ship = {"action": "ship", "carrier": "COSCO", "tracking_number": "X1"}
    with nothing_changes():
        blocked = transition(deal.factory_user, order, **ship)
    assert blocked.status_code == 409
    assert Order.objects.get(pk=order.pk).status == S.INSPECTION
    checklist[0]["passed"] = False
    failed_item = transition(
        deal.buyer_user, order, action="record_inspection", defects_found=0, checklist=checklist
    )
    assert failed_item.json()["inspections"][-1]["passed"] is False
    passed = transition(
        deal.buyer_user,
        order,
        action="record_inspection",
        defects_found=3,
        checklist=passing_checklist(order),
    )
    assert passed.json()["inspections"][-1]["passed"] is True
    shipped = transition(deal.factory_user, order, **ship)
    assert shipped.status_code == 200
    assert shipped.json()["status"] == "shipped"
    assert shipped.json()["tracking_number"] == "X1"
    assert Inspection.objects.filter(order=order).count() == 3


def test_inspection_with_missing_checklist_item_is_400(deal):
    order = drive(deal, S.INSPECTION)
    partial = passing_checklist(order)[1:]
    response = transition(
        deal.factory_user, order, action="record_inspection", defects_found=0, checklist=partial
    )
    assert response.status_code == 400
    assert "checklist" in response.json()["errors"]
    assert Inspection.objects.count() == 0


def test_inspection_photos_multipart(deal):
    order = drive(deal, S.INSPECTION)
    photo = SimpleUploadedFile("lot.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 50)
    import json

    response = api_client(deal.factory_user).post(
        f"/api/v1/orders/{order.pk}/transitions/",
        {
            "action": "record_inspection",
            "defects_found": 0,
            "checklist": json.dumps(passing_checklist(order)),
            "photos": [photo],
        },
        format="multipart",
    )
    assert response.status_code == 200, response.content
    assert len(response.json()["inspections"][0]["photos"]) == 1


def test_ship_requires_carrier_and_tracking(deal):
    order = drive(deal, S.INSPECTION)
    deal.act("record_inspection", "buyer", **details_for("record_inspection", order))
    with nothing_changes():
        response = transition(deal.factory_user, order, action="ship", carrier="")
    assert response.status_code == 400
    assert "carrier" in response.json()["errors"]
    assert Order.objects.get(pk=order.pk).status == S.INSPECTION


def test_start_production_with_capacity_gone_is_409_and_changes_nothing(deal):
    order = drive(deal, S.PAID)
    reservation = factory_selectors.reservation_by_reference(reference=order.reservation_reference)
    factory_services.reservation_release(reservation=reservation)
    # Someone else takes the freed days.
    other = Organization.objects.create(name="X", slug="x-buyer", kind="buyer")
    factory_services.capacity_hold(
        factory=deal.factory,
        category=deal.category,
        allocations={datetime.date.fromisoformat(day): 100 for day in order.production_plan},
        reference=f"other:{other.pk}",
        expires_at=timezone.now() + datetime.timedelta(days=1),
    )
    events = order.events.count()
    response = transition(deal.factory_user, order, action="start_production")
    assert response.status_code == 409
    order.refresh_from_db()
    assert order.status == S.PAID
    assert order.capacity_booked is False
    assert order.events.count() == events


def test_start_production_rebooks_a_lapsed_hold_when_days_are_still_free(deal):
    order = drive(deal, S.PAID)
    reservation = factory_selectors.reservation_by_reference(reference=order.reservation_reference)
    factory_services.reservation_release(reservation=reservation)
    response = transition(deal.factory_user, order, action="start_production")
    assert response.status_code == 200
    booked = factory_selectors.reservation_by_reference(reference=order.reservation_reference)
    assert booked.status == "booked"


def test_production_progress_reported_and_charted(deal):
    order = drive(deal, S.IN_PRODUCTION)
    client = api_client(deal.factory_user)
    today = timezone.localdate().isoformat()
    response = client.post(
        f"/api/v1/orders/{order.pk}/progress/", {"day": today, "units": 80}, format="json"
    )
    assert response.status_code == 201, response.content
    points = response.json()["results"]
    by_day = {point["day"]: point for point in points}
    assert points[0]["planned_cumulative"] == points[0]["actual_cumulative"] == 0  # baseline
    assert by_day[today]["actual"] == 80
    assert points[-1]["planned_cumulative"] == 300
    assert points[-1]["actual_cumulative"] == 80
    # The entry and its timeline event, as the factory's user wrote them.
    entry = ProductionReport.objects.get(order=order)
    assert response.json()["entries"][0]["id"] == entry.pk
    assert (entry.units, entry.reported_by, entry.corrects) == (80, deal.factory_user, None)
    event = OrderEvent.objects.get(order=order, action="progress_reported")
    assert (event.actor, event.actor_organization) == (deal.factory_user, deal.factory)
    assert (event.from_status, event.to_status, event.note) == (S.IN_PRODUCTION,) * 2 + ("",)
    assert event.data == {"entry": entry.pk, "day": today, "units": 80, "total": 80}
    assert event.at == entry.reported_at
    # A second report for the same day (the next shift) adds to the first.
    again = client.post(
        f"/api/v1/orders/{order.pk}/progress/", {"day": today, "units": 90}, format="json"
    )
    assert {point["day"]: point for point in again.json()["results"]}[today]["actual"] == 170
    assert again.json()["total"] == 170
    assert [entry["units"] for entry in again.json()["entries"]] == [80, 90]
    assert ProductionReport.objects.filter(order=order).count() == 2
    with nothing_changes():
        too_many = client.post(
            f"/api/v1/orders/{order.pk}/progress/", {"day": today, "units": 301}, format="json"
        )
        future = client.post(
            f"/api/v1/orders/{order.pk}/progress/",
            {"day": in_days(2).isoformat(), "units": 1},
            format="json",
        )
        buyer = api_client(deal.buyer_user).post(
            f"/api/v1/orders/{order.pk}/progress/", {"day": today, "units": 1}, format="json"
        )
    assert too_many.status_code == 400
    assert "note" in too_many.json()["errors"]  # beyond the quantity only with a note
    assert future.status_code == 400
    assert buyer.status_code == 403
    assert sum(ProductionReport.objects.filter(order=order).values_list("units", flat=True)) == 170


def test_progress_before_production_started_is_a_400_on_the_day(deal):
    """A day before the (local) day production started is refused; the start day is not,
    to the midnight: production started at 00:00 here on the day before yesterday."""
    order = drive(deal, S.IN_PRODUCTION)
    start = in_days(-2)
    started_at = timezone.make_aware(datetime.datetime.combine(start, datetime.time()))
    Order.objects.filter(pk=order.pk).update(production_started_at=started_at)
    client = api_client(deal.factory_user)
    url = f"/api/v1/orders/{order.pk}/progress/"
    with nothing_changes():
        before = client.post(url, {"day": in_days(-3).isoformat(), "units": 5}, format="json")
    assert before.status_code == 400, before.content
    assert list(before.json()["errors"]) == ["day"]
    assert start.isoformat() in before.json()["errors"]["day"][0]
    on_the_day = client.post(url, {"day": start.isoformat(), "units": 5}, format="json")
    assert on_the_day.status_code == 201, on_the_day.content
    assert on_the_day.json()["total"] == 5


def test_progress_outside_production_is_409(deal):
    order = drive(deal, S.PAID)
    response = api_client(deal.factory_user).post(
        f"/api/v1/orders/{order.pk}/progress/",
        {"day": timezone.localdate().isoformat(), "units": 1},
        format="json",
    )
    assert response.status_code == 409
    assert ProductionReport.objects.count() == 0


def test_dispute_with_evidence_and_window(deal, settings):
    order = drive(deal, S.DELIVERED)
    settings.ORDERS_DISPUTE_WINDOW_DAYS = 7
    Order.objects.filter(pk=order.pk).update(
        delivered_at=timezone.now() - datetime.timedelta(days=8)
    )
    with nothing_changes():
        late = transition(deal.buyer_user, order, action="open_dispute", reason="Wrong colour")
    assert late.status_code == 409
    assert Dispute.objects.count() == 0
    Order.objects.filter(pk=order.pk).update(delivered_at=timezone.now())
    evidence = SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    response = api_client(deal.buyer_user).post(
        f"/api/v1/orders/{order.pk}/transitions/",
        {"action": "open_dispute", "reason": "Wrong colour", "evidence": [evidence]},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    dispute = Dispute.objects.get(order=order)
    assert dispute.reason == "Wrong colour"
    assert dispute.evidence.count() == 1
    assert response.json()["status"] == "disputed"


def test_repeat_order_skips_sampling_and_holds_capacity(deal):
    order = drive(deal, S.COMPLETED)
    client = api_client(deal.buyer_user)
    body = {"quantity": 150, "ready_by": in_days(15).isoformat()}
    response = client.post(
        f"/api/v1/orders/{order.pk}/repeat/", body, format="json", HTTP_IDEMPOTENCY_KEY="rep-1"
    )
    assert response.status_code == 201, response.content
    repeat = response.json()
    assert repeat["status"] == "awaiting_payment"
    assert repeat["with_sample"] is False
    assert repeat["repeat_of"] == order.pk
    assert repeat["factory"]["id"] == deal.factory.pk
    assert repeat["unit_price"] == {"amount": "38.50", "currency": "CNY"}
    assert repeat["sample_fee"] == {"amount": "0.00", "currency": "CNY"}
    held = factory_selectors.reservation_by_reference(reference=f"order:{repeat['id']}")
    assert (held.status, held.quantity) == ("held", 150)
    replay = client.post(
        f"/api/v1/orders/{order.pk}/repeat/", body, format="json", HTTP_IDEMPOTENCY_KEY="rep-1"
    )
    assert replay.json()["id"] == repeat["id"]
    assert Order.objects.count() == 2
    with nothing_changes():
        factory = api_client(deal.factory_user).post(
            f"/api/v1/orders/{order.pk}/repeat/", body, format="json"
        )
    assert factory.status_code == 403


def test_repeat_of_unfinished_order_is_409(deal):
    order = drive(deal, S.SHIPPED)
    response = api_client(deal.buyer_user).post(
        f"/api/v1/orders/{order.pk}/repeat/",
        {"quantity": 10, "ready_by": in_days(15).isoformat()},
        format="json",
    )
    assert response.status_code == 409
    assert Order.objects.count() == 1


def test_review_once_reply_once_and_performance_pushed(deal, django_capture_on_commit_callbacks):
    order = drive(deal, S.COMPLETED)
    with nothing_changes():
        early = api_client(deal.buyer_user).post(
            f"/api/v1/orders/{order.pk}/review/",
            {"quality": 6, "delivery": 5, "communication": 5},
            format="json",
        )
    assert early.status_code == 400
    assert "quality" in early.json()["errors"]
    with django_capture_on_commit_callbacks(execute=False):
        response = api_client(deal.buyer_user).post(
            f"/api/v1/orders/{order.pk}/review/",
            {"quality": 5, "delivery": 4, "communication": 3, "comment": "Great shirts"},
            format="json",
        )
    assert response.status_code == 201, response.content
    assert response.json()["average"] == 4.0
    review = Review.objects.get()
    url = f"/api/v1/reviews/{review.pk}/reply/"
    with nothing_changes():
        again = api_client(deal.buyer_user).post(
            f"/api/v1/orders/{order.pk}/review/",
            {"quality": 1, "delivery": 1, "communication": 1},
            format="json",
        )
        factory_review = api_client(deal.factory_user).post(
            f"/api/v1/orders/{order.pk}/review/",
            {"quality": 5, "delivery": 5, "communication": 5},
            format="json",
        )
        buyer_reply = api_client(deal.buyer_user).post(url, {"reply": "x"}, format="json")
    assert again.status_code == 409
    assert factory_review.status_code == 403
    assert buyer_reply.status_code == 403
    assert (
        api_client(deal.factory_user).post(url, {"reply": "Thanks!"}, format="json").status_code
        == 200
    )
    with nothing_changes():
        reply_again = api_client(deal.factory_user).post(url, {"reply": "Again"}, format="json")
    assert reply_again.status_code == 409
    review.refresh_from_db()
    assert review.reply == "Thanks!"
    figures = services.factory_performance_push(factory_pk=deal.factory.pk)
    assert figures["rating"] == 4.0
    assert figures["rating_count"] == 1
    assert figures["on_time_rate"] == 1.0
    assert figures["defect_rate"] == 0.0
    assert figures["repeat_buyer_rate"] == 0.0
    assert figures["median_quote_response_hours"] is not None
    from factories.models import FactoryPerformance  # reading the pushed figures back

    record = FactoryPerformance.objects.get(organization=deal.factory)
    assert (record.rating, record.rating_count, record.on_time_rate) == (4.0, 1, 1.0)


def test_review_before_completion_is_409(deal):
    order = drive(deal, S.DELIVERED)
    response = api_client(deal.buyer_user).post(
        f"/api/v1/orders/{order.pk}/review/",
        {"quality": 5, "delivery": 5, "communication": 5},
        format="json",
    )
    assert response.status_code == 409
    assert Review.objects.count() == 0


def test_auto_confirm_then_auto_complete_after_the_windows(deal, settings):
    settings.ORDERS_AUTO_CONFIRM_DAYS = 7
    settings.ORDERS_DISPUTE_WINDOW_DAYS = 5
    order = drive(deal, S.SHIPPED)
    assert services.orders_due_for_auto_step() == []
    Order.objects.filter(pk=order.pk).update(shipped_at=timezone.now() - datetime.timedelta(days=8))
    assert services.orders_due_for_auto_step() == [(order.pk, "confirm_delivery")]
    assert services.order_auto_step(order_pk=order.pk, action="confirm_delivery") is True
    # Running the same step twice is harmless.
    assert services.order_auto_step(order_pk=order.pk, action="confirm_delivery") is False
    order.refresh_from_db()
    assert order.status == S.DELIVERED
    event = order.events.get(action="confirm_delivery")
    assert event.actor is None
    assert "automatically" in event.display_note
    Order.objects.filter(pk=order.pk).update(
        delivered_at=timezone.now() - datetime.timedelta(days=6)
    )
    assert services.orders_due_for_auto_step() == [(order.pk, "complete")]
    services.order_auto_step(order_pk=order.pk, action="complete")
    assert Order.objects.get(pk=order.pk).status == S.COMPLETED


def test_overdue_reminder_goes_to_whoever_must_act_once_per_period(deal, settings):
    order = drive(deal, S.SAMPLE_REQUESTED)
    Order.objects.filter(pk=order.pk).update(
        status_changed_at=timezone.now() - settings.ORDERS_OVERDUE_AFTER * 2
    )
    before = Notification.objects.filter(organization=deal.factory).count()
    assert services.orders_remind_overdue() == 1
    assert services.orders_remind_overdue() == 0
    reminders = Notification.objects.filter(
        organization=deal.factory, title_key="orders.overdue.title"
    )
    assert reminders.count() == 1
    assert Notification.objects.filter(organization=deal.factory).count() == before + 1


def test_reinvite_after_quiet_period(category, settings):
    settings.ORDERS_INVITE_TOP_N = 1
    buyer, buyer_user = make_organization(Organization.Kind.BUYER)
    first, _u = make_factory(category, name="Alpha", units=200)
    second, _u = make_factory(category, name="Beta", units=200)
    from tests.orders.conftest import make_rfq

    rfq = make_rfq(buyer, buyer_user, category)
    assert services.rfq_match(rfq_pk=rfq.pk) == 1
    assert services.rfq_match(rfq_pk=rfq.pk) == 0  # idempotent
    assert services.rfq_reinvite(rfq_pk=rfq.pk) == 0  # not quiet long enough yet
    rfq.refresh_from_db()
    type(rfq).objects.filter(pk=rfq.pk).update(
        last_invited_at=timezone.now() - settings.ORDERS_QUOTE_TIMEOUT * 2
    )
    assert list(services.rfqs_needing_reinvite().values_list("pk", flat=True)) == [rfq.pk]
    assert services.rfq_reinvite(rfq_pk=rfq.pk) == 1
    invited = list(rfq.invitations.order_by("round").values_list("factory_id", "round"))
    assert {pk for pk, _round in invited} == {first.pk, second.pk}
    assert [round_ for _pk, round_ in invited] == [1, 2]


def test_emails_leave_after_commit(deal, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        drive(deal, S.SAMPLE_SHIPPED)
    assert mail.outbox == []  # sent by a task, enqueued on commit
    pending = Notification.objects.filter(emailed_at__isnull=True).values_list("pk", flat=True)
    notification_emails_send_task(list(pending))
    subjects = [message.subject for message in mail.outbox]
    assert any("Sample shipped" in subject for subject in subjects)


def test_buyer_is_told_when_the_hold_lapses_before_payment(deal):
    order = drive(deal, S.AWAITING_PAYMENT)
    assert services.orders_remind_overdue() == 0
    Order.objects.filter(pk=order.pk).update(
        hold_expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert services.orders_remind_overdue() == 1
    reminder = Notification.objects.get(organization=deal.buyer, title_key="orders.overdue.title")
    assert reminder.display_title.startswith(f"Overdue: {order.number}")
    assert "capacity hold lapsed" in reminder.display_body
