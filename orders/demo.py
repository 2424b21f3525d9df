"""Demo RFQs, quotes and orders across the whole life cycle, for the demo buyer
(bright-threads, buyer@c2m.example) and the demo factory (ningbo-evergreen,
factory@c2m.example). Everything goes through the real services (capacity holds and
bookings included). Idempotent: a scenario whose RFQ already exists is skipped."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from catalog.models import Category
from marketplace.demo import DEMO_PASSWORD
from marketplace.models import Membership, Organization, User
from marketplace.money import Money
from orders import capacity, services
from orders.exceptions import OrderConflictError
from orders.inspection import checklist_for_category
from orders.models import RFQ, InspectionChecklistItem, Order, OrderStatus, Quote, Review
from orders.transitions import Action

CHECKLISTS = {
    "apparel": [
        "Measurements within the size chart tolerance (±1 cm)",
        "Fabric, colour and trims match the approved sample",
        "Seams straight, no open or skipped stitches",
        "Buttons and buttonholes secure and aligned",
        "Labels, hangtags and folding as specified",
        "Cartons marked and packed per the packing list",
    ],
    "furniture": [
        "Panel dimensions within ±0.5 mm",
        "Edge banding intact, no chipping",
        "Surface free of scratches and glue marks",
        "Hardware complete and functional",
        "Packaging drop-test rated",
    ],
    "appliances": [
        "Functional test passed (cooling / heating)",
        "Electrical safety test passed",
        "Cosmetic check: no dents or scratches",
        "Accessories and manuals complete",
    ],
}

# Each scenario: title, quantity, status the order ends in (None: an RFQ only).
SCENARIOS = [
    ("Linen summer shirts", 120, None),
    ("Oxford button-down shirts", 240, "quotes"),
    ("Bamboo fibre shirts", 80, "withdrawn"),
    ("Poplin office shirts", 90, OrderStatus.SAMPLE_REQUESTED),
    ("Denim work shirts", 60, OrderStatus.SAMPLE_SHIPPED),
    ("Flannel check shirts", 80, OrderStatus.SAMPLE_REJECTED),
    ("Chambray shirts", 100, OrderStatus.AWAITING_PAYMENT),
    ("Seersucker shirts", 70, OrderStatus.PAID),
    ("Twill shirts", 1200, OrderStatus.IN_PRODUCTION),
    ("Mandarin-collar shirts", 60, OrderStatus.INSPECTION),
    ("Camp-collar shirts", 90, OrderStatus.SHIPPED),
    ("Henley shirts", 60, OrderStatus.DELIVERED),
    ("Classic white shirts", 120, OrderStatus.COMPLETED),
    ("Corduroy overshirts", 60, OrderStatus.DISPUTED),
    ("Poplin dress shirts", 50, "disputed_in_transit"),
    ("Silk blend shirts", 40, OrderStatus.CANCELLED),
]

# Paying is Finance's: the orders demo drives each order up to payment, and `finance.demo`
# pays it (bank transfer, credit) and drives it on with `steps_after_payment`.
PAY = "pay"

STEPS: dict[str, list[tuple[str, str]]] = {
    OrderStatus.SAMPLE_REQUESTED: [],
    OrderStatus.SAMPLE_SHIPPED: [(Action.SHIP_SAMPLE, "factory")],
    OrderStatus.SAMPLE_REJECTED: [(Action.SHIP_SAMPLE, "factory"), (Action.REJECT_SAMPLE, "buyer")],
    OrderStatus.AWAITING_PAYMENT: [
        (Action.SHIP_SAMPLE, "factory"),
        (Action.APPROVE_SAMPLE, "buyer"),
    ],
    OrderStatus.PAID: [
        (Action.SHIP_SAMPLE, "factory"),
        (Action.APPROVE_SAMPLE, "buyer"),
        (PAY, "buyer"),
    ],
}
STEPS[OrderStatus.IN_PRODUCTION] = [
    *STEPS[OrderStatus.PAID],
    (Action.START_PRODUCTION, "factory"),
    ("progress_partial", "factory"),
]
STEPS[OrderStatus.INSPECTION] = [
    *STEPS[OrderStatus.PAID],
    (Action.START_PRODUCTION, "factory"),
    ("progress", "factory"),
    (Action.FINISH_PRODUCTION, "factory"),
    ("failed_inspection", "buyer"),
]
# After the rework the factory re-checks itself; its self-check counts once the buyer
# accepts it.
STEPS[OrderStatus.SHIPPED] = [
    *STEPS[OrderStatus.INSPECTION],
    (Action.RECORD_INSPECTION, "factory"),
    (Action.ACCEPT_SELF_CHECK, "buyer"),
    (Action.SHIP, "factory"),
]
STEPS[OrderStatus.DELIVERED] = [*STEPS[OrderStatus.SHIPPED], (Action.CONFIRM_DELIVERY, "buyer")]
STEPS[OrderStatus.COMPLETED] = [*STEPS[OrderStatus.DELIVERED], (Action.COMPLETE, "buyer")]
STEPS[OrderStatus.DISPUTED] = [*STEPS[OrderStatus.DELIVERED], (Action.OPEN_DISPUTE, "buyer")]
STEPS[OrderStatus.CANCELLED] = [(Action.CANCEL, "buyer")]
# Disputed before delivery, while the escrow still holds the money (Finance decides it).
STEPS["disputed_in_transit"] = [*STEPS[OrderStatus.SHIPPED], (Action.OPEN_DISPUTE, "buyer")]

NOTES = {
    Action.SHIP_SAMPLE: "Sample sent by SF Express.",
    Action.APPROVE_SAMPLE: "Fit and fabric approved.",
    Action.REJECT_SAMPLE: "Collar points are 1 cm too long; please correct.",
    Action.START_PRODUCTION: "Cutting started on line 2.",
    Action.FINISH_PRODUCTION: "All units sewn and pressed.",
    Action.SHIP: "Two cartons, 18 kg.",
    Action.CONFIRM_DELIVERY: "Received in good order.",
    Action.COMPLETE: "Goods accepted.",
    Action.OPEN_DISPUTE: "12 shirts arrived with stained cuffs.",
    Action.CANCEL: "Our spring collection was postponed.",
}


def _checklists() -> None:
    for slug, items in CHECKLISTS.items():
        category = Category.objects.filter(slug=slug).first()
        if category is None:
            continue
        for position, text in enumerate(items):
            InspectionChecklistItem.objects.get_or_create(
                category=category, text=text, defaults={"position": position}
            )


def _owner(organization: Organization) -> User:
    membership = (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    assert membership is not None
    return membership.user


def _details(step: str, order: Order) -> tuple[str, dict]:
    checklist = [{"item": item, "passed": True} for item in checklist_for_category(order.category)]
    if step == "failed_inspection":
        failing = [dict(row) for row in checklist]
        failing[2]["passed"] = False
        return Action.RECORD_INSPECTION, {"defects_found": 6, "checklist": failing}
    details: dict[str, dict[str, Any]] = {
        Action.SHIP_SAMPLE: {"carrier": "SF Express", "tracking_number": "SF1402938475"},
        Action.RECORD_INSPECTION: {"defects_found": 1, "checklist": checklist},
        Action.SHIP: {"carrier": "Deppon Logistics", "tracking_number": "DPK20261121"},
        Action.OPEN_DISPUTE: {"reason": NOTES[Action.OPEN_DISPUTE]},
    }
    return step, details.get(step, {})


def steps_after_payment(outcome: str) -> list[tuple[str, str]]:
    """The steps of a scenario that follow the buyer's payment (none if it has no payment)."""
    steps = STEPS.get(outcome, [])
    for index, (step, _party) in enumerate(steps):
        if step == PAY:
            return steps[index + 1 :]
    return []


def parties_of(order: Order) -> dict[str, tuple[Organization, User]]:
    return {
        "buyer": (order.buyer, _owner(order.buyer)),
        "factory": (order.factory, _owner(order.factory)),
    }


def drive(order: Order, steps, parties: dict[str, tuple[Organization, User]]) -> None:
    """Take the order through `steps`, stopping at the payment (Finance's demo pays)."""
    for step, party in steps:
        if step == PAY:
            return
        organization, user = parties[party]
        order.refresh_from_db()
        if step in ("progress", "progress_partial"):
            services.production_progress_record(
                order=order,
                acting_organization=organization,
                acting_user=user,
                day=timezone.localdate(),
                units=order.quantity if step == "progress" else order.quantity // 6,
                note="Cutting and first sewing batch." if step == "progress_partial" else "",
            )
            continue
        action, details = _details(step, order)
        note = "Re-check after rework." if step == Action.RECORD_INSPECTION else NOTES.get(step, "")
        if step == "failed_inspection":
            note = "Loose threads on cuffs; rework ordered."
        services.order_transition(
            order=order,
            action=action,
            acting_user=user,
            acting_organization=organization,
            note=note,
            details=details,
        )


def _invite(rfq: RFQ, factories: list[Organization]) -> None:
    services.rfq_match(rfq_pk=rfq.pk)
    rfq.refresh_from_db()
    missing = [f for f in factories if not rfq.invitations.filter(factory=f).exists()]
    services.rfq_invite_factories(
        rfq=rfq,
        matches=[capacity.FactoryMatch(f, 0.5, 0, None) for f in missing],
    )


def _quote(rfq: RFQ, factory: Organization, price: str, lead: int, fee: str = "0") -> Quote:
    existing = Quote.objects.filter(rfq=rfq, factory=factory).first()
    if existing is not None:
        return existing
    return services.quote_submit(
        rfq=rfq,
        factory=factory,
        acting_user=_owner(factory),
        unit_price=Money.from_decimal(Decimal(price)),
        sample_fee=Money.from_decimal(Decimal(fee)),
        lead_time_days=lead,
        valid_until=timezone.localdate() + datetime.timedelta(days=14),
        note="Free sampling." if fee == "0" else "",
        tiers=[(200, Money.from_decimal(Decimal(price) - Decimal("2")))],
    )


def _scenario(
    title: str,
    quantity: int,
    outcome,
    *,
    buyer: Organization,
    factory: Organization,
    rivals: list[Organization],
    shirts: Category,
    index: int,
) -> None:
    if RFQ.objects.filter(buyer=buyer, title=title).exists():
        return
    buyer_user = _owner(buyer)
    rfq = services.rfq_create(
        buyer=buyer,
        acting_user=buyer_user,
        category=shirts,
        title=title,
        quantity=quantity,
        ready_by=timezone.localdate() + datetime.timedelta(days=24 + index % 4),
        spec="100% cotton; sizes S, M, L, XL in equal shares; our woven label; polybag each.",
    )
    _invite(rfq, [factory, *rivals[:2]])
    if outcome is None:
        return
    quote = _quote(rfq, factory, "38.50", 7)
    if outcome == "withdrawn":
        services.rfq_cancel(rfq=rfq, acting_organization=buyer, acting_user=buyer_user)
        return
    if outcome == "quotes":
        for rival, price, lead, fee in zip(
            rivals[:2], ("36.80", "41.00"), (12, 6), ("150", "0"), strict=False
        ):
            _quote(rfq, rival, price, lead, fee)
        services.rfq_message_post(
            rfq=rfq,
            acting_organization=buyer,
            acting_user=buyer_user,
            factory=factory,
            body="Could you match 36.80 if we order 240?",
            proposed_unit_price=Money.from_decimal(Decimal("36.80")),
        )
        services.quote_revise(
            quote=quote,
            acting_organization=factory,
            acting_user=_owner(factory),
            unit_price=Money.from_decimal(Decimal("37.20")),
            tiers=[(200, Money.from_decimal(Decimal("36.20")))],
        )
        return
    order = services.quote_accept(
        quote=quote, acting_organization=buyer, acting_user=buyer_user, with_sample=True
    )
    parties = {"buyer": (buyer, buyer_user), "factory": (factory, _owner(factory))}
    drive(order, STEPS[outcome], parties)
    scenario_finish(order)


def scenario_finish(order: Order) -> None:
    """What follows a completed demo order: the buyer's review, the factory's reply and a
    repeat order. Nothing for an order in any other status (or reviewed already)."""
    order.refresh_from_db()
    if order.status != OrderStatus.COMPLETED or Review.objects.filter(order=order).exists():
        return
    buyer, buyer_user = order.buyer, _owner(order.buyer)
    factory = order.factory
    review = services.review_create(
        order=order,
        acting_organization=buyer,
        acting_user=buyer_user,
        quality=5,
        delivery=4,
        communication=5,
        comment="Clean stitching, fast answers; one day late.",
    )
    services.review_reply(
        review=review,
        acting_organization=factory,
        acting_user=_owner(factory),
        reply="Thank you! We added a shift to keep dates from now on.",
    )
    services.order_repeat(
        order=order,
        acting_organization=buyer,
        acting_user=buyer_user,
        quantity=60,
        ready_by=timezone.localdate() + datetime.timedelta(days=20),
    )


def _rivals(shirts: Category, *, exclude: Organization) -> list[Organization]:
    """Two other verified shirt factories found through the public search, each given a
    demo sales person so that they can quote."""
    found = capacity.search(
        category=shirts,
        quantity=200,
        ready_by=timezone.localdate() + datetime.timedelta(days=25),
        limit=10,
    )
    rivals = [match.factory for match in found if match.factory.pk != exclude.pk][:2]
    for rival in rivals:
        email = f"sales@{rival.slug}.example"
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email=email, password=DEMO_PASSWORD, full_name=f"{rival.name} sales"
        )
        Membership.objects.get_or_create(
            user=user, organization=rival, defaults={"role": Membership.Role.ADMIN}
        )
    return rivals


def seed() -> None:
    # Notifications land in the inboxes; the demo does not send hundreds of emails.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        _seed()


@transaction.atomic
def _seed() -> None:
    _checklists()
    buyer = Organization.objects.filter(slug="bright-threads").first()
    factory = Organization.objects.filter(slug="ningbo-evergreen").first()
    shirts = Category.objects.filter(slug="shirts").first()
    if buyer is None or factory is None or shirts is None:
        return  # marketplace / catalog / factories demo data are not there
    rivals = _rivals(shirts, exclude=factory)
    for index, (title, quantity, outcome) in enumerate(SCENARIOS):
        try:
            with transaction.atomic():
                _scenario(
                    title,
                    quantity,
                    outcome,
                    buyer=buyer,
                    factory=factory,
                    rivals=rivals,
                    shirts=shirts,
                    index=index,
                )
        except OrderConflictError:
            continue  # the demo calendar is full on those days: skip this scenario
