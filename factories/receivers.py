"""Factories' part of use cases that marketplace runs (marketplace never imports factories)."""

from __future__ import annotations

from typing import Any

from factories.services import factory_profile_create
from marketplace.models import Organization


def organization_created_receiver(*, organization: Organization, **_signal: Any) -> None:
    factory_profile_create(organization=organization)
