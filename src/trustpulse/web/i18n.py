"""UI strings in zh-CN and en (a small catalogue until the dashboard issue brings Babel)."""

from __future__ import annotations

from collections.abc import Callable

CATALOGUE: dict[str, dict[str, str]] = {
    "title": {"en": "TrustPulse", "zh-CN": "TrustPulse 客户信任"},
    "overview": {"en": "Feedback by channel and month", "zh-CN": "各渠道月度反馈量"},
    "brand": {"en": "Brand", "zh-CN": "品牌"},
    "month": {"en": "Month", "zh-CN": "月份"},
    "total": {"en": "Total", "zh-CN": "合计"},
    "no_data": {
        "en": "No feedback yet. Run `trustpulse demo` or `trustpulse import FILE --kind review`.",
        "zh-CN": "暂无反馈数据。请运行 `trustpulse demo` 或 "
        "`trustpulse import 文件 --kind review`。",
    },
    "no_brands": {"en": "No brands yet.", "zh-CN": "尚无品牌。"},
    "language": {"en": "中文", "zh-CN": "English"},
}


def translator(locale: str) -> Callable[[str], str]:
    def translate(key: str) -> str:
        entry = CATALOGUE.get(key)
        return entry.get(locale, entry["en"]) if entry else key

    return translate
