"""ModelAdmin bases the operators' admin shares.

- `ReadOnlyAdmin`: rows only services write (ledger, events, alarms): listed and read.
- `ServiceFormAdmin`: a row an operator creates by calling a service from the form's
  `clean()` (the form gets `current_user` and records it with the reason); once made it is
  read-only, and no row is ever deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ServiceFormMixin:
    """The form calls the service itself, as the signed-in operator; nothing is deleted."""

    def get_form(self, request, obj=None, change=False, **kwargs) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)  # type: ignore[misc]
        form.current_user = request.user
        return form

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        """The service saved what changed, in the form's clean()."""


class ServiceFormAdmin(ServiceFormMixin, admin.ModelAdmin):
    """Add page: `create_fields`; afterwards every field, read-only."""

    create_fields: Sequence[str] = ()

    def _all_fields(self) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def get_fields(self, request, obj=None):
        return list(self.create_fields) if obj is None else self._all_fields()

    def get_readonly_fields(self, request, obj=None):
        return self._all_fields() if obj else []

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None
