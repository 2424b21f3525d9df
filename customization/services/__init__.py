"""Writes for customization. Other apps use these names (and `customization.selectors`)."""

from customization.services.campaigns import (
    campaign_close,
    campaign_exists,
    campaign_open,
    campaigns_committed_demand,
    campaigns_due,
    pledge_create,
)
from customization.services.configurator import (
    Evaluation,
    design_evaluate,
    design_evaluate_or_raise,
)
from customization.services.designs import design_create
from customization.services.massing import (
    MassingResult,
    massing_factories_with_open_modules,
    massing_run,
    order_modules_attach,
    order_modules_close,
    order_modules_open,
    orders_missing_modules,
)
from customization.services.products import customizable_product_setup
from customization.services.recommendations import (
    recommendation_product_pks,
    recommendations_refresh,
)

__all__ = [
    "Evaluation",
    "MassingResult",
    "campaign_close",
    "campaign_exists",
    "campaign_open",
    "campaigns_committed_demand",
    "campaigns_due",
    "customizable_product_setup",
    "design_create",
    "design_evaluate",
    "design_evaluate_or_raise",
    "massing_factories_with_open_modules",
    "massing_run",
    "order_modules_attach",
    "order_modules_close",
    "order_modules_open",
    "orders_missing_modules",
    "pledge_create",
    "recommendation_product_pks",
    "recommendations_refresh",
]
