from __future__ import annotations

import pytest

from tests import pii_corpus
from trustpulse.pii import find_pii, is_valid_id_number, redact


def test_precision_and_recall_on_generated_set_are_at_least_095() -> None:
    result = pii_corpus.score(pii_corpus.build(n_positive=2000, n_negative=1000, seed=11))
    assert result["n_planted"] == 2000
    assert result["precision"] >= 0.95
    assert result["recall"] >= 0.95


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("座机010-12345678转123，谢谢", "座机[LANDLINE]，谢谢"),
        ("总机 0755-8765432 分机 45 找我", "总机 [LANDLINE] 找我"),
        ("call 021-87654321 ext. 12 today", "call [LANDLINE] today"),
        ("office (021)87654321 x12", "office [LANDLINE]"),
        ("010-12345678转人工", "[LANDLINE]转人工"),  # no extension digits: the number only
    ],
)
def test_a_landline_goes_with_its_extension(text: str, redacted: str) -> None:
    assert redact(text).text == redacted


@pytest.mark.parametrize(
    ("text", "placeholder"),
    [
        ("我的手机号是13812345678，谢谢", "[PHONE]"),
        ("call me on +86 139-1234-5678 please", "[PHONE]"),
        ("身份证号11010519491231002X。", "[ID_NUMBER]"),
        ("邮箱：xiao.ming_1@163.com", "[EMAIL]"),
        ("退款请打到6222021234567890128", "[BANK_CARD]"),
        ("卡号 4111 1111 1111 1111", "[BANK_CARD]"),
        ("座机010-12345678", "[LANDLINE]"),
        ("家里电话 0755-1234567", "[LANDLINE]"),
        ("车牌京A12345", "[PLATE]"),
        ("新能源车粤B D12345", "[PLATE]"),
        ("手机１３８１２３４５６７８", "[PHONE]"),  # full-width digits
    ],
)
def test_each_type_is_replaced_by_its_placeholder(text: str, placeholder: str) -> None:
    result = redact(text)
    assert placeholder in result.text
    assert len(result.spans) == 1


@pytest.mark.parametrize(
    "text",
    [
        "订单号202311251234567还没发货",
        "身份证 110105194912310021 写错了",  # wrong check digit
        "卡号6222021234567890123不对",  # fails Luhn
        "价格1299.00元，优惠了200元",
        "2024-03-15 下单，14:30 送达",
        "型号KX-2000，序列号A1234567",
        "等了48小时，3月5日才到",
    ],
)
def test_hard_negatives_are_left_alone(text: str) -> None:
    assert find_pii(text) == []
    assert redact(text).text == text


def test_spans_index_the_original_text() -> None:
    text = "请回电13912345678或发邮件到amy@qq.com"
    spans = find_pii(text)
    assert [(s.kind, text[s.start : s.end]) for s in spans] == [
        ("phone", "13912345678"),
        ("email", "amy@qq.com"),
    ]


def test_id_number_validation_checks_birth_date_and_checksum() -> None:
    assert is_valid_id_number("11010519491231002X")
    assert not is_valid_id_number("110105194913310021")  # month 13
