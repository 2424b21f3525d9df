"""An operator works through the queues in real Chromium: approves a factory audit, decides
a dispute with a split, grants credit, confirms a bank transfer, suspends and restores an
organization. Each lands in the audit log with the operator and the reason, the people
affected are notified, and a content editor is refused the dispute decision."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import decrypt

from factories.models import AuditSubmission
from finance.models import CreditLine, DisputeDecision, Payment, PaymentStatus
from finance.services import payments
from marketplace.console.models import AuditEvent
from marketplace.models import Notification, Organization
from orders.models import Dispute, OrderStatus
from tests.console.test_staff import _current_code
from tests.finance.conftest import order_awaiting_payment
from tests.helpers import PASSWORD, make_operator, make_organization
from tests.orders.conftest import details_for, make_category, make_deal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in_with_totp(page, user) -> None:
    secret = decrypt(
        Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"]
    )
    page.goto("/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.fill("input[name=code]", _current_code(secret))
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")


def _disputed_shipment(operator):
    deal = make_deal(category=make_category())
    order = order_awaiting_payment(deal)
    payment = payments.payment_create(
        order=order, organization=deal.buyer, purpose="full", method="bank_transfer",
        acting_user=deal.buyer_user,
    )  # fmt: skip
    payments.bank_transfer_confirm(payment=payment, received=payment.amount, acting_user=operator)
    for action, party in [
        ("start_production", "factory"), ("finish_production", "factory"),
        ("record_inspection", "factory"), ("ship", "factory"), ("open_dispute", "buyer"),
    ]:  # fmt: skip
        deal.act(action, party, **details_for(action, deal.refresh()))
    assert deal.refresh().status == OrderStatus.DISPUTED
    return deal, Dispute.objects.get(order=order)


def _events(model: str, operator) -> list:
    return list(AuditEvent.objects.filter(pgh_obj_model=model, operator=operator))


def test_an_operator_works_through_the_queues(page, browser, live_server):
    operator = make_operator("olivia@c2m.example")
    editor = make_operator("carl@c2m.example", superuser=False, groups=["content"])
    factory, factory_owner = make_organization(Organization.Kind.FACTORY, verified=False)
    submission = AuditSubmission.objects.create(
        organization=factory, legal_name="Evergreen Garments Co., Ltd.",
        business_registration_number="913302001234", submitted_by=factory_owner,
    )  # fmt: skip
    dispute_deal, dispute = _disputed_shipment(operator)
    transfer_deal = make_deal(category=make_category())
    transfer = payments.payment_create(
        order=order_awaiting_payment(transfer_deal), organization=transfer_deal.buyer,
        purpose="full", method="bank_transfer", acting_user=transfer_deal.buyer_user,
    )  # fmt: skip
    buyer = transfer_deal.buyer

    # A content editor opens the dispute: refused, nothing decided.
    editor_context = browser.new_context(base_url=live_server.url, locale="en-US")
    editor_page = editor_context.new_page()
    _sign_in_with_totp(editor_page, editor)
    refused = editor_page.goto(f"/admin/orders/dispute/{dispute.pk}/change/")
    assert refused.status == 403
    editor_context.close()
    assert not DisputeDecision.objects.exists()

    _sign_in_with_totp(page, operator)
    page.goto("/admin/")
    assert page.inner_text(".queue-audits .queue-count") == "1"
    assert page.inner_text(".queue-disputes .queue-count") == "1"
    assert page.inner_text(".queue-bank_transfers .queue-count") == "1"

    # 1. The audit, from its queue.
    page.click(".queue-audits th a")
    page.click(f"a[href*='/auditsubmission/{submission.pk}/change/']")
    page.select_option("#id_decision", "approve")
    page.fill("#id_decision_reason", "Licence and site photos check out")
    page.click("input[name=_save]")
    page.wait_for_selector("text=Approved: the factory is now verified.")

    # 2. The dispute, split on its own page with both sides in view.
    page.goto("/admin/")
    page.click(".queue-disputes th a")
    page.click(f"a[href*='/dispute/{dispute.pk}/change/']")
    page.wait_for_selector("#dispute-decision-form")
    assert "Seams are open on 30 shirts." in page.inner_text("body")
    assert "Escrow holds" in page.inner_text("#dispute-case")
    page.select_option("#id_outcome", "split")
    page.fill("#id_buyer_refund", "500.00")
    page.fill("#id_reason", "30 of 300 shirts faulty: 500 back")
    page.click("#dispute-decision-form input[type=submit]")
    page.wait_for_selector("#dispute-decision")

    # 3. Credit for a buyer.
    page.goto("/admin/finance/creditline/add/")
    page.select_option("#id_buyer", str(buyer.pk))
    page.fill("#id_new_limit", "20000")
    page.fill("#id_reason", "Two years of on-time payments")
    page.click("input[name=_save]")
    page.wait_for_selector("text=was added successfully")

    # 4. The bank transfer, from its queue.
    page.goto("/admin/")
    page.click(".queue-bank_transfers th a")
    page.click(f"a[href*='/payment/{transfer.pk}/change/']")
    page.fill("#id_received_amount", str(transfer.amount.as_wire()["amount"]))
    page.click("input[name=_save]")
    page.wait_for_selector("text=was changed successfully")

    # 5. Suspend, then restore, the buyer.
    for action, reason in (("suspend", "Chargeback under review"), ("restore", "Cleared")):
        page.goto("/admin/marketplace/organization/")
        page.check(f"input[name=_selected_action][value='{buyer.pk}']")
        page.select_option("select[name=action]", action)
        page.click("button[name=index]")
        page.fill("#id_reason", reason)
        page.click("input[type=submit][value=Confirm]")
        page.wait_for_selector("text=1 done.")
        if action == "suspend":
            assert Organization.objects.get(pk=buyer.pk).is_suspended

    # Everything happened, once, and is on the audit log with who and why.
    assert AuditSubmission.objects.get(pk=submission.pk).status == AuditSubmission.Status.APPROVED
    decision = DisputeDecision.objects.get(dispute=dispute)
    assert (decision.outcome, decision.refund_minor) == ("split", 50000)
    assert CreditLine.objects.get(organization=buyer).limit_minor == 2_000_000
    assert Payment.objects.get(pk=transfer.pk).status == PaymentStatus.SUCCEEDED
    assert Organization.objects.get(pk=buyer.pk).status == Organization.Status.ACTIVE
    reasons = {
        "factories.AuditSubmission": "Licence and site photos check out",
        "finance.DisputeDecision": "30 of 300 shirts faulty: 500 back",
        "finance.CreditLine": "Two years of on-time payments",
    }
    for model, reason in reasons.items():
        assert reason in [event.reason for event in _events(model, operator)], model
    assert _events("finance.Payment", operator)
    organization_reasons = {e.reason for e in _events("marketplace.Organization", operator)}
    assert {"Chargeback under review", "Cleared"} <= organization_reasons
    page.goto("/admin/console/auditevent/?q=Chargeback")
    assert "Chargeback under review" in page.content()

    assert Notification.objects.filter(recipient=factory_owner).exists()
    assert Notification.objects.filter(organization=dispute_deal.buyer).exists()
    assert Notification.objects.filter(
        organization=buyer, title_key="marketplace.organization_suspended.title"
    ).exists()
