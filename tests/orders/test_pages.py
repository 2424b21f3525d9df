import pytest
from django.test import Client

from marketplace.models import Organization
from orders.models import Order, OrderStatus, RFQInvitation
from tests.helpers import make_organization
from tests.orders.conftest import (
    drive,
    make_deal,
    make_factory,
    make_quote,
    nothing_changes,
    passing_checklist,
)

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("status", list(OrderStatus.values))
def test_order_page_renders_for_both_parties_in_every_status(status):
    deal = make_deal()
    order = drive(deal, status)
    for user in (deal.buyer_user, deal.factory_user):
        response = browser(user).get(f"/orders/{order.pk}/")
        assert response.status_code == 200
        assert f'data-status="{status}"' in response.content.decode()
    listing = browser(deal.buyer_user).get("/orders/")
    assert order.number in listing.content.decode()


def test_other_organization_gets_404_on_pages():
    deal = make_deal()
    order = drive(deal, OrderStatus.SAMPLE_REQUESTED)
    _other, other_user = make_organization(Organization.Kind.BUYER)
    client = browser(other_user)
    assert client.get(f"/orders/{order.pk}/").status_code == 404
    assert client.get(f"/rfqs/{deal.rfq.pk}/").status_code == 404
    with nothing_changes():
        response = client.post(f"/orders/{order.pk}/transition/", {"action": "cancel"})
    assert response.status_code == 404


def test_rfq_page_compares_quotes_with_a_chart(category):
    deal = make_deal(category=category)
    rival, rival_user = make_factory(category, name="Rival Works")
    RFQInvitation.objects.create(rfq=deal.rfq, factory=rival)
    make_quote(deal.rfq, rival, rival_user, lead_time_days=4)
    page = browser(deal.buyer_user).get(f"/rfqs/{deal.rfq.pk}/").content.decode()
    assert page.count('class="card quote-card"') == 2
    assert "<svg" in page
    assert "Rival Works" in page
    factory_page = browser(rival_user).get(f"/rfqs/{deal.rfq.pk}/").content.decode()
    assert deal.factory.name not in factory_page  # competitors stay hidden
    assert "Revise quote" in factory_page


def test_rfq_form_page_creates_rfq(category, django_capture_on_commit_callbacks):
    from orders.models import RFQ
    from tests.orders.conftest import in_days

    _buyer, user = make_organization(Organization.Kind.BUYER)
    client = browser(user)
    assert client.get("/rfqs/new/").status_code == 200
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            "/rfqs/new/",
            {
                "category": category.pk,
                "title": "Page RFQ",
                "quantity": 50,
                "ready_by": in_days(20).isoformat(),
                "spec": "",
            },
        )
    rfq = RFQ.objects.get(title="Page RFQ")
    assert response.status_code == 302
    assert response["Location"] == f"/rfqs/{rfq.pk}/"
    assert len(callbacks) == 1  # the matching task is queued after commit


def test_rfq_form_rejects_past_date(category):
    _buyer, user = make_organization(Organization.Kind.BUYER)
    with nothing_changes():
        response = browser(user).post(
            "/rfqs/new/",
            {"category": category.pk, "title": "X", "quantity": 5, "ready_by": "2001-01-01"},
        )
    assert response.status_code == 200
    assert "must be in the future" in response.content.decode()


def test_factory_cannot_open_rfq_form(category):
    _factory, user = make_factory(category)
    assert browser(user).get("/rfqs/new/").status_code == 403


def test_page_actions_drive_the_same_service(deal):
    order = drive(deal, OrderStatus.INSPECTION)
    factory = browser(deal.factory_user)
    checklist = passing_checklist(order)
    data = {"action": "record_inspection", "defects_found": 0}
    data.update({f"check_{index}": "on" for index in range(len(checklist))})
    response = browser(deal.buyer_user).post(f"/orders/{order.pk}/transition/", data)
    assert response.status_code == 302
    assert order.inspections.get().passed is True
    factory.post(
        f"/orders/{order.pk}/transition/",
        {"action": "ship", "carrier": "COSCO", "tracking_number": "A1"},
    )
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SHIPPED
    # A buyer action posted by the factory is refused.
    with nothing_changes():
        denied = factory.post(f"/orders/{order.pk}/transition/", {"action": "confirm_delivery"})
        conflict = browser(deal.buyer_user).post(
            f"/orders/{order.pk}/transition/", {"action": "approve_sample"}
        )
    assert denied.status_code == 403
    assert conflict.status_code == 303
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SHIPPED


def test_progress_htmx_returns_the_panel(deal):
    order = drive(deal, OrderStatus.IN_PRODUCTION)
    from django.utils import timezone

    response = browser(deal.factory_user).post(
        f"/orders/{order.pk}/progress/",
        {"day": timezone.localdate().isoformat(), "units": 40},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="progress-panel">')
    assert "40 of 300 units done" in body


def test_operator_cancels_an_order_from_admin_with_a_reason(deal):
    from tests.helpers import make_operator

    order = drive(deal, OrderStatus.SAMPLE_REQUESTED)
    operator = make_operator()
    client = browser(operator)
    assert client.get(f"/admin/orders/order/{order.pk}/change/").status_code == 200
    assert client.get("/admin/orders/order/").status_code == 200
    asked = client.post(
        "/admin/orders/order/", {"action": "cancel_order", "_selected_action": [order.pk]}
    )
    assert asked.status_code == 200  # the reason comes first
    assert "Reason" in asked.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.SAMPLE_REQUESTED
    response = client.post(
        "/admin/orders/order/",
        {
            "action": "cancel_order",
            "_selected_action": [order.pk],
            "apply": "1",
            "reason": "Both sides asked to cancel",
        },
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    event = order.events.get(action="cancel")
    assert event.actor == operator
    assert event.display_note == "Both sides asked to cancel"
    # The timeline's notes are shown rendered in the admin too.
    change = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "Both sides asked to cancel" in change


def test_dashboard_shows_what_waits_for_each_party(deal):
    drive(deal, OrderStatus.SAMPLE_REQUESTED)
    buyer_page = browser(deal.buyer_user).get("/dashboard/").content.decode()
    factory_page = browser(deal.factory_user).get("/dashboard/").content.decode()
    assert 'id="orders-dashboard"' in buyer_page
    # sample_requested waits for the factory, not the buyer.
    assert 'Orders waiting for you</span>\n      <div class="kpi">0' in buyer_page
    assert 'Orders waiting for you</span>\n      <div class="kpi">1' in factory_page


def test_buyer_counter_offer_from_the_page_lands_in_the_factory_thread(deal):
    response = browser(deal.buyer_user).post(
        f"/rfqs/{deal.rfq.pk}/messages/",
        {"body": "Could you do 36?", "proposed_unit_price": "36.00", "factory": deal.factory.slug},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/rfqs/{deal.rfq.pk}/?factory={deal.factory.slug}#thread"
    page = browser(deal.factory_user).get(f"/rfqs/{deal.rfq.pk}/").content.decode()
    assert "Could you do 36?" in page
    assert "CNY 36.00" in page


def test_factory_withdraws_its_quote_from_the_page_buyer_cannot(deal):
    from orders.models import Quote

    with nothing_changes():
        buyer_try = browser(deal.buyer_user).post(f"/quotes/{deal.quote.pk}/withdraw/")
    assert buyer_try.status_code == 403
    response = browser(deal.factory_user).post(f"/quotes/{deal.quote.pk}/withdraw/")
    assert response.status_code == 302
    assert Quote.objects.get(pk=deal.quote.pk).status == Quote.Status.WITHDRAWN


def test_quote_page_submits_then_revises_and_refuses_bad_input_unchanged(category):
    from orders.models import Quote
    from tests.orders.conftest import in_days

    deal = make_deal(category=category)
    rival, rival_user = make_factory(category, name="Second Works")
    RFQInvitation.objects.create(rfq=deal.rfq, factory=rival)
    client = browser(rival_user)
    url = f"/rfqs/{deal.rfq.pk}/quote/"
    body = {"unit_price": "41.00", "lead_time_days": 9, "valid_until": in_days(9).isoformat()}
    assert client.post(url, body).status_code == 302
    quote = Quote.objects.get(rfq=deal.rfq, factory=rival)
    assert (quote.unit_price_minor, quote.revision) == (4100, 1)
    assert client.post(url, {**body, "unit_price": "39.00"}).status_code == 302
    quote.refresh_from_db()
    assert (quote.unit_price_minor, quote.revision) == (3900, 2)
    with nothing_changes():
        stale = client.post(url, {**body, "valid_until": "2001-01-01"})
    # Refused on the page itself: status 400, the message under the field, what was sent kept.
    assert stale.status_code == 400
    form = stale.context["quote_form"]
    assert form.errors["valid_until"]
    assert 'value="2001-01-01"' in stale.content.decode()
