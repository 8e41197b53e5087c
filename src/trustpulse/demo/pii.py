"""Planted personal data for the demo texts: valid-looking Chinese identifiers with checksums."""

from __future__ import annotations

import random

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
AREA_CODES = ("110101", "310104", "440305", "330106", "510107", "420106", "320102", "610113")
LANDLINE_AREAS = (("010", 8), ("021", 8), ("020", 8), ("0755", 8), ("0571", 7), ("028", 8))
PLATE_PROVINCES = "京沪粤浙苏川鄂陕渝鲁闽湘豫津"
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O on Chinese plates
MAIL_DOMAINS = ("qq.com", "163.com", "126.com", "gmail.com", "outlook.com", "sina.com")
MAIL_NAMES = ("xiaoming", "lily", "chen", "wang", "zhang", "amy", "kevin", "li", "jun", "mei")

# (type, Chinese lead, English lead): the lead words come before the value in the text
LEADS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "mobile": (("我的手机号是", "电话：", "请回电", "联系方式 "), ("call me on ", "my number is ")),
    "id_card": (("身份证号", "我的身份证：", "证件号码 "), ("my ID number is ", "ID: ")),
    "email": (("邮箱：", "发邮件到", "我的邮箱 "), ("email me at ", "my email is ")),
    "bank_card": (("退款请打到", "银行卡号：", "卡号 "), ("refund to card ", "my card is ")),
    "landline": (("座机", "家里电话 ", "固话："), ("landline ", "home phone ")),
    "plate": (("车牌", "送货车车牌号", "师傅的车牌 "), ("plate ", "the van's plate was ")),
}


def id_checksum(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of a Chinese resident ID number."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def is_valid_id_card(value: str) -> bool:
    return len(value) == 18 and value[:17].isdigit() and id_checksum(value[:17]) == value[17]


def luhn_digit(body: str) -> str:
    """The Luhn check digit to append to `body`."""
    total = 0
    for i, char in enumerate(reversed(body)):
        d = int(char)
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return str((10 - total % 10) % 10)


def is_valid_luhn(value: str) -> bool:
    return value.isdigit() and luhn_digit(value[:-1]) == value[-1]


def make_value(kind: str, rnd: random.Random) -> str:
    if kind == "mobile":
        return f"1{rnd.choice('3456789')}{rnd.randrange(10**9):09d}"
    if kind == "id_card":
        birth = f"{rnd.randint(1960, 2003)}{rnd.randint(1, 12):02d}{rnd.randint(1, 28):02d}"
        first17 = f"{rnd.choice(AREA_CODES)}{birth}{rnd.randrange(1000):03d}"
        return first17 + id_checksum(first17)
    if kind == "email":
        return f"{rnd.choice(MAIL_NAMES)}{rnd.randrange(10, 9999)}@{rnd.choice(MAIL_DOMAINS)}"
    if kind == "bank_card":
        length = rnd.choice((16, 19))
        body = "62" + "".join(str(rnd.randrange(10)) for _ in range(length - 3))
        return body + luhn_digit(body)
    if kind == "landline":
        area, digits = rnd.choice(LANDLINE_AREAS)
        return f"{area}-{rnd.randint(2, 8)}{rnd.randrange(10 ** (digits - 1)):0{digits - 1}d}"
    if kind == "plate":
        tail = "".join(rnd.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(4))
        return f"{rnd.choice(PLATE_PROVINCES)}{rnd.choice(PLATE_LETTERS)}{rnd.randrange(10)}{tail}"
    raise ValueError(f"unknown PII type {kind!r}")


def plant(text: str, kind: str, language: str, rnd: random.Random) -> tuple[str, int, int, str]:
    """Append one piece of personal data to `text`: (new text, start, end, value).

    Offsets are Python string (code point) indices into the new text: text[start:end] == value.
    """
    zh_leads, en_leads = LEADS[kind]
    value = make_value(kind, rnd)
    if language == "zh":
        prefix = f"{text}{rnd.choice(zh_leads)}"
        suffix = rnd.choice(("。", "，谢谢。", "！", "，尽快联系。"))
    else:
        prefix = f"{text} {rnd.choice(en_leads).capitalize()}"
        suffix = rnd.choice((".", ", thanks.", "!", " asap."))
    start = len(prefix)
    return prefix + value + suffix, start, start + len(value), value
