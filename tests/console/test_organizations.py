"""Suspending an organization: operators decide with a reason; its people still sign in and
see their work but every write (quote, order, pay, pledge) is refused with a clear 403;
the change is on the audit log with the operator and the reason, and members are told."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from marketplace import services
from marketplace.console.models import AuditEvent
from marketplace.models import Notification, Organization
from orders.models import RFQ, OrderStatus
from tests.helpers import api_client, make_operator, make_organization
from tests.orders.conftest import in_days, make_category, prepare

pytestmark = pytest.mark.django_db


def _rfq_payload():
    return {
        "category": "shirts",
        "title": "Linen shirts",
        "quantity": 200,
        "ready_by": in_days(20).isoformat(),
        "spec": "Linen, sizes S-XL",
    }


def _suspend(client, organization, reason="Unpaid invoices"):
    return client.post(
        "/admin/marketplace/organization/",
        {
            "action": "suspend",
            "_selected_action": [organization.pk],
            "apply": "1",
            "reason": reason,
        },
    )


def test_operator_suspends_with_a_reason_and_members_are_told(client):
    operator = make_operator()
    buyer, owner = make_organization(Organization.Kind.BUYER, name="Bright Threads")
    client.force_login(operator)

    asked = client.post(
        "/admin/marketplace/organization/", {"action": "suspend", "_selected_action": [buyer.pk]}
    )
    assert asked.status_code == 200
    assert "Reason" in asked.content.decode()
    assert Organization.objects.get(pk=buyer.pk).status == Organization.Status.ACTIVE

    assert _suspend(client, buyer).status_code == 302
    buyer.refresh_from_db()
    assert buyer.status == Organization.Status.SUSPENDED
    assert buyer.status_reason == "Unpaid invoices"
    notice = Notification.objects.get(recipient=owner)
    assert notice.display_title == "Your organization is suspended"
    assert notice.display_body == "Unpaid invoices"

    event = AuditEvent.objects.get(
        pgh_obj_model="marketplace.Organization", pgh_obj_id=str(buyer.pk), pgh_label="update"
    )
    assert event.pgh_data["status"] == "suspended"
    assert event.operator == operator
    assert event.reason == "Unpaid invoices"

    log = client.get("/admin/console/auditevent/", {"q": "Unpaid"})
    assert log.status_code == 200
    assert "Unpaid invoices" in log.content.decode()
    assert operator.email in log.content.decode()

    restored = client.post(
        "/admin/marketplace/organization/",
        {"action": "restore", "_selected_action": [buyer.pk], "apply": "1", "reason": "Paid"},
    )
    assert restored.status_code == 302
    assert Organization.objects.get(pk=buyer.pk).status == Organization.Status.ACTIVE


def test_a_reason_is_required(client):
    client.force_login(make_operator())
    buyer, _owner = make_organization(Organization.Kind.BUYER)
    response = _suspend(client, buyer, reason="  ")
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert Organization.objects.get(pk=buyer.pk).status == Organization.Status.ACTIVE


def test_an_operator_outside_the_groups_allowed_cannot_suspend(client):
    content_editor = make_operator(superuser=False, groups=["content"])
    content_editor.groups.add(Group.objects.get(name="auditor"))
    buyer, _owner = make_organization(Organization.Kind.BUYER)
    client.force_login(content_editor)
    assert _suspend(client, buyer).status_code == 403
    assert Organization.objects.get(pk=buyer.pk).status == Organization.Status.ACTIVE


def test_a_suspended_buyer_reads_but_cannot_write_through_the_api():
    make_category()
    buyer, owner = make_organization(Organization.Kind.BUYER)
    services.organization_status_set(
        organization=buyer, suspended=True, reason="Fraud check", acting_user=owner
    )
    client = api_client(owner)
    assert client.get("/api/v1/rfqs/").status_code == 200
    refused = client.post("/api/v1/rfqs/", _rfq_payload(), format="json")
    assert refused.status_code == 403
    assert "suspended" in refused.json()["detail"]
    assert RFQ.objects.count() == 0

    services.organization_status_set(
        organization=buyer, suspended=False, reason="Cleared", acting_user=owner
    )
    assert client.post("/api/v1/rfqs/", _rfq_payload(), format="json").status_code == 201


def test_a_suspended_factory_sees_its_order_page_but_cannot_act_on_it(client):
    deal, order = prepare(OrderStatus.PAID, "start_production")
    services.organization_status_set(
        organization=deal.factory,
        suspended=True,
        reason="Audit expired",
        acting_user=deal.buyer_user,
    )
    client.force_login(deal.factory_user)
    assert client.get(f"/orders/{order.pk}/").status_code == 200
    refused = client.post(f"/orders/{order.pk}/transition/", {"action": "start_production"})
    assert refused.status_code == 403
    assert "suspended" in refused.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_the_organization_page_lists_its_open_work(client):
    deal, order = prepare(OrderStatus.PAID, "start_production")
    client.force_login(make_operator())
    page = client.get(f"/admin/marketplace/organization/{deal.buyer.pk}/change/")
    assert page.status_code == 200
    assert order.number in page.content.decode()
    assert "1 order still running" in page.content.decode()
