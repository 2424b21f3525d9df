"""`Authorization: Device <token>` for equipment, with optional request signing.

Signing (shared/API.md): `X-Timestamp` (unix seconds) and `X-Signature`, the hex
HMAC-SHA256 of `timestamp + "." + body` with the device's signing secret. A timestamp
outside the window is refused, so a captured request cannot be replayed later; inside the
window a replay is harmless (readings are stored once). A device registered with
`require_signature` must sign every request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from iot_gateway import selectors
from iot_gateway.models import Device, DeviceCredential


@dataclass(frozen=True)
class DevicePrincipal:
    """Stands in for `request.user` when a device calls: authenticated, not a person.
    `signed`: the request carried a valid signature."""

    device: Device
    credential: DeviceCredential
    signed: bool = False
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_active: bool = True
    is_staff: bool = False

    @property
    def pk(self) -> str:
        return f"device:{self.device.pk}"


def _fail(message) -> exceptions.AuthenticationFailed:
    return exceptions.AuthenticationFailed(message)


class DeviceTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Device"

    def authenticate(self, request, *, fresh: bool = False):
        """(principal, device), or None without a device token. The credential may come
        from this process's memory (`fresh` reads the database): whoever stores anything
        for the device checks it again (`telemetry_ingest(credential=...)`)."""
        token = self.token(request)
        if token is None:
            return None
        credential = selectors.device_credential_by_token(token=token, fresh=fresh)
        if credential is None:
            raise _fail(_("Invalid or revoked device token."))
        signed = self._check_signature(request, credential)
        return DevicePrincipal(credential.device, credential, signed), credential.device

    def token(self, request) -> str | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise _fail(_("Invalid device token header."))
        try:
            return header[1].decode("ascii")
        except UnicodeError:
            raise _fail(_("Invalid device token header.")) from None

    def reauthenticate(self, request, principal: DevicePrincipal) -> DevicePrincipal:
        """For a request whose credential the storing statement refused: the token read
        from the database again. Raises with what changed (revoked, expired, signing now
        required) or, if it is the very credential refused, as revoked; returns the fresh
        principal when the token now belongs to another credential (the process remembered
        one that is gone, e.g. after the database was reset)."""
        token = self.token(request)
        if token is None:
            raise _fail(_("Invalid or revoked device token."))
        selectors.device_credential_forget(token=token)
        credential = selectors.device_credential_by_token(token=token, fresh=True)
        if credential is not None and credential.device.require_signature and not principal.signed:
            raise _fail(_("This device must sign its requests."))
        if credential is None or credential.pk == principal.credential.pk:
            raise _fail(_("Invalid or revoked device token."))
        # The signature, if any, was checked with the secret the token itself derives.
        return DevicePrincipal(credential.device, credential, principal.signed)

    def _check_signature(self, request, credential: DeviceCredential) -> bool:
        """Whether the request is signed (and the signature good); raises when it must be
        and is not, or is signed wrongly."""
        timestamp = request.headers.get("X-Timestamp")
        signature = request.headers.get("X-Signature")
        if not timestamp and not signature:
            if credential.device.require_signature:
                raise _fail(_("This device must sign its requests."))
            return False
        if not timestamp or not signature:
            raise _fail(_("Send both X-Timestamp and X-Signature."))
        try:
            sent_at = int(timestamp)
        except ValueError:
            raise _fail(_("X-Timestamp must be unix seconds.")) from None
        if abs(time.time() - sent_at) > settings.IOT_SIGNATURE_WINDOW_SECONDS:
            raise _fail(_("The request timestamp is outside the allowed window."))
        if not selectors.signature_valid(
            credential=credential, timestamp=timestamp, signature=signature, body=request.body
        ):
            raise _fail(_("The request signature does not match."))
        return True

    def authenticate_header(self, request):
        return self.keyword


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "iot_gateway.api.authentication.DeviceTokenAuthentication"
    name = "deviceAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Device token with the prefix `Device `; optionally signed "
            "with X-Timestamp and X-Signature (HMAC-SHA256).",
        }
