"""Writes for customization. Other apps use these names (and `customization.selectors`)."""

from customization.services.configurator import (
    Evaluation,
    design_evaluate,
    design_evaluate_or_raise,
)
from customization.services.designs import design_create
from customization.services.products import customizable_product_setup

__all__ = [
    "Evaluation",
    "customizable_product_setup",
    "design_create",
    "design_evaluate",
    "design_evaluate_or_raise",
]
