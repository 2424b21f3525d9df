# syntax=docker/dockerfile:1
# One image for web (gunicorn), Celery worker and Celery beat; docker-compose.yml picks the
# command. Runtime dependencies only, pinned by requirements-prod.lock (the same versions as
# requirements.lock, without the dev group).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=marketplace.settings.production \
    PORT=8000

WORKDIR /app

# psycopg[binary] and Pillow ship their own C libraries; nothing to apt-get.
COPY requirements-prod.lock ./
RUN python -m pip install --no-deps -r requirements-prod.lock

RUN groupadd --system c2m && useradd --system --gid c2m --home-dir /app --no-create-home c2m

# Code stays root-owned (read-only for the app user); only the upload folders are writable.
COPY . .

# Static files are collected into the image (served by WhiteNoise). Production settings
# refuse to load without these variables, so the build passes throwaway values; none of them
# reaches the running containers. Translations are committed compiled (.mo): no gettext.
RUN SECRET_KEY=build-only-collectstatic-not-used-at-runtime-0123456789abcdefghijklmnop \
    ALLOWED_HOSTS=build.invalid \
    DATABASE_URL=postgres://build@build.invalid:5432/build \
    REDIS_URL=redis://build.invalid:6379/0 \
    EMAIL_URL=smtp://build.invalid:25 \
    python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p /app/media /app/private-media \
    && chown c2m:c2m /app/media /app/private-media

USER c2m

EXPOSE 8000

# TLS terminates at the proxy in front. gunicorn.conf.py (the same file `make run` uses)
# bounds workers, threads, the listen backlog and each process's database pool; the proxy
# is another container, so forwarded headers are trusted from any address.
CMD ["gunicorn", "marketplace.wsgi:application", "--config", "gunicorn.conf.py", "--forwarded-allow-ips=*"]
