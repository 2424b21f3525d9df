"""Device registry: registration, token rotation and revocation."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Category
from iot_gateway.models import Device, DeviceCredential
from iot_gateway.services.leads import region_canonical
from marketplace import exceptions as domain
from marketplace.models import Organization, User


@dataclass(frozen=True)
class IssuedCredential:
    """A token and its signing secret: returned once, never stored in the clear."""

    credential: DeviceCredential
    token: str
    signing_secret: str


def _issue(device: Device) -> IssuedCredential:
    token = DeviceCredential.generate_token()
    key_hash = DeviceCredential.hash_token(token)
    credential = DeviceCredential.objects.create(
        device=device, prefix=token[:10], key_hash=key_hash
    )
    return IssuedCredential(credential, token, DeviceCredential.signing_secret_for(key_hash))


@transaction.atomic
def device_register(
    *,
    organization: Organization,
    acting_user: User,
    name: str,
    serial_number: str,
    model: str,
    supplier: Organization,
    installed_on: datetime.date,
    region: str,
    category: Category,
    location: str = "",
    product_reference: str = "",
    require_signature: bool = False,
) -> tuple[Device, IssuedCredential]:
    """Register a machine the buyer `organization` owns; its token is returned only here."""
    if organization.kind != Organization.Kind.BUYER:
        raise domain.ForbiddenError(_("Only a buyer organization registers equipment."))
    if supplier.kind != Organization.Kind.FACTORY:
        raise domain.InvalidError({"supplier": [_("The supplier must be a factory.")]})
    if installed_on > timezone.localdate():
        raise domain.InvalidError(
            {"installed_on": [_("The install date cannot be in the future.")]}
        )
    try:
        with transaction.atomic():
            device = Device.objects.create(
                organization=organization,
                name=name.strip(),
                serial_number=serial_number.strip(),
                model=model.strip(),
                supplier=supplier,
                installed_on=installed_on,
                region=region_canonical(region),
                location=location.strip(),
                category=category,
                product_reference=product_reference.strip(),
                require_signature=require_signature,
            )
    except IntegrityError:
        raise domain.InvalidError(
            {"serial_number": [_("A device with this serial number is already registered.")]}
        ) from None
    return device, _issue(device)


def _locked_active(device: Device) -> Device:
    locked = Device.objects.select_for_update().get(pk=device.pk)
    if locked.status != Device.Status.ACTIVE:
        raise domain.ConflictError(_("This device is revoked."))
    return locked


@transaction.atomic
def device_token_rotate(*, device: Device, acting_user: User) -> IssuedCredential:
    """A new token; the current ones keep working for the grace period, so a fleet can be
    re-provisioned without losing readings."""
    locked = _locked_active(device)
    grace_end = timezone.now() + settings.IOT_TOKEN_GRACE
    DeviceCredential.objects.filter(
        device=locked, revoked_at__isnull=True, expires_at__isnull=True
    ).update(expires_at=grace_end)
    DeviceCredential.objects.filter(
        device=locked, revoked_at__isnull=True, expires_at__gt=grace_end
    ).update(expires_at=grace_end)
    return _issue(locked)


@transaction.atomic
def device_revoke(*, device: Device, acting_user: User) -> Device:
    """Every token of the device stops working at once; its history stays."""
    locked = _locked_active(device)
    now = timezone.now()
    DeviceCredential.objects.filter(device=locked, revoked_at__isnull=True).update(revoked_at=now)
    locked.status = Device.Status.REVOKED
    locked.save(update_fields=["status"])
    return locked
