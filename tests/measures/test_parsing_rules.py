"""One test per kind of failure seen on real plans the parser was not tuned to (issue 9), each on
short synthetic snippets in our own wording. A rule is general or it is not here."""

from __future__ import annotations

import pytest

from measures.parsing import parse_document

PLAN = "某市推进数字经济的实施方案\n"


def measures(text: str) -> dict[str, dict]:
    return {m.ref: m.to_dict() for m in parse_document(text).measures}


def flat(text: str) -> str:
    """As text pasted from a scanned PDF arrives: every line break lost."""
    return text.replace("\n", "")


# ---------------------------------------------------------------- 1. covering notice, attachments

COVERING = """某市人民政府办公室关于印发某市促进夜间经济发展行动方案的通知
各区人民政府,市政府各部门:
现将《某市促进夜间经济发展行动方案》印发给你们,请认真贯彻落实。
附件:1.某市促进夜间经济发展行动方案
2.某市夜间经济重点项目清单
某市人民政府办公室
2021年5月6日
附件1
某市促进夜间经济发展行动方案
一、总体要求
到2023年,建成一批夜间消费集聚区。
二、重点任务
(一)打造夜间消费地标。(责任单位:市商务局、市文旅局)
(二)丰富夜间文化活动。(责任单位:市文旅局)
(三)延长公共交通时间。(责任单位:市交通局)
"""


@pytest.mark.parametrize("shape", [lambda t: t, flat], ids=["lines", "flat"])
def test_an_attachment_list_is_not_the_outline(shape):
    doc = parse_document(shape(COVERING))
    assert [m.ref for m in doc.measures] == ["2.1", "2.2", "2.3"]
    assert doc.title == "某市促进夜间经济发展行动方案"


def test_a_second_attached_document_starts_its_own_outline():
    text = (
        PLAN + "一、总体要求\n推进建设。\n二、重点任务\n加快建设平台。(市工信局负责)\n三、保障措施\n加强领导。\n"
        "某市数字经济人才培育工作计划(2024-2026年)\n一、主要任务\n(一)引进人才。(市人社局负责)\n"
        "(二)培养人才。(市教育局负责)\n"
    )
    assert list(measures(text)) == ["2", "1.1", "1.2"]


def test_a_second_document_is_found_where_line_breaks_were_lost_among_spaces():
    # Line breaks lost and the text spaced out (as PDF extraction leaves it): the second plan's
    # title runs straight into its 一、. The import fuzz found this shape costing seconds per
    # 10,000 characters before the title was looked for only in front of each 一、.
    spaces = "\u3000" * 2000
    text = (
        PLAN
        + "一、总体要求\n推进建设。"
        + spaces
        + "二、重点任务 加快建设平台。(市工信局负责)"
        + spaces
        + "三、保障措施 加强领导。 某市数字经济人才培育工作计划(2024-2026年)一、主要任务 "
        "(一)引进人才。(市人社局负责)(二)培养人才。(市教育局负责)"
    )
    assert list(measures(text)) == ["2", "1.1", "1.2"]


def test_the_covering_letters_own_numbering_does_not_shift_the_plan():
    text = (
        "某县人民政府关于印发某县乡村振兴实施方案的通知\n各乡镇人民政府:\n一、提高认识。\n二、抓好落实。\n"
        "某县人民政府\n2022年3月1日\n附件\n某县乡村振兴实施方案\n一、重点任务\n"
        "(一)发展产业。(县农业农村局牵头,县财政局配合)\n(二)改善环境。(县生态环境分局负责)\n"
    )
    assert list(measures(text)) == ["1.1", "1.2"]


# ---------------------------------------------------------------- 2. a rule stated once for later items


@pytest.mark.parametrize(
    "rule",
    [
        "各区人民政府负责落实以下所有任务,不再单独列出。",
        "以下各项任务均需各区人民政府配合落实。",
        "下列工作都由各区人民政府参与,不再一一列明。",
    ],
)
def test_who_joins_every_later_item_however_it_is_worded(rule):
    text = (
        PLAN + rule + "\n一、重点任务\n(一)建设园区。(责任单位:市工信局、市科技局)\n(二)培育企业。(责任单位:市科技局)\n"
    )
    found = measures(text)
    assert found["1.1"]["support"] == ["市科技局", "各区人民政府"]
    assert found["1.2"]["lead"] == ["市科技局"] and found["1.2"]["support"] == ["各区人民政府"]


def test_who_leads_every_later_item():
    text = (
        PLAN
        + "一、重点任务\n以下任务均由市发展改革委牵头。\n(一)建设园区。(责任单位:市工信局、市科技局)\n(二)培育企业。(责任单位:市科技局)\n"
    )
    found = measures(text)
    assert found["1.1"]["lead"] == ["市发展改革委"] and found["1.1"]["support"] == ["市工信局", "市科技局"]
    assert found["1.2"]["lead"] == ["市发展改革委"] and found["1.2"]["support"] == ["市科技局"]


def test_a_sentence_mentioning_tasks_and_departments_is_no_rule():
    text = (
        PLAN
        + "要加强统筹,督促各部门实施、落实各项工作分工。\n一、重点任务\n(一)建设园区。(责任单位:市工信局、市科技局)\n"
    )
    assert measures(text)["1.1"]["support"] == ["市科技局"]


def test_the_names_before_the_first_comma_lead_when_the_document_says_so():
    text = (
        PLAN
        + "各项任务中逗号前的单位为牵头单位。\n一、重点任务\n(一)建设园区。(责任单位:市工信局、市科技局,市财政局)\n"
    )
    m = measures(text)["1.1"]
    assert (m["lead"], m["support"], m["lead_inferred"]) == (["市工信局", "市科技局"], ["市财政局"], False)


# ---------------------------------------------------------------- 3. collective names


@pytest.mark.parametrize(
    ("clause", "support"),
    [
        ("牵头单位:市工信局,配合单位:市财政局,各区、县级市", ["市财政局", "各区、县级市"]),
        ("牵头单位:市发改委;配合单位:各有关区、县级市", ["各有关区、县级市"]),
        ("市商务局牵头,各镇、街道配合", ["各镇、街道"]),
        ("牵头单位:市工信局;配合单位:各区,县级市政府", ["各区,县级市政府"]),
    ],
)
def test_a_collective_name_with_a_separator_stays_whole(clause, support):
    m = measures(PLAN + f"一、重点任务\n(一)建设园区。({clause})\n")["1.1"]
    assert m["support"] == support


# ---------------------------------------------------------------- 4. prefix restoration


def test_prefixes_are_restored_within_one_list_only():
    m = measures(PLAN + "一、重点任务\n(一)建设园区。(牵头单位:市工信局;配合单位:财政局、市商务局、科技局)\n")["1.1"]
    # 财政局 opens its own list: nothing in that list before it carries a prefix.
    assert m["support"] == ["财政局", "市商务局", "市科技局"]


def test_a_name_of_another_level_or_with_its_own_place_keeps_its_spelling():
    m = measures(PLAN + "一、重点任务\n(一)建设园区。(责任单位:市科技局、济南海关、章丘区政府、发改委)\n")["1.1"]
    assert m["support"] == ["济南海关", "章丘区政府", "市发改委"]


# ---------------------------------------------------------------- 5. lead marks


@pytest.mark.parametrize("marked", ["*市工信局", "市工信局*", "★市工信局", "市工信局＊"])
def test_a_marked_name_leads_and_loses_its_mark(marked):
    m = measures(PLAN + f"一、重点任务\n(一)建设园区。(责任单位:市财政局、{marked}、市科技局)\n")["1.1"]
    assert (m["lead"], m["support"], m["lead_inferred"]) == (["市工信局"], ["市财政局", "市科技局"], False)


# ---------------------------------------------------------------- 6. numbering variants


def test_a_full_stop_after_the_number():
    text = (
        PLAN
        + "一、重点任务\n1。建设园区。(责任单位:市工信局)\n2。培育企业。(责任单位:市科技局)\n3。做强平台。(责任单位:市商务局)\n"
    )
    assert list(measures(text)) == ["1.1", "1.2", "1.3"]


@pytest.mark.parametrize("shape", [lambda t: t, flat], ids=["lines", "flat"])
def test_an_item_whose_text_opens_with_digits(shape):
    text = (
        PLAN
        + "一、重点任务\n1.建设园区。(责任单位:市工信局)\n2.12345热线提质。(责任单位:市政务服务中心)\n3.2025人才工程。(责任单位:市人社局)\n"
    )
    assert list(measures(shape(text))) == ["1.1", "1.2", "1.3"]


def test_a_decimal_in_a_sentence_is_not_an_item():
    text = PLAN + "一、重点任务\n1.建设园区。增长2.5个百分点。(责任单位:市工信局)\n2.培育企业。(责任单位:市科技局)\n"
    assert list(measures(text)) == ["1.1", "1.2"]


def test_numbers_that_run_across_sections_keep_their_own_values():
    text = (
        PLAN
        + "一、改革\n1.建设园区。(责任单位:市工信局)\n2.培育企业。(责任单位:市科技局)\n二、开放\n3.做强平台。(责任单位:市商务局)\n"
    )
    assert list(measures(text)) == ["1.1", "1.2", "2.3"]


def test_numbering_that_restarts_per_section():
    text = (
        PLAN
        + "一、改革\n1.建设园区。(责任单位:市工信局)\n2.培育企业。(责任单位:市科技局)\n二、开放\n1.做强平台。(责任单位:市商务局)\n"
    )
    assert list(measures(text)) == ["1.1", "1.2", "2.1"]


def test_items_past_ninety_nine():
    text = PLAN + "\n".join(f"{i}. 第{i}项措施。(责任单位:市商务局)" for i in range(1, 121))
    assert list(measures(text))[-3:] == ["118", "119", "120"]


@pytest.mark.parametrize("shape", [lambda t: t, flat], ids=["lines", "flat"])
def test_an_enumeration_inside_one_sentence_is_not_an_outline_level(shape):
    text = (
        PLAN
        + "一、重点任务\n(一)建设园区。重点做好三项工作:(1)规划;(2)招商;(3)运营。(责任单位:市工信局)\n(二)培育企业。(责任单位:市科技局)\n"
    )
    assert list(measures(shape(text))) == ["1.1", "1.2"]


def test_sub_items_with_clauses_of_their_own_are_an_outline_level():
    text = (
        PLAN
        + "一、重点任务\n(一)建设园区。\n(1)规划。编好规划。(责任单位:市工信局)\n(2)招商。引进企业。(责任单位:市商务局)\n"
    )
    assert list(measures(text)) == ["1.1.1", "1.1.2"]


# ---------------------------------------------------------------- 7. brackets


@pytest.mark.parametrize("open_, close", [("〔", "〕"), ("[", "]"), ("【", "】"), ("(", ")")])
def test_a_clause_in_any_bracket(open_, close):
    m = measures(PLAN + f"一、重点任务\n(一)建设园区。{open_}责任单位:市工信局、市财政局{close}\n")["1.1"]
    assert (m["lead"], m["support"]) == (["市工信局"], ["市财政局"])


def test_a_scope_note_that_belongs_to_the_name_stays():
    m = measures(PLAN + "一、重点任务\n(一)优化环境。(责任单位:市发改委(市营商环境办)、市财政局)\n")["1.1"]
    assert m["lead"] == ["市发改委(市营商环境办)"]


# ---------------------------------------------------------------- 8. a sentence after the list


def test_a_remark_after_the_list_is_not_a_name():
    text = (
        PLAN + "一、重点任务\n(一)建设园区。(责任单位:市工信局、市财政局,各区县要结合实际抓好落实)\n"
        "(二)培育企业。(责任单位:市科技局,2025年底前完成)\n(三)做强平台。(责任单位:市商务局、市应急管理局,此项纳入年度考核)\n"
    )
    found = measures(text)
    assert found["1.1"]["support"] == ["市财政局"]
    assert (found["1.2"]["support"], found["1.2"]["deadlines"]) == ([], ["2025"])
    assert found["1.3"]["support"] == ["市应急管理局"]  # 应 in a name is not a remark


def test_by_duty_before_the_support_verb_is_not_part_of_the_name():
    m = measures(PLAN + "一、重点任务\n(一)建设园区。(市商务局牵头,市统计局、市税务局按职责分工配合)\n")["1.1"]
    assert (m["lead"], m["support"]) == (["市商务局"], ["市统计局", "市税务局"])


# ---------------------------------------------------------------- labels offices vary


@pytest.mark.parametrize("label", ["牵头单位", "牵头考核单位", "牵头督办单位", "牵头责任单位"])
def test_words_inserted_into_the_lead_label(label):
    m = measures(PLAN + f"一、重点任务\n(一)建设园区。({label}:市工信局、市科技局)\n")["1.1"]
    assert (m["lead"], m["support"]) == (["市工信局", "市科技局"], [])


@pytest.mark.parametrize("note", ["6月底完成", "持续推进", "5月底取得阶段性成效并持续推进", "2024年底前完成"])
def test_a_time_note_before_the_label(note):
    m = measures(PLAN + f"一、重点任务\n(一)建设园区。({note},牵头单位:市林业局、园林局)\n")["1.1"]
    assert m["lead"] == ["市林业局", "市园林局"]


def test_an_attachment_of_tables_restarts_the_outline_after_the_letters_own_items():
    text = (
        "某市数字政府建设考评办法\n一、考评对象\n各区政府。\n二、考评方式\n年度考评。\n附件:\n某市数字政府建设考评指标\n"
        "附件\n某市数字政府建设考评指标\n一、政务服务(25分)\n(一)网上办(2分)\n1.全面开通网办。(6月底完成,牵头考核单位:市审批局)\n"
    )
    assert list(measures(text)) == ["1.1.1"]


def test_radicals_of_a_pdf_text_layer_read_as_characters():
    from measures.readers import read_bytes

    text = read_bytes(
        "⼀、任务\n(⼀)建设。(责任单位:市⻝品药品监管局)\n".encode(), name="a.txt", max_bytes=1 << 20
    ).text
    assert text.startswith("一、任务") and "市食品药品监管局" in text


def test_hard_wrapped_lines_are_joined_before_parsing():
    from measures.readers import read_bytes

    body = "(一)推进就业。年均开发公益岗位,优先安排就业困难人员,全面落实各项补贴政策并扩大覆盖范围。(牵头单位:市人力资源和社会保障局,配合单位:市财政局,各区、县级市政府)"
    # Wrapped at 25 characters: the breaks fall inside 牵头单|位 and between 各|区、县级市政府.
    width = 25
    paragraphs = [body.replace("(一)", f"({n})") for n in "一二三四五六七八九十"]
    wrapped = "\n".join(p[i : i + width] for p in paragraphs for i in range(0, len(p), width))
    assert "牵头单\n位" in wrapped
    text = read_bytes((PLAN + "一、就业\n" + wrapped).encode(), name="a.txt", max_bytes=1 << 20).text
    m = measures(text)["1.1"]
    assert m["lead"] == ["市人力资源和社会保障局"] and m["support"] == ["市财政局", "各区、县级市政府"]


# ---------------------------------------------------------------- doubts: say when unsure


def _doubts(text: str) -> dict[str, tuple[list[str], float]]:
    return {m.ref: (m.doubts, m.confidence) for m in parse_document(text).measures}


def test_every_doubt_has_a_label_and_a_weight():
    from measures.models import Measure
    from measures.parsing.doubts import WEIGHTS

    assert set(WEIGHTS) == set(Measure.Doubt.values)


def test_a_clean_measure_is_sure_and_each_doubt_lowers_the_confidence():
    text = PLAN + (
        "一、重点任务\n(一)建设园区。(牵头单位:市工信局;配合单位:市财政局)\n"
        "(二)培育企业。(责任单位:市科技局、财政局)\n"
        "(三)做强平台。(有关单位负责)\n"
    )
    found = _doubts(text)
    assert found["1.1"] == ([], 1.0)
    assert found["1.2"][0] == ["restored_prefix", "inferred_lead"] and found["1.2"][1] < 1.0
    assert "no_lead" in found["1.3"][0] and found["1.3"][1] < found["1.2"][1]


def test_a_rule_like_sentence_no_rule_read_is_flagged_on_the_items_after_it():
    text = PLAN + "下列事项由牵头部门会同属地统筹安排落实。\n一、重点任务\n(一)建设园区。(责任单位:市工信局)\n"
    assert "rule_unread" in _doubts(text)["1.1"][0]


def test_a_rule_read_is_said_on_the_items_it_changed():
    text = PLAN + "以下各项任务均需各区人民政府配合落实。\n一、重点任务\n(一)建设园区。(责任单位:市工信局)\n"
    doubts, _confidence = _doubts(text)["1.1"]
    assert "rule_applied" in doubts and "rule_unread" not in doubts


def test_two_measures_with_one_ref_are_told_apart_and_flagged():
    text = (
        PLAN
        + "一、重点任务\n(一)建设园区。(责任单位:市工信局)\n"
        + "某市人才工作计划\n一、重点任务\n(一)引进人才。(责任单位:市人社局)\n"
    )
    found = _doubts(text)
    assert set(found) == {"1.1", "1.1#2"} and "duplicate_ref" in found["1.1#2"][0]


def test_a_remark_read_out_of_the_names_is_flagged():
    text = PLAN + "一、重点任务\n(一)建设园区。(责任单位:市工信局,各区县要结合实际抓好落实)\n"
    assert "remark_dropped" in _doubts(text)["1.1"][0]


def test_a_document_the_covering_notice_announced_starts_its_outline_without_line_breaks():
    text = (
        "某省人民政府办公厅关于印发甲若干政策和乙行动计划的通知 各市人民政府: 《甲若干政策》《乙行动计划》现印发给你们。"
        "某省人民政府办公厅 2021年9月2日 甲若干政策 一、支持平台 建设平台。(省经信厅负责) 二、支持企业 改造设备。(省财政厅负责)"
        "本政策自2021年起执行。乙行动计划 为推动发展,制定本计划。一、总体要求 到2023年建成体系。二、重点任务 (一)网络行动。(省通信管理局负责)"
    )
    assert list(measures(text)) == ["1", "2", "2.1"]


def test_a_sub_district_body_keeps_its_own_place_name():
    m = measures(PLAN + "一、重点任务\n(一)建设园区。(责任单位:区发改委、区建管委,城东街道管理办、城西街道管理办)\n")[
        "1.1"
    ]
    assert m["support"] == ["区建管委", "城东街道管理办", "城西街道管理办"]


def test_the_title_of_a_forwarded_plan():
    text = (
        "某市人民政府办公厅转发市住房城乡建设委、市房屋局《关于推进物业服务提质的实施意见》的通知\n各区人民政府:\n"
        "现转发给你们,请认真按照执行。\n关于推进物业服务提质的实施意见\n市住房城乡建设委 市房屋局\n"
        "一、重点任务\n(一)规范服务。(责任单位:市房屋局)\n"
    )
    assert parse_document(text).title == "关于推进物业服务提质的实施意见"


@pytest.mark.parametrize(
    "clause",
    [
        "责任单位:市商务局;持续推进",
        "市商务局负责,长期坚持",
        "责任单位:市商务局、持续推进",
        "责任单位:市商务局 持续推进",
    ],
)
def test_a_phrase_of_when_or_how_is_never_an_agency(clause):
    m = measures(PLAN + f"一、重点任务\n(一)建设园区。({clause})\n")["1.1"]
    assert (m["lead"], m["support"]) == (["市商务局"], [])
