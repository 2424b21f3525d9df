from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework.request import Request

from marketplace.api.base import OrganizationAPIView
from orders import selectors


class OrdersAPIView(OrganizationAPIView):
    """The orders API's base; its domain errors (`orders.exceptions`) are mapped centrally."""

    def order_input_call(self, request: Request, pk: int, service: Callable[..., Any]) -> Any:
        """An order action in one shape: the order (a 404 unless the caller's organization
        is a party), the view's `InputSerializer` validated (a 400 with field messages), then
        `service` called as this party with every validated field. Returns its result."""
        order = selectors.order_get(organization=self.organization, pk=pk, relations=())
        data = self.InputSerializer(data=request.data)  # type: ignore[attr-defined]
        data.is_valid(raise_exception=True)
        return service(
            order=order,
            acting_organization=self.organization,
            acting_user=request.user,
            **data.validated_data,
        )
