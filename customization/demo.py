"""Demo customization: the air conditioner, suit and cabinet of the catalog become
configurable, and the demo buyer has a saved design of each; five suit campaigns of the two
demo buyers at the demo factory (Ningbo Evergreen) met their targets and became production
orders whose modules are batched by one massing run (their suits share fabric, lapel,
buttons and pattern grades, so identical modules of different orders are made together),
and an air-conditioner campaign is open for pledges. Everything goes through the services.
Idempotent: a product already configured, a design or campaign whose name exists, and a
credit line already granted are left alone; massing adds nothing the second time."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from catalog.models import Product
from customization.demo_products import CUSTOMIZABLE
from customization.models import Campaign, CustomizableProduct, Design
from customization.selectors import customizable_product_get
from customization.services import (
    campaign_close,
    campaign_open,
    customizable_product_setup,
    design_create,
    massing_run,
    order_modules_open,
    pledge_create,
)
from factories.models import CapacityLine
from finance.models import CreditLine
from finance.services.credit import credit_limit_set
from marketplace.models import Membership, Organization, User
from marketplace.money import Money

SUIT_BODY = {
    "neck": 40, "chest": 100, "waist": 86, "hip": 100, "shoulder": 46, "sleeve": 63,
    "bicep": 32, "wrist": 17, "jacket_length": 76, "back_width": 40, "front_width": 38,
    "armhole": 48, "trouser_waist": 86, "outseam": 104, "inseam": 80, "thigh": 60,
    "knee": 44, "hem": 38, "rise": 27,
}  # fmt: skip

DESIGNS: list[tuple[str, str, dict[str, Any], dict[str, Any], int]] = [
    (
        "Office AC, Wi-Fi and heating",
        "split-air-conditioner-35",
        {
            "functions": ["inverter", "heating", "wifi", "self-cleaning", "pm25-filter", "timer"],
            "panel-colour": "white",
            "refrigerant": "r32",
        },
        {},
        120,
    ),
    (
        "Navy suit, peak lapel",
        "bespoke-two-piece-suit",
        {
            "fabric": "wool-navy",
            "lapel": "peak",
            "buttons": "two",
            "vents": "double",
            "trouser-pleats": "flat",
            "monogram": "BT",
        },
        SUIT_BODY,
        30,
    ),
    (
        "Oak wardrobe 80 x 200",
        "modular-cabinet",
        {"material": "oak-veneer", "doors": "2", "shelves": "3", "handles": "steel-bar"},
        {"width": 80, "height": 200, "depth": 45},
        50,
    ),
]

# More suits for Ningbo Evergreen: the navy worsted, peak-lapel, two-button jacket with
# double vents of "Navy suit, peak lapel", on bodies of its pattern grade (the pattern
# pieces are cut by measurements graded to 2 cm: half a centimetre more, or a measurement
# that is not graded, keeps the same pieces), so that their modules are batched with the
# first order's.
# (organization, name, options, measurements, quantity)
NAVY_PEAK = {"fabric": "wool-navy", "lapel": "peak", "buttons": "two", "vents": "double"}
SUIT_DESIGNS: list[tuple[str, str, dict[str, Any], dict[str, Any], int]] = [
    (
        "bright-threads",
        "Navy suit, peak lapel, pleated trousers",
        {**NAVY_PEAK, "trouser-pleats": "single", "monogram": "BT"},
        {**SUIT_BODY, "chest": 100.5, "bicep": 33, "wrist": 18, "knee": 45, "hem": 40},
        40,
    ),
    (
        "bright-threads",
        "Navy groomsman suit",
        {**NAVY_PEAK, "trouser-pleats": "flat"},
        {**SUIT_BODY, "chest": 99.5, "sleeve": 63.5, "armhole": 49, "rise": 28},
        36,
    ),
    (
        "urban-nest-home",
        "Navy showroom staff suit",
        {**NAVY_PEAK, "trouser-pleats": "flat", "monogram": "UN"},
        {**SUIT_BODY, "neck": 40.5, "hip": 100.5, "back_width": 41, "thigh": 60.5, "inseam": 80.5},
        45,
    ),
]

# Suit campaigns at Ningbo Evergreen, each filled to its cap and closed into a production
# order: (title, organizer, design, pledges (organization, units; the organizer's first),
# ready in days from today). The first is the original demo campaign.
COMPLETED_CAMPAIGNS = [
    (
        "Navy suits for the spring collection",
        "bright-threads",
        "Navy suit, peak lapel",
        (("bright-threads", 25), ("urban-nest-home", 15)),
        21,
    ),
    (
        "Navy suits, online store restock",
        "bright-threads",
        "Navy suit, peak lapel",
        (("bright-threads", 30), ("urban-nest-home", 20)),
        25,
    ),
    (
        "Navy suits with pleated trousers",
        "bright-threads",
        "Navy suit, peak lapel, pleated trousers",
        (("bright-threads", 30), ("urban-nest-home", 10)),
        21,
    ),
    (
        "Groomsmen suits for the wedding season",
        "bright-threads",
        "Navy groomsman suit",
        (("bright-threads", 36),),
        14,
    ),
    (
        "Showroom staff suits",
        "urban-nest-home",
        "Navy showroom staff suit",
        (("urban-nest-home", 45),),
        18,
    ),
]


COMPLETED_CAMPAIGN = COMPLETED_CAMPAIGNS[0][0]
SUIT = "bespoke-two-piece-suit"
OPEN_CAMPAIGN = "Office air conditioners, group buy"
CREDIT_LIMIT = Money(50_000_000, "CNY")  # 500,000.00 yuan for each demo buyer


def _owner(slug: str) -> tuple[Organization, User] | None:
    membership = (
        Membership.objects.filter(
            organization__slug=slug, role__in=[Membership.Role.OWNER, Membership.Role.ADMIN]
        )
        .select_related("organization", "user")
        .order_by("role", "pk")
        .first()
    )
    return None if membership is None else (membership.organization, membership.user)


def _design(
    owner: tuple[Organization, User],
    name: str,
    slug: str,
    options: dict[str, Any],
    measurements: dict[str, Any],
    quantity: int,
) -> None:
    organization, user = owner
    product = Product.objects.filter(slug=slug).first()
    if product is None or Design.objects.filter(organization=organization, name=name).exists():
        return
    customizable = customizable_product_get(pk=product.pk)
    if customizable is None:
        return
    design_create(
        organization=organization,
        acting_user=user,
        product=customizable,
        name=name,
        options=options,
        measurements=measurements,
        quantity=quantity,
    )


def _credit(organization: Organization, user: User) -> None:
    if not CreditLine.objects.filter(organization=organization).exists():
        credit_limit_set(
            organization=organization,
            limit=CREDIT_LIMIT,
            reason="Demo credit line for campaign pledges",
            acting_user=user,
        )


def _completed_campaigns(parties: dict[str, tuple[Organization, User]]) -> None:
    """The suit campaigns at the demo factory, each filled to its cap and closed: a
    production order each at the dropped price; then one massing run batches their
    modules (identical modules of different orders in one batch)."""
    factory = Organization.objects.filter(slug="ningbo-evergreen").first()
    if factory is None:
        return
    for title, organizer, design_name, pledges, ready_in_days in COMPLETED_CAMPAIGNS:
        buyer, user = parties[organizer]
        design = Design.objects.filter(organization=buyer, name=design_name).first()
        if design is None:
            continue
        campaign = Campaign.objects.filter(organization=buyer, title=title).first()
        if campaign is None:
            quantity = sum(units for _slug, units in pledges)
            now = timezone.now()
            campaign = campaign_open(
                organization=buyer,
                acting_user=user,
                design=design,
                factory=factory,
                title=title,
                target_quantity=quantity,
                cap_quantity=quantity,
                deadline=now + datetime.timedelta(days=5),
                ready_by=timezone.localdate(now) + datetime.timedelta(days=ready_in_days),
                target_unit_price=Money(design.unit_price_minor * 9 // 10, design.currency),
            )
            for slug, units in pledges:
                organization, member = parties[slug]
                pledge_create(
                    campaign=campaign, organization=organization, acting_user=member, quantity=units
                )
            campaign = campaign_close(campaign_pk=campaign.pk)
        if campaign.order_id is not None:
            # The receiver attaches the lines after commit; here it may still be pending.
            order_modules_open(order_pk=campaign.order_id)
    massing_run(factory=factory)


def _open_campaign(organizer: tuple[Organization, User], other: tuple[Organization, User]):
    """An air-conditioner campaign open for two more weeks, 40 of 200 units pledged, at a
    verified factory that publishes air-conditioner capacity."""
    buyer, user = organizer
    design = Design.objects.filter(organization=buyer, name="Office AC, Wi-Fi and heating").first()
    if design is None or Campaign.objects.filter(organization=buyer, title=OPEN_CAMPAIGN).exists():
        return
    line = (
        CapacityLine.objects.filter(
            category=design.product.product.category, organization__verified=True
        )
        .select_related("organization")
        .order_by("organization__slug")
        .first()
    )
    if line is None:
        return
    now = timezone.now()
    campaign = campaign_open(
        organization=buyer,
        acting_user=user,
        design=design,
        factory=line.organization,
        title=OPEN_CAMPAIGN,
        target_quantity=200,
        cap_quantity=300,
        deadline=now + datetime.timedelta(days=14),
        ready_by=timezone.localdate(now) + datetime.timedelta(days=40),
        target_unit_price=Money(design.unit_price_minor * 85 // 100, design.currency),
    )
    for (organization, member), quantity in ((organizer, 30), (other, 10)):
        pledge_create(
            campaign=campaign, organization=organization, acting_user=member, quantity=quantity
        )


def seed() -> None:
    for slug, spec in CUSTOMIZABLE.items():
        product = Product.objects.filter(slug=slug).first()
        if product is None or CustomizableProduct.objects.filter(product=product).exists():
            continue
        customizable_product_setup(
            product=product, recipe=spec["recipe"], groups=spec["groups"], rules=spec["rules"]
        )
    buyer = Organization.objects.filter(slug="bright-threads").first()
    owner = Membership.objects.filter(organization=buyer, role=Membership.Role.OWNER).first()
    if buyer is None or owner is None:
        return
    organizer = (buyer, owner.user)
    for name, slug, options, measurements, quantity in DESIGNS:
        _design(organizer, name, slug, options, measurements, quantity)
    other = _owner("urban-nest-home")
    if other is None:
        return
    parties = {"bright-threads": organizer, "urban-nest-home": other}
    for organization_slug, name, options, measurements, quantity in SUIT_DESIGNS:
        _design(parties[organization_slug], name, SUIT, options, measurements, quantity)
    for organization, user in (organizer, other):
        _credit(organization, user)
    _completed_campaigns(parties)
    _open_campaign(organizer, other)
