"""Demo customization: the air conditioner, suit and cabinet of the catalog become
configurable, and the demo buyer has a saved design of each; a suit campaign at the demo
factory (Ningbo Evergreen) met its target and became a production order whose modules are
batched (a massing run), and an air-conditioner campaign is open for pledges. Everything
goes through the services. Idempotent: a product already configured, a design or campaign
whose name exists, and a credit line already granted are left alone; massing adds nothing
the second time."""

from __future__ import annotations

import datetime

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

DESIGNS = [
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


COMPLETED_CAMPAIGN = "Navy suits for the spring collection"
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


def _credit(organization: Organization, user: User) -> None:
    if not CreditLine.objects.filter(organization=organization).exists():
        credit_limit_set(
            organization=organization,
            limit=CREDIT_LIMIT,
            reason="Demo credit line for campaign pledges",
            acting_user=user,
        )


def _completed_campaign(
    organizer: tuple[Organization, User], other: tuple[Organization, User]
) -> None:
    """A suit campaign at the demo factory, filled (25 + 15 of a 40 cap) and closed: one
    production order at the dropped price, its modules batched by a massing run."""
    buyer, user = organizer
    factory = Organization.objects.filter(slug="ningbo-evergreen").first()
    design = Design.objects.filter(organization=buyer, name="Navy suit, peak lapel").first()
    if factory is None or design is None:
        return
    campaign = Campaign.objects.filter(organization=buyer, title=COMPLETED_CAMPAIGN).first()
    if campaign is None:
        now = timezone.now()
        campaign = campaign_open(
            organization=buyer,
            acting_user=user,
            design=design,
            factory=factory,
            title=COMPLETED_CAMPAIGN,
            target_quantity=40,
            cap_quantity=40,
            deadline=now + datetime.timedelta(days=5),
            ready_by=timezone.localdate(now) + datetime.timedelta(days=21),
            target_unit_price=Money(design.unit_price_minor * 9 // 10, design.currency),
        )
        for (organization, member), quantity in ((organizer, 25), (other, 15)):
            pledge_create(
                campaign=campaign, organization=organization, acting_user=member, quantity=quantity
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
    for name, slug, options, measurements, quantity in DESIGNS:
        product = Product.objects.filter(slug=slug).first()
        if product is None or Design.objects.filter(organization=buyer, name=name).exists():
            continue
        customizable = customizable_product_get(pk=product.pk)
        if customizable is None:
            continue
        design_create(
            organization=buyer,
            acting_user=owner.user,
            product=customizable,
            name=name,
            options=options,
            measurements=measurements,
            quantity=quantity,
        )
    other = _owner("urban-nest-home")
    if other is None:
        return
    organizer = (buyer, owner.user)
    for organization, user in (organizer, other):
        _credit(organization, user)
    _completed_campaign(organizer, other)
    _open_campaign(organizer, other)
