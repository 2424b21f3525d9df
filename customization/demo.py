"""Demo customization: the air conditioner, suit and cabinet of the catalog become
configurable, and the demo buyer has a saved design of each. Idempotent: a product already
configured and a design whose name exists are left alone."""

from __future__ import annotations

from catalog.models import Product
from customization.demo_products import CUSTOMIZABLE
from customization.models import CustomizableProduct, Design
from customization.selectors import customizable_product_get
from customization.services import customizable_product_setup, design_create
from marketplace.models import Membership, Organization

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
