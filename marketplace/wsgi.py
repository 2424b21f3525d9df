"""The WSGI application: Django's handler, and beside it a lean one for LEAN_PATHS.

Device telemetry is the busiest endpoint by far, and nearly all of the site's middleware
concerns browsers and people (static files, sessions, CSRF, CSP, users, organizations,
support sessions, audit, messages): on a batch of 100 readings it cost about a sixth of
the request's CPU. Requests for LEAN_PATHS go through the same Django (URL resolution,
view, signals, connection handling) with only LEAN_MIDDLEWARE, which keeps the API's
error format, the database-stall answer, the security headers, the request's language and
the host check. docs/adr/0008-telemetry-scaling.md.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.local")
django_application = get_wsgi_application()

from django.conf import settings  # noqa: E402 - once Django is set up
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402


class LeanHandler(WSGIHandler):
    """Django's WSGI handler with settings.LEAN_MIDDLEWARE instead of MIDDLEWARE."""

    def load_middleware(self, is_async: bool = False) -> None:
        # BaseHandler reads settings.MIDDLEWARE; this runs once, at start-up.
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.LEAN_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


lean_application = LeanHandler()
_LEAN_PATHS = frozenset(settings.LEAN_PATHS)


def application(environ, start_response):
    if environ.get("PATH_INFO") in _LEAN_PATHS:
        return lean_application(environ, start_response)
    return django_application(environ, start_response)
