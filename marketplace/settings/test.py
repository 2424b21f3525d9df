"""Test runs: real PostgreSQL and Redis (127.0.0.1 by default), never SQLite."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-not-secret")
# The maintenance database: tests run in their own TEST_DATABASE_NAME, created from here.
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")

from .base import *

DEBUG = False
# Parallel sessions on one machine set their own name so their test databases never collide.
TEST_DATABASE_NAME = env("TEST_DATABASE_NAME", default="test_c2m")
DATABASES["default"]["TEST"] = {"NAME": TEST_DATABASE_NAME}
# Under pytest-xdist every worker process gets its own test database (pytest-django appends
# the worker id: test_c2m_gw0). What else a test touches is named after that database: the
# cache prefix, the media directories and the Celery queue, because a task names rows in one
# database and only the Celery worker started by the same xdist worker sees them. pytest-django
# loads these settings before any conftest runs, and xdist sets PYTEST_XDIST_WORKER before that.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
RUN_DATABASE_NAME = f"{TEST_DATABASE_NAME}_{_XDIST_WORKER}" if _XDIST_WORKER else TEST_DATABASE_NAME
DATABASES["default"]["CONN_MAX_AGE"] = 0
# A probe connection per second would race the test database's teardown; the stall check
# is tested against a server and a PostgreSQL of the test's own.
DATABASE_STALL_CHECK = env.bool("DATABASE_STALL_CHECK", default=False)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "anon": "10000/min",
    "user": "10000/min",
    "auth": "10000/min",
}
ACCOUNT_RATE_LIMITS = False  # type: ignore[assignment]
CACHES["default"]["KEY_PREFIX"] = "c2m-test-" + RUN_DATABASE_NAME
CELERY_TASK_DEFAULT_QUEUE = "c2m-test-" + RUN_DATABASE_NAME
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(DATA_DIR / "test-media" / RUN_DATABASE_NAME))
PRIVATE_MEDIA_ROOT = env.path(
    "PRIVATE_MEDIA_ROOT", default=str(DATA_DIR / "test-private-media" / RUN_DATABASE_NAME)
)
STORAGES["private"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
}
# Operators' second factor is enforced in every other environment. Admin tests across the
# apps sign staff in with `force_login`; tests/marketplace/test_console_staff.py turns the
# requirement on and goes through allauth's TOTP setup and sign-in.
STAFF_MFA_REQUIRED = env.bool("STAFF_MFA_REQUIRED", default=False)
