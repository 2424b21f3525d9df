"""The platform's category tree (English and Simplified Chinese), demo products with price
tiers and pictures, and solutions. Idempotent: a product or solution whose slug exists is
left alone."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from catalog.models import Product
from catalog.selectors import category_by_slug
from catalog.services import (
    ProductInput,
    SolutionItemInput,
    category_tree_ensure,
    product_create,
    product_image_add,
    product_price_tiers_set,
    solution_save,
)
from marketplace.models import Organization

CATEGORY_TREE = [
    {
        "slug": "apparel",
        "name": "Apparel",
        "name_zh": "服装",
        "children": [
            {"slug": "shirts", "name": "Shirts", "name_zh": "衬衫"},
            {"slug": "jeans", "name": "Jeans", "name_zh": "牛仔裤"},
            {"slug": "knitwear", "name": "Knitwear", "name_zh": "针织衫"},
        ],
    },
    {
        "slug": "furniture",
        "name": "Furniture",
        "name_zh": "家具",
        "children": [
            {"slug": "panels", "name": "Panels", "name_zh": "板材"},
            {"slug": "cabinets", "name": "Cabinets", "name_zh": "橱柜"},
        ],
    },
    {
        "slug": "appliances",
        "name": "Appliances",
        "name_zh": "家电",
        "children": [
            {"slug": "air-conditioners", "name": "Air conditioners", "name_zh": "空调"},
        ],
    },
    {
        "slug": "industrial",
        "name": "Industrial equipment",
        "name_zh": "工业设备",
        "children": [
            {"slug": "cnc-machines", "name": "CNC machines", "name_zh": "数控机床"},
            {"slug": "pumps", "name": "Pumps", "name_zh": "泵"},
            {"slug": "compressors", "name": "Compressors", "name_zh": "压缩机"},
        ],
    },
]


# slug, category, factory slug (None: the platform), name, name_zh, price (yuan), MOQ,
# summary, specifications, colour of the demo picture.
PRODUCTS = [
    (
        "bespoke-two-piece-suit",
        "apparel",
        "ningbo-evergreen",
        "Bespoke two-piece suit",
        "定制两件套西装",
        1280,
        30,
        "Made to measure from 19 body measurements.",
        [("Lead time", "7 days"), ("Fabrics", "Wool, wool-cashmere, linen")],
        "#2d3a4a",
    ),
    (
        "split-air-conditioner-35",
        "air-conditioners",
        None,
        "Split air conditioner 3.5 kW",
        "分体式空调 3.5千瓦",
        2600,
        30,
        "Choose 6 of 22 functions for your market.",
        [("Cooling capacity", "3.5 kW"), ("Energy class", "APF 5.0")],
        "#dfe9f2",
    ),
    (
        "modular-cabinet",
        "cabinets",
        None,
        "Modular cabinet",
        "模块化柜体",
        680,
        30,
        "Any width, height and depth; panels cut to the millimetre.",
        [("Panel thickness", "18 mm"), ("Edge banding", "1 mm ABS")],
        "#c8a27a",
    ),
    (
        "oxford-shirt",
        "shirts",
        "ningbo-evergreen",
        "Oxford button-down shirt",
        "牛津纺衬衫",
        89,
        30,
        "Classic oxford cotton, private label.",
        [("Fabric", "100% cotton oxford, 140 g/m2"), ("Sizes", "S-XXL")],
        "#9cb8d8",
    ),
    (
        "selvedge-jeans",
        "jeans",
        "ningbo-evergreen",
        "Selvedge denim jeans",
        "赤耳牛仔裤",
        169,
        50,
        "13.5 oz selvedge denim, straight fit.",
        [("Fabric", "13.5 oz selvedge denim"), ("Fit", "Straight")],
        "#35507a",
    ),
    (
        "industrial-sewing-machine",
        "industrial",
        None,
        "Industrial lockstitch sewing machine",
        "工业平缝机",
        3200,
        1,
        "Direct-drive lockstitch machine for garment workshops.",
        [("Speed", "5,000 stitches/min"), ("Motor", "550 W servo")],
        "#5b6770",
    ),
    (
        "screw-air-compressor",
        "compressors",
        None,
        "Screw air compressor 7.5 kW",
        "螺杆空压机 7.5千瓦",
        14800,
        1,
        "Oil-injected screw compressor with telemetry.",
        [("Flow", "1.2 m3/min at 8 bar"), ("Noise", "66 dB(A)")],
        "#3b7a57",
    ),
    (
        "centrifugal-pump",
        "pumps",
        None,
        "Centrifugal water pump",
        "离心水泵",
        2100,
        1,
        "Condensate and chilled-water circulation.",
        [("Flow", "12 m3/h"), ("Head", "32 m")],
        "#2f6f8f",
    ),
]
TIERS = [(100, 9500), (500, 9000), (2000, 8500)]

SOLUTIONS: list[dict[str, Any]] = [
    {
        "slug": "small-garment-workshop",
        "name": "Small garment workshop",
        "name_zh": "小型服装车间",
        "application_area": "A 10-person workshop making shirts and jeans in small batches",
        "description": "Everything a new cut-and-sew workshop needs on day one.",
        "configuration": [("Floor area", "120 m2"), ("Output", "about 300 garments a day")],
        "items": [
            ("industrial-sewing-machine", "Sewing line", 8, "One per operator"),
            ("screw-air-compressor", "Compressed air for pressing", 1, ""),
            ("oxford-shirt", "First private-label run", 300, "Sample first, then bulk"),
        ],
    },
    {
        "slug": "office-hvac-200",
        "name": "HVAC for a 200 m2 office",
        "name_zh": "200平方米办公室暖通方案",
        "application_area": "Cooling and heating an open-plan office of 200 m2",
        "description": "Six split units sized at about 175 W/m2, with condensate pumping.",
        "configuration": [
            ("Cooling load", "35 kW"),
            ("Units", "6 x 3.5 kW + 1 spare"),
            ("Functions", "Inverter, Wi-Fi control, heating, self-cleaning"),
        ],
        "items": [
            ("split-air-conditioner-35", "Indoor and outdoor units", 6, "Configure the functions"),
            ("centrifugal-pump", "Condensate pump", 1, ""),
        ],
    },
]


def _picture(colour: str, label: str) -> SimpleUploadedFile:
    image = Image.new("RGB", (640, 480), colour)
    drawing = ImageDraw.Draw(image)
    drawing.rectangle((40, 40, 600, 440), outline="white", width=6)
    drawing.text((60, 60), label, fill="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile(f"{label}.png", buffer.getvalue(), content_type="image/png")


def _products() -> dict[str, Product]:
    products = {}
    for slug, category, factory_slug, name, name_zh, price, moq, summary, specs, colour in PRODUCTS:
        existing = Product.objects.filter(slug=slug).first()
        if existing is not None:
            products[slug] = existing
            continue
        factory = Organization.objects.filter(slug=factory_slug).first() if factory_slug else None
        product = product_create(
            factory=factory,
            data=ProductInput(
                category=category_by_slug(slug=category),  # type: ignore[arg-type]
                slug=slug,
                name=name,
                name_zh=name_zh,
                summary=summary,
                description=summary,
                specifications=tuple(specs),
                base_price_minor=price * 100,
                min_order_quantity=moq,
            ),
        )
        product_price_tiers_set(product=product, tiers=TIERS)
        product_image_add(product=product, upload=_picture(colour, slug), alt_text=name)
        products[slug] = product
    return products


def seed() -> None:
    category_tree_ensure(tree=CATEGORY_TREE)
    products = _products()
    for spec in SOLUTIONS:
        solution_save(
            slug=spec["slug"],
            name=spec["name"],
            name_zh=spec["name_zh"],
            application_area=spec["application_area"],
            description=spec["description"],
            configuration=tuple(spec["configuration"]),
            items=[
                SolutionItemInput(product=products[slug], role=role, quantity=count, note=note)
                for slug, role, count, note in spec["items"]
            ],
        )
