"""Production settings fail closed; the embedded servers start only when URLs are unset."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from marketplace import embedded

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "marketplace.settings.production",
    "SECRET_KEY": "x" * 60,
    "ALLOWED_HOSTS": "c2m.example.com",
    "DATABASE_URL": "postgres://c2m@db.invalid/c2m",
    "REDIS_URL": "redis://redis.invalid:6379/0",
    "EMAIL_URL": "smtp://mail.invalid:587",
}


def _load_settings(**overrides: str | None) -> subprocess.CompletedProcess:
    environment = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    environment.update(PRODUCTION)
    for name, value in overrides.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def test_production_loads_with_debug_off():
    result = _load_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "EMAIL_URL"])
def test_production_refuses_to_start_without(missing):
    result = _load_settings(**{missing: None})
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_refuses_debug():
    result = _load_settings(DEBUG="true")
    assert result.returncode != 0
    assert "DEBUG must stay off in production" in result.stderr


def test_nothing_embedded_starts_when_urls_are_given(monkeypatch):
    started = []
    monkeypatch.setattr(embedded, "start_postgres", lambda: started.append("postgres") or "pg")
    monkeypatch.setattr(embedded, "start_redis", lambda: started.append("redis") or "redis")
    given = {"DATABASE_URL": "postgres://elsewhere/db", "REDIS_URL": "redis://elsewhere/0"}
    embedded.ensure_embedded_services(given)
    assert started == []
    assert given == {"DATABASE_URL": "postgres://elsewhere/db", "REDIS_URL": "redis://elsewhere/0"}
    unset: dict[str, str] = {}
    embedded.ensure_embedded_services(unset)
    assert started == ["postgres", "redis"]
    assert unset == {"DATABASE_URL": "pg", "REDIS_URL": "redis"}


def _env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, _sep, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def _variables_read_by_settings() -> set[str]:
    import re

    source = "\n".join(path.read_text() for path in (ROOT / "marketplace/settings").glob("*.py"))
    return set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z0-9_]+)\"", source))


def test_env_example_and_readme_name_every_variable_the_settings_read():
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    variables = _variables_read_by_settings()
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EMAIL_URL", "SENTRY_DSN"} <= variables
    assert [name for name in sorted(variables) if name not in example] == []
    assert [name for name in sorted(variables) if f"`{name}`" not in readme] == []


def test_deploy_check_passes_with_the_env_example_as_compose_passes_it():
    environment = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    environment.update(_env_example())
    environment.update(
        SECRET_KEY="a" * 20 + "-Kq8v!x2Lz#Pw5-" + "b" * 30,
        DJANGO_SETTINGS_MODULE="marketplace.settings.production",
        DATABASE_URL="postgres://c2m:pw@db:5432/c2m",
        REDIS_URL="redis://redis:6379/0",
        MEDIA_ROOT="/app/media",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
