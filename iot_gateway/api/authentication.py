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
    """Stands in for `request.user` when a device calls: authenticated, not a person."""

    device: Device
    credential: DeviceCredential
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

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise _fail(_("Invalid device token header."))
        try:
            token = header[1].decode("ascii")
        except UnicodeError:
            raise _fail(_("Invalid device token header.")) from None
        credential = selectors.device_credential_by_token(token=token)
        if credential is None:
            raise _fail(_("Invalid or revoked device token."))
        self._check_signature(request, credential)
        return DevicePrincipal(credential.device, credential), credential.device

    def _check_signature(self, request, credential: DeviceCredential) -> None:
        timestamp = request.headers.get("X-Timestamp")
        signature = request.headers.get("X-Signature")
        if not timestamp and not signature:
            if credential.device.require_signature:
                raise _fail(_("This device must sign its requests."))
            return
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
