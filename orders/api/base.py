from __future__ import annotations

from rest_framework import exceptions

from marketplace.api.base import OrganizationAPIView
from marketplace.api.errors import ConflictError
from orders.exceptions import OrderConflictError, WrongPartyError


class OrdersAPIView(OrganizationAPIView):
    """Maps the orders domain errors: conflicts are 409, the other party's action is 403."""

    def handle_exception(self, exc):
        if isinstance(exc, OrderConflictError):
            exc = ConflictError(str(exc))
        elif isinstance(exc, WrongPartyError):
            exc = exceptions.PermissionDenied(str(exc))
        return super().handle_exception(exc)
