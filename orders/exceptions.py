"""Domain errors of the orders app, named cases of the platform's domain errors (mapped once,
in `marketplace.exceptions`' interfaces): conflicts are 409, the other party's action 403."""

from __future__ import annotations

from marketplace.exceptions import ConflictError, ForbiddenError


class OrderConflictError(ConflictError):
    """The action is not allowed from the current state (or capacity is gone)."""


class WrongPartyError(ForbiddenError):
    """The caller is a party to the object but this action belongs to the other party."""
