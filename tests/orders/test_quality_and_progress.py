"""Quality that is not self-certified, and progress that adds up (issue 8, items 2 and 3).

Production finishes only at the ordered quantity or a short shipment the buyer accepted
(and the money follows the shipped quantity); the AQL and checklist are agreed in the
quote and fixed on the order; the inspection is the buyer's, an assigned inspector's or
an operator's, while the factory's own is a self-check waiting for the buyer; progress
reports add up and corrections are entries of their own. Through HTTP and the services.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from finance.models import Escrow
from marketplace.models import Notification, Organization
from orders import services
from orders.inspection import checklist_for_category
from orders.models import Inspection, Order, OrderEvent, OrderStatus, ProductionReport
from tests.helpers import api_client, make_organization
from tests.orders.conftest import (
    details_for,
    drive,
    in_days,
    make_rfq,
    nothing_changes,
    passing_checklist,
    report_all,
)

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]
S = OrderStatus


def transition(user, order, **body):
    return api_client(user).post(f"/api/v1/orders/{order.pk}/transitions/", body, format="json")


def progress(user, order, units, note="", day=None):
    day = day or timezone.localdate()
    return api_client(user).post(
        f"/api/v1/orders/{order.pk}/progress/",
        {"day": day.isoformat(), "units": units, "note": note},
        format="json",
    )


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- finishing needs every unit, or the buyer's short-shipment acceptance ----------------


def test_finishing_with_missing_units_is_refused_and_changes_nothing(deal):
    order = drive(deal, S.IN_PRODUCTION)
    assert progress(deal.factory_user, order, 120).status_code == 201
    with nothing_changes():
        refused = transition(deal.factory_user, order, action="finish_production")
    assert refused.status_code == 409
    assert "120 of 300" in refused.json()["detail"]
    assert progress(deal.factory_user, order, 180).status_code == 201
    finished = transition(deal.factory_user, order, action="finish_production")
    assert finished.status_code == 200, finished.content
    assert finished.json()["status"] == S.INSPECTION
    assert finished.json()["reported_quantity"] == 300


def test_buyer_accepts_a_short_shipment_and_the_money_follows(
    deal, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = drive(deal, S.IN_PRODUCTION)
    assert progress(deal.factory_user, order, 120).status_code == 201
    with nothing_changes():
        by_factory = transition(
            deal.factory_user, order, action="accept_short_shipment", quantity=1
        )
        too_many = transition(deal.buyer_user, order, action="accept_short_shipment", quantity=300)
        missing = transition(deal.buyer_user, order, action="accept_short_shipment")
    assert by_factory.status_code == 403
    assert too_many.status_code == 400
    assert "quantity" in too_many.json()["errors"]
    assert missing.status_code == 400
    held_before = Escrow.objects.get(order=order).held_minor

    with django_capture_on_commit_callbacks(execute=True):
        accepted = transition(
            deal.buyer_user, order, action="accept_short_shipment", quantity=250, note="Fine."
        )
    assert accepted.status_code == 200, accepted.content
    body = accepted.json()
    assert (body["accepted_quantity"], body["ship_quantity"]) == (250, 250)
    assert body["inspection_plan"]["lot_size"] == 250
    # The 50 units not shipped go back to the buyer (38.50 each).
    escrow = Escrow.objects.get(order=order)
    assert escrow.refunded_minor == 50 * 3850
    assert escrow.held_minor == held_before - 50 * 3850
    # Once only: a second acceptance is refused.
    again = transition(deal.buyer_user, order, action="accept_short_shipment", quantity=200)
    assert again.status_code == 409

    refused = transition(deal.factory_user, order, action="finish_production")
    assert refused.status_code == 409
    assert "120 of the 250" in refused.json()["detail"]
    assert progress(deal.factory_user, order, 130).status_code == 201
    assert transition(deal.factory_user, order, action="finish_production").status_code == 200


# --- quality terms agreed in the quote --------------------------------------------------


def test_quality_terms_are_quoted_compared_and_fixed_on_acceptance(deal):
    # A quote without terms offers the default AQL and the category's checklist.
    assert deal.quote.aql == "2.5"
    assert deal.quote.inspection_checklist == checklist_for_category(deal.category)
    body = {
        "aql": "1.0",
        "inspection_checklist": ["Stitch density 10-12 per inch", "Colour matches Pantone 19-4052"],
    }
    factory_api = api_client(deal.factory_user)
    with nothing_changes():
        refused = factory_api.patch(
            f"/api/v1/quotes/{deal.quote.pk}/",
            {"aql": "6.5", "inspection_checklist": ["", "x"]},
            format="json",
        )
    assert refused.status_code == 400
    assert {"aql", "inspection_checklist"} <= set(refused.json()["errors"])
    revised = factory_api.patch(f"/api/v1/quotes/{deal.quote.pk}/", body, format="json")
    assert revised.status_code == 200, revised.content
    assert revised.json()["aql"] == "1.0"

    listed = api_client(deal.buyer_user).get(f"/api/v1/rfqs/{deal.rfq.pk}/quotes/")
    assert [
        (quote["aql"], quote["inspection_checklist"]) for quote in listed.json()["results"]
    ] == [("1.0", body["inspection_checklist"])]
    page = browser(deal.buyer_user).get(f"/rfqs/{deal.rfq.pk}/").content.decode()
    assert "AQL 1.0" in page
    assert "Stitch density 10-12 per inch" in page

    accepted = api_client(deal.buyer_user).post(
        f"/api/v1/quotes/{deal.quote.pk}/accept/", {"with_sample": False}, format="json"
    )
    assert accepted.status_code == 201, accepted.content
    order = accepted.json()
    assert order["aql"] == "1.0"
    assert order["inspection_checklist"] == body["inspection_checklist"]
    # 300 units, general level II: 50 sampled; AQL 1.0 accepts at most 1 defect.
    assert order["inspection_plan"] == {
        "aql": "1.0",
        "lot_size": 300,
        "sample_size": 50,
        "acceptance_number": 1,
    }
    # Fixed: the accepted quote can no longer be revised.
    late = factory_api.patch(f"/api/v1/quotes/{deal.quote.pk}/", {"aql": "4.0"}, format="json")
    assert late.status_code == 409
    assert Order.objects.get(pk=order["id"]).aql == "1.0"


def test_the_inspection_uses_the_orders_agreed_aql_and_checklist(deal):
    services.quote_revise(
        quote=deal.quote,
        acting_organization=deal.factory,
        acting_user=deal.factory_user,
        aql="4.0",
        inspection_checklist=["Zip runs smoothly"],
    )
    order = drive(deal, S.INSPECTION)
    assert (order.aql, order.inspection_checklist) == ("4.0", ["Zip runs smoothly"])
    with nothing_changes():
        other_aql = transition(
            deal.buyer_user,
            order,
            action="record_inspection",
            aql="2.5",
            defects_found=0,
            checklist=[{"item": "Zip runs smoothly", "passed": True}],
        )
    assert other_aql.status_code == 400
    assert "4.0" in str(other_aql.json()["errors"]["aql"])
    recorded = transition(
        deal.buyer_user,
        order,
        action="record_inspection",
        defects_found=7,
        checklist=[{"item": "Zip runs smoothly", "passed": True}],
    )
    inspection = recorded.json()["inspections"][-1]
    # 300 units at AQL 4.0: 50 sampled, at most 5 defects accepted.
    assert (inspection["aql"], inspection["sample_size"], inspection["acceptance_number"]) == (
        "4.0",
        50,
        5,
    )
    assert inspection["passed"] is False


# --- who inspects -----------------------------------------------------------------------


def test_the_factorys_own_inspection_is_a_self_check_waiting_for_the_buyer(
    deal, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = drive(deal, S.INSPECTION)
    released_before = Escrow.objects.get(order=order).released_minor
    with django_capture_on_commit_callbacks(execute=True):
        recorded = transition(
            deal.factory_user,
            order,
            action="record_inspection",
            **details_for("record_inspection", order),
        )
    inspection = recorded.json()["inspections"][-1]
    assert (inspection["self_check"], inspection["passed"], inspection["cleared"]) == (
        True,
        True,
        False,
    )
    assert Escrow.objects.get(order=order).released_minor == released_before  # nothing yet
    told = Notification.objects.filter(organization=deal.buyer, url=f"/orders/{order.pk}/")
    assert f"{order.number}: the factory's self-check waits for you" in map(str, told)
    ship = {"action": "ship", "carrier": "COSCO", "tracking_number": "CS-1"}
    with nothing_changes():
        blocked = transition(deal.factory_user, order, **ship)
        by_factory = transition(deal.factory_user, order, action="accept_self_check")
    assert blocked.status_code == 409
    assert "self-check" in blocked.json()["detail"]
    assert by_factory.status_code == 403
    page = browser(deal.buyer_user).get(f"/orders/{order.pk}/").content.decode()
    assert "factory self-check" in page
    assert 'data-action="accept_self_check"' in page

    with django_capture_on_commit_callbacks(execute=True):
        accepted = transition(deal.buyer_user, order, action="accept_self_check")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["inspections"][-1]["cleared"] is True
    assert Escrow.objects.get(order=order).released_minor > released_before
    assert transition(deal.buyer_user, order, action="accept_self_check").status_code == 409
    assert transition(deal.factory_user, order, **ship).status_code == 200


def test_an_assigned_inspection_organization_inspects_independently(deal):
    order = drive(deal, S.IN_PRODUCTION)
    agency, inspector_user = make_organization(Organization.Kind.INSPECTION, name="QC Agency")
    _stranger, stranger_user = make_organization(Organization.Kind.INSPECTION)
    url = f"/api/v1/orders/{order.pk}/inspector/"
    assert api_client(inspector_user).get(f"/api/v1/orders/{order.pk}/").status_code == 404
    with nothing_changes():
        by_factory = api_client(deal.factory_user).post(
            url, {"inspector": agency.slug}, format="json"
        )
        not_an_inspector = api_client(deal.buyer_user).post(
            url, {"inspector": deal.factory.slug}, format="json"
        )
    assert by_factory.status_code == 403
    assert not_an_inspector.status_code == 400
    assert "inspector" in not_an_inspector.json()["errors"]

    assigned = api_client(deal.buyer_user).post(url, {"inspector": agency.slug}, format="json")
    assert assigned.status_code == 200, assigned.content
    assert assigned.json()["inspector"]["slug"] == agency.slug
    assert OrderEvent.objects.filter(order=order, action="inspector_assigned").exists()

    report_all(deal)
    deal.act("finish_production", "factory")
    seen = api_client(inspector_user).get(f"/api/v1/orders/{order.pk}/")
    assert seen.status_code == 200
    assert seen.json()["available_actions"] == ["record_inspection"]
    assert seen.json()["inspection_checklist"] == order.inspection_checklist
    assert api_client(stranger_user).get(f"/api/v1/orders/{order.pk}/").status_code == 404
    # The inspector sees the order to inspect it, not its money.
    payments = api_client(inspector_user).get(f"/api/v1/orders/{order.pk}/payments/")
    assert payments.status_code == 404
    assert (
        api_client(deal.buyer_user).get(f"/api/v1/orders/{order.pk}/payments/").status_code == 200
    )

    done = transition(
        inspector_user,
        order,
        action="record_inspection",
        defects_found=0,
        checklist=passing_checklist(order),
    )
    assert done.status_code == 200, done.content
    inspection = done.json()["inspections"][-1]
    assert inspection["self_check"] is False
    assert inspection["cleared"] is True
    assert inspection["inspector_organization"]["slug"] == agency.slug
    assert transition(inspector_user, order, action="ship").status_code == 403
    shipped = transition(deal.factory_user, order, action="ship", carrier="SF", tracking_number="1")
    assert shipped.status_code == 200


# --- progress adds up; corrections are entries of their own ------------------------------


def test_progress_entries_add_up_and_corrections_keep_history(deal):
    order = drive(deal, S.IN_PRODUCTION)
    first = progress(deal.factory_user, order, 80, note="Morning shift")
    second = progress(deal.factory_user, order, 90, note="Evening shift")
    assert second.json()["total"] == 170
    entry = first.json()["entries"][0]["id"]
    url = f"/api/v1/orders/{order.pk}/progress/corrections/"
    api = api_client(deal.factory_user)
    with nothing_changes():
        no_reason = api.post(url, {"entry": entry, "units": 60, "reason": ""}, format="json")
        unchanged = api.post(url, {"entry": entry, "units": 80, "reason": "x"}, format="json")
        unknown = api.post(url, {"entry": 999999, "units": 60, "reason": "x"}, format="json")
        by_buyer = api_client(deal.buyer_user).post(
            url, {"entry": entry, "units": 60, "reason": "x"}, format="json"
        )
    assert no_reason.status_code == 400
    assert unchanged.status_code == 400
    assert unknown.status_code == 400
    assert "entry" in unknown.json()["errors"]
    assert by_buyer.status_code == 403

    corrected = api.post(
        url, {"entry": entry, "units": 60, "reason": "Recount: 20 rejects"}, format="json"
    )
    assert corrected.status_code == 201, corrected.content
    body = corrected.json()
    assert body["total"] == 150
    assert [(row["units"], row["corrects"]) for row in body["entries"]] == [
        (80, None),
        (90, None),
        (-20, entry),
    ]
    assert body["results"][-1]["actual_cumulative"] == 150
    # The first entry is untouched: the correction is its own row with its reason.
    assert ProductionReport.objects.get(pk=entry).units == 80
    assert ProductionReport.objects.get(corrects_id=entry).note == "Recount: 20 rejects"
    event = OrderEvent.objects.get(order=order, action="progress_corrected")
    assert (event.data["from_units"], event.data["to_units"]) == (80, 60)
    timeline = browser(deal.buyer_user).get(f"/orders/{order.pk}/").content.decode()
    assert f"Entry of {event.data['day']}: 80 → 60 units · 150 in total" in timeline
    assert "Recount: 20 rejects" in timeline


def test_progress_beyond_the_quantity_needs_a_note(deal):
    order = drive(deal, S.IN_PRODUCTION)
    assert progress(deal.factory_user, order, 300).status_code == 201
    with nothing_changes():
        silent = progress(deal.factory_user, order, 5)
    assert silent.status_code == 400
    assert "note" in silent.json()["errors"]
    noted = progress(deal.factory_user, order, 5, note="Spares requested by the buyer")
    assert noted.status_code == 201
    assert noted.json()["total"] == 305


def test_the_page_confirms_each_report_and_records_corrections(deal):
    order = drive(deal, S.IN_PRODUCTION)
    factory = browser(deal.factory_user)
    today = timezone.localdate().isoformat()
    for units in (40, 40):
        response = factory.post(
            f"/orders/{order.pk}/progress/", {"day": today, "units": units}, HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200
    body = response.content.decode()
    assert f"Recorded +40 units for {today}: 80 of 300 units in total." in body
    assert "80 of 300 units done" in body
    entry = ProductionReport.objects.filter(order=order).order_by("pk").first()
    assert entry is not None
    response = factory.post(
        f"/orders/{order.pk}/progress/corrections/",
        {"correction-entry": entry.pk, "correction-units": 35, "correction-reason": "Miscount"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert f"Recorded -5 units for {today}: 75 of 300 units in total." in body
    assert "Miscount" in body
    assert sum(ProductionReport.objects.filter(order=order).values_list("units", flat=True)) == 75
    # Without a reason nothing is recorded and the panel says why.
    with nothing_changes():
        response = factory.post(
            f"/orders/{order.pk}/progress/corrections/",
            {"correction-entry": entry.pk, "correction-units": 30, "correction-reason": ""},
            HTTP_HX_REQUEST="true",
        )
    assert "This field is required." in response.content.decode()
    assert Order.objects.get(pk=order.pk).status == S.IN_PRODUCTION
    assert Inspection.objects.count() == 0


def test_a_new_quote_form_offers_the_categorys_checklist(deal):
    rfq = make_rfq(deal.buyer, deal.buyer_user, deal.category)
    services.rfq_match(rfq_pk=rfq.pk)
    page = browser(deal.factory_user).get(f"/rfqs/{rfq.pk}/").content.decode()
    assert 'name="aql"' in page
    for item in checklist_for_category(deal.category):
        assert item in page
    # Sent from the page: the AQL chosen and the checklist one line per check.
    response = browser(deal.factory_user).post(
        f"/rfqs/{rfq.pk}/quote/",
        {
            "unit_price": "39.00",
            "lead_time_days": 9,
            "valid_until": in_days(9).isoformat(),
            "aql": "1.0",
            "inspection_checklist": "Buttons sewn with 8 passes\n\n  Carton drop test  \n",
        },
    )
    assert response.status_code == 302
    quote = rfq.quotes.get(factory=deal.factory)
    assert (quote.aql, quote.inspection_checklist) == (
        "1.0",
        ["Buttons sewn with 8 passes", "Carton drop test"],
    )


def test_the_buyer_assigns_the_inspector_on_the_page_and_the_inspector_works_there(deal):
    order = drive(deal, S.INSPECTION)
    agency, inspector_user = make_organization(Organization.Kind.INSPECTION, name="Lotus QC")
    page = browser(deal.buyer_user).get(f"/orders/{order.pk}/").content.decode()
    assert 'id="inspector-form"' in page
    assert "Lotus QC" in page
    factory_page = browser(deal.factory_user).get(f"/orders/{order.pk}/").content.decode()
    assert 'id="inspector-form"' not in factory_page
    assert 'id="self-check-note"' in factory_page

    response = browser(deal.buyer_user).post(
        f"/orders/{order.pk}/inspector/", {"inspector": agency.pk}
    )
    assert response.status_code == 302
    assert Order.objects.get(pk=order.pk).inspector == agency
    assert Notification.objects.filter(organization=agency).exists()

    inspector = browser(inspector_user)
    assert order.number in inspector.get("/orders/").content.decode()
    dashboard = inspector.get("/dashboard/")
    assert dashboard.status_code == 200
    page = inspector.get(f"/orders/{order.pk}/").content.decode()
    assert 'id="inspection-form"' in page
    assert 'id="self-check-note"' not in page
    assert "Orders to inspect" in page
    data = {"action": "record_inspection", "defects_found": 0}
    data.update({f"check_{index}": "on" for index in range(len(order.inspection_checklist))})
    assert inspector.post(f"/orders/{order.pk}/transition/", data).status_code == 302
    inspection = Inspection.objects.get(order=order)
    assert (inspection.inspector_organization, inspection.self_check) == (agency, False)
    assert inspection.cleared


def test_the_assigned_inspector_sees_no_prices_in_the_api_or_on_the_pages(deal):
    order = drive(deal, S.INSPECTION)
    agency, inspector_user = make_organization(Organization.Kind.INSPECTION, name="Lotus QC")
    services.order_inspector_assign(
        order=order,
        acting_organization=deal.buyer,
        acting_user=deal.buyer_user,
        inspector=agency,
    )
    price = str(order.unit_price.amount)  # "38.50": no thousands separator to format
    money = ("unit_price", "sample_fee", "total")

    detail = api_client(inspector_user).get(f"/api/v1/orders/{order.pk}/").json()
    listed = api_client(inspector_user).get("/api/v1/orders/").json()["results"]
    assert [detail[field] for field in money] == [None, None, None]
    assert [(row["id"], [row[field] for field in money]) for row in listed] == [
        (order.pk, [None, None, None])
    ]
    buyers = api_client(deal.buyer_user).get(f"/api/v1/orders/{order.pk}/").json()
    assert buyers["total"] == order.total.as_wire()
    assert buyers["unit_price"] == order.unit_price.as_wire()

    inspector = browser(inspector_user)
    detail_page = inspector.get(f"/orders/{order.pk}/").content.decode()
    list_page = inspector.get("/orders/").content.decode()
    assert order.number in list_page
    assert price not in detail_page
    assert "not shown to inspectors" in list_page
    assert price in browser(deal.buyer_user).get(f"/orders/{order.pk}/").content.decode()


def test_the_platform_assigned_as_inspector_only_inspects(deal):
    order = drive(deal, S.INSPECTION)
    platform, staff_user = make_organization(Organization.Kind.OPERATOR, name="C2M QA")
    assigned = api_client(deal.buyer_user).post(
        f"/api/v1/orders/{order.pk}/inspector/", {"inspector": platform.slug}, format="json"
    )
    assert assigned.status_code == 200, assigned.content
    seen = api_client(staff_user).get(f"/api/v1/orders/{order.pk}/")
    assert seen.json()["available_actions"] == ["record_inspection"]
    with nothing_changes():
        cancel = transition(staff_user, order, action="cancel", note="Not mine to decide")
    assert cancel.status_code == 403
    done = transition(
        staff_user,
        order,
        action="record_inspection",
        defects_found=0,
        checklist=passing_checklist(order),
    )
    assert done.json()["inspections"][-1]["inspector_organization"]["slug"] == platform.slug
    assert done.json()["inspections"][-1]["cleared"] is True
