from __future__ import annotations

from marketplace.api.base import OrganizationAPIView


class OrdersAPIView(OrganizationAPIView):
    """The orders API's base; its domain errors (`orders.exceptions`) are mapped centrally."""
