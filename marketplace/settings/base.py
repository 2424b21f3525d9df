"""Settings shared by every environment; each value comes from the environment."""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = BASE_DIR / ".data"

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "marketplace",
    "marketplace.console.sites.OperatorsAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sites",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "csp",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "import_export",
    "catalog",
    "factories",
    "customization",
    "orders",
    "finance",
    "iot_gateway",
    "marketplace.console",
]

MIDDLEWARE = [
    "marketplace.middleware.ApiErrorFormatMiddleware",
    "marketplace.middleware.DatabaseStallMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "marketplace.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "marketplace.console.middleware.StaffSecondFactorMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "marketplace.middleware.CurrentOrganizationMiddleware",
    "marketplace.console.support.SupportViewMiddleware",
    "marketplace.pages.DomainErrorMiddleware",
]

ROOT_URLCONF = "marketplace.urls"
WSGI_APPLICATION = "marketplace.wsgi.application"
SITE_ID = 1

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "marketplace.context_processors.organization",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL")}
# Reconnecting per request costs about 5x throughput here: keep connections open.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Every wait on PostgreSQL is bounded (issue 14): connecting, and (for web processes, which
# gunicorn.conf.py configures) each statement.
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["OPTIONS"]["connect_timeout"] = env.int("DATABASE_CONNECT_TIMEOUT", default=3)
DATABASE_STATEMENT_TIMEOUT_MS = env.int("DATABASE_STATEMENT_TIMEOUT_MS", default=0)
# Statements the code prepares (marketplace.prepared) run on their generic plan, planned once
# per connection: only a statement whose best plan does not depend on its values is
# prepared. Django's own statements are not prepared, so this setting does not touch them.
_SESSION_OPTIONS = ["-c plan_cache_mode=force_generic_plan"]
if DATABASE_STATEMENT_TIMEOUT_MS:
    _SESSION_OPTIONS.append(f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT_MS}")
DATABASES["default"]["OPTIONS"]["options"] = " ".join(_SESSION_OPTIONS)
# A bounded pool (Django's psycopg pool) per process: a burst queues for a connection for
# up to DATABASE_POOL_TIMEOUT seconds (then 503) instead of opening one per request until
# PostgreSQL refuses ("too many clients"). 0 keeps one persistent connection per thread.
DATABASE_POOL_MAX_SIZE = env.int("DATABASE_POOL_MAX_SIZE", default=0)
if DATABASE_POOL_MAX_SIZE:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them instead
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": 1,
        "max_size": DATABASE_POOL_MAX_SIZE,
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
    }
# Requests answer 503 at once while PostgreSQL has not answered a probe for this long.
DATABASE_STALL_CHECK = env.bool("DATABASE_STALL_CHECK", default=True)
DATABASE_STALL_SECONDS = env.float("DATABASE_STALL_SECONDS", default=1.0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")
CACHES = {
    "default": {
        "BACKEND": "marketplace.cache.PrefixedRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "c2m",
        # A stalled Redis costs a request at most a second before it answers 503.
        "OPTIONS": {
            "socket_connect_timeout": env.float("REDIS_CONNECT_TIMEOUT", default=1.0),
            "socket_timeout": env.float("REDIS_SOCKET_TIMEOUT", default=1.0),
        },
    }
}
# What a 503 (a dependency did not answer) tells clients to wait before retrying.
SERVICE_UNAVAILABLE_RETRY_AFTER = env.int("SERVICE_UNAVAILABLE_RETRY_AFTER", default=10)

AUTH_USER_MODEL = "marketplace.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

# django-allauth: email is the login, and it must be verified before the first sign-in.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
ACCOUNT_SIGNUP_FORM_CLASS = "marketplace.forms.SignupOrganizationForm"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[C2M] "
# Operators' second factor (issue 12): an authenticator app, with recovery codes to fall
# back on. Staff without one are sent to set it up before any admin page opens.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "C2M Marketplace"
STAFF_MFA_REQUIRED = env.bool("STAFF_MFA_REQUIRED", default=True)
# The audit log (marketplace/console/models.py): one admin list over every event table.
# The busiest endpoint (device telemetry) skips the middleware that concerns browsers and
# people under WSGI (marketplace/wsgi.py): only LEAN_MIDDLEWARE runs for LEAN_PATHS.
LEAN_PATHS = ["/api/v1/telemetry/"]
LEAN_MIDDLEWARE = [
    "marketplace.middleware.ApiErrorFormatMiddleware",
    "marketplace.middleware.DatabaseStallMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
]
# Write requests that carry no user and change no audited model: no audit context (it
# would prefix every SQL statement of theirs), whichever handler serves them.
AUDIT_CONTEXT_EXEMPT_PATHS = LEAN_PATHS
PGHISTORY_ADMIN_MODEL = "console.AuditEvent"
PGHISTORY_ADMIN_CLASS = "marketplace.console.admin.AuditEventAdmin"
PGHISTORY_ADMIN_LIST_DISPLAY = ["pgh_created_at", "pgh_obj_model", "pgh_obj_id", "pgh_label"]

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="C2M Marketplace <no-reply@c2m.local>")

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(DATA_DIR / "media"))
# Uploaded files (factory photos, RFQ drawings) served by Django itself: right for one
# machine; past that, let the proxy or object storage serve MEDIA_URL (see README).
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=DEBUG)
# Confidential uploads (audit evidence, buyers' drawings, inspection and dispute evidence)
# live outside MEDIA_ROOT and are only ever served by views that check who is asking.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=str(DATA_DIR / "private-media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "marketplace.api.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "marketplace.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "marketplace.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "marketplace.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "marketplace.api.errors.exception_handler",
    "DEFAULT_METADATA_CLASS": "marketplace.api.metadata.ApiMetadata",
    "DEFAULT_THROTTLE_CLASSES": [
        "marketplace.api.throttling.AnonRateThrottle",
        "marketplace.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("THROTTLE_ANON", default="120/min"),
        "user": env("THROTTLE_USER", default="2000/min"),
        "auth": env("THROTTLE_AUTH", default="20/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "C2M Marketplace API",
    "DESCRIPTION": "Public contract for buyers' ERPs, factories' MES and equipment.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from our own static files: /api/docs/ works without a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "orders.api.schema.add_links",
    ],
    # No call to the public validator (the Content-Security-Policy allows our origin only).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# Content-Security-Policy (django-csp, docs/adr/0010-content-security-policy.md): scripts
# only from our own static files, never inline (handlers live in static/js/app.js, htmx
# runs with allowEval off); the API docs load their initialisation script from a URL
# (SpectacularSwaggerSplitView). Inline styles stay allowed: they cannot run code, and the
# vendored Swagger UI and the SVG charts set them. The Stripe payment page adds Stripe's
# origins on that response only (finance.views.stripe_csp_sources).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "script-src-attr": [NONE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-src": [NONE],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    }
}

# Celery: see marketplace/celery.py for the schedules.
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The longest task (the batch matcher) is capped at 30 minutes; a message is redelivered
# only after an hour unacknowledged, so a slow task is never run twice concurrently.
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60}
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ALWAYS_EAGER = False
# A task sent after commit waits at most this long for the broker (marketplace/queue.py).
CELERY_PUBLISH_TIMEOUT = env.float("CELERY_PUBLISH_TIMEOUT", default=2.0)

STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
# Stripe.js for the card element (localstripe serves its own at <base>/js.stripe.com/v3/).
STRIPE_JS_URL = env(
    "STRIPE_JS_URL",
    default=f"{STRIPE_API_BASE}/js.stripe.com/v3/"
    if STRIPE_API_BASE
    else "https://js.stripe.com/v3/",
)

SENTRY_DSN = env("SENTRY_DSN", default="")

# A JSON request body larger than this is a 400 (uploads go as multipart, bounded apart).
API_JSON_MAX_BYTES = env.int("API_JSON_MAX_BYTES", default=1024 * 1024)

IDEMPOTENCY_TTL = timedelta(hours=24)
INVITATION_TTL = timedelta(days=7)
WORKER_HEARTBEAT_SECONDS = 10

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Orders (issue 4) ------------------------------------------------------------------
# Matching invites the best ORDERS_INVITE_TOP_N verified factories; when none has quoted
# after ORDERS_QUOTE_TIMEOUT_HOURS the next ones are invited, up to ORDERS_MAX_INVITE_ROUNDS.
ORDERS_INVITE_TOP_N = env.int("ORDERS_INVITE_TOP_N", default=5)
ORDERS_QUOTE_TIMEOUT = timedelta(hours=env.int("ORDERS_QUOTE_TIMEOUT_HOURS", default=24))
ORDERS_MAX_INVITE_ROUNDS = env.int("ORDERS_MAX_INVITE_ROUNDS", default=3)
# A capacity hold placed on quote acceptance lapses if the order is not paid in this time.
ORDERS_HOLD_TTL = timedelta(hours=env.int("ORDERS_HOLD_HOURS", default=7 * 24))
# Days kept free for making and shipping the sample before production may start.
ORDERS_SAMPLE_LEAD_DAYS = env.int("ORDERS_SAMPLE_LEAD_DAYS", default=3)
# While a sample is under way either party may move the plan and its hold this many days later
# at most in one step (within the factory's free capacity).
ORDERS_HOLD_EXTENSION_MAX_DAYS = env.int("ORDERS_HOLD_EXTENSION_MAX_DAYS", default=14)
ORDERS_AUTO_CONFIRM_DAYS = env.int("ORDERS_AUTO_CONFIRM_DAYS", default=7)
ORDERS_DISPUTE_WINDOW_DAYS = env.int("ORDERS_DISPUTE_WINDOW_DAYS", default=7)
ORDERS_OVERDUE_AFTER = timedelta(hours=env.int("ORDERS_OVERDUE_HOURS", default=48))
ORDERS_ATTACHMENT_MAX_BYTES = env.int("ORDERS_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ORDERS_ATTACHMENTS_PER_RFQ = env.int("ORDERS_ATTACHMENTS_PER_RFQ", default=10)
# Ready-by dates, quote validity and counter-offer dates must fall within this many days.
ORDERS_PLANNING_HORIZON_DAYS = env.int("ORDERS_PLANNING_HORIZON_DAYS", default=365)
# --- end Orders -------------------------------------------------------------------------

# --- Equipment (issue 11) ---------------------------------------------------------------
# Raw telemetry is partitioned by day; partitions older than IOT_RAW_RETENTION_DAYS are
# dropped (hourly and daily rollups stay), and IOT_PARTITIONS_AHEAD_DAYS are made ahead.
IOT_RAW_RETENTION_DAYS = env.int("IOT_RAW_RETENTION_DAYS", default=30)
IOT_ROLLUP_RETENTION_DAYS = env.int("IOT_ROLLUP_RETENTION_DAYS", default=730)
IOT_PARTITIONS_AHEAD_DAYS = env.int("IOT_PARTITIONS_AHEAD_DAYS", default=3)
IOT_MAX_READINGS_PER_REQUEST = 5000
# A reading older than this (or later than the allowed clock skew) is refused.
IOT_MAX_READING_AGE = timedelta(days=env.int("IOT_MAX_READING_AGE_DAYS", default=7))
IOT_MAX_CLOCK_SKEW = timedelta(seconds=env.int("IOT_MAX_CLOCK_SKEW_SECONDS", default=300))
# Signed requests: the X-Timestamp must be within this many seconds of the server clock.
IOT_SIGNATURE_WINDOW_SECONDS = 300
# A web process remembers which device a token belongs to for this long; whether the token
# is still valid (revoked, expired, device revoked, signing required) is checked again by
# the statement that stores each batch (docs/adr/0008).
IOT_CREDENTIAL_CACHE_SECONDS = env.int("IOT_CREDENTIAL_CACHE_SECONDS", default=60)
IOT_TOKEN_GRACE = timedelta(hours=env.int("IOT_TOKEN_GRACE_HOURS", default=24))
# A device's rules are evaluated right after a batch, then at most once per this interval
# while batches keep coming (the batches in between are evaluated together).
IOT_EVALUATION_INTERVAL = timedelta(
    milliseconds=env.int("IOT_EVALUATION_INTERVAL_MS", default=1000)
)
# Rate limits per minute: requests per device, readings per owner organization.
IOT_DEVICE_REQUESTS_PER_MINUTE = env.int("IOT_DEVICE_REQUESTS_PER_MINUTE", default=600)
IOT_ORGANIZATION_READINGS_PER_MINUTE = env.int(
    "IOT_ORGANIZATION_READINGS_PER_MINUTE", default=2_000_000
)
# Unacknowledged alarms are escalated (owner reminded) every IOT_ESCALATE_AFTER.
IOT_ESCALATE_AFTER = timedelta(minutes=env.int("IOT_ESCALATE_AFTER_MINUTES", default=30))
IOT_LEAD_PROVIDERS = env.int("IOT_LEAD_PROVIDERS", default=3)
# --- end Equipment ----------------------------------------------------------------------

# --- Finance (issue 9) -----------------------------------------------------------------
# The platform's commission on every escrow release, in basis points (300 = 3 %), fixed on
# the order's escrow when it is first funded (and shown on the quote).
FINANCE_COMMISSION_BPS = env.int("FINANCE_COMMISSION_BPS", default=300)
# A deposit is this share of the goods (the balance is the rest).
FINANCE_DEPOSIT_PERCENT = env.int("FINANCE_DEPOSIT_PERCENT", default=30)
# Milestone releases: the share of the goods released when the order passes inspection;
# the sample fee is released when the sample is approved, the rest on delivery.
FINANCE_RELEASE_INSPECTION_PERCENT = env.int("FINANCE_RELEASE_INSPECTION_PERCENT", default=30)
# A factory may ask for an advance of up to this share of an order in production.
FINANCE_ADVANCE_MAX_PERCENT = env.int("FINANCE_ADVANCE_MAX_PERCENT", default=70)
# Credit used for an order is due this many days after delivery (per line, editable).
FINANCE_CREDIT_REPAYMENT_DAYS = env.int("FINANCE_CREDIT_REPAYMENT_DAYS", default=30)
# The bank account buyers transfer to (shown with the payment reference).
FINANCE_BANK_ACCOUNT = env(
    "FINANCE_BANK_ACCOUNT",
    default="C2M Marketplace Ltd · China Merchants Bank Hangzhou · 5719 0812 3456 789",
)
# The platform's own accounts (fees, bank and Stripe clearing, guarantee fund, financing)
# are split into this many rows each, picked by order, so that concurrent payments and
# releases of different orders do not queue on one cached balance (ADR 0006). Raising it
# is safe at any time; lowering it leaves the higher rows in use by their orders.
FINANCE_PLATFORM_ACCOUNT_SHARDS = env.int("FINANCE_PLATFORM_ACCOUNT_SHARDS", default=16)
# Likewise each factory's payable, picked by order, so that one factory's concurrent
# releases do not queue on one row; a payout locks all of the factory's rows (ADR 0006).
FINANCE_FACTORY_PAYABLE_SHARDS = env.int("FINANCE_FACTORY_PAYABLE_SHARDS", default=16)
# --- end Finance ------------------------------------------------------------------------
