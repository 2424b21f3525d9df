"""Factory profiles: the profile itself, photos (validated, thumbnailed), production lines,
equipment and certifications."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from catalog.models import Category
from factories import certifications as schemes
from factories import regions
from factories.models import (
    Certification,
    Equipment,
    FactoryPerformance,
    FactoryPhoto,
    FactoryProfile,
    ProductionLine,
)
from marketplace.exceptions import ForbiddenError, InvalidError
from marketplace.images import IMAGE_MAX_PIXELS, image_header_check
from marketplace.models import Organization

normalize_place = regions.normalize

PHOTO_MAX_BYTES = 8 * 1024 * 1024
PHOTO_MAX_PIXELS = IMAGE_MAX_PIXELS
PHOTO_MIN_SIDE = 200
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
THUMBNAIL_SIZE = (480, 360)
MAX_PHOTOS = 24

PROFILE_FIELDS = (
    "description",
    "country",
    "region",
    "city",
    "address",
    "established_year",
    "workers_count",
    "floor_area_m2",
    "processes",
    "technology",
    "quality_control",
    "min_order_quantity",
    "standard_lead_days",
    "free_sampling",
    "price_level",
    "auto_roll_calendar",
)


def _require_factory(organization: Organization) -> None:
    if organization.kind != Organization.Kind.FACTORY:
        raise ForbiddenError(_("Only factories have a factory profile."))


def factory_profile_create(*, organization: Organization) -> FactoryProfile | None:
    """An empty profile and performance record for a new factory organization (nothing
    for other kinds). Runs in the transaction that creates the organization."""
    if organization.kind != Organization.Kind.FACTORY:
        return None
    return factory_profile_ensure(organization=organization)


def factory_profile_ensure(*, organization: Organization) -> FactoryProfile:
    """The factory's profile (and performance record), for write services. Every factory
    gets one when created; this also covers one whose kind an operator changed later."""
    _require_factory(organization)
    profile, _created = FactoryProfile.objects.get_or_create(organization=organization)
    FactoryPerformance.objects.get_or_create(organization=organization)
    return profile


def _place_fields(*, country: str, region: str, city: str) -> dict[str, str]:
    """A factory in China names its province and city from `factories.regions` (typed
    leniently: "zhejiang province", "宁波"); they are stored as the list's English names.
    Elsewhere region and city stay free text."""
    if normalize_place(country) not in ("china", "中国", "prc", "peoplesrepublicofchina"):
        return {"region": region, "city": city}
    province = regions.province_resolve(region) if region else None
    found_city = regions.city_resolve(city, province=province) if city else None
    if not region and found_city is not None:
        province = regions.PROVINCE_BY_NAME[found_city.province]
    errors: dict[str, list[str]] = {}
    if region and province is None:
        errors["region"] = [_("Choose a province of China from the list.")]
    elif city and (found_city is None or found_city.province != province.name):  # type: ignore[union-attr]
        errors["city"] = [_("Choose a city in the chosen province from the list.")]
    if errors:
        raise InvalidError(errors)
    return {
        "region": province.name if province else "",
        "city": found_city.name if found_city else "",
    }


@transaction.atomic
def factory_profile_update(
    *, organization: Organization, categories: list[Category] | None = None, **fields: Any
) -> FactoryProfile:
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"unknown profile fields: {sorted(unknown)}")
    profile = factory_profile_ensure(organization=organization)
    if "region" in fields or "city" in fields:
        fields.update(
            _place_fields(
                country=fields.get("country", profile.country),
                region=fields.get("region", profile.region),
                city=fields.get("city", profile.city),
            )
        )
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.full_clean(exclude=["organization", "categories"])
    profile.save()
    if categories is not None:
        profile.categories.set(categories)
    return profile


def _open_image(upload: UploadedFile) -> Image.Image:
    if upload.size is not None and upload.size > PHOTO_MAX_BYTES:
        raise InvalidError(
            {"image": [_("The photo is larger than %(mb)d MB.") % {"mb": PHOTO_MAX_BYTES >> 20}]}
        )
    # Sized from the header first: nothing is decoded for a decompression bomb.
    image_header_check(upload, field="image", max_pixels=PHOTO_MAX_PIXELS)
    try:
        upload.seek(0)
        image = Image.open(upload)
        image.verify()  # catches truncated and corrupt files
        upload.seek(0)
        image = Image.open(upload)
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise InvalidError({"image": [_("This file is not a readable image.")]}) from error
    if image.format not in PHOTO_FORMATS:
        raise InvalidError({"image": [_("Upload a JPEG, PNG or WebP photo.")]})
    if min(image.width, image.height) < PHOTO_MIN_SIDE:
        raise InvalidError(
            {
                "image": [
                    _("The photo must be at least %(px)d pixels wide and high.")
                    % {"px": PHOTO_MIN_SIDE}
                ]
            }
        )
    return image


def _thumbnail(image: Image.Image) -> ContentFile:
    thumb = image.convert("RGB")
    thumb.thumbnail(THUMBNAIL_SIZE)
    buffer = io.BytesIO()
    thumb.save(buffer, format="JPEG", quality=82, optimize=True)
    return ContentFile(buffer.getvalue())


@transaction.atomic
def factory_photo_add(
    *, organization: Organization, upload: UploadedFile, caption: str = ""
) -> FactoryPhoto:
    factory_profile_ensure(organization=organization)
    if FactoryPhoto.objects.for_organization(organization).count() >= MAX_PHOTOS:
        message = _("A profile holds at most %(n)d photos.") % {"n": MAX_PHOTOS}
        raise InvalidError({"image": [message]})
    image = _open_image(upload)
    extension = PHOTO_FORMATS[image.format or "JPEG"]
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    photo = FactoryPhoto(
        organization=organization,
        caption=caption[:200],
        width=image.width,
        height=image.height,
        position=FactoryPhoto.objects.for_organization(organization).count(),
    )
    upload.seek(0)
    photo.image.save(f"{organization.pk}-{stamp}.{extension}", upload, save=False)
    photo.thumbnail.save(f"{organization.pk}-{stamp}-thumb.jpg", _thumbnail(image), save=False)
    photo.save()
    return photo


@transaction.atomic
def factory_photo_delete(*, photo: FactoryPhoto) -> None:
    image, thumbnail = photo.image, photo.thumbnail
    photo.delete()
    transaction.on_commit(lambda: (image.delete(save=False), thumbnail.delete(save=False)))


def _check_category(organization: Organization, category: Category) -> None:
    if not FactoryProfile.categories.through.objects.filter(
        factoryprofile__organization=organization, category=category
    ).exists():
        raise InvalidError({"category": [_("Add this category to your factory profile first.")]})


@transaction.atomic
def production_line_save(
    *, organization: Organization, line: ProductionLine | None = None, **fields: Any
) -> ProductionLine:
    factory_profile_ensure(organization=organization)
    line = line or ProductionLine(organization=organization)
    for name, value in fields.items():
        setattr(line, name, value)
    _check_category(organization, line.category)
    line.full_clean(exclude=["organization"])
    line.save()
    return line


@transaction.atomic
def equipment_save(
    *, organization: Organization, equipment: Equipment | None = None, **fields: Any
) -> Equipment:
    factory_profile_ensure(organization=organization)
    equipment = equipment or Equipment(organization=organization)
    for name, value in fields.items():
        setattr(equipment, name, value)
    equipment.full_clean(exclude=["organization"])
    equipment.save()
    return equipment


def _certification_scheme(certification: Certification, *, scheme_given: bool) -> None:
    """A certificate from the list carries its scheme (its name defaults to the scheme's);
    one typed by hand is matched to a scheme when it plainly is one."""
    certification.name = (certification.name or "").strip()
    if scheme_given and certification.scheme:
        scheme = schemes.SCHEME_BY_CODE.get(certification.scheme)
        if scheme is None:
            raise InvalidError({"scheme": [_("Choose a certification from the list.")]})
        certification.name = certification.name or scheme.name
        return
    if not certification.name:
        raise InvalidError({"name": [_("Choose a certification from the list or type its name.")]})
    found = schemes.scheme_for_name(certification.name)
    certification.scheme = found.code if found else ""


@transaction.atomic
def certification_save(
    *, organization: Organization, certification: Certification | None = None, **fields: Any
) -> Certification:
    factory_profile_ensure(organization=organization)
    certification = certification or Certification(organization=organization)
    for name, value in fields.items():
        setattr(certification, name, value)
    _certification_scheme(certification, scheme_given="scheme" in fields)
    if certification.issued_on and certification.issued_on > certification.expires_on:
        message = _("A certificate cannot expire before it is issued.")
        raise InvalidError({"expires_on": [message]})
    certification.full_clean(exclude=["organization"])
    if not certification.is_expired:
        certification.expired_flagged_at = None
    certification.save()
    return certification


@transaction.atomic
def profile_item_delete(*, item: ProductionLine | Equipment | Certification) -> None:
    item.delete()
