"""Setting up a customizable product: its module recipe, option groups, options and rules
(operators in the admin, the demo seed and tests use this one service)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from catalog.models import Product
from customization.models import CustomizableProduct, Option, OptionGroup, OptionRule
from marketplace.exceptions import InvalidError

GROUP_FIELDS = (
    "name_zh",
    "required",
    "min_choices",
    "max_choices",
    "unit",
    "max_length",
    "price_delta_minor",
    "module_name",
    "help_text",
)


def _group_errors(position: int, spec: dict[str, Any]) -> list[str]:
    kind = spec.get("kind")
    errors = []
    if kind not in OptionGroup.Kind.values:
        errors.append(_("Group %(n)d: unknown kind.") % {"n": position + 1})
    if kind in (OptionGroup.Kind.SINGLE, OptionGroup.Kind.MULTI) and not spec.get("options"):
        errors.append(_("Group %(n)d: a choice group needs options.") % {"n": position + 1})
    if kind == OptionGroup.Kind.MULTI and spec.get("min_choices", 0) > spec.get("max_choices", 1):
        errors.append(_("Group %(n)d: at least is more than at most.") % {"n": position + 1})
    return errors


@transaction.atomic
def customizable_product_setup(
    *,
    product: Product,
    recipe: str,
    groups: list[dict[str, Any]],
    rules: list[tuple[str, str, str]] = (),  # type: ignore[assignment]
) -> CustomizableProduct:
    """Replace the product's option groups and rules. Rules are ("group.option", kind,
    "group.option") triples."""
    errors = [
        message for position, spec in enumerate(groups) for message in _group_errors(position, spec)
    ]
    if errors:
        raise InvalidError({"groups": errors})
    customizable, _created = CustomizableProduct.objects.update_or_create(
        product=product, defaults={"recipe": recipe}
    )
    if not product.is_customizable:
        Product.objects.filter(pk=product.pk).update(is_customizable=True)
    OptionRule.objects.filter(product=customizable).delete()
    OptionGroup.objects.filter(product=customizable).delete()
    options: dict[str, Option] = {}
    for position, spec in enumerate(groups):
        group = OptionGroup.objects.create(
            product=customizable,
            code=spec["code"],
            name=spec["name"],
            kind=spec["kind"],
            position=position,
            min_value=Decimal(str(spec["min_value"])) if "min_value" in spec else None,
            max_value=Decimal(str(spec["max_value"])) if "max_value" in spec else None,
            **{key: spec[key] for key in GROUP_FIELDS if key in spec},
        )
        created = Option.objects.bulk_create(
            Option(
                group=group,
                code=option["code"],
                name=option["name"],
                name_zh=option.get("name_zh", ""),
                price_delta_minor=option.get("price_delta_minor", 0),
                module=option.get("module", {}),
                position=index,
            )
            for index, option in enumerate(spec.get("options", []))
        )
        options.update({f"{group.code}.{option.code}": option for option in created})
    for source, kind, target in rules:
        if source not in options or target not in options or kind not in OptionRule.Kind.values:
            raise InvalidError(
                {
                    "rules": [
                        _("A rule names an unknown option: %(rule)s.")
                        % {"rule": f"{source} {kind} {target}"}
                    ]
                }
            )
        OptionRule.objects.create(
            product=customizable, option=options[source], kind=kind, target=options[target]
        )
    return customizable
