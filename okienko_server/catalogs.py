"""Keep the translation catalogs in step with the code: `python -m okienko_server.catalogs`.

Extracts every `_()` string from Python and templates (babel.cfg says where), writes
okienko/locale/messages.pot, and merges it into each language's messages.po (new strings
arrive untranslated, strings gone from the code are dropped). Translators then fill msgstr.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from okienko.i18n import LANGUAGES, LOCALE_DIR

ROOT = Path(__file__).resolve().parent.parent


def extract() -> Catalog:
    """Every translatable message in the code, with where it is used."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    catalog = Catalog(project="Okienko", msgid_bugs_address="", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords={"_": None, "gettext": None, "ngettext": (1, 2)},
            comment_tags=("Translators:",), strip_comment_tags=True):
        if "/.venv/" in f"/{filename}" or filename.startswith(("tests", ".venv", "build")):
            continue
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def update() -> list[str]:
    template = extract()
    LOCALE_DIR.mkdir(parents=True, exist_ok=True)
    with (LOCALE_DIR / "messages.pot").open("wb") as handle:
        write_po(handle, template, omit_header=True, sort_output=True, width=100)
    report = []
    for language in LANGUAGES:
        path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=language)
        else:
            catalog = Catalog(locale=language, project="Okienko", charset="utf-8")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        catalog.fuzzy = False
        catalog.project, catalog.version = "Okienko", "1"
        catalog.copyright_holder = "Okienko contributors"
        catalog.msgid_bugs_address = ""
        catalog.last_translator = catalog.language_team = "Okienko contributors"
        catalog.header_comment = f"# {LANGUAGES[language]} translation of Okienko."

        with path.open("wb") as handle:
            write_po(handle, catalog, sort_output=True, width=100)
        missing = sum(1 for m in catalog if m.id and not m.string)
        report.append(f"{language}: {len(template)} messages, {missing} untranslated")
    return report


if __name__ == "__main__":
    for line in update():
        print(line, file=sys.stderr)
