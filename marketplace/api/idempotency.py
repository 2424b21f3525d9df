"""`Idempotency-Key` for money-moving and order-creating POSTs (shared/API.md).

The same key and body within 24 h replays the first response and does nothing again; the
same key with another body is 422; a second request while the first is still running is 409.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from marketplace.api.errors import ConflictError, UnprocessableError
from marketplace.models import IdempotencyRecord

HEADER = "Idempotency-Key"
# For `@extend_schema(parameters=[...])` on every view that honours the header.
IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    HEADER,
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Retry safely: the same key and body within 24 h replays the first response.",
)


def _request_fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, cls=JSONEncoder, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _claim(request: Request, key: str, fingerprint: str) -> IdempotencyRecord | None:
    """Insert the record for this key; None when we own it now, else the earlier one."""
    cutoff = timezone.now() - settings.IDEMPOTENCY_TTL
    IdempotencyRecord.objects.filter(user=request.user, key=key, created_at__lt=cutoff).delete()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.create(
                    user=request.user,
                    key=key,
                    method=request.method,
                    path=request.path[:500],
                    request_hash=fingerprint,
                )
        except IntegrityError:
            earlier = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
            if earlier is not None:
                return earlier
            # The request holding the key failed and released it in between: claim again.
            continue
        return None
    raise ConflictError(_("A request with this Idempotency-Key is in progress."))


def idempotent(handler: Callable[..., Response]) -> Callable[..., Response]:
    @wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER, "").strip()
        if not key or not request.user.is_authenticated:
            return handler(view, request, *args, **kwargs)
        if len(key) > 255:
            raise UnprocessableError(_("Idempotency-Key must be at most 255 characters."))
        if "\x00" in key:
            raise UnprocessableError(_("Idempotency-Key must not contain null characters."))
        fingerprint = _request_fingerprint(request)
        earlier = _claim(request, key, fingerprint)
        if earlier is not None:
            if earlier.request_hash != fingerprint:
                raise UnprocessableError(
                    _("This Idempotency-Key was used with a different request.")
                )
            if earlier.response_status is None:
                raise ConflictError(_("A request with this Idempotency-Key is in progress."))
            response = Response(earlier.response_body, status=earlier.response_status)
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            response = handler(view, request, *args, **kwargs)
        except BaseException:
            IdempotencyRecord.objects.filter(user=request.user, key=key).delete()
            raise
        if response.status_code >= 500:
            IdempotencyRecord.objects.filter(user=request.user, key=key).delete()
            return response
        body = json.loads(json.dumps(response.data, cls=JSONEncoder))
        IdempotencyRecord.objects.filter(user=request.user, key=key).update(
            response_status=response.status_code, response_body=body
        )
        return response

    # Read by marketplace.api.schema: documents the header, 409 and 422 on the operation.
    wrapper.honours_idempotency_key = True  # type: ignore[attr-defined]
    return wrapper
