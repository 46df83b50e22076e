"""A third set of hand-annotated documents: task-division tables whose line breaks were lost.

See unseen3/README.md.  Scored like test_parsing_unseen.py and test_parsing_unseen2.py, plus
the flattened copies of unseen2's two tables (v07, v08) against their own gold, and a .docx
with a real Word table read by measures.readers.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from corpus import assert_meets_the_bar, gold

from measures.parsing import parse_document

HERE = Path(__file__).resolve().parent


# unseen2's two task tables with their line breaks lost: the gold does not change.
FLATTENED = [
    ("v07_table_cell_notes", " "),
    ("v07_table_cell_notes", ""),
    ("v08_body_and_task_table", " "),
    ("v08_body_and_task_table", ""),
]


@pytest.mark.parametrize(("stem", "joiner"), FLATTENED, ids=lambda v: v if v.strip() else repr(v))
def test_unseen2_tables_with_line_breaks_lost(stem: str, joiner: str):
    src = HERE / "unseen2" / f"{stem}.txt"
    text = re.sub(r"[\t\n]+", joiner, src.read_text(encoding="utf-8"))
    assert_meets_the_bar(gold(src), parse_document(text, src.name).to_dict())


# ---- a .docx with a real Word table ------------------------------------------------------------

DOCX_BODY = [
    "娄底市人民政府办公室关于印发娄底市推进制造业数字化转型实施方案的通知",
    "娄政办发〔2024〕15号",
    "各县市区人民政府，市直各单位：",
    "《娄底市推进制造业数字化转型实施方案》已经市人民政府同意，现印发给你们，请认真贯彻执行。",
    "娄底市人民政府办公室",
    "2024年8月20日",
    "娄底市推进制造业数字化转型实施方案",
    "一、工作目标",
    "到2026年，全市规模以上工业企业数字化改造覆盖率达到80%。",
    "二、重点任务",
    "各项任务分工详见附件。",
    "附件",
    "重点任务分工表",
]
# (序号, 重点任务, 牵头单位, 配合单位, 完成时限); a str row is a group row merged across the table.
# "\n" in a task is a soft line break inside the cell, "\n\n" a second paragraph.
DOCX_ROWS: list = [
    "一、夯实数字基础",
    (
        "1",
        "建设工业互联网标识解析二级节点，\n接入企业200家",
        "市工业和信息化局",
        "市大数据局、市通信发展管理办公室",
        "2025年底前",
    ),
    ("2", "推进5G网络向工业园区延伸，新建5G基站800个", "市通信发展管理办公室", "各县市区人民政府", "2024年底前"),
    "二、推动企业转型",
    (
        "3",
        "实施“智改数转”三年行动，\n\n2024年启动首批100家企业改造",
        "市工业和信息化局",
        "市财政局、市科技局",
        "2026年底前",
    ),
    ("4", "培育数字化转型服务商10家", "市工业和信息化局", "", "持续推进"),
    ("5", "设立数字化转型专项资金，每年安排资金5000万元", "市财政局", "市工业和信息化局", "每年"),
]
DOCX_GOLD = {
    "measures": [
        {
            "ref": "1.1",
            "lead": ["市工业和信息化局"],
            "support": ["市大数据局", "市通信发展管理办公室"],
            "others": False,
            "deadlines": ["2025"],
        },
        {
            "ref": "1.2",
            "lead": ["市通信发展管理办公室"],
            "support": ["各县市区人民政府"],
            "others": False,
            "deadlines": ["2024"],
        },
        {
            "ref": "2.3",
            "lead": ["市工业和信息化局"],
            "support": ["市财政局", "市科技局"],
            "others": False,
            "deadlines": ["2026"],
        },
        {"ref": "2.4", "lead": ["市工业和信息化局"], "support": [], "others": False, "deadlines": []},
        {"ref": "2.5", "lead": ["市财政局"], "support": ["市工业和信息化局"], "others": False, "deadlines": []},
    ]
}


def _build_docx(path: Path) -> None:
    docx = pytest.importorskip("docx")
    doc = docx.Document()
    for line in DOCX_BODY:
        doc.add_paragraph(line)
    table = doc.add_table(rows=2 + len(DOCX_ROWS), cols=5)
    for col, word in enumerate(["序号", "重点任务", "责任单位", "", "完成时限"]):
        table.cell(0, col).text = word
    table.cell(1, 2).text = "牵头单位"
    table.cell(1, 3).text = "配合单位"
    table.cell(0, 2).merge(table.cell(0, 3))  # 责任单位 over 牵头单位 / 配合单位
    for col in (0, 1, 4):
        table.cell(0, col).merge(table.cell(1, col))
    for r, row in enumerate(DOCX_ROWS, start=2):
        if isinstance(row, str):
            merged = table.cell(r, 0).merge(table.cell(r, 4))
            merged.text = row
            continue
        for col, value in enumerate(row):
            cell = table.cell(r, col)
            paragraphs = value.split("\n\n")
            cell.text = ""
            for k, para in enumerate(paragraphs):
                p = cell.paragraphs[0] if k == 0 else cell.add_paragraph()
                for j, piece in enumerate(para.split("\n")):
                    run = p.add_run(piece)
                    if j < para.count("\n"):
                        run.add_break()
    doc.add_paragraph("娄底市人民政府办公室 2024年8月20日印发")
    doc.save(str(path))


def test_a_docx_task_table_through_the_reader(tmp_path: Path):
    from measures.readers import read_document

    path = tmp_path / "娄底制造业数字化转型.docx"
    _build_docx(path)
    text = read_document(path, max_bytes=5 * 1024 * 1024).text
    assert "重点任务分工表" in text and "\t" in text
    pred = parse_document(text, path.name).to_dict()
    assert_meets_the_bar(DOCX_GOLD, pred)
    by_ref = {m["ref"]: m for m in pred["measures"]}
    assert list(by_ref) == ["1.1", "1.2", "2.3", "2.4", "2.5"]
    assert by_ref["2.3"]["deadlines"] == ["2026"]  # 2024年启动 is when the work starts
    assert not any(m["lead_inferred"] for m in pred["measures"])


# ---- the general rules these documents needed ---------------------------------------------------


def _by_ref(text: str) -> dict:
    return {m.ref: m for m in parse_document(text).measures}


HEAD = "附件 重点任务分工表 序号 重点任务 牵头单位 配合单位 完成时限 "


@pytest.mark.parametrize("joiner", [" ", ""])
def test_rows_are_cut_at_the_running_number_not_at_numbers_in_the_task(joiner: str):
    rows = [
        ["1", "加快5G网络建设，新建5G基站1000个", "市工业和信息化局", "市住房城乡建设局、市城市管理局", "2025年底前"],
        ["2", "压缩办理时限至3个工作日，2个事项试点", "市政务服务中心", "各县市区人民政府", "持续推进"],
        ["3", "开放数据集4类300个", "市大数据局", "2026年底前"],
        ["4", "组织开展评估", "市统计局", "市大数据局", "每年"],
    ]
    text = HEAD.replace(" ", joiner) + joiner.join(joiner.join(r) for r in rows)
    ms = _by_ref(text)
    assert list(ms) == ["1", "2", "3", "4"]
    assert ms["1"].support == ["市住房城乡建设局", "市城市管理局"] and ms["1"].deadlines == ["2025"]
    assert ms["2"].lead == ["市政务服务中心"] and ms["2"].support == ["各县市区人民政府"]
    assert ms["3"].lead == ["市大数据局"] and ms["3"].support == [] and ms["3"].deadlines == ["2026"]
    assert ms["4"].lead == ["市统计局"] and not ms["4"].lead_inferred


@pytest.mark.parametrize(
    ("cells", "lead", "support"),
    [
        ("以内市市场监管局市公安局、市税务局", ["市市场监管局"], ["市公安局", "市税务局"]),
        ("供电服务国网娄底供电公司市发展改革委", ["国网娄底供电公司"], ["市发展改革委"]),
        ("结算规模。人民银行娄底市分行市金融办、各商业银行", ["人民银行娄底市分行"], ["市金融办", "各商业银行"]),
        ("数据服务市城市管理局各县市区人民政府", ["市城市管理局"], ["各县市区人民政府"]),
    ],
)
def test_two_glued_agency_cells_are_told_apart(cells: str, lead: list, support: list):
    text = "娄底市人民政府办公室印发。" + HEAD.replace(" ", "") + "1推进工作" + cells + "2024年底前"
    m = _by_ref(text)["1"]
    assert (m.lead, m.support) == (lead, support)


def test_a_two_row_header_and_numbering_restarting_in_each_group():
    text = (
        "序号 重点任务 责任单位 完成 时限 牵头单位 配合单位 一、厕所革命 "
        "1 新建厕所2万户 市农业农村局 市卫生健康委 2025年底前 "
        "2 建立管护机制 市农业农村局 各县市区人民政府 长期坚持 二、垃圾治理 "
        "1 建设转运站20座 市住房城乡建设局 市城市管理局 2024年"
    )
    ms = _by_ref(text)
    assert list(ms) == ["1.1", "1.2", "2.1"]
    assert ms["2.1"].lead == ["市住房城乡建设局"] and ms["2.1"].support == ["市城市管理局"]
    assert not ms["2.1"].lead_inferred and ms["2.1"].deadlines == ["2024"]


def test_a_page_number_and_a_repeated_header_inside_a_glued_table():
    text = (
        HEAD.replace(" ", "")
        + "1推进城乡供水一- 3 -体化市水利局市财政局2025年底前- 4 -"
        + HEAD.replace(" ", "")[9:]
        + "2新建乡镇商贸中心12个市商务局市供销合作社2025年6月底前"
    )
    ms = _by_ref(text)
    assert list(ms) == ["1", "2"]
    assert ms["1"].lead == ["市水利局"] and ms["1"].support == ["市财政局"]
    assert ms["2"].deadlines == ["2025-06-30"]


@pytest.mark.parametrize(
    ("phrase", "deadlines"),
    [
        ("2024年启动试点，2025年全面推广", ["2025"]),
        ("自2024年起，每年新增线路5条", []),
        ("2024年起分期推进", []),
        ("2024年开工建设，2026年建成投用", ["2026"]),
        ("2024年底前启动积分落户制度", ["2024"]),
        ("到2025年启动二期工程", ["2025"]),
        ("从2025年开始，新建学校同步配建托育设施", []),
    ],
)
def test_start_years_are_not_deadlines(phrase: str, deadlines: list):
    ms = _by_ref(f"一、任务\n(一)推进改造。{phrase}。(市住建局负责)\n")
    assert ms["1.1"].deadlines == deadlines


def test_a_page_number_glued_to_the_next_row_number():
    text = HEAD.replace(" ", "") + "1推进供水市水利局市财政局2025年底前- 5 -2新建商贸中心12个市商务局市供销合作社2024年"
    ms = _by_ref(text)
    assert list(ms) == ["1", "2"] and ms["2"].lead == ["市商务局"] and ms["2"].deadlines == ["2024"]
