"""Developer machine: DEBUG on, embedded Postgres/Redis when no URL is given."""

import os

from marketplace.embedded import ensure_embedded_services

ensure_embedded_services(os.environ)
os.environ.setdefault("SECRET_KEY", "local-development-only-not-secret")
os.environ.setdefault("DEBUG", "true")

from .base import *  # noqa: E402

INTERNAL_IPS = ["127.0.0.1"]
