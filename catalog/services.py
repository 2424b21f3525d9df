"""Writes for the catalog: the category tree, products (with images and price tiers) and
solutions. Other apps use these names and `catalog.selectors` only."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from catalog.models import (
    FULL_PRICE_BASIS_POINTS,
    Category,
    PriceTier,
    Product,
    ProductImage,
    Solution,
    SolutionItem,
)
from marketplace.exceptions import ForbiddenError, InvalidError
from marketplace.models import Organization
from marketplace.money import SUPPORTED_CURRENCIES

IMAGE_MAX_BYTES = 5 * 1024 * 1024
IMAGE_MAX_PIXELS = 40_000_000
IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
THUMBNAIL_SIZE = (480, 360)


@transaction.atomic
def category_tree_ensure(*, tree: list[dict], parent: Category | None = None) -> list[Category]:
    """Create or update categories from nested dicts (slug, name, name_zh, children)."""
    created = []
    for position, node in enumerate(tree):
        category, _created = Category.objects.update_or_create(
            slug=node["slug"],
            defaults={
                "name": node["name"],
                "name_zh": node.get("name_zh", ""),
                "parent": parent,
                "position": position,
            },
        )
        created.append(category)
        created.extend(category_tree_ensure(tree=node.get("children", []), parent=category))
    return created


# --- images ------------------------------------------------------------------------------


def image_open_checked(
    *, upload: UploadedFile, field: str, max_bytes: int = IMAGE_MAX_BYTES, min_side: int = 16
) -> Image.Image:
    """The upload as a fully decoded Pillow image, or an `InvalidError` naming `field`:
    too large, not an image (or a corrupt one), not JPEG/PNG/WebP, too many pixels."""
    if upload.size is not None and upload.size > max_bytes:
        message = _("The image is larger than %(mb)d MB.") % {"mb": max(max_bytes >> 20, 1)}
        raise InvalidError({field: [message]})
    try:
        upload.seek(0)
        probe = Image.open(upload)
        probe.verify()
        upload.seek(0)
        image = Image.open(upload)
        if image.width * image.height > IMAGE_MAX_PIXELS:
            raise InvalidError({field: [_("The image has too many pixels.")]})
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise InvalidError({field: [_("This file is not a readable image.")]}) from error
    if image.format not in IMAGE_FORMATS:
        raise InvalidError({field: [_("Upload a JPEG, PNG or WebP image.")]})
    if min(image.width, image.height) < min_side:
        message = _("The image must be at least %(px)d pixels wide and high.") % {"px": min_side}
        raise InvalidError({field: [message]})
    upload.seek(0)
    return image


def image_thumbnail(*, image: Image.Image, size: tuple[int, int] = THUMBNAIL_SIZE) -> ContentFile:
    thumb = image.convert("RGB")
    thumb.thumbnail(size)
    buffer = io.BytesIO()
    thumb.save(buffer, format="JPEG", quality=82, optimize=True)
    return ContentFile(buffer.getvalue())


# --- products ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductInput:
    category: Category
    name: str
    base_price_minor: int
    currency: str = "CNY"
    name_zh: str = ""
    summary: str = ""
    description: str = ""
    specifications: tuple[tuple[str, str], ...] = ()
    min_order_quantity: int = 1
    is_customizable: bool = False
    slug: str = ""


def _require_publisher(*, factory: Organization | None) -> None:
    if factory is not None and factory.kind != Organization.Kind.FACTORY:
        raise ForbiddenError(_("Only factories and the platform publish products."))


def _validate_product(data: ProductInput) -> None:
    errors: dict[str, list[str]] = {}
    if not data.name.strip():
        errors["name"] = [_("A product needs a name.")]
    if data.base_price_minor < 0:
        errors["base_price"] = [_("The price cannot be negative.")]
    if data.currency not in SUPPORTED_CURRENCIES:
        errors["currency"] = [_("Unsupported currency.")]
    if data.min_order_quantity < 1:
        errors["min_order_quantity"] = [_("The minimum order quantity is at least 1.")]
    if errors:
        raise InvalidError(errors)


def _unique_product_slug(name: str, wanted: str) -> str:
    base = slugify(wanted or name)[:100] or "product"
    slug, suffix = base, 2
    while Product.objects.filter(slug=slug).exists():
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug


@transaction.atomic
def product_create(*, factory: Organization | None, data: ProductInput) -> Product:
    """A product published by `factory` (None: by the platform)."""
    _require_publisher(factory=factory)
    _validate_product(data)
    return Product.objects.create(
        category=data.category,
        factory=factory,
        slug=_unique_product_slug(data.name, data.slug),
        name=data.name.strip(),
        name_zh=data.name_zh.strip(),
        summary=data.summary,
        description=data.description,
        specifications=[{"name": name, "value": value} for name, value in data.specifications],
        currency=data.currency,
        base_price_minor=data.base_price_minor,
        min_order_quantity=data.min_order_quantity,
        is_customizable=data.is_customizable,
    )


@transaction.atomic
def product_price_tiers_set(
    *, product: Product, tiers: Iterable[tuple[int, int]]
) -> list[PriceTier]:
    """Replace the product's tiers with (min_quantity, basis_points) pairs: from that many
    units on, the unit price is basis_points/10,000 of the full price."""
    pairs = sorted(tiers)
    errors = []
    for min_quantity, basis_points in pairs:
        if min_quantity < 1:
            errors.append(_("A tier starts at 1 unit or more."))
        if not 1 <= basis_points <= FULL_PRICE_BASIS_POINTS:
            errors.append(_("A tier's share of the price is between 0.01% and 100%."))
    if len({quantity for quantity, _share in pairs}) != len(pairs):
        errors.append(_("Two tiers start at the same quantity."))
    if errors:
        raise InvalidError({"price_tiers": errors})
    PriceTier.objects.filter(product=product).delete()
    return PriceTier.objects.bulk_create(
        PriceTier(product=product, min_quantity=quantity, basis_points=share)
        for quantity, share in pairs
    )


@transaction.atomic
def product_image_add(
    *, product: Product, upload: UploadedFile, alt_text: str = ""
) -> ProductImage:
    image = image_open_checked(upload=upload, field="image", min_side=64)
    extension = IMAGE_FORMATS[image.format or "JPEG"]
    position = ProductImage.objects.filter(product=product).count()
    record = ProductImage(
        product=product,
        width=image.width,
        height=image.height,
        alt_text=alt_text[:200],
        position=position,
    )
    stem = f"{product.slug}-{position}"
    record.image.save(f"{stem}.{extension}", upload, save=False)
    record.thumbnail.save(f"{stem}-thumb.jpg", image_thumbnail(image=image), save=False)
    record.save()
    return record


# --- solutions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SolutionItemInput:
    product: Product
    role: str
    quantity: int = 1
    note: str = ""


@transaction.atomic
def solution_save(
    *,
    slug: str,
    name: str,
    application_area: str,
    items: list[SolutionItemInput],
    name_zh: str = "",
    description: str = "",
    configuration: tuple[tuple[str, str], ...] = (),
) -> Solution:
    """Create or replace a solution and its items (operators curate solutions)."""
    if not items:
        raise InvalidError({"items": [_("A solution lists at least one product.")]})
    if any(item.quantity < 1 for item in items):
        raise InvalidError({"items": [_("Each product is needed at least once.")]})
    solution, _created = Solution.objects.update_or_create(
        slug=slug,
        defaults={
            "name": name,
            "name_zh": name_zh,
            "application_area": application_area,
            "description": description,
            "configuration": [{"name": key, "value": value} for key, value in configuration],
        },
    )
    SolutionItem.objects.filter(solution=solution).delete()
    SolutionItem.objects.bulk_create(
        SolutionItem(
            solution=solution,
            product=item.product,
            role=item.role,
            quantity=item.quantity,
            note=item.note,
            position=position,
        )
        for position, item in enumerate(items)
    )
    return solution
