"""Reads for the operators' console: an organization's open work. Other apps' data comes
through their selectors only."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from factories import selectors as factory_selectors
from finance import selectors as finance_selectors
from finance.models import PaymentStatus
from iot_gateway import selectors as iot_selectors
from marketplace.models import Organization, User
from marketplace.money import Money
from orders import selectors as order_selectors
from orders.models import OrderStatus

StrOrPromise = str | Promise
CLOSED_ORDER_STATUSES = (OrderStatus.COMPLETED, OrderStatus.CANCELLED)


@dataclass(frozen=True)
class OpenWork:
    orders: list
    orders_total: int
    disputed: int
    credit_used: Money | None
    credit_overdue: Money | None


def organization_open_work(*, organization: Organization, limit: int = 20) -> OpenWork:
    """What a suspension holds up: the orders still running (either side), and credit in use.
    Three queries whatever the organization's size."""
    running = order_selectors.order_list(organization=organization).exclude(
        status__in=CLOSED_ORDER_STATUSES
    )
    orders = list(running.order_by("-pk")[:limit])
    counts = running.values_list("status", flat=True)
    statuses = list(counts)
    credit = finance_selectors.credit_summary(organization=organization)
    return OpenWork(
        orders=orders,
        orders_total=len(statuses),
        disputed=statuses.count(OrderStatus.DISPUTED),
        credit_used=credit.used if credit else None,
        credit_overdue=credit.overdue if credit else None,
    )


@dataclass(frozen=True)
class WorkQueue:
    key: str
    label: StrOrPromise
    count: int
    url: str
    permission: str


def work_queues(*, today: datetime.date) -> list[WorkQueue]:
    """Every queue operators work through, with its count and the filtered list that shows
    it. Ten queries whatever the data (one COUNT per queue, four for reconciliation)."""
    audits = factory_selectors.operator_queues(today=today)
    finance = finance_selectors.operator_queues()
    horizon = today + datetime.timedelta(days=30)
    waiting = f"{PaymentStatus.PENDING},{PaymentStatus.PARTIAL}"
    return [
        WorkQueue(
            "audits",
            _("Factory audits waiting"),
            audits["audits_pending"],
            reverse("admin:factories_auditsubmission_changelist") + "?status__exact=pending",
            "factories.view_auditsubmission",
        ),
        WorkQueue(
            "disputes",
            _("Disputes waiting for a decision"),
            finance_selectors.open_disputes().count(),
            reverse("admin:orders_dispute_changelist") + "?status__exact=open",
            "orders.view_dispute",
        ),
        WorkQueue(
            "advances",
            _("Financing requests"),
            finance.advances_requested,
            reverse("admin:finance_financingadvance_changelist") + "?status__exact=requested",
            "finance.view_financingadvance",
        ),
        WorkQueue(
            "credit_overdue",
            _("Overdue credit"),
            finance.credit_overdue,
            reverse("admin:finance_creditdraw_changelist") + "?status__exact=overdue",
            "finance.view_creditdraw",
        ),
        WorkQueue(
            "bank_transfers",
            _("Bank transfers to confirm"),
            finance.bank_transfers,
            reverse("admin:finance_payment_changelist")
            + f"?method__exact=bank_transfer&status__in={waiting}",
            "finance.view_payment",
        ),
        WorkQueue(
            "refunds_failed",
            _("Refunds that failed"),
            finance.failed_refunds,
            reverse("admin:finance_refund_changelist") + "?status__exact=failed",
            "finance.view_refund",
        ),
        WorkQueue(
            "reconciliation",
            _("Reconciliation alarms"),
            finance_selectors.reconciliation_alarms(),
            reverse("admin:finance_reconciliation"),
            "finance.view_account",
        ),
        WorkQueue(
            "alarms_without_lead",
            _("Open alarms without a service lead"),
            iot_selectors.alarms_open_without_lead_count(),
            reverse("admin:iot_gateway_alarm_changelist")
            + "?has_lead=no&status__in=active,acknowledged",
            "iot_gateway.view_alarm",
        ),
        WorkQueue(
            "certificates",
            _("Certificates expired or expiring in 30 days"),
            audits["certificates_expiring"],
            reverse("admin:factories_certification_changelist")
            + f"?expires_on__lte={horizon.isoformat()}",
            "factories.view_certification",
        ),
    ]


def work_queues_for(*, user: User, today: datetime.date) -> list[WorkQueue]:
    """The queues this operator's groups may open."""
    return [queue for queue in work_queues(today=today) if user.has_perm(queue.permission)]
