"""A generated PII test set: texts with planted identifiers (offsets known) and hard negatives.

Positives come from the demo generator (valid checksums, recorded offsets) plus the formats it
does not plant (+86 and spaced mobiles, new-energy plates, spaced cards, bracketed area codes).
Hard negatives look like identifiers but are not: order numbers, 18-digit numbers with a wrong
ID checksum, 16-digit numbers failing Luhn, prices, dates, times, quantities.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from trustpulse.demo.pii import id_checksum, luhn_digit, make_value, plant

DEMO_KINDS = {
    "mobile": "phone",
    "id_card": "id_number",
    "email": "email",
    "bank_card": "bank_card",
    "landline": "landline",
    "plate": "plate",
}
BASES_ZH = ("外卖送得太慢了", "客服态度不错", "热水器漏水，希望尽快处理", "退款一直没到账", "")
BASES_EN = ("The delivery was late.", "Great service", "The heater leaks", "Still no refund", "")


@dataclass(frozen=True)
class Sample:
    text: str
    spans: list[tuple[str, int, int]]  # (kind, start, end) of the planted identifiers


def _extra_value(kind: str, rnd: random.Random) -> str:
    """Formats the demo generator does not plant."""
    if kind == "phone":
        n = f"1{rnd.choice('3456789')}{rnd.randrange(10**9):09d}"
        return rnd.choice(
            (f"+86 {n}", f"+86-{n}", f"{n[:3]} {n[3:7]} {n[7:]}", f"{n[:3]}-{n[3:7]}-{n[7:]}")
        )
    if kind == "plate":
        digits = f"{rnd.randrange(10**4):04d}"
        return rnd.choice(
            (
                f"粤B D1{digits}",
                f"京AF{digits}1",
                f"沪A{rnd.randrange(10**5):05d}D",
                f"浙A·{digits}8",
            )
        )
    if kind == "bank_card":
        body = "62" + "".join(str(rnd.randrange(10)) for _ in range(13))
        card = body + luhn_digit(body)
        return " ".join(card[i : i + 4] for i in range(0, 16, 4))
    if kind == "landline":
        area = rnd.choice(("10", "21", "755", "571"))
        return f"(0{area}){rnd.randint(2, 8)}{rnd.randrange(10**6):06d}1"
    if kind == "id_number":
        born = f"{rnd.randint(1960, 2003)}0{rnd.randint(1, 9)}1{rnd.randint(0, 9)}"
        first17 = f"110105{born}{rnd.randrange(1000):03d}"
        check = id_checksum(first17)
        return first17 + (check.lower() if check == "X" else check)
    raise ValueError(kind)


def _wrong_id(rnd: random.Random) -> str:
    first17 = f"3101041985{rnd.randint(1, 12):02d}{rnd.randint(1, 28):02d}{rnd.randrange(1000):03d}"
    right = id_checksum(first17)
    return first17 + rnd.choice([c for c in "0123456789X" if c != right])


def _not_luhn(rnd: random.Random, length: int = 16) -> str:
    body = "6" + "".join(str(rnd.randrange(10)) for _ in range(length - 2))
    right = luhn_digit(body)
    return body + rnd.choice([c for c in "0123456789" if c != right])


def hard_negative(rnd: random.Random) -> str:
    """A text full of digit runs that are not personal data."""
    choices = (
        lambda: f"订单号{rnd.randrange(10**11, 10**12)}还没发货",
        lambda: f"订单编号：2024{rnd.randrange(10**13):013d}",
        lambda: f"身份证后面写错了 {_wrong_id(rnd)}",
        lambda: f"卡号好像是{_not_luhn(rnd)}，不对",
        lambda: f"card {_not_luhn(rnd, 19)} was declined",
        lambda: (
            f"价格{rnd.randint(10, 9999)}.{rnd.randrange(100):02d}元，优惠了{rnd.randint(5, 99)}元"
        ),
        lambda: f"{rnd.randint(2019, 2025)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d} 下单",
        lambda: (
            f"on {rnd.randint(2019, 2025)}/{rnd.randint(1, 12)}/{rnd.randint(1, 28)} "
            f"at 14:{rnd.randrange(60):02d}"
        ),
        lambda: f"快递单号SF{rnd.randrange(10**12, 10**13)}",
        lambda: f"买了{rnd.randint(2, 30)}件，总共{rnd.randint(100, 99999)}元",
        lambda: f"型号KX-{rnd.randrange(1000, 9999)}，序列号{rnd.randrange(10**15, 10**16)}0",
        lambda: (
            f"version 3.{rnd.randrange(20)}.{rnd.randrange(100)}, ticket #{rnd.randrange(10**7)}"
        ),
        lambda: f"等了{rnd.randint(2, 72)}小时，{rnd.randint(1, 12)}月{rnd.randint(1, 28)}日才到",
        lambda: f"ABC{rnd.randrange(10**5):05d} 不是车牌",
        lambda: f"第{rnd.randrange(10**8)}号工单",
    )
    return rnd.choice(choices)()


def build(n_positive: int = 2000, n_negative: int = 1000, seed: int = 7) -> list[Sample]:
    rnd = random.Random(seed)
    samples: list[Sample] = []
    for i in range(n_positive):
        language = rnd.choice(("zh", "en"))
        base = rnd.choice(BASES_ZH if language == "zh" else BASES_EN)
        if i % 4 == 3:
            kind = rnd.choice(("phone", "plate", "bank_card", "landline", "id_number"))
            value = _extra_value(kind, rnd)
            prefix = f"{base}联系：" if language == "zh" else f"{base} contact: "
            text = prefix + value + rnd.choice(("。", "，谢谢", " thanks", ""))
            spans = [(kind, len(prefix), len(prefix) + len(value))]
        else:
            demo_kind = rnd.choice(tuple(DEMO_KINDS))
            text, start, end, _value = plant(base, demo_kind, language, rnd)
            spans = [(DEMO_KINDS[demo_kind], start, end)]
        if i % 5 == 0:  # a hard negative in the same text
            negative = f"{hard_negative(rnd)}，"
            text, shift = negative + text, len(negative)
            spans = [(k, s + shift, e + shift) for k, s, e in spans]
        samples.append(Sample(text, spans))
    samples += [Sample(hard_negative(rnd), []) for _ in range(n_negative)]
    return samples


def _check_generated(samples: list[Sample]) -> None:
    for sample in samples:
        assert all(0 <= s < e <= len(sample.text) for _, s, e in sample.spans)


def score(samples: list[Sample]) -> dict[str, float]:
    """Span-level precision and recall: a hit needs the exact type and offsets."""
    from trustpulse.pii import find_pii  # noqa: PLC0415

    _check_generated(samples)
    true_pos = false_pos = false_neg = 0
    for sample in samples:
        found = {(s.kind, s.start, s.end) for s in find_pii(sample.text)}
        truth = set(sample.spans)
        true_pos += len(found & truth)
        false_pos += len(found - truth)
        false_neg += len(truth - found)
    return {
        "precision": true_pos / max(true_pos + false_pos, 1),
        "recall": true_pos / max(true_pos + false_neg, 1),
        "n_texts": len(samples),
        "n_planted": true_pos + false_neg,
    }


__all__ = ["Sample", "build", "make_value", "score"]
