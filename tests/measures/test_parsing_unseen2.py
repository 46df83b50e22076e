"""A second set of documents the parser was not developed on (see unseen2/README.md).

Scored like test_parsing_unseen.py: county and district documents, a province, label lines,
regulations, an excerpt, tables with cell notes, flat text and past years.
"""

from __future__ import annotations

import pytest

from measures.parsing import parse_document

# ---- the general rules these documents needed ---------------------------------------------------


def _by_ref(text: str) -> dict:
    return {m.ref: m for m in parse_document(text).measures}


@pytest.mark.parametrize(
    ("cell", "name"),
    [
        ("市财政局（资金保障）", "市财政局"),
        ("市商务局(2025年底前完成)", "市商务局"),
        ("市财政局（负责贴息资金）", "市财政局"),
        ("各县（区）人民政府（属地负责）", "各县（区）人民政府"),
        ("各区、县(市)政府", "各区、县(市)政府"),
        ("县(市、区)人民政府", "县(市、区)人民政府"),
        ("市委宣传部(市新闻出版局)", "市委宣传部(市新闻出版局)"),
    ],
)
def test_trailing_notes_are_not_part_of_a_name(cell: str, name: str):
    ms = _by_ref(f"一、任务\n(一)发展外贸。扩大出口。({cell}、市税务局按职责分工负责)\n")
    assert ms["1.1"].lead == [name] and ms["1.1"].support == ["市税务局"]


def test_a_dated_note_sets_a_deadline():
    ms = _by_ref("一、任务\n(一)转移加工贸易。引进项目。(市工信局、市商务局(2025年6月底前完成)按职责分工负责)\n")
    assert ms["1.1"].support == ["市商务局"] and ms["1.1"].deadlines == ["2025-06-30"]


def test_an_admin_fragment_does_not_swallow_a_placeholder():
    ms = _by_ref("一、任务\n(一)消费。办展销。(各乡镇（街道）、县直各有关单位按职责分工负责)\n")
    assert ms["1.1"].lead == ["各乡镇（街道）"] and ms["1.1"].others
    ms = _by_ref("一、任务\n(一)修复。治理。(省水利厅牵头,各市(州)、县(市、区)人民政府负责)\n")
    assert ms["1.1"].support == ["各市(州)、县(市、区)人民政府"]


@pytest.mark.parametrize(
    "phrase",
    [
        "2023年已完成改造小区286个",
        "2023年底前已拨付的资金要加快使用",
        "改造2000年底前建成、失养失修失管的小区",
        "2000年以后建成的小区不纳入",
    ],
)
def test_past_and_reference_years_are_not_deadlines(phrase: str):
    ms = _by_ref(f"一、任务\n(一)改造小区。{phrase}。(市住建局负责)\n")
    assert ms["1.1"].deadlines == []


def test_a_time_limit_after_the_names_in_a_parenthesis():
    text = "一、任务\n1.推进。做好。(区商务局负责,2025年底前完成)\n2.完善。做好。(区文旅局、区财政局,2024年6月底前)\n"
    ms = _by_ref(text)
    assert ms["1.1"].lead == ["区商务局"] and ms["1.1"].deadlines == ["2025"]
    assert ms["1.2"].support == ["区财政局"] and ms["1.2"].deadlines == ["2024-06-30"]


def test_articles_glued_to_the_text_before_them():
    text = "某市若干规定第一章　总则第一条　为促进发展,制定本规定。第二章　措施第二条　落实清单制度。(市发改委负责)"
    assert list(_by_ref(text)) == ["2.2"]
