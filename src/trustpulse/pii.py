"""PII redaction: Chinese mobiles, ID numbers, emails, bank cards, landlines, plates -> [TYPE].

Detection is regular expressions plus validation where the identifier carries one (ID number
checksum and birth date, Luhn for bank cards), so order numbers and random digit runs are not
redacted. Matching runs on a width-folded copy of the text (full-width digits and letters
folded to ASCII, one code point for one), so offsets always refer to the original text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

PLACEHOLDERS = {
    "email": "[EMAIL]",
    "id_number": "[ID_NUMBER]",
    "bank_card": "[BANK_CARD]",
    "phone": "[PHONE]",
    "landline": "[LANDLINE]",
    "plate": "[PLATE]",
}

PLACEHOLDER_PATTERN = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS.values()))
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# GB 1589/GA 36: plates start with a province abbreviation, then a letter (no I or O)
PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_CHAR = "[A-HJ-NP-Z0-9]"

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
    re.ASCII,
)
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])", re.ASCII)
_BANK_CARD = re.compile(
    r"(?<![0-9A-Za-z])(?:\d{16,19}|\d{4}(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?)(?![0-9A-Za-z])",
    re.ASCII,
)
# issuer prefixes: 62 UnionPay (most Chinese debit cards), 4 Visa, 51-55 Mastercard, 35 JCB,
# 60/65 Discover; a random 16-19 digit run passing Luhn (1 in 10) must also start like a card
_CARD_ISSUER = re.compile(r"62|60|65|4|5[1-5]|35")
_PHONE = re.compile(
    r"(?<![0-9A-Za-z+])(?:(?:\+|00)?86[ -]?)?1[3-9]\d(?:\d{8}|[ -]\d{4}[ -]\d{4})(?![0-9A-Za-z])",
    re.ASCII,
)
# area codes: 010 and 02x are three digits, the rest (03xx-09xx) four; a separator is required
# so that 11- or 12-digit order numbers starting with 0 are left alone. An extension goes too
# (010-12345678转123, 分机 45, ext. 45, x45): it leads to the same person.
_LANDLINE = re.compile(
    r"(?<![0-9A-Za-z])(?:\(0(?:10|2\d|[3-9]\d{2})\)\s?|0(?:10|2\d|[3-9]\d{2})[- ])"
    r"[1-9]\d{6,7}(?:(?:-|\s?(?:转|分机|ext\.?|x)\s?)\d{1,5})?(?![0-9A-Za-z])",
    re.ASCII | re.IGNORECASE,
)
_PLATE = re.compile(
    rf"[{PLATE_PROVINCES}][A-HJ-NP-Z][ ·•.-]?"
    rf"(?:[DF]{_PLATE_CHAR}\d{{4}}|\d{{5}}[DF]|{_PLATE_CHAR}{{4}}[A-HJ-NP-Z0-9挂学警])"
    r"(?![0-9A-Za-z])",
    re.ASCII,
)


@dataclass(frozen=True)
class PiiSpan:
    """One redacted identifier: its type and code point offsets into the original text."""

    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Redaction:
    text: str
    spans: list[PiiSpan]


def id_checksum(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of a Chinese resident ID number (GB 11643)."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def is_valid_id_number(value: str) -> bool:
    """18 characters, a plausible area and birth date, and the right check character."""
    value = value.upper()
    if len(value) != 18 or not value[:17].isdigit() or value[0] not in "1234568":
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return 1900 <= born.year <= 2100 and id_checksum(value[:17]) == value[17]


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def is_valid_bank_card(value: str) -> bool:
    """16-19 digits, a card issuer's prefix and a valid Luhn check digit."""
    digits = re.sub(r"[ -]", "", value)
    return 16 <= len(digits) <= 19 and _CARD_ISSUER.match(digits) is not None and luhn_ok(digits)


def _plate_has_digit(value: str) -> bool:
    return any(c.isdigit() for c in value)


def _always(_value: str) -> bool:
    return True


# Order matters only for ties of equal start and length: the validated types win.
_DETECTORS: tuple[tuple[str, re.Pattern[str], Callable[[str], bool]], ...] = (
    ("email", _EMAIL, _always),
    ("id_number", _ID_NUMBER, is_valid_id_number),
    ("bank_card", _BANK_CARD, is_valid_bank_card),
    ("phone", _PHONE, _always),
    ("landline", _LANDLINE, _always),
    ("plate", _PLATE, _plate_has_digit),
)


def fold_width(text: str) -> str:
    """Full-width ASCII (U+FF01-FF5E) and the ideographic space to half-width, length-preserving."""
    return text.translate(_WIDTH_TABLE)


_WIDTH_TABLE = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def find_pii(text: str) -> list[PiiSpan]:
    """All identifiers in `text`, non-overlapping, in order; longer matches win overlaps."""
    folded = fold_width(text)
    candidates: list[tuple[int, int, int, str]] = []
    for rank, (kind, pattern, valid) in enumerate(_DETECTORS):
        for match in pattern.finditer(folded):
            if valid(match.group()):
                candidates.append((match.start(), -(match.end() - match.start()), rank, kind))
    spans: list[PiiSpan] = []
    taken_until = 0
    for start, neg_len, _rank, kind in sorted(candidates):
        if start >= taken_until:
            spans.append(PiiSpan(kind, start, start - neg_len))
            taken_until = start - neg_len
    return spans


def redact(text: str) -> Redaction:
    """`text` with each identifier replaced by its placeholder; spans index the original text."""
    spans = find_pii(text)
    if not spans:
        return Redaction(text, [])
    parts: list[str] = []
    position = 0
    for span in spans:
        parts += (text[position : span.start], PLACEHOLDERS[span.kind])
        position = span.end
    parts.append(text[position:])
    return Redaction("".join(parts), spans)
