"""The one validation and pricing of a configuration, shared by `POST /api/v1/designs/`,
the price endpoint and the htmx configurator page. Prices are computed here only.

Errors are keyed `options.<group>` / `measurements.<group>` / `images.<group>` /
`quantity`, each message naming the option and the rule it breaks."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image

from catalog.selectors import price_at_tier, product_tier_basis_points
from catalog.services import image_open_checked
from customization.models import CustomizableProduct, Option, OptionGroup, OptionRule
from marketplace import limits
from marketplace.exceptions import InvalidError
from marketplace.money import Money

MAX_QUANTITY = limits.CAMPAIGN_QUANTITY.max
LOGO_MAX_BYTES = 5 * 1024 * 1024
MAX_KEY_LENGTH = 60
Kind = OptionGroup.Kind


@dataclass
class Evaluation:
    product: CustomizableProduct
    quantity: int
    errors: dict[str, list[str]] = field(default_factory=dict)
    chosen: dict[str, list[Option]] = field(default_factory=dict)
    measurements: dict[str, Decimal] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    images: dict[str, tuple[UploadedFile, Image.Image]] = field(default_factory=dict)
    image_digests: dict[str, str] = field(default_factory=dict)
    full_unit_price: Money | None = None
    tier_basis_points: int = 10_000
    unit_price: Money | None = None
    total: Money | None = None
    price_lines: list[tuple[str, Money]] = field(default_factory=list)

    @property
    def groups(self) -> list[OptionGroup]:
        return list(self.product.groups.all())

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def add_error(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    def selections(self) -> dict[str, Any]:
        """The canonical form stored on a design (codes and strings only)."""
        options: dict[str, Any] = {}
        for group in self.groups:
            if group.code in self.chosen:
                codes = [option.code for option in self.chosen[group.code]]
                options[group.code] = codes if group.kind == Kind.MULTI else codes[0]
            elif group.code in self.texts:
                options[group.code] = self.texts[group.code]
        return {
            "options": options,
            "measurements": {code: str(value) for code, value in self.measurements.items()},
            "images": dict(self.image_digests),
        }


def _label(value: Any) -> str:
    return str(value)[:MAX_KEY_LENGTH]


def _check_single(evaluation: Evaluation, group: OptionGroup, value: Any) -> None:
    by_code = {option.code: option for option in group.options.all()}
    if not isinstance(value, str) or value not in by_code:
        message = _("“%(value)s” is not one of the choices for %(group)s.") % {
            "value": _label(value),
            "group": group.name,
        }
        evaluation.add_error(f"options.{group.code}", message)
        return
    evaluation.chosen[group.code] = [by_code[value]]


def _check_multi(evaluation: Evaluation, group: OptionGroup, value: Any) -> None:
    key = f"options.{group.code}"
    by_code = {option.code: option for option in group.options.all()}
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        evaluation.add_error(
            key, _("Give a list of choices for %(group)s.") % {"group": group.name}
        )
        return
    unknown = [item for item in value if item not in by_code]
    if unknown:
        message = _("Unknown choices for %(group)s: %(codes)s.") % {
            "group": group.name,
            "codes": ", ".join(_label(code) for code in unknown[:5]),
        }
        evaluation.add_error(key, message)
        return
    if len(set(value)) != len(value):
        evaluation.add_error(
            key, _("A choice is listed twice in %(group)s.") % {"group": group.name}
        )
        return
    if not group.min_choices <= len(value) <= group.max_choices:
        message = _(
            "Choose between %(min)d and %(max)d of the %(count)d %(group)s (you chose %(chosen)d)."
        ) % {
            "min": group.min_choices,
            "max": group.max_choices,
            "count": len(by_code),
            "group": group.name,
            "chosen": len(value),
        }
        evaluation.add_error(key, message)
        return
    if value:
        evaluation.chosen[group.code] = [by_code[code] for code in value]


def _has_control_characters(text: str) -> bool:
    return any(unicodedata.category(character) in {"Cc", "Cf", "Cs", "Co"} for character in text)


def _check_text(evaluation: Evaluation, group: OptionGroup, value: Any) -> None:
    key = f"options.{group.code}"
    if not isinstance(value, str):
        evaluation.add_error(key, _("%(group)s must be a text.") % {"group": group.name})
        return
    text = value.strip()
    if _has_control_characters(text):
        message = _("%(group)s must not contain control characters.") % {"group": group.name}
        evaluation.add_error(key, message)
        return
    if group.max_length and len(text) > group.max_length:
        message = _("%(group)s is at most %(max)d characters (it has %(length)d).") % {
            "group": group.name,
            "max": group.max_length,
            "length": len(text),
        }
        evaluation.add_error(key, message)
        return
    if text:
        evaluation.texts[group.code] = text


def _check_measurement(evaluation: Evaluation, group: OptionGroup, value: Any) -> None:
    key = f"measurements.{group.code}"
    try:
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            raise InvalidOperation
        number = Decimal(str(value).strip())
        if not number.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        evaluation.add_error(key, _("%(group)s must be a number.") % {"group": group.name})
        return
    if number != number.quantize(Decimal("0.1")):
        message = _("%(group)s takes at most one decimal place.") % {"group": group.name}
        evaluation.add_error(key, message)
        return
    low, high = group.min_value, group.max_value
    if (low is not None and number < low) or (high is not None and number > high):
        message = _("%(group)s must be between %(min)s and %(max)s %(unit)s (got %(value)s).") % {
            "group": group.name,
            "min": low,
            "max": high,
            "unit": group.unit,
            "value": number,
        }
        evaluation.add_error(key, message)
        return
    evaluation.measurements[group.code] = number


def _check_image(evaluation: Evaluation, group: OptionGroup, upload: Any) -> None:
    key = f"images.{group.code}"
    if not isinstance(upload, UploadedFile):
        evaluation.add_error(key, _("Upload a file for %(group)s.") % {"group": group.name})
        return
    try:
        image = image_open_checked(upload=upload, field=key, max_bytes=LOGO_MAX_BYTES, min_side=16)
    except InvalidError as error:
        for message in error.message_dict.get(key, error.messages):
            evaluation.add_error(key, message)
        return
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    evaluation.images[group.code] = (upload, image)
    evaluation.image_digests[group.code] = digest.hexdigest()


def _unknown_keys(evaluation: Evaluation, section: str, given: dict, known: set[str]) -> None:
    for code in given:
        if code not in known:
            message = _("There is no option group “%(code)s” on this product.") % {
                "code": _label(code)
            }
            evaluation.add_error(f"{section}.{_label(code)}", message)


def _check_groups(evaluation: Evaluation, options: dict, measurements: dict, images: dict) -> None:
    groups = evaluation.groups
    by_kind = {
        "options": {g.code for g in groups if g.kind in (Kind.SINGLE, Kind.MULTI, Kind.TEXT)},
        "measurements": {g.code for g in groups if g.kind == Kind.MEASUREMENT},
        "images": {g.code for g in groups if g.kind == Kind.IMAGE},
    }
    _unknown_keys(evaluation, "options", options, by_kind["options"])
    _unknown_keys(evaluation, "measurements", measurements, by_kind["measurements"])
    _unknown_keys(evaluation, "images", images, by_kind["images"])
    checks = {
        Kind.SINGLE: (_check_single, options, "options"),
        Kind.MULTI: (_check_multi, options, "options"),
        Kind.TEXT: (_check_text, options, "options"),
        Kind.MEASUREMENT: (_check_measurement, measurements, "measurements"),
        Kind.IMAGE: (_check_image, images, "images"),
    }
    for group in groups:
        check, source, section = checks[Kind(group.kind)]
        value = source.get(group.code)
        if value in (None, "", []):
            if group.required:
                message = _("%(group)s is required.") % {"group": group.name}
                evaluation.add_error(f"{section}.{group.code}", message)
            continue
        check(evaluation, group, value)


def _check_rules(evaluation: Evaluation) -> None:
    chosen = {option.pk for options in evaluation.chosen.values() for option in options}
    rule: OptionRule
    for rule in evaluation.product.rules.all():
        if rule.option_id not in chosen:
            continue
        key = f"options.{rule.option.group.code}"
        names = {"option": rule.option.name, "target": rule.target.name}
        if rule.kind == OptionRule.Kind.REQUIRES and rule.target_id not in chosen:
            evaluation.add_error(key, _("“%(option)s” requires “%(target)s”.") % names)
        elif rule.kind == OptionRule.Kind.EXCLUDES and rule.target_id in chosen:
            evaluation.add_error(
                key, _("“%(option)s” cannot be combined with “%(target)s”.") % names
            )


def _check_quantity(evaluation: Evaluation, quantity: Any) -> int:
    minimum = evaluation.product.product.min_order_quantity
    if isinstance(quantity, str) and quantity.strip().isdigit():
        quantity = int(quantity.strip())
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        evaluation.add_error("quantity", _("Give the quantity as a whole number."))
        return minimum
    if not minimum <= quantity <= MAX_QUANTITY:
        message = _("The quantity must be between %(min)d and %(max)d.") % {
            "min": minimum,
            "max": MAX_QUANTITY,
        }
        evaluation.add_error("quantity", message)
        return minimum
    return quantity


def _price(evaluation: Evaluation) -> None:
    catalog_product = evaluation.product.product
    currency = catalog_product.currency
    unit = catalog_product.base_price
    lines = [(catalog_product.name, unit)]
    for group in evaluation.groups:
        for option in evaluation.chosen.get(group.code, []):
            if option.price_delta_minor:
                delta = Money(option.price_delta_minor, currency)
                lines.append((f"{group.name}: {option.name}", delta))
                unit += delta
        filled = group.code in evaluation.texts or group.code in evaluation.images
        if filled and group.price_delta_minor:
            delta = Money(group.price_delta_minor, currency)
            lines.append((group.name, delta))
            unit += delta
    if unit.amount_minor < 0:
        unit = Money.zero(currency)
    basis_points = product_tier_basis_points(product=catalog_product, quantity=evaluation.quantity)
    evaluation.full_unit_price = unit
    evaluation.tier_basis_points = basis_points
    evaluation.unit_price = price_at_tier(full_unit_price=unit, basis_points=basis_points)
    evaluation.total = evaluation.unit_price * evaluation.quantity
    evaluation.price_lines = lines


def design_evaluate(
    *,
    product: CustomizableProduct,
    options: Any,
    measurements: Any,
    quantity: Any,
    images: dict[str, Any] | None = None,
) -> Evaluation:
    """Validate and price a configuration without saving anything. Always returns a price
    (of the valid part, at the given or minimum quantity) so the configurator can show it
    next to the errors; `is_valid` says whether it may be saved."""
    evaluation = Evaluation(product=product, quantity=product.product.min_order_quantity)
    evaluation.quantity = _check_quantity(evaluation, quantity)
    if not isinstance(options, dict):
        evaluation.add_error("options", _("Give the options as an object of group: choice."))
        options = {}
    if not isinstance(measurements, dict):
        evaluation.add_error("measurements", _("Give the measurements as an object."))
        measurements = {}
    _check_groups(evaluation, options, measurements, images or {})
    _check_rules(evaluation)
    _price(evaluation)
    return evaluation


def design_evaluate_or_raise(**kwargs: Any) -> Evaluation:
    evaluation = design_evaluate(**kwargs)
    if not evaluation.is_valid:
        raise InvalidError(evaluation.errors)
    return evaluation
