"""Shared test helpers: organizations with people, API clients acting for them, the
cross-tenant assertion every restricted endpoint's tests use, and `nothing_changes` for
denied calls."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from allauth.account.models import EmailAddress
from django.apps import apps
from django.db import OperationalError, connection
from django.db.models import Model
from rest_framework.test import APIClient

from marketplace import services
from marketplace.models import Membership, Organization, User

PASSWORD = "correct-horse-battery-staple"
_sequence = itertools.count(1)


def make_user(email: str | None = None, *, verified: bool = True) -> User:
    email = email or f"person{next(_sequence)}@example.com"
    user = User.objects.create_user(email=email, password=PASSWORD)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=verified)
    return user


def make_organization(
    kind: str = Organization.Kind.BUYER,
    *,
    name: str | None = None,
    owner: User | None = None,
    verified: bool = True,
) -> tuple[Organization, User]:
    owner = owner or make_user()
    organization = services.organization_create(
        name=name or f"{kind.title()} {next(_sequence)}", kind=kind, owner=owner, verified=verified
    )
    return organization, owner


def add_member(organization: Organization, role: str = Membership.Role.MEMBER) -> User:
    user = make_user()
    Membership.objects.create(user=user, organization=organization, role=role)
    return user


def api_client(user: User | None = None, organization: Organization | None = None) -> APIClient:
    """An API client authenticated with a real hashed token, acting for `organization`."""
    client = APIClient()
    if user is not None:
        _token, key = services.api_token_create(user=user, name="test")
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        if organization is not None:
            client.defaults["HTTP_X_ORGANIZATION"] = organization.slug
    return client


def assert_other_organization_gets_404(
    client: APIClient,
    method: str,
    url: str,
    data: dict[str, Any] | None = None,
    unchanged: Callable[[], Any] | None = None,
) -> None:
    """Another organization's object is a 404 (never 403), and nothing about it changes."""
    before = unchanged() if unchanged else None
    response = getattr(client, method.lower())(url, data=data, format="json")
    assert response.status_code == 404, (response.status_code, response.content[:300])
    assert "detail" in response.json()
    if unchanged is not None:
        assert unchanged() == before


def _tracked_models(tracked: tuple[type[Model] | str, ...]) -> list[type[Model]]:
    models: list[type[Model]] = []
    for item in tracked:
        if isinstance(item, str):
            models.extend(
                model
                for model in apps.get_app_config(item).get_models()
                if model._meta.managed and not model._meta.proxy
            )
        else:
            models.append(item)
    return models


def rows_state(*tracked: type[Model] | str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every tracked table (a model, or an app label for all of its models),
    every column (`updated_at` included, so a save that writes the same values still
    shows)."""
    return {
        model._meta.label: [
            {field.attname: getattr(row, field.attname) for field in model._meta.concrete_fields}
            for row in model._base_manager.order_by("pk")
        ]
        for model in _tracked_models(tracked)
    }


@contextmanager
def nothing_changes(*tracked: type[Model] | str) -> Iterator[None]:
    """For a denied call: no row of the tracked tables (models, or app labels for all of an
    app's models) is added, changed or removed."""
    if not tracked:
        raise ValueError("Name the models or apps a denied call must leave alone.")
    before = rows_state(*tracked)
    yield
    assert rows_state(*tracked) == before


def decompression_bomb_png(side: int = 13000) -> bytes:
    """A valid grayscale PNG of side x side pixels, all black: ~170 KB that decodes to
    side**2 bytes (169 MB for the default). Built chunk by chunk, never held decoded."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        checksum = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + checksum

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = b"\x00" * (side + 1)  # filter byte + one byte per pixel
    rows_per_block = 256
    compressed = bytearray()
    for start in range(0, side, rows_per_block):
        compressed += compressor.compress(row * min(rows_per_block, side - start))
    compressed += compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", bytes(compressed))
        + chunk(b"IEND", b"")
    )


def make_operator(
    email: str | None = None, *, superuser: bool = True, groups: tuple[str, ...] | list[str] = ()
) -> User:
    """A staff member (a superuser unless given groups) with a TOTP authenticator, so the
    admin's second-factor requirement is met."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth.models import Group

    user = make_user(email or f"operator{next(_sequence)}@c2m.example")
    user.is_staff = True
    user.is_superuser = superuser
    user.save(update_fields=["is_staff", "is_superuser"])
    user.groups.add(*Group.objects.filter(name__in=groups))
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, generate_totp_secret())
    return user


def connect_before_the_race(barrier: threading.Barrier, *, patience: float = 60.0) -> None:
    """Open this thread's database connection, then wait at `barrier` with the others, so
    that the race itself starts with every thread connected. PostgreSQL's connection limit
    (100 by default) is shared with the other test process and the Celery workers: while it
    is reached, connecting is retried instead of counted as an outcome of the race."""
    deadline = time.monotonic() + patience
    while True:
        try:
            connection.ensure_connection()
            break
        except OperationalError as error:
            if "too many clients" not in str(error) or time.monotonic() > deadline:
                barrier.abort()
                raise
            time.sleep(0.2)
    barrier.wait()
