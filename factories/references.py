"""What a capacity reservation serves, as a label and a link.

A reservation's `reference` is an opaque string chosen by the app that reserved the units
("order:42"). That app registers, for its prefix, how such a reference is named and where it
links, so the capacity calendar lists holds and bookings as links to what they serve
without Factories importing the apps built on it (ADR 0020).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ReferenceLink:
    label: str
    url: str | None = None


ReferenceResolver = Callable[[str], ReferenceLink | None]

_RESOLVERS: dict[str, ReferenceResolver] = {}


def reference_resolver_register(prefix: str, resolver: ReferenceResolver) -> None:
    """Name and link the references `<prefix>:<value>`; `resolver` gets the value and
    returns None for one it does not recognise. Called from an app's `AppConfig.ready`."""
    _RESOLVERS[prefix] = resolver


def reference_link(reference: str) -> ReferenceLink:
    """The label and link for `reference`; the reference itself, unlinked, when no app
    recognises it. Resolvers must not query the database (the calendar lists many)."""
    prefix, separator, value = reference.partition(":")
    resolver = _RESOLVERS.get(prefix) if separator else None
    link = resolver(value) if resolver is not None else None
    return link or ReferenceLink(label=reference)
