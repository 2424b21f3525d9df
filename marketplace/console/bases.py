"""What the operators' admin shares: ModelAdmin bases and the one mapping of a service's
refusals onto an admin form.

- `ReadOnlyAdmin`: rows only services write (ledger, events, alarms): listed and read.
- `ServiceFormAdmin`: a row an operator creates by calling a service from the form's
  `clean()` (the form gets `current_user` and records it with the reason); once made it is
  read-only, and no row is ever deleted.
- `call_service`: a service called from a form's `clean()`; its refusals (validation or a
  domain error) become the form's errors, so the operator sees them on the form.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _

from marketplace.exceptions import DomainError
from marketplace.money import Money


def call_service(
    service: Callable[..., Any],
    *,
    form: forms.BaseForm,
    field_map: dict[str, str] | None = None,
    **kwargs: Any,
) -> Any:
    """Run the service; its refusals become the form's errors: a field the service names
    lands on the form's field of that name (or the one `field_map` maps it to), any other
    on the form as a whole."""
    try:
        return service(**kwargs)
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        errors: dict[str, list] = {}
        for name, problems in error.error_dict.items():
            field = (field_map or {}).get(name, name)
            errors.setdefault(field if field in form.fields else NON_FIELD_ERRORS, []).extend(
                problems
            )
        raise ValidationError(errors) from error
    except DomainError as error:
        raise ValidationError(str(error)) from error


def parse_money(value: Decimal | None, currency: str, field: str) -> Money:
    """A form's decimal as Money: fractional cents, zero and negatives are the field's error."""
    try:
        money = Money.from_decimal(value if value is not None else "", currency)
    except ValueError as error:
        raise ValidationError(
            {field: [_("Use at most the currency's decimal places (no fractions of a cent).")]}
        ) from error
    if money.amount_minor <= 0:
        raise ValidationError({field: [_("Enter an amount above zero.")]})
    return money


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
