"""Content that operators keep in two languages (a `name` and a `name_zh`).

System text is translated through gettext; content rows carry both languages and are shown
in the reader's: `display_name` (and `str()`) pick the Chinese name while a Chinese language
is active and the row has one, the English name otherwise.
"""

from __future__ import annotations

from django.utils.translation import get_language


def chinese_active() -> bool:
    return (get_language() or "").lower().startswith("zh")


class BilingualName:
    """Mixin for models with `name` and `name_zh` fields (their `__str__` returns
    `display_name`)."""

    name: str
    name_zh: str

    @property
    def display_name(self) -> str:
        if self.name_zh and chinese_active():
            return self.name_zh
        return self.name
