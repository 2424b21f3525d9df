"""Domain errors of the orders app. Interfaces map them: 409 for conflicts, 403 for a
party acting out of turn (a `PermissionError`), 404 for what the caller may not see."""

from __future__ import annotations


class OrderConflictError(Exception):
    """The action is not allowed from the current state (or capacity is gone): 409."""


class WrongPartyError(PermissionError):
    """The caller is a party to the object but this action belongs to the other party."""
