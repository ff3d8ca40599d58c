"""The court's ruling as PDF: the court's layout and words, the same bytes every time."""

from __future__ import annotations

from datetime import date

import pytest

from server.documents.ruling_pdf import RulingDoc, render_ruling
from server.domain.confirmation.ruling import chinese_date
from tests.pdf_text import pdf_pages, pdf_text

RULING = RulingDoc(
    court="内蒙古自治区达拉特旗人民法院",
    title="民事裁定书",
    case_number="（2026）蒙0621民特123号",
    parties=[
        "申请人：张三，男，1990年3月7日出生，汉族，住达拉特旗树林召镇1号，公民身份号码150621199003071234。",
        "申请人：李四（未登记：性别、出生日期、民族、住址、身份证件号码）。",
    ],
    body=[
        "申请人张三与申请人李四申请司法确认调解协议一案，本院于2026年12月3日立案后，依法适用特别程序进行了审查。现已审查终结。",
        "申请人张三与申请人李四于2026年12月1日经树林召镇人民调解委员会主持调解，达成了如下调解协议：",
        "一、李四于2026年12月31日前向张三支付欠款人民币8000元。",
        "本院经审查认为，申请人张三与申请人李四达成的调解协议，符合司法确认调解协议的法定条件。",
        "依照《中华人民共和国民事诉讼法》第二百零五条、第二百零六条规定，裁定如下：",
    ],
    operative=["申请人张三与申请人李四于2026年12月1日经树林召镇人民调解委员会主持调解达成的调解协议有效。"],
    signatures=["审判员　王明", "二〇二六年十二月五日"],
)


def test_the_ruling_reads_in_the_courts_order_with_no_version_footer() -> None:
    text = pdf_text(render_ruling(RULING))
    heads = [
        "内蒙古自治区达拉特旗人民法院",
        "民事裁定书",
        "（2026）蒙0621民特123号",
        "申请人：张三",
        "本院经审查认为",
        "裁定如下",
    ]
    positions = [text.index(h) for h in [*heads, "调解协议有效", "审判员王明", "二〇二六年十二月五日"]]
    assert positions == sorted(positions)
    assert "公民身份号码150621199003071234" in text
    assert "第1页共1页" in text and "版" not in text and "SHA-256" not in text


def test_the_ruling_is_byte_for_byte_repeatable() -> None:
    assert render_ruling(RULING) == render_ruling(RULING)


def test_a_long_ruling_keeps_its_signatures_with_the_last_paragraph() -> None:
    long = RulingDoc(**{**RULING.__dict__, "body": RULING.body[:2] + [f"{i}、双方确认本条内容。" * 6 for i in range(60)]})
    pages = pdf_pages(render_ruling(long))
    assert len(pages) > 1
    last = pages[-1]
    assert "审判员王明" in last and "调解协议有效" in last


@pytest.mark.parametrize(
    ("day", "words"),
    [
        (date(2026, 12, 5), "二〇二六年十二月五日"),
        (date(2030, 1, 31), "二〇三〇年一月三十一日"),
        (date(2027, 10, 20), "二〇二七年十月二十日"),
        (date(2028, 2, 10), "二〇二八年二月十日"),
    ],
)
def test_the_date_at_the_foot_is_in_chinese_numerals(day: date, words: str) -> None:
    assert chinese_date(day) == words
