"""The one way tenant-owned rows are read: scoped by organization, 404 when not yours.

Every tenant-owned model uses `TenantModel` (or a queryset subclassing `TenantQuerySet`),
and every lookup of such a row by id goes through `get_for_organization_or_404`, so "does
not exist" and "belongs to someone else" are the same answer and nothing leaks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.http import Http404
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from marketplace.models import Organization

ModelT = TypeVar("ModelT", bound=models.Model)


class TenantQuerySet(models.QuerySet[ModelT]):
    organization_field = "organization"

    def for_organization(self, organization: Organization) -> TenantQuerySet[ModelT]:
        return self.filter(**{self.organization_field: organization})


class TenantModel(models.Model):
    """Abstract base for rows that belong to exactly one organization."""

    organization = models.ForeignKey(
        "marketplace.Organization", on_delete=models.PROTECT, related_name="+"
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


def get_for_organization_or_404(
    queryset: models.QuerySet[ModelT], organization: Organization | None, **lookup: Any
) -> ModelT:
    """The row matching `lookup` inside `organization`'s scope, else the same 404 for all."""
    if organization is None:
        raise Http404(_("Not found."))
    scoped = queryset.for_organization(organization)  # type: ignore[attr-defined]
    try:
        return scoped.get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError) as error:
        raise Http404(_("Not found.")) from error
