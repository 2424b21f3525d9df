"""Saving designs: validated and priced by the configurator service, expanded into their
bill of modules, all in one transaction."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.services import image_thumbnail
from customization.models import CustomizableProduct, Design, DesignImage, DesignModule, OptionGroup
from customization.modules import modules_expand
from customization.services.configurator import Evaluation, design_evaluate_or_raise
from marketplace.exceptions import ForbiddenError, InvalidError
from marketplace.models import Organization, User

DESIGNING_KINDS = (Organization.Kind.BUYER, Organization.Kind.FACTORY)
NAME_MAX_LENGTH = 200


def configuration_key(evaluation: Evaluation) -> str:
    """Equal for designs with the same choices (single and multi groups; measurements and
    texts are personal): what "popular configurations" count."""
    choices = {
        group.code: sorted(option.code for option in evaluation.chosen.get(group.code, []))
        for group in evaluation.groups
        if group.kind in (OptionGroup.Kind.SINGLE, OptionGroup.Kind.MULTI)
    }
    canonical = json.dumps(choices, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _name(name: str, product: CustomizableProduct) -> str:
    name = name.strip()
    if any(ord(character) < 32 for character in name):
        raise InvalidError({"name": [_("The name must not contain control characters.")]})
    if len(name) > NAME_MAX_LENGTH:
        message = _("The name is at most %(max)d characters.") % {"max": NAME_MAX_LENGTH}
        raise InvalidError({"name": [message]})
    return name or f"{product.product.name} {timezone.localdate():%Y-%m-%d}"


@transaction.atomic
def design_create(
    *,
    organization: Organization,
    acting_user: User,
    product: CustomizableProduct,
    options: Any,
    measurements: Any,
    quantity: Any,
    images: dict[str, Any] | None = None,
    name: str = "",
) -> Design:
    if organization.kind not in DESIGNING_KINDS:
        raise ForbiddenError(_("Only buyers and factories save designs."))
    design_name = _name(name, product)
    evaluation = design_evaluate_or_raise(
        product=product,
        options=options,
        measurements=measurements,
        quantity=quantity,
        images=images,
    )
    unit_price, total = evaluation.unit_price, evaluation.total
    if unit_price is None or total is None:  # a valid evaluation is always priced
        raise InvalidError({"product": [_("This product cannot be priced.")]})
    design = Design.objects.create(
        organization=organization,
        created_by=acting_user,
        product=product,
        name=design_name,
        quantity=evaluation.quantity,
        selections=evaluation.selections(),
        configuration_key=configuration_key(evaluation),
        currency=unit_price.currency,
        unit_price_minor=unit_price.amount_minor,
        total_minor=total.amount_minor,
    )
    DesignModule.objects.bulk_create(
        DesignModule(
            design=design,
            position=position,
            name=module.name,
            attributes=module.attributes,
            quantity_per_unit=module.quantity_per_unit,
            signature=signature,
        )
        for position, (module, signature) in enumerate(modules_expand(evaluation))
    )
    for group_code, (upload, image) in evaluation.images.items():
        record = DesignImage(design=design, group_code=group_code)
        stem = f"{design.pk}-{group_code}"
        extension = (image.format or "png").lower().replace("jpeg", "jpg")
        record.image.save(f"{stem}.{extension}", upload, save=False)
        record.thumbnail.save(
            f"{stem}-thumb.jpg", image_thumbnail(image=image, size=(240, 240)), save=False
        )
        record.save()
    return design
