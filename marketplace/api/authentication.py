"""`Authorization: Token <key>` against hashed, revocable keys."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from marketplace import selectors, services

EMAIL_UNVERIFIED_MESSAGE = _(
    "Confirm your email address first: open the link we emailed you "
    "(signing in at /accounts/login/ sends a new one)."
)


class HashedTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        try:
            key = header[1].decode()
        except UnicodeError as error:
            raise exceptions.AuthenticationFailed(_("Invalid token header.")) from error
        owner = selectors.user_by_api_key(key=key)
        if owner is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        if not owner.email_verified:
            # Verification is mandatory on every channel (see docs/adr/0001-foundation.md).
            raise exceptions.PermissionDenied(EMAIL_UNVERIFIED_MESSAGE)
        services.api_token_touch(token=owner.token)
        return owner.user, owner.token

    def authenticate_header(self, request):
        return self.keyword


class HashedTokenScheme(OpenApiAuthenticationExtension):
    target_class = "marketplace.api.authentication.HashedTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Token-based authentication with the prefix `Token `.",
        }
