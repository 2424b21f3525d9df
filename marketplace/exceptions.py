"""Domain errors: what a service raises when a use case cannot go ahead.

Services raise these and nothing else for "no"; each interface maps them once:

- the API (`marketplace.api.errors.exception_handler`): `NotFoundError` 404,
  `ForbiddenError` 403, `ConflictError` 409, `InvalidError` 400 with field errors;
- the pages (`marketplace.pages.DomainErrorMiddleware`): 404 and 403 pages, and for a
  conflict (or invalid input no form caught) a message and a redirect back.

`str(error)` is a translated sentence for the person who asked. An app may subclass these
to name its own cases (`orders.exceptions.WrongPartyError(ForbiddenError)`), never add a
new kind that needs its own mapping.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError


class DomainError(Exception):
    """Base of every domain error."""


class NotFoundError(DomainError):
    """The object does not exist or is not the caller's to see (the same answer for both)."""


class ForbiddenError(DomainError):
    """The caller may see the object but not do this (role, party, organization kind)."""


class ConflictError(DomainError):
    """The action does not fit the current state (status, capacity, a concurrent change)."""


class InvalidError(DomainError, ValidationError):
    """The input is wrong: a Django `ValidationError`, so forms and serializers take its
    field errors (`InvalidError({"field": [message]})`) as they take their own.

    Errors are keyed by the service's own argument names; an API view whose input names a
    field differently declares `error_fields = {"service_name": "input_name"}`."""

    @property
    def detail(self) -> dict | list:
        """The errors as the API shows them. A subclass may nest them (a list argument's
        errors keyed by item index, as DRF does for list fields)."""
        return self.message_dict if hasattr(self, "error_dict") else self.messages
