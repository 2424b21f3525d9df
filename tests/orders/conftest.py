"""Orders test fixtures: a buyer, verified factories with published calendars, and orders
driven through the real services into any status of the life cycle."""

from __future__ import annotations

import datetime
import itertools
from contextlib import AbstractContextManager
from dataclasses import dataclass

import pytest
from django.utils import timezone

from catalog.models import Category
from factories import services as factory_services
from finance.models import PaymentMethod, PaymentPurpose
from finance.services import payments
from marketplace.models import Organization, User
from marketplace.money import Money
from orders import services
from orders.inspection import checklist_for_category
from orders.models import (
    RFQ,
    Dispute,
    Inspection,
    Order,
    OrderEvent,
    OrderStatus,
    ProductionReport,
    Quote,
    QuoteTier,
    Review,
    RFQAttachment,
    RFQInvitation,
    RFQMessage,
)
from orders.transitions import Action
from tests import helpers
from tests.helpers import make_organization, make_user

_sequence = itertools.count(1)


def make_category(slug: str = "shirts") -> Category:
    parent, _ = Category.objects.get_or_create(slug="apparel", defaults={"name": "Apparel"})
    category, _ = Category.objects.get_or_create(
        slug=slug, defaults={"name": slug.title(), "parent": parent}
    )
    return category


def make_factory(
    category: Category, *, units: int = 100, days: int = 30, verified: bool = True, name=None
) -> tuple[Organization, User]:
    organization, owner = make_organization(Organization.Kind.FACTORY, verified=verified, name=name)
    factory_services.factory_profile_update(
        organization=organization,
        categories=[category],
        description="We make things.",
        region="Zhejiang",
        city="Ningbo",
    )
    if units:
        today = timezone.localdate()
        factory_services.capacity_fill_range(
            organization=organization,
            category=category,
            start=today,
            end=today + datetime.timedelta(days=days - 1),
            units=units,
        )
    return organization, owner


def in_days(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def cny(amount: str) -> Money:
    return Money.from_decimal(amount, "CNY")


def make_rfq(buyer: Organization, user: User, category: Category, **fields) -> RFQ:
    fields.setdefault("title", f"Oxford shirts {next(_sequence)}")
    fields.setdefault("quantity", 300)
    fields.setdefault("ready_by", in_days(20))
    fields.setdefault("spec", "100% cotton, sizes S-XL")
    return services.rfq_create(buyer=buyer, acting_user=user, category=category, **fields)


def make_quote(rfq: RFQ, factory: Organization, user: User, **fields) -> Quote:
    fields.setdefault("unit_price", cny("38.50"))
    fields.setdefault("sample_fee", cny("120.00"))
    fields.setdefault("lead_time_days", 10)
    fields.setdefault("valid_until", in_days(10))
    return services.quote_submit(rfq=rfq, factory=factory, acting_user=user, **fields)


@dataclass
class Deal:
    """A buyer, a matched factory, and the order between them."""

    category: Category
    buyer: Organization
    buyer_user: User
    factory: Organization
    factory_user: User
    rfq: RFQ
    quote: Quote
    order: Order | None = None

    def refresh(self) -> Order:
        assert self.order is not None
        self.order.refresh_from_db()
        return self.order

    def act(self, action: str, party: str = "buyer", note: str = "", **details) -> Order:
        organization, user = (
            (self.buyer, self.buyer_user) if party == "buyer" else (self.factory, self.factory_user)
        )
        return services.order_transition(
            order=self.refresh(),
            action=action,
            acting_user=user,
            acting_organization=organization,
            note=note,
            details=details,
        )


def make_deal(*, units: int = 100, quantity: int = 300, category: Category | None = None) -> Deal:
    category = category or make_category()
    buyer, buyer_user = make_organization(Organization.Kind.BUYER)
    factory, factory_user = make_factory(category, units=units)
    rfq = make_rfq(buyer, buyer_user, category, quantity=quantity)
    services.rfq_match(rfq_pk=rfq.pk)
    quote = make_quote(rfq, factory, factory_user)
    return Deal(category, buyer, buyer_user, factory, factory_user, rfq, quote)


def passing_checklist(order: Order) -> list[dict]:
    return [{"item": item, "passed": True} for item in checklist_for_category(order.category)]


PAY = "pay"
REPORT_ALL = "report_all"


def report_all(deal: Deal, units: int | None = None) -> Order:
    """The factory reports the order's remaining units as finished today."""
    order = deal.refresh()
    remaining = (units if units is not None else order.quantity) - sum(
        order.production_reports.values_list("units", flat=True)
    )
    if remaining > 0:
        services.production_progress_record(
            order=order,
            acting_organization=deal.factory,
            acting_user=deal.factory_user,
            day=timezone.localdate(),
            units=remaining,
        )
    return deal.refresh()


def pay_in_full(deal: Deal) -> Order:
    """The buyer pays the order's total into escrow by bank transfer and an operator
    confirms the money arrived, through Finance's services (which mark the order paid)."""
    order = deal.refresh()
    payment = payments.payment_create(
        order=order,
        organization=deal.buyer,
        purpose=PaymentPurpose.FULL,
        method=PaymentMethod.BANK_TRANSFER,
        acting_user=deal.buyer_user,
    )
    operator = make_user()
    operator.is_staff = True
    operator.save(update_fields=["is_staff"])
    payments.bank_transfer_confirm(payment=payment, received=payment.amount, acting_user=operator)
    return deal.refresh()


# How to drive a fresh deal into each status, step by step through the services.
PATH_TO = {
    OrderStatus.SAMPLE_REQUESTED: [],
    OrderStatus.SAMPLE_SHIPPED: [("ship_sample", "factory")],
    OrderStatus.SAMPLE_REJECTED: [("ship_sample", "factory"), ("reject_sample", "buyer")],
    OrderStatus.AWAITING_PAYMENT: [("ship_sample", "factory"), ("approve_sample", "buyer")],
    # "pay": the buyer pays the whole order by bank transfer and an operator confirms it;
    # Finance then marks the order paid (there is no buyer action for it).
    OrderStatus.PAID: [("skip_sample", "buyer"), (PAY, "buyer")],
    OrderStatus.IN_PRODUCTION: [
        ("skip_sample", "buyer"),
        (PAY, "buyer"),
        ("start_production", "factory"),
    ],
}
_BEYOND_PRODUCTION = [
    *PATH_TO[OrderStatus.IN_PRODUCTION],
    (REPORT_ALL, "factory"),
    ("finish_production", "factory"),
]
PATH_TO[OrderStatus.INSPECTION] = _BEYOND_PRODUCTION
# The buyer inspects (the factory's own inspection would be a self-check to accept).
PATH_TO[OrderStatus.SHIPPED] = [
    *_BEYOND_PRODUCTION,
    ("record_inspection", "buyer"),
    ("ship", "factory"),
]
PATH_TO[OrderStatus.DELIVERED] = [*PATH_TO[OrderStatus.SHIPPED], ("confirm_delivery", "buyer")]
PATH_TO[OrderStatus.COMPLETED] = [*PATH_TO[OrderStatus.DELIVERED], ("complete", "buyer")]
PATH_TO[OrderStatus.DISPUTED] = [*PATH_TO[OrderStatus.DELIVERED], ("open_dispute", "buyer")]
PATH_TO[OrderStatus.CANCELLED] = [("cancel", "buyer")]


def details_for(action: str, order: Order) -> dict:
    return {
        "ship_sample": {"carrier": "SF Express", "tracking_number": "SF100"},
        "reject_sample": {},
        "record_inspection": {"defects_found": 0, "checklist": passing_checklist(order)},
        "accept_short_shipment": {"quantity": order.quantity - 50},
        "ship": {"carrier": "COSCO", "tracking_number": "CS-42"},
        "open_dispute": {"reason": "Seams are open on 30 shirts."},
    }.get(action, {})


NOTES = {"reject_sample": "Collar is too wide.", "resolve_dispute": "Refund 10 %."}


def drive(deal: Deal, status: str) -> Order:
    """Accept the quote and walk the order to `status` through the services."""
    deal.order = services.quote_accept(
        quote=deal.quote,
        acting_organization=deal.buyer,
        acting_user=deal.buyer_user,
        with_sample=True,
    )
    if status == OrderStatus.SAMPLE_APPROVED:
        # Never a resting state (approval moves straight on to payment): set it directly
        # so that the table's behaviour there is still tested.
        drive_steps(deal, PATH_TO[OrderStatus.SAMPLE_SHIPPED])
        Order.objects.filter(pk=deal.order.pk).update(status=OrderStatus.SAMPLE_APPROVED)
        return deal.refresh()
    drive_steps(deal, PATH_TO[status])
    return deal.refresh()


def prepare(status: str, action: str, *, category: Category | None = None) -> tuple[Deal, Order]:
    """A fresh deal driven to `status`, ready for `action` there."""
    deal = make_deal(category=category)
    order = drive(deal, status)
    if status == OrderStatus.INSPECTION and action == Action.SHIP:
        # Shipping needs a passing inspection on record; the denials must not depend on it.
        deal.act(Action.RECORD_INSPECTION, "buyer", **details_for(Action.RECORD_INSPECTION, order))
    if status == OrderStatus.INSPECTION and action == Action.ACCEPT_SELF_CHECK:
        # The factory's own passing inspection, waiting for the buyer.
        deal.act(
            Action.RECORD_INSPECTION, "factory", **details_for(Action.RECORD_INSPECTION, order)
        )
    if status == OrderStatus.IN_PRODUCTION and action == Action.FINISH_PRODUCTION:
        report_all(deal)  # finishing needs every unit reported
    return deal, deal.refresh()


def drive_steps(deal: Deal, steps) -> None:
    for action, party in steps:
        if action == PAY:
            pay_in_full(deal)
            continue
        if action == REPORT_ALL:
            report_all(deal)
            continue
        deal.act(action, party, NOTES.get(action, ""), **details_for(action, deal.refresh()))


_TRACKED = (
    RFQ,
    RFQAttachment,
    RFQInvitation,
    RFQMessage,
    Quote,
    QuoteTier,
    Order,
    OrderEvent,
    ProductionReport,
    Inspection,
    Dispute,
    Review,
)


def nothing_changes() -> AbstractContextManager[None]:
    """For a denied call: no orders row is added, changed or removed
    (`tests.helpers.nothing_changes` over the orders tables)."""
    return helpers.nothing_changes(*_TRACKED)


@pytest.fixture
def category():
    return make_category()


@pytest.fixture
def deal(category):
    return make_deal(category=category)
