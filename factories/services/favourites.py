"""A buyer's list of favourite factories (tenant rows of the buyer organization)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from factories.models import FavouriteFactory
from marketplace.exceptions import ForbiddenError, NotFoundError
from marketplace.models import Organization, User


def _check_buyer(organization: Organization) -> None:
    if organization.kind != Organization.Kind.BUYER:
        raise ForbiddenError(_("Only buyers keep a list of favourite factories."))


def favourite_add(
    *, organization: Organization, factory: Organization, acting_user: User | None = None
) -> FavouriteFactory:
    """Keep `factory` (an audited factory) on the buyer's list; adding it twice is a no-op."""
    _check_buyer(organization)
    if factory.kind != Organization.Kind.FACTORY or not factory.verified:
        raise NotFoundError(_("Not found."))
    existing = FavouriteFactory.objects.for_organization(organization).filter(factory=factory)
    found = existing.first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return FavouriteFactory.objects.create(
                organization=organization, factory=factory, added_by=acting_user
            )
    except IntegrityError:  # added at the same moment by a colleague
        return existing.get()


def favourite_remove(*, organization: Organization, factory: Organization) -> bool:
    """Take `factory` off the buyer's list; True if it was on it."""
    _check_buyer(organization)
    deleted, _rows = (
        FavouriteFactory.objects.for_organization(organization).filter(factory=factory).delete()
    )
    return deleted > 0
