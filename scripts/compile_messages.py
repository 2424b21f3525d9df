#!/usr/bin/env python
"""Compile every locale/*/LC_MESSAGES/*.po to .mo with polib: no gettext binaries needed.

Run by `make messages`; the compiled .mo files are committed, so neither a fresh clone nor
the Docker image needs this step to show Chinese.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def compile_catalog(po_path: Path) -> tuple[int, int]:
    catalog = polib.pofile(str(po_path))
    # Django ignores fuzzy entries; so does the compiled catalog.
    for entry in catalog.fuzzy_entries():
        entry.msgstr = ""
        entry.msgstr_plural = dict.fromkeys(entry.msgstr_plural, "")
    catalog.save_as_mofile(str(po_path.with_suffix(".mo")))
    return len(catalog.translated_entries()), len(catalog)


def main() -> int:
    po_files = sorted(ROOT.glob("locale/*/LC_MESSAGES/*.po"))
    if not po_files:
        print("no .po files under locale/", file=sys.stderr)
        return 1
    for po_path in po_files:
        translated, total = compile_catalog(po_path)
        print(f"{po_path.relative_to(ROOT)}: {translated}/{total} translated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
