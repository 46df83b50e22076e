"""Formats the seeds do not show: lost line breaks, flattened tables, labels on their own lines,
punctuation variants, and the contract's agency, date and target rules one by one."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from measures.parsing import ParseError, parse_document

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))


def _norm(name: str) -> str:
    return unicodedata.normalize("NFKC", name).replace(" ", "").replace("\u3000", "")


def _assignment_f1(gold: dict, pred: dict) -> float:
    def triples(doc: dict) -> set:
        return {(m["ref"], role, _norm(a)) for m in doc["measures"] for role in ("lead", "support") for a in m[role]}

    g, p = triples(gold), triples(pred)
    tp = len(g & p)
    prec = tp / len(p) if p else 1.0
    rec = tp / len(g) if g else 1.0
    return 2 * prec * rec / (prec + rec) if prec + rec else 0.0


def _gold(seed: Path) -> dict:
    return json.loads((FIXTURES / "gold" / (seed.stem + ".json")).read_text(encoding="utf-8"))


def _one(text: str) -> dict:
    doc = parse_document(text)
    assert len(doc.measures) == 1, [m.ref for m in doc.measures]
    return doc.measures[0].to_dict()


def _by_ref(text: str) -> dict:
    return {m.ref: m for m in parse_document(text).measures}


# ---- lost line breaks -------------------------------------------------------------------------


@pytest.mark.parametrize("joiner", ["", " "], ids=["glued", "spaced"])
@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem[:3])
def test_seed_without_line_breaks(seed: Path, joiner: str):
    text = seed.read_text(encoding="utf-8").replace("\n", joiner)
    gold = _gold(seed)
    pred = parse_document(text, seed.name).to_dict()
    assert _assignment_f1(gold, pred) >= 0.95
    assert {m["ref"] for m in gold["measures"]} <= {m["ref"] for m in pred["measures"]}


def test_in_text_numbers_are_not_headings_in_a_single_line():
    text = (
        "一、主要任务(一)扩大投资。全年增长3.5%,新增1.2万户,力争1、2月份开工,推进一、二、三产业融合。"
        "(责任单位:市发改委)(二)促进消费。实施2.0版方案。(责任单位:市商务局)"
    )
    refs = [m.ref for m in parse_document(text).measures]
    assert refs == ["1.1", "1.2"]


# ---- task-division tables ---------------------------------------------------------------------

TABLE_CELLS = """附件
重点任务分工表
序号
重点任务
牵头单位
配合单位
完成时限
1
加快建设跨境电商综合试验区,到2026年跨境电商交易额达到100亿元。
市商务局
市发改委、市财政局
2025年6月底前
2
完善城乡物流配送体系。
市交通运输局
长期坚持
3
推进公共数据开放。
市大数据局
市委网信办、各区县政府
2024年12月31日前
"""

TABLE_ROWS = """附件
重点任务分工表
序号\t重点任务\t牵头单位\t配合单位\t完成时限
1\t加快建设跨境电商综合试验区\t市商务局\t市发改委、市财政局\t2025年6月底前
2\t完善城乡物流配送体系\t市交通运输局\t\t2024年底前
3  推进公共数据开放  市大数据局  市委网信办、商务局  2023年
"""


def test_table_one_cell_per_line():
    ms = _by_ref(TABLE_CELLS)
    assert list(ms) == ["1", "2", "3"]
    assert ms["1"].lead == ["市商务局"] and ms["1"].support == ["市发改委", "市财政局"]
    assert "2025-06-30" in ms["1"].deadlines and "2026" in ms["1"].deadlines
    assert ms["1"].targets[0].value == 100 and ms["1"].targets[0].unit == "亿元"
    assert ms["2"].lead == ["市交通运输局"] and ms["2"].support == [] and ms["2"].deadlines == []
    assert ms["3"].support == ["市委网信办", "各区县政府"] and ms["3"].deadlines == ["2024-12-31"]
    assert ms["1"].title == "加快建设跨境电商综合试验区,到2026年跨境电商交易额达到100亿元"


def test_table_rows_split_by_tabs_and_spaces():
    ms = _by_ref(TABLE_ROWS)
    assert list(ms) == ["1", "2", "3"]
    assert ms["1"].deadlines == ["2025-06-30"]
    assert ms["2"].lead == ["市交通运输局"] and ms["2"].deadlines == ["2024"]
    assert ms["3"].lead == ["市大数据局"] and ms["3"].support == ["市委网信办", "市商务局"]
    assert ms["3"].deadlines == ["2023"]
    assert ms["3"].title == "推进公共数据开放"


def test_table_with_responsibility_column_and_groups():
    text = "序号 工作任务 责任单位 完成时间\n一、扩大开放\n1 建设自贸片区 市商务局、市发改委 2025年底前\n"
    text += "2 培育外贸主体 市商务局 长期\n二、优化环境\n3 简化审批 市行政审批局 2024年\n"
    ms = _by_ref(text)
    assert list(ms) == ["1.1", "1.2", "2.3"]
    assert ms["1.1"].lead == ["市商务局"] and ms["1.1"].support == ["市发改委"] and ms["1.1"].lead_inferred
    assert ms["2.3"].deadlines == ["2024"]


# ---- clause layouts ---------------------------------------------------------------------------


def test_standalone_responsibility_lines():
    text = (
        "一、重点任务\n1.发展电商。到2025年网络零售额达到500亿元。\n责任单位:市商务局、市发改委\n"
        "2.发展物流。\n责任单位:市交通运输局\n二、保障措施\n加强领导。\n"
    )
    ms = _by_ref(text)
    assert list(ms) == ["1.1", "1.2"]
    assert ms["1.1"].lead == ["市商务局"] and ms["1.1"].support == ["市发改委"] and ms["1.1"].lead_inferred
    assert ms["1.1"].deadlines == ["2025"]
    assert ms["1.2"].lead == ["市交通运输局"] and not ms["1.2"].lead_inferred


@pytest.mark.parametrize(
    "clause",
    [
        "牵头单位:市商务局;配合单位:市财政局、市税务局",
        "牵头单位:市商务局  配合单位:市财政局、市税务局",
        "牵头单位:市商务局\n配合单位:市财政局、市税务局",
        "牵头单位:市商务局\n配合单位:市财政局、市税务局\n完成时限:2025年6月底前",
        "【牵头单位】市商务局【配合单位】市财政局、市税务局",
        "(牵头单位:市商务局;配合单位:市财政局、市税务局)",
        "(牵头单位∶市商务局;协办单位∶市财政局、市税务局)",
    ],
)
def test_lead_and_support_labels(clause: str):
    m = _one(f"一、任务\n(一)扩大消费。举办购物节。\n{clause}\n")
    assert m["ref"] == "1.1"
    assert m["lead"] == ["市商务局"] and m["support"] == ["市财政局", "市税务局"]
    assert not m["lead_inferred"] and not m["others"]


def test_label_at_the_start_of_the_item():
    text = (
        "一、任务\n1.【牵头单位】市商务局【配合单位】市财政局\n举办购物节,扩大消费。\n"
        "2.【责任单位】市文旅局\n办好节会。\n"
    )
    ms = _by_ref(text)
    assert ms["1.1"].lead == ["市商务局"] and ms["1.1"].support == ["市财政局"]
    assert ms["1.2"].lead == ["市文旅局"]


def test_deadline_line_feeds_deadlines():
    text = (
        "一、任务\n(一)建设平台。\n责任单位:市工信局\n完成时限:2025年6月底前\n"
        "(二)推广应用。\n责任单位:市科技局\n完成时限:长期坚持\n"
    )
    ms = _by_ref(text)
    assert ms["1.1"].deadlines == ["2025-06-30"]
    assert ms["1.2"].deadlines == []


@pytest.mark.parametrize(
    "variant",
    [
        "(一)扩大消费。举办购物节。(责任单位:市商务局、市财政局)",
        "(一)扩大消费。举办购物节。(责任单位:市商务局、市财政局)",
        "(一)扩大消费。举办购物节。(责任单位∶市商务局、市财政局)",
        "(一)扩大消费。举办购物节。﹙责任单位﹕市商务局、市财政局﹚",
        "(一)扩大消费。举办购物节。(责任部门:市商务局、市财政局)",
        "(一)扩大消费。举办购物节。(责任主体:市商务局、市财政局)",
    ],
)
def test_punctuation_variants(variant: str):
    m = _one("一、任务\n" + variant + "\n")
    assert m["ref"] == "1.1" and m["lead"] == ["市商务局"] and m["support"] == ["市财政局"]


@pytest.mark.parametrize(
    ("items", "refs"),
    [
        ("1.建平台。(市工信局负责)\n2.用平台。(市科技局负责)", ["1.1", "1.2"]),
        ("1、建平台。(市工信局负责)\n2、用平台。(市科技局负责)", ["1.1", "1.2"]),
        ("1.建平台。(市工信局负责)\n2.用平台。(市科技局负责)", ["1.1", "1.2"]),
        ("１．建平台。(市工信局负责)\n２．用平台。(市科技局负责)", ["1.1", "1.2"]),
        ("(1)建平台。(市工信局负责)\n(2)用平台。(市科技局负责)", ["1.1", "1.2"]),
        ("①建平台。(市工信局负责)\n②用平台。(市科技局负责)", ["1.1", "1.2"]),
    ],
)
def test_numbering_styles(items: str, refs: list[str]):
    assert list(_by_ref("一、任务\n" + items + "\n")) == refs


def test_articles():
    text = (
        "第一条 为了规范管理,制定本办法。\n第二条 市商务局负责电商统计。(市商务局负责)\n"
        "第三条 推进物流。(市交通运输局负责)\n"
    )
    assert list(_by_ref(text)) == ["2", "3"]


def test_two_clauses_in_one_item_and_trailing_paragraph():
    text = (
        "一、任务\n1. 放宽准入。清理许可。(各相关部门按职责分别负责)规范网约车。(市交通运输局牵头负责)\n"
        "2. 加强监管。开展专项行动。(市市场监管局负责)\n"
        "涉及金融领域的平台,依法监管。(市金融局牵头,人行中心支行等相关部门按职责分别负责)\n"
    )
    ms = _by_ref(text)
    assert list(ms) == ["1.1-1", "1.1-2", "1.2-1", "1.2-2"]
    assert ms["1.1-1"].lead == [] and ms["1.1-1"].others
    assert ms["1.1-2"].lead == ["市交通运输局"] and not ms["1.1-2"].others
    assert ms["1.2-2"].lead == ["市金融局"] and ms["1.2-2"].support == ["人行中心支行"]
    assert ms["1.1-2"].title == "放宽准入"


def test_clause_after_last_sub_item_belongs_to_parent():
    text = (
        "一、任务\n(一)扩大消费。\n1.举办购物节。\n2.发放消费券。\n(责任单位:市商务局)\n"
        "(二)稳定投资。(责任单位:市发改委)\n"
    )
    assert list(_by_ref(text)) == ["1.1", "1.2"]


def test_items_without_clause_raise():
    with pytest.raises(ParseError, match="no responsibility clause"):
        parse_document("一、总体要求\n(一)指导思想。坚持创新。\n(二)发展目标。到2025年,规模达到100亿元。\n")


@pytest.mark.parametrize("text", ["", "   \n\t  ", "\u3000\u3000"])
def test_empty_text_raises(text: str):
    with pytest.raises(ParseError, match="empty"):
        parse_document(text)


# ---- lead and support -------------------------------------------------------------------------


def test_several_before_qianTou_all_lead():
    m = _one("一、任务\n(一)招商。(责任单位:市投资促进局、市人社局牵头,有关单位配合)\n")
    assert m["lead"] == ["市投资促进局", "市人社局"] and m["support"] == [] and m["others"]
    assert not m["lead_inferred"]


def test_first_listed_rule_stated_once():
    text = (
        "一、任务\n1.发展电商。\n责任单位:市商务局、市发改委;列第一位的为牵头单位,下同。\n"
        "2.发展物流。\n责任单位:市交通运输局、市商务局\n"
    )
    ms = _by_ref(text)
    assert ms["1.1"].lead == ["市商务局"] and ms["1.1"].support == ["市发改委"]
    assert not ms["1.1"].lead_inferred and not ms["1.2"].lead_inferred
    assert ms["1.2"].lead == ["市交通运输局"]


def test_first_listed_without_rule_is_inferred():
    m = _one("一、任务\n(一)发展电商。(市商务局、市发改委按职责分工负责,市财政局、市税务局等部门配合)\n")
    assert m["lead"] == ["市商务局"]
    assert m["support"] == ["市发改委", "市财政局", "市税务局"]
    assert m["lead_inferred"] and not m["others"]


def test_join_all_rule():
    text = (
        "以下各项任务均需各区县政府落实,不再一一列出。\n一、任务\n(一)发展电商。(责任单位:市商务局)\n"
        "(二)发展物流。(责任单位:市交通运输局、市发改委)\n"
    )
    ms = _by_ref(text)
    assert ms["1.1"].lead == ["市商务局"] and ms["1.1"].support == ["各区县政府"]
    assert ms["1.2"].support == ["市发改委", "各区县政府"]


def test_dropped_prefix_restored():
    text = "一、任务\n(一)农村电商。(市农业农村局、商务局、市场监管局、供销合作总社等按职责分别负责)\n"
    m = parse_document(text).measures[0]
    assert m.lead == ["市农业农村局"]
    assert m.support == ["市商务局", "市市场监管局", "市供销合作总社"]
    assert m.restored == ["市商务局", "市市场监管局", "市供销合作总社"]
    assert not m.others


def test_prefix_not_given_to_vertical_bodies_or_districts():
    m = _one(
        "一、任务\n(一)金融。(省政府金融办、人行武汉分行、湖北银监局、历下区政府、团市委、发展改革委按职责分别负责)\n"
    )
    assert m["support"] == ["人行武汉分行", "湖北银监局", "历下区政府", "团市委", "省发展改革委"]


def test_province_prefix_restored():
    m = _one("一、任务\n(一)外贸。(牵头单位:省商务厅;参加单位:省财政厅、发展改革委等)\n")
    assert m["support"] == ["省财政厅", "省发展改革委"] and not m["others"]


@pytest.mark.parametrize(
    "helpers",
    ["有关单位", "相关单位", "有关部门", "相关部门", "各相关部门", "各有关部门", "各有关单位", "其他有关单位"],
)
def test_placeholders_set_others(helpers: str):
    m = _one(f"一、任务\n(一)消费。(市商务局牵头,{helpers}配合)\n")
    assert m["lead"] == ["市商务局"] and m["support"] == [] and m["others"]


def test_only_placeholders():
    m = _one("一、任务\n(一)消费。(各相关部门按职责分别负责)\n")
    assert m["lead"] == [] and m["support"] == [] and m["others"] and not m["lead_inferred"]


@pytest.mark.parametrize("tail", ["等", "等部门", "等单位"])
def test_bare_etc_does_not_set_others(tail: str):
    m = _one(f"一、任务\n(一)消费。(市商务局、市财政局{tail}按职责分工负责)\n")
    assert m["support"] == ["市财政局"] and not m["others"]


def test_etc_related_sets_others():
    m = _one("一、任务\n(一)消费。(市商务局、市财政局等相关部门按职责分工负责)\n")
    assert m["support"] == ["市财政局"] and m["others"]


def test_and_lists_two_entries():
    m = _one("一、任务\n(一)治理。\n责任单位:市平台经济工作领导小组办公室及成员单位\n")
    assert m["lead"] == ["市平台经济工作领导小组办公室"]
    assert m["support"] == ["市平台经济工作领导小组成员单位"]
    m = _one("一、任务\n(一)治理。(市发改委牵头,市财政局及历下区政府等有关单位配合)\n")
    assert m["support"] == ["市财政局", "历下区政府"] and m["others"]


def test_collectives_stay_whole():
    m = _one("一、任务\n(一)电商。\n责任单位:市商务局,各区、县(市)政府,各行业主管部门\n")
    assert m["support"] == ["各区、县(市)政府", "各行业主管部门"]


def test_single_collective_leads():
    m = _one("一、任务\n(一)载体。(各地按职责分别负责)\n")
    assert m["lead"] == ["各地"] and not m["lead_inferred"] and not m["others"]


# ---- dates and targets ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("到2027年,全市网络零售额超过1400亿元。", ["2027"]),
        ("2021—2023年,每年新增企业10家。", ["2023"]),
        ("2012~2015年完成改造。", ["2015"]),
        ("2025年,全省快递业务量达到50亿件。", ["2025"]),
        ("2024年底前建成平台。", ["2024"]),
        ("单位能耗比2020年下降13.5%。", []),
        ("改造2000年前建成的老旧小区。", []),
        ("2020年及以前的存量项目纳入清理。", []),
        ("截至2020年底,已建成基站1万个。", []),
        ("落实《2021—2025年数字经济发展规划》要求。", []),
        ("自2024年起实施新标准。", []),
    ],
)
def test_deadlines(sentence: str, expected: list[str]):
    m = _one(f"一、任务\n(一)推进工作。{sentence}(市发改委负责)\n")
    assert m["deadlines"] == expected


def test_targets_with_ranges_and_percent():
    m = _one(
        "一、任务\n(一)平台。到2027年,打造1-2个产业聚集区,普及率超过45%,新增无人车8台、快递柜200组。"
        "对企业给予最高100万元奖励。围绕12条产业链。(市工信局负责)\n"
    )
    assert m["targets"] == [
        {"text": "打造1-2个产业聚集区", "value": 1, "unit": "个", "by": "2027"},
        {"text": "普及率超过45%", "value": 45, "unit": "%", "by": "2027"},
        {"text": "新增无人车8台", "value": 8, "unit": "台", "by": "2027"},
        {"text": "快递柜200组", "value": 200, "unit": "组", "by": "2027"},
    ]


def test_target_decimal_and_no_year():
    m = _one("一、任务\n(一)就业。每年新增就业2.5万人。(市人社局负责)\n")
    assert m["targets"] == [{"text": "每年新增就业2.5万人", "value": 2.5, "unit": "万人", "by": None}]


# ---- metadata ---------------------------------------------------------------------------------


def test_metadata_from_a_covering_notice():
    text = (
        "某市人民政府办公室关于印发某市数字经济发展行动计划(2023—2025年)的通知\n"
        "某政办发〔2023〕12号\n各区县人民政府:\n现印发给你们,请认真贯彻执行。\n某市人民政府办公室\n2023年5月6日\n"
        "某市数字经济发展行动计划(2023—2025年)\n一、重点任务\n(一)建设数据中心。(市大数据局负责)\n"
        "二、保障措施\n由市发改委牵头,定期调度督促,并向市政府报告。本计划自2023年6月1日起施行。\n"
    )
    doc = parse_document(text)
    assert doc.title == "某市数字经济发展行动计划(2023—2025年)"
    assert doc.issuer == "某市人民政府办公室"
    assert doc.doc_number == "某政办发〔2023〕12号"
    assert doc.issued == "2023-05-06" and doc.effective == "2023-06-01"
    assert doc.horizon == 2025 and not doc.draft
    assert doc.coordinator == ["市发改委"]
    assert "定期调度督促" in doc.mechanisms and "向市政府报告" in doc.mechanisms


def test_draft_title_split_over_lines():
    text = "某市推动平台经济\n健康发展的实施意见\n(征求意见稿)\n一、任务\n(一)建设平台。(市工信局负责)\n"
    doc = parse_document(text)
    assert doc.title == "某市推动平台经济健康发展的实施意见" and doc.draft


def test_clause_first_then_task_text():
    text = "一、任务\n1.【牵头单位】市商务局\n到2025年建成平台10个。\n2.【责任单位】市文旅局\n办好节会。\n"
    ms = _by_ref(text)
    assert ms["1.1"].deadlines == ["2025"]
    assert ms["1.1"].targets[0].text == "建成平台10个"
    assert "建成平台10个" in ms["1.1"].text


def test_bare_agency_list_closing_a_paragraph():
    text = "一、任务\n(一)扩大消费。举办购物节(含线上)。(市商务局、市财政局)\n(二)稳定投资。(国办发〔2019〕38号)\n"
    ms = _by_ref(text)
    assert list(ms) == ["1.1"]
    assert ms["1.1"].lead == ["市商务局"] and ms["1.1"].lead_inferred


def test_clause_wrapped_over_lines():
    text = (
        "一、任务\n(一)扩大消费。(责任单位:市商务局、市发改委、\n市财政局)\n"
        "(二)物流。\n责任单位:市交通运输局、\n市邮政管理局\n"
    )
    ms = _by_ref(text)
    assert ms["1.1"].support == ["市发改委", "市财政局"]
    assert ms["1.2"].support == ["市邮政管理局"]
