"""The certification schemes a factory picks from, and the lenient reading of a typed one.

A `Certification` row keeps its `name` (what the certificate says, e.g. "OEKO-TEX
Standard 100, class II") and, when it is one of these schemes, its `scheme` code. Search
matches a scheme, or a name containing what was typed once spaces and punctuation are
ignored ("OEKO-TEX" finds "OEKO-TEX Standard 100"; ADR 0017).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Scheme:
    code: str
    name: str  # the scheme's own (brand) name, the same in every language
    aliases: tuple[str, ...] = ()


SCHEMES: tuple[Scheme, ...] = (
    Scheme("iso-9001", "ISO 9001", ("iso9001", "iso 9001:2015")),
    Scheme("iso-14001", "ISO 14001", ("iso14001",)),
    Scheme("iso-45001", "ISO 45001", ("ohsas 18001",)),
    Scheme("iso-13485", "ISO 13485"),
    Scheme("iatf-16949", "IATF 16949", ("ts 16949",)),
    Scheme("bsci", "amfori BSCI", ("bsci",)),
    Scheme("smeta", "Sedex SMETA", ("sedex", "smeta")),
    Scheme("sa8000", "SA8000"),
    Scheme("wrap", "WRAP"),
    Scheme("oeko-tex-100", "OEKO-TEX Standard 100", ("oeko-tex", "oekotex", "oeko tex 100")),
    Scheme("gots", "GOTS", ("global organic textile standard",)),
    Scheme("grs", "GRS", ("global recycled standard",)),
    Scheme("bluesign", "bluesign"),
    Scheme("fsc", "FSC"),
    Scheme("ce", "CE"),
    Scheme("rohs", "RoHS"),
    Scheme("reach", "REACH"),
    Scheme("ul", "UL"),
    Scheme("fcc", "FCC"),
    Scheme("ccc", "CCC", ("3c",)),
    Scheme("brcgs", "BRCGS", ("brc",)),
    Scheme("haccp", "HACCP"),
    Scheme("fda", "FDA registration", ("fda",)),
)
SCHEME_BY_CODE = {scheme.code: scheme for scheme in SCHEMES}
OTHER = ""
OTHER_LABEL = _("Other (type its name)")

# Spaces and punctuation (ASCII ranges and a few full-width marks), ignored when matching:
# the same pattern in Python and in PostgreSQL's regexp_replace, so both sides agree.
NOISE_PATTERN = r"[\s!-/:-@\[-`{-~（）·’、，。®™]+"
_NOISE = re.compile(NOISE_PATTERN)


def normalize(text: str) -> str:
    """Lower case without spaces or punctuation: "OEKO-TEX® 100" -> "oekotex100"."""
    return _NOISE.sub("", (text or "").strip().lower())


_KEYS: dict[str, Scheme] = {}
for _scheme in SCHEMES:
    for _key in (_scheme.code, _scheme.name, *_scheme.aliases):
        _KEYS.setdefault(normalize(_key), _scheme)


def scheme_choices() -> list[tuple[str, object]]:
    return [(scheme.code, scheme.name) for scheme in SCHEMES] + [(OTHER, OTHER_LABEL)]


def scheme_resolve(text: str) -> Scheme | None:
    """The scheme `text` names exactly (code, name or alias, ignoring case, spaces and
    punctuation), else the one scheme whose name starts with it; None otherwise."""
    key = normalize(text)
    if not key:
        return None
    if key in _KEYS:
        return _KEYS[key]
    starting = {scheme for k, scheme in _KEYS.items() if k.startswith(key)}
    return starting.pop() if len(starting) == 1 else None


def scheme_for_name(name: str) -> Scheme | None:
    """The scheme a free-text certificate name is (the data migration and saving a
    certificate typed by hand): an exact reading first, else the one scheme whose name or
    alias the text starts with ("OEKO-TEX Standard 100 class I" is OEKO-TEX 100)."""
    exact = scheme_resolve(name)
    if exact is not None and normalize(name) in _KEYS:
        return exact
    key = normalize(name)
    prefixed = {scheme for k, scheme in _KEYS.items() if len(k) >= 3 and key.startswith(k)}
    return prefixed.pop() if len(prefixed) == 1 else None
