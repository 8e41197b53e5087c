"""Composes demo texts from the phrase banks: openers x aspect clauses x connectors x closers.

Every slot ({n}, {d}, {m} ...) is drawn afresh per clause, so texts rarely repeat.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta

from trustpulse.demo import phrases_en, phrases_zh
from trustpulse.demo.model import ProductSpec

CITY_EN = {
    "深圳": "Shenzhen",
    "广州": "Guangzhou",
    "上海": "Shanghai",
    "北京": "Beijing",
    "杭州": "Hangzhou",
    "南京": "Nanjing",
    "苏州": "Suzhou",
    "成都": "Chengdu",
    "武汉": "Wuhan",
    "西安": "Xi'an",
    "重庆": "Chongqing",
    "青岛": "Qingdao",
    "厦门": "Xiamen",
    "长沙": "Changsha",
    "郑州": "Zhengzhou",
    "天津": "Tianjin",
}
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DETAIL_SHARE = 0.6  # texts with a detail clause (order number, date ...) after the first clause
MONEY = (20, 30, 50, 60, 80, 99, 100, 120, 150, 199, 200, 260, 300, 399, 500, 800)


def city_of(region: str) -> str:
    """'广东省/深圳市' -> '深圳'; '上海市' -> '上海'."""
    return region.rsplit("/", 1)[-1].removesuffix("市")


class TextMaker:
    """Builds texts with its own seeded random stream (Python's, for fast string work)."""

    def __init__(self, seed: int) -> None:
        self.rnd = random.Random(seed)

    def _slots(self, language: str, product: ProductSpec, city: str, day: date) -> dict[str, str]:
        rnd = self.rnd
        when = day - timedelta(days=rnd.randrange(0, 40))
        if language == "zh":
            name = rnd.choice((product.name_zh, product.name_zh.split(" ", 1)[1], product.code))
            d = f"{when.month}月{when.day}日"
            c = city
        else:
            name = rnd.choice((product.name_en, product.code, product.name_en.split(" ", 1)[1]))
            d = f"{MONTHS_EN[when.month - 1]} {when.day}"
            c = CITY_EN.get(city, city)
        return {
            "p": name,
            "n": str(rnd.randint(2, 12)),
            "h": str(rnd.randint(2, 72)),
            "d": d,
            "m": str(rnd.choice(MONEY)),
            "c": c,
            "k": f"{rnd.randrange(10000):04d}",
        }

    def compose(
        self,
        *,
        language: str,
        kind: str,
        aspects: Sequence[tuple[str, str]],
        product: ProductSpec,
        city: str,
        day: date,
    ) -> str:
        """One text about `aspects` ((aspect, 'positive' | 'negative') pairs) in `language`."""
        rnd = self.rnd
        bank = phrases_zh if language == "zh" else phrases_en
        parts = [rnd.choice(bank.OPENERS[kind])]
        previous: str | None = None
        for aspect, polarity in aspects:
            clauses = bank.ASPECT_CLAUSES[aspect][0 if polarity == "positive" else 1]
            if previous is not None:
                same = previous == polarity
                parts.append(rnd.choice(bank.CONNECTORS_SAME if same else bank.CONNECTORS_CONTRAST))
            parts.append(rnd.choice(clauses))
            if previous is None and rnd.random() < DETAIL_SHARE:
                parts.append(rnd.choice(bank.DETAILS))
            previous = polarity
        polarities = {p for _, p in aspects}
        tone = polarities.pop() if len(polarities) == 1 else "mixed"
        parts.append(rnd.choice(bank.CLOSERS[tone]))
        if kind == "social":
            parts.append(rnd.choice(bank.SOCIAL_TAGS))
        return self._finish("".join(parts), language, product, city, day)

    def crisis_post(self, *, language: str, product: ProductSpec, city: str, day: date) -> str:
        """A negative social post about the crisis product (leaking, safety)."""
        rnd = self.rnd
        bank = phrases_zh if language == "zh" else phrases_en
        parts = [rnd.choice(bank.OPENERS["social"]), rnd.choice(bank.CRISIS_CLAUSES)]
        if rnd.random() < DETAIL_SHARE:
            parts.append(rnd.choice(bank.DETAILS))
        if rnd.random() < 0.5:
            extra = bank.ASPECT_CLAUSES[rnd.choice(("customer_service", "after_sales"))][1]
            parts += [rnd.choice(bank.CONNECTORS_SAME), rnd.choice(extra)]
        parts.append(rnd.choice(bank.CRISIS_CLOSERS))
        return self._finish("".join(parts), language, product, city, day)

    def title(self, *, language: str, category: str, product: ProductSpec, crisis: bool) -> str:
        bank = phrases_zh if language == "zh" else phrases_en
        options = bank.CRISIS_TITLES if crisis else bank.COMPLAINT_TITLES[category]
        name = product.code
        title: str = self.rnd.choice(options)
        return title.replace("{p}", name)

    def _finish(
        self, template: str, language: str, product: ProductSpec, city: str, day: date
    ) -> str:
        text = template.format_map(self._slots(language, product, city, day))
        if language == "en" and text:
            text = text[0].upper() + text[1:]
        return text
