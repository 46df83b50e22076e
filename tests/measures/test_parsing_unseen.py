"""Documents the parser was not developed on: other places, topics and layouts, hand-annotated.

Each `unseen/<name>.txt` has its gold `unseen/<name>.json` (the extraction contract).  The
u09-u13 files are flattened copies of u01/u05/u07/u02/u06 as text pasted from scanned PDFs
(line breaks lost, page numbers, running headers and stray spaces inserted) with the same gold.
"""

from __future__ import annotations

import pytest

from measures.parsing import parse_document

# ---- the general rules these documents needed, one by one -------------------------------------


def _by_ref(text: str) -> dict:
    return {m.ref: m for m in parse_document(text).measures}


def test_page_numbers_and_running_headers_are_blanked():
    header = "某市人民政府行政规范性文件"
    text = (
        "一、任务(一)扩大消费。举办购物节。(牵头单位:市商务局;配合单位:市发展- 2 -" + header + "改革委、市财政局)"
        "(二)稳定投资。加快项目建设,完成投资100亿元。(市发展改革委、市财政局-3-按职责分工负责)"
        "(三)优化环境。— 4 —" + header + "简化审批。(市行政审批局负责)"
    )
    ms = _by_ref(text)
    assert list(ms) == ["1.1", "1.2", "1.3"]
    assert ms["1.1"].support == ["市发展改革委", "市财政局"]
    assert ms["1.2"].support == ["市财政局"]
    assert header not in ms["1.3"].text


def test_page_number_lines_inside_a_table():
    text = (
        "序号\n重点任务\n责任单位\n完成时限\n1\n建设平台。\n市工信局、市财政局\n2024年底前\n- 2 -\n"
        "2\n推广应用。\n市科技局\n长期坚持\n"
    )
    ms = _by_ref(text)
    assert list(ms) == ["1", "2"] and ms["1"].support == ["市财政局"] and ms["2"].lead == ["市科技局"]


@pytest.mark.parametrize("helpers", ["市直各有关部门", "市各有关部门", "省直有关部门", "市级有关部门", "区有关单位"])
def test_level_prefixed_placeholders(helpers: str):
    ms = _by_ref(f"一、任务\n(一)消费。(市商务局牵头,{helpers}配合)\n")
    assert ms["1.1"].lead == ["市商务局"] and ms["1.1"].support == [] and ms["1.1"].others


def test_responsible_units_after_a_lead_label_support_it():
    text = (
        "一、任务\n1.发展电商。\n牵头单位:市商务局\n责任单位:市财政局、市税务局\n"
        "2.发展物流。\n【牵头单位】市交通局【责任单位】市邮政局\n"
    )
    ms = _by_ref(text)
    assert list(ms) == ["1.1", "1.2"]
    assert ms["1.1"].lead == ["市商务局"] and ms["1.1"].support == ["市财政局", "市税务局"]
    assert ms["1.2"].lead == ["市交通局"] and ms["1.2"].support == ["市邮政局"]


def test_names_opening_with_the_documents_place_keep_no_prefix():
    text = "某某市人民政府办公厅\n一、任务\n(一)住房。(市住建局、某某住房公积金管理中心、财政局按职责分工负责)\n"
    ms = _by_ref(text)
    assert ms["1.1"].support == ["某某住房公积金管理中心", "市财政局"]


def test_flat_label_list_stops_where_prose_resumes():
    text = "一、任务1.强化保障。统筹资金。【责任单位】市财政局、市商务局各区县、各部门要细化工作方案,抓好落实。"
    ms = _by_ref(text)
    assert ms["1.1"].lead == ["市财政局"] and ms["1.1"].support == ["市商务局"]


def test_inline_circled_and_spaced_numbering():
    text = "一、任务\n( 一)电子信息。①建集群。(市工信局负责)②扩产能。(市发改委负责)\n"
    assert list(_by_ref(text)) == ["1.1.1", "1.1.2"]


def test_clause_after_sub_items_in_spaced_flat_text():
    text = "一、任务 (一)企业创新 1.培育高企。 2.加大研发。 (市科技局牵头,市财政局配合) (二)成果转化。(市科技局负责)"
    assert list(_by_ref(text)) == ["1.1", "1.2"]
