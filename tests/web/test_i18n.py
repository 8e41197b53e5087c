"""Catalogs are complete and compile; numbers and dates follow the locale."""

from __future__ import annotations

from datetime import date

import pytest
from babel.messages.pofile import read_po

from trustpulse.web.catalogs import extract, missing_translations
from trustpulse.web.i18n import Formatter, parse_locale, po_path, translations


def test_every_extracted_string_has_a_chinese_translation() -> None:
    assert missing_translations("zh-CN") == []


def test_catalogs_list_every_string_in_the_sources() -> None:
    """Fails when a string was added without `python -m trustpulse.web.catalogs`."""
    extracted = {m.id for m in extract() if m.id}
    for locale in ("zh-CN", "en"):
        with po_path(locale).open("rb") as handle:
            listed = {m.id for m in read_po(handle) if m.id}
        assert extracted == listed


def test_english_falls_back_to_the_source_strings() -> None:
    assert translations("en").gettext("Trust index") == "Trust index"
    assert translations("zh-CN").gettext("Trust index") == "信任指数"


def test_placeholders_are_filled_after_translation() -> None:
    assert Formatter("zh-CN").gettext("Page %(n)s of %(total)s", n=2, total=9) == "第 2 / 9 页"
    assert Formatter("en").gettext("Page %(n)s of %(total)s", n=2, total=9) == "Page 2 of 9"


@pytest.mark.parametrize(
    ("locale", "number", "percent", "day"),
    [
        ("zh-CN", "12,345.7", "42.5%", "2026年3月5日"),
        ("en", "12,345.7", "42.5%", "Mar 5, 2026"),
    ],
)
def test_numbers_and_dates_follow_the_locale(
    locale: str, number: str, percent: str, day: str
) -> None:
    fmt = Formatter(parse_locale(locale) or "en")
    assert fmt.number(12345.67, 1) == number
    assert fmt.percent(0.425, 1) == percent
    assert fmt.date(date(2026, 3, 5)) == day
    assert fmt.number(None) == "—"
    assert fmt.signed(-1.25, 1) == "−1.2"


@pytest.mark.parametrize(
    ("given", "wanted"),
    [("zh-CN", "zh-CN"), ("zh_CN", "zh-CN"), ("zh", "zh-CN"), ("en-US", "en"), ("fr", None)],
)
def test_locale_names_are_normalised(given: str, wanted: str | None) -> None:
    assert parse_locale(given) == wanted
