"""System text kept as a message key and parameters, rendered in the reader's language.

A notification or a timeline note written by the system is stored as a key (such as
``orders.quote_received.title``) and JSON parameters, never as a sentence: whoever reads it
later sees it in the language active for them then (a page's, an API request's, an email
recipient's). Each app declares its sentences in its own ``texts`` module, which
``MarketplaceConfig.ready`` loads::

    QUOTE_RECEIVED = texts.define("orders.quote_received.title",
                                  _("New quote from %(factory)s on %(title)s"))
    notification_send(organization=buyer, title=QUOTE_RECEIVED(factory=..., title=...))

A parameter may itself be a `Text` (a status label, say): it is stored as its key and
parameters and translated too. Everything else must be JSON (str, int, float, bool).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import TextChoices
from django.utils.functional import Promise

_REGISTRY: dict[str, Promise | str] = {}

_PLAIN = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class Text:
    """A registered sentence with its parameters; `str()` renders it in the active language."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return render(self.key, self.params)


class Message:
    """A registered sentence: calling it with parameters gives a `Text`."""

    def __init__(self, key: str, template: Promise | str) -> None:
        self.key = key
        self.template = template

    def __call__(self, **params: Any) -> Text:
        return Text(self.key, {name: _storable(value) for name, value in params.items()})

    def __str__(self) -> str:
        return str(self.template)


def _storable(value: Any) -> Any:
    if isinstance(value, Text):
        return {"key": value.key, "params": dict(value.params)}
    if isinstance(value, _PLAIN):
        return value
    # Dates, Money, Decimals and lazy strings are stored as their text (ISO for dates).
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def define(key: str, template: Promise | str) -> Message:
    """Register a sentence under `key` (once per process; the same template again is fine)."""
    known = _REGISTRY.get(key)
    if known is not None and known is not template and str(known) != str(template):
        raise ValueError(f"System text {key!r} is already defined with another sentence.")
    _REGISTRY[key] = template
    return Message(key, template)


def define_choices(prefix: str, choices: type[TextChoices]) -> None:
    """Register each label of `choices` as ``<prefix>.<value>`` (for status parameters)."""
    for value, label in zip(choices.values, choices.labels, strict=True):
        define(f"{prefix}.{value}", label)


def choice(prefix: str, value: str) -> Text:
    return Text(f"{prefix}.{value}")


def is_defined(key: str) -> bool:
    return key in _REGISTRY


def render(key: str, params: Mapping[str, Any] | None = None, *, fallback: str = "") -> str:
    """The sentence under `key` in the active language, with `params` filled in. An unknown
    key (text retired from the code) shows `fallback`, or the key itself."""
    template = _REGISTRY.get(key)
    if template is None:
        return fallback or key
    sentence = str(template)
    if not params:
        return sentence
    values = {name: _rendered(value) for name, value in params.items()}
    try:
        return sentence % values
    except (KeyError, TypeError, ValueError):
        # A translation that names a parameter the code no longer passes: the sentence as
        # written beats an error page.
        return sentence


def _rendered(value: Any) -> Any:
    if isinstance(value, Mapping) and "key" in value:
        return render(str(value["key"]), value.get("params") or {})
    return value


# A person's words (a transition note, a message's body, a reason) passed where system text
# could go: stored as this key with the words as its parameter, never in a row's sentence
# column, which holds only sentences the system wrote (ADR 0019). Shown as written.
WORDS = define("marketplace.words", "%(text)s")


def words(text: str) -> Text | str:
    """`text` marked as a person's words (empty stays empty, so `words(x) or default`
    still works)."""
    return Text(WORDS.key, {"text": text}) if text else ""


def written(value: Text | str) -> str:
    """The person's words in `value` (`words(...)` or a plain string); system text gives ''."""
    if isinstance(value, Text):
        return str(value.params.get("text", "")) if value.key == WORDS.key else ""
    return value


def stored(value: Text | str) -> tuple[str, str, dict[str, Any]]:
    """(key, plain text, params) for a model that stores either a `Text` or plain words
    (user content, such as a message's body, stays as written)."""
    if isinstance(value, Text):
        return value.key, "", dict(value.params)
    return "", str(value), {}
