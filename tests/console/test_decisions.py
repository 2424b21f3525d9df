"""Every operator decision asks for a reason (required, not blank), lands in the audit log
with the operator's name and that reason, and tells the people affected: advances, credit
write-offs, order cancellations, credit repayments, bank transfers and the dispute
decision form in Finance's admin. A group without the permission gets 403."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Permission

from finance.models import CreditDraw, CreditLine, DisputeDecision, FinancingAdvance
from finance.services import credit, financing, payments
from marketplace.console.models import AuditEvent
from marketplace.models import Membership, Notification, Organization, User
from orders.models import Dispute, OrderStatus
from tests.finance.conftest import cny, order_awaiting_payment
from tests.helpers import add_member, make_operator, make_organization, make_user
from tests.orders.conftest import (
    REPORT_ALL,
    details_for,
    drive,
    drive_steps,
    make_deal,
    report_all,
)

pytestmark = pytest.mark.django_db


def _action(client, changelist: str, action: str, pk: int, reason: str | None):
    data: dict = {"action": action, "_selected_action": [pk]}
    if reason is not None:
        data |= {"apply": "1", "reason": reason}
    return client.post(changelist, data)


def _event(model: str, pk: int) -> AuditEvent:
    return AuditEvent.objects.filter(pgh_obj_model=model, pgh_obj_id=str(pk)).latest("pgh_id")


def _requested_advance(deal) -> FinancingAdvance:
    drive(deal, OrderStatus.IN_PRODUCTION)
    return financing.advance_request(
        order=deal.refresh(), organization=deal.factory, amount=cny("3000.00"),
        acting_user=deal.factory_user,
    )  # fmt: skip


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_an_advance_decision_asks_a_reason_logs_it_and_tells_the_factory(client, action):
    deal = make_deal()
    advance = _requested_advance(deal)
    operator = make_operator(superuser=False, groups=["finance"])
    client.force_login(operator)
    url = "/admin/finance/financingadvance/"

    asked = _action(client, url, action, advance.pk, reason=None)
    assert asked.status_code == 200
    assert 'name="reason"' in asked.content.decode()
    blank = _action(client, url, action, advance.pk, reason="  ")
    assert blank.status_code == 200
    assert "This field is required." in blank.content.decode()
    advance.refresh_from_db()
    assert advance.status == FinancingAdvance.Status.REQUESTED

    assert _action(client, url, action, advance.pk, reason="Escrow covers it").status_code == 302
    advance.refresh_from_db()
    expected = "approved" if action == "approve" else "rejected"
    assert advance.status == expected
    event = _event("finance.FinancingAdvance", advance.pk)
    assert (event.pgh_data["status"], event.operator, event.reason) == (
        expected,
        operator,
        "Escrow covers it",
    )
    notice = Notification.objects.filter(recipient=deal.factory_user).latest("pk")
    assert notice.display_title.startswith("Advance of CNY 3,000.00 on")
    assert notice.display_body == "Escrow covers it"


def test_a_content_editor_cannot_decide_an_advance(client):
    deal = make_deal()
    advance = _requested_advance(deal)
    editor = make_operator(superuser=False, groups=["content"])
    editor.user_permissions.add(Permission.objects.get(codename="view_financingadvance"))
    client.force_login(editor)
    response = _action(client, "/admin/finance/financingadvance/", "approve", advance.pk, "Ok")
    assert response.status_code == 403
    advance.refresh_from_db()
    assert advance.status == FinancingAdvance.Status.REQUESTED


def _overdue_draw(deal, operator, capture) -> CreditDraw:
    order = order_awaiting_payment(deal)
    credit.credit_limit_set(
        organization=deal.buyer, limit=cny("20000.00"), reason="Trusted", acting_user=operator
    )
    payments.payment_create(
        order=order, organization=deal.buyer, purpose="full", method="credit",
        acting_user=deal.buyer_user,
    )  # fmt: skip
    for action, party in (
        ("start_production", "factory"), (REPORT_ALL, "factory"), ("finish_production", "factory"),
        ("record_inspection", "buyer"), ("ship", "factory"), ("confirm_delivery", "buyer"),
    ):  # fmt: skip
        if action == REPORT_ALL:
            report_all(deal)  # finishing needs every unit reported
            continue
        with capture(execute=True):
            deal.act(action, party, **details_for(action, deal.refresh()))
    draw = CreditDraw.objects.get()
    credit.credit_flag_overdue(today=draw.due_on + datetime.timedelta(days=1))
    draw.refresh_from_db()
    assert draw.status == CreditDraw.Status.OVERDUE
    return draw


def test_a_write_off_asks_a_reason_logs_it_and_tells_the_buyer(
    client, django_capture_on_commit_callbacks
):
    deal = make_deal()
    operator = make_operator(superuser=False, groups=["finance"])
    draw = _overdue_draw(deal, operator, django_capture_on_commit_callbacks)
    client.force_login(operator)
    url = "/admin/finance/creditdraw/"

    assert _action(client, url, "write_off", draw.pk, reason="").status_code == 200
    draw.refresh_from_db()
    assert draw.status == CreditDraw.Status.OVERDUE

    reason = "Buyer insolvent, claim filed"
    assert _action(client, url, "write_off", draw.pk, reason=reason).status_code == 302
    draw.refresh_from_db()
    assert draw.status == CreditDraw.Status.WRITTEN_OFF
    event = _event("finance.CreditDraw", draw.pk)
    assert (event.pgh_data["status"], event.operator, event.reason) == (
        "written_off",
        operator,
        reason,
    )
    line = CreditLine.objects.get(organization=deal.buyer)
    assert line.changes.latest("pk").reason == reason
    exported = client.post(
        url, {"action": "export_csv", "index": "0", "_selected_action": [str(draw.pk)]}
    ).content.decode()
    assert f"{draw.pk},{deal.buyer.name}," in exported
    assert "CNY " in exported
    notice = Notification.objects.filter(recipient=deal.buyer_user).latest("pk")
    assert notice.display_title.startswith("Your credit line is closed")
    assert notice.display_body == reason


def test_an_order_cancellation_asks_a_reason_logs_it_and_tells_both_parties(client):
    deal = make_deal()
    order = drive(deal, OrderStatus.SAMPLE_REQUESTED)
    arbiter = make_operator(superuser=False, groups=["arbiter"])
    client.force_login(arbiter)
    url = "/admin/orders/order/"

    assert _action(client, url, "cancel_order", order.pk, reason=" ").status_code == 200
    assert deal.refresh().status == OrderStatus.SAMPLE_REQUESTED
    offered = client.get(url).content.decode()
    assert "resolve_dispute" not in offered  # disputes are decided on their own page

    reason = "Factory closed for inspection"
    assert _action(client, url, "cancel_order", order.pk, reason=reason).status_code == 302
    assert deal.refresh().status == OrderStatus.CANCELLED
    event = _event("orders.Order", order.pk)
    assert (event.pgh_data["status"], event.operator, event.reason) == (
        "cancelled",
        arbiter,
        reason,
    )
    for user in (deal.buyer_user, deal.factory_user):
        notice = Notification.objects.filter(recipient=user).latest("pk")
        assert notice.display_body == reason


def test_a_content_editor_cannot_cancel_an_order(client):
    deal = make_deal()
    order = drive(deal, OrderStatus.SAMPLE_REQUESTED)
    client.force_login(make_operator(superuser=False, groups=["content"]))
    response = _action(client, "/admin/orders/order/", "cancel_order", order.pk, "No")
    assert response.status_code == 403
    assert deal.refresh().status == OrderStatus.SAMPLE_REQUESTED


def test_a_bank_transfer_confirmation_is_logged_with_its_reason_and_the_buyer_is_told(client):
    deal = make_deal()
    payment = payments.payment_create(
        order=order_awaiting_payment(deal), organization=deal.buyer, purpose="full",
        method="bank_transfer", acting_user=deal.buyer_user,
    )  # fmt: skip
    operator = make_operator(superuser=False, groups=["finance"])
    client.force_login(operator)
    response = client.post(
        f"/admin/finance/payment/{payment.pk}/change/",
        {
            "received_amount": "100.00",
            "reason": "ICBC statement 30 Nov, line 12",
            "refunds-TOTAL_FORMS": "0",
            "refunds-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    event = _event("finance.Payment", payment.pk)
    assert (event.operator, event.reason) == (operator, "ICBC statement 30 Nov, line 12")
    notice = Notification.objects.filter(recipient=deal.buyer_user).latest("pk")
    assert notice.display_title == f"Your bank transfer {payment.reference} arrived: CNY 100.00"
    assert "still missing" in notice.display_body


def test_a_credit_repayment_asks_a_reason(client, django_capture_on_commit_callbacks):
    deal = make_deal()
    operator = make_operator(superuser=False, groups=["finance"])
    draw = _overdue_draw(deal, operator, django_capture_on_commit_callbacks)
    line = CreditLine.objects.get(organization=deal.buyer)
    client.force_login(operator)

    def repay(reason: str):
        return client.post(
            f"/admin/finance/creditline/{line.pk}/change/",
            {
                "repayment_amount": "100.00",
                "bank_reference": "ICBC-77",
                "reason": reason,
                "draws-TOTAL_FORMS": "0",
                "draws-INITIAL_FORMS": "0",
            },
        )

    refused = repay("")
    assert refused.status_code == 200
    assert "Give the reason" in refused.content.decode()
    draw.refresh_from_db()
    assert draw.repaid_minor == 0
    assert repay("Partial repayment by wire").status_code == 302
    draw.refresh_from_db()
    assert draw.repaid_minor == 10_000
    event = _event("finance.CreditDraw", draw.pk)
    assert (event.operator, event.reason) == (operator, "Partial repayment by wire")


def test_the_finance_dispute_form_asks_a_reason_and_logs_it(client):
    deal = make_deal()
    drive(deal, OrderStatus.SHIPPED)
    drive_steps(deal, [("open_dispute", "buyer")])
    dispute = Dispute.objects.get(order=deal.order)
    arbiter = make_operator(superuser=False, groups=["arbiter"])
    client.force_login(arbiter)

    def decide(note: str):
        return client.post(
            "/admin/finance/disputedecision/add/",
            {"dispute": dispute.pk, "outcome": "release", "buyer_refund": "", "note": note},
        )

    assert decide("").status_code == 200
    assert not DisputeDecision.objects.exists()
    assert decide("Tracking shows delivery on time").status_code == 302
    decision = DisputeDecision.objects.get()
    event = _event("finance.DisputeDecision", decision.pk)
    assert (event.operator, event.reason) == (arbiter, "Tracking shows delivery on time")


def test_a_payout_is_logged_with_its_reason_and_the_factory_is_told(client):
    deal = make_deal()
    advance = _requested_advance(deal)
    operator = make_operator(superuser=False, groups=["finance"])
    financing.advance_decide(advance=advance, approve=True, acting_user=operator)
    client.force_login(operator)
    response = client.post(
        "/admin/finance/payout/add/",
        {
            "factory": deal.factory.pk,
            "amount": "3000.00",
            "bank_reference": "ICBC-5",
            "note": "Advance sent to the factory's account",
        },
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(pgh_obj_model="finance.Payout")
    assert (event.operator, event.reason) == (operator, "Advance sent to the factory's account")
    notice = Notification.objects.filter(recipient=deal.factory_user).latest("pk")
    assert notice.display_title == "Payout of CNY 3,000.00 sent (ICBC-5)"
    assert notice.display_body == "Advance sent to the factory's account"


def test_marking_an_organization_verified_tells_its_members(client):
    buyer, owner = make_organization(verified=False)
    auditor = make_operator()
    client.force_login(auditor)
    response = _action(
        client, "/admin/marketplace/organization/", "mark_verified", buyer.pk, "Documents match"
    )
    assert response.status_code == 302
    notice = Notification.objects.get(recipient=owner)
    assert (notice.display_title, notice.display_body) == (
        "Your organization is verified",
        "Documents match",
    )
    event = _event("marketplace.Organization", buyer.pk)
    assert (event.pgh_data["verified"], event.operator, event.reason) == (
        True,
        auditor,
        "Documents match",
    )


def test_a_role_change_asks_a_reason_and_logs_it(client):
    factory, owner = make_organization(Organization.Kind.FACTORY)
    add_member(factory, Membership.Role.OWNER)  # the organization keeps an owner
    membership = Membership.objects.get(user=owner)
    operator = make_operator()
    client.force_login(operator)
    url = f"/admin/marketplace/membership/{membership.pk}/change/"
    body = {"user": owner.pk, "organization": factory.pk, "role": "member"}

    refused = client.post(url, {**body, "reason": " "})
    assert refused.status_code == 200
    assert Membership.objects.get(pk=membership.pk).role == "owner"
    assert client.post(url, {**body, "reason": "Owner asked to step down"}).status_code == 302
    assert Membership.objects.get(pk=membership.pk).role == "member"
    event = _event("marketplace.Membership", membership.pk)
    assert (event.pgh_data["role"], event.operator, event.reason) == (
        "member",
        operator,
        "Owner asked to step down",
    )
    # Roles of an existing organization change here, not in its page's inline.
    page = client.get(f"/admin/marketplace/organization/{factory.pk}/change/").content.decode()
    assert 'name="memberships-0-role"' not in page


def test_making_someone_staff_asks_a_reason_and_logs_it(client):
    person = make_user("new.operator@c2m.example")
    operator = make_operator()
    client.force_login(operator)
    url = f"/admin/marketplace/user/{person.pk}/change/"
    body = {"email": person.email, "is_active": "on", "is_staff": "on",
            "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"}  # fmt: skip

    refused = client.post(url, body)
    assert refused.status_code == 200
    assert "Give the reason for this change." in refused.content.decode()
    assert not User.objects.get(pk=person.pk).is_staff
    assert client.post(url, {**body, "reason": "Joins the finance desk"}).status_code == 302
    assert User.objects.get(pk=person.pk).is_staff
    event = _event("marketplace.User", person.pk)
    assert (event.pgh_data["is_staff"], event.operator, event.reason) == (
        True,
        operator,
        "Joins the finance desk",
    )
