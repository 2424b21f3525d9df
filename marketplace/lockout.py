"""One failure budget per account for every way of signing in.

django-allauth keeps it (`ACCOUNT_RATE_LIMITS["login_failed"]`): its adapter's
`authenticate` refuses a locked account before checking the password, counts a failure,
and gives back the attempt on success. The browser form, the admin (which signs in through
the same form) and the API token endpoint all authenticate through it, so failures on one
lock the others.
"""

from __future__ import annotations

import math
import time

from allauth.account import app_settings as account_settings
from allauth.account.adapter import get_adapter
from allauth.core.internal import ratelimit
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from marketplace.models import User

LOCKED_CODE = "too_many_login_attempts"
_ACTION = "login_failed"
_APP = "allauth.account"


class SignInLockedError(Exception):
    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def authenticate_counted(request: HttpRequest, *, email: str, password: str) -> User | None:
    """The user, or None for wrong credentials; raises SignInLockedError while locked out."""
    adapter = get_adapter(request)
    try:
        return adapter.authenticate(request, email=email, password=password)
    except ValidationError as error:
        if error.code != LOCKED_CODE:
            raise
        seconds = _seconds_until_unlocked(request, adapter, email=email)
        raise SignInLockedError(error.messages[0], seconds) from error


def _seconds_until_unlocked(request: HttpRequest, adapter, *, email: str) -> int:
    key = adapter._get_login_attempts_cache_key(request, email=email)
    rates = ratelimit.get_rates(app=_APP, action=_ACTION, config=account_settings.RATE_LIMITS)
    now = time.time()
    wait = 1.0
    for rate in rates:
        cache_key = ratelimit.get_cache_key(request, app=_APP, action=_ACTION, rate=rate, key=key)
        history = cache.get(cache_key, [])
        if len(history) >= rate.amount:
            # Newest first: the budget frees when the amount-th newest failure expires.
            wait = max(wait, history[rate.amount - 1] + rate.duration - now)
    return max(1, math.ceil(wait))
