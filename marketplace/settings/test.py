"""Test runs: real PostgreSQL and Redis (127.0.0.1 by default), never SQLite."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-not-secret")
# The maintenance database: tests run in their own TEST_DATABASE_NAME, created from here.
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")

from .base import *

DEBUG = False
# Parallel sessions on one machine set their own name so their test databases never collide.
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default="test_c2m")}
DATABASES["default"]["CONN_MAX_AGE"] = 0
# A probe connection per second would race the test database's teardown; the stall check
# is tested against a server and a PostgreSQL of the test's own.
DATABASE_STALL_CHECK = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "anon": "10000/min",
    "user": "10000/min",
    "auth": "10000/min",
}
ACCOUNT_RATE_LIMITS = False  # type: ignore[assignment]
CACHES["default"]["KEY_PREFIX"] = "c2m-test-" + env("TEST_DATABASE_NAME", default="test_c2m")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(DATA_DIR / "test-media"))
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=str(DATA_DIR / "test-private-media"))
STORAGES["private"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
}
