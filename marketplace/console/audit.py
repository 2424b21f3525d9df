"""Who and why, attached to the audit log's events.

`marketplace.middleware.AuditContextMiddleware` (pghistory's) puts the signed-in user and
the URL on every write request; an admin entry point adds the operator's reason around the
one service it calls, so the triggers' event rows carry it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pghistory

from marketplace.models import User


@contextlib.contextmanager
def audit_context(*, acting_user: User, reason: str) -> Iterator[None]:
    with pghistory.context(user=acting_user.pk, reason=reason.strip()):
        yield
