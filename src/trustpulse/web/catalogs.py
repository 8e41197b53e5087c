"""`python -m trustpulse.web.catalogs`: extract UI strings and update the zh-CN and en catalogs.

Strings come from `_()`, `gettext()`, `ngettext()` and `N_()` in the web and reports code and
templates. New strings are added to both .po files with an empty translation (the en catalog
falls back to the msgid); strings no longer used are marked obsolete and dropped.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from trustpulse import __version__
from trustpulse.web.i18n import DOMAIN, LOCALES, po_path

PACKAGE = Path(__file__).resolve().parents[1]
SOURCES = (PACKAGE / "web", PACKAGE / "reports")
METHOD_MAP = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.do", "autoescape": "true"}}


def extract() -> Catalog:
    """Every translatable string in the web and reports sources, with its locations."""
    template = Catalog(domain=DOMAIN, project="TrustPulse", charset="utf-8")
    for source in SOURCES:
        for filename, lineno, message, comments, context in extract_from_dir(
            source, METHOD_MAP, options_map=OPTIONS, strip_comment_tags=True
        ):
            location = (str(Path(source.name) / filename), lineno)
            template.add(message, None, [location], auto_comments=comments, context=context)
    return template


def update(template: Catalog) -> list[Path]:
    written = []
    for locale in LOCALES:
        path = po_path(locale)
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=path.parent.parent.name, domain=DOMAIN)
        else:
            catalog = Catalog(locale=path.parent.parent.name, domain=DOMAIN, charset="utf-8")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        catalog.project, catalog.version, catalog.fuzzy = "TrustPulse", __version__, False
        buffer = io.BytesIO()  # written whole: a failure never leaves a truncated catalog
        write_po(buffer, catalog, width=100, omit_header=False, sort_output=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(buffer.getvalue())
        written.append(path)
    return written


def missing_translations(locale: str) -> list[str]:
    """msgids extracted from the sources that have no translation in the locale's catalog."""
    path = po_path(locale)
    with path.open("rb") as handle:
        catalog = read_po(handle, domain=DOMAIN)
    missing = []
    for message in extract():
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        if found is None or not found.string or found.fuzzy:
            missing.append(str(message.id))
    return missing


def main() -> int:
    for path in update(extract()):
        sys.stdout.write(f"updated {path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
