"""The bulletin (通报) as a Word document in the usual official layout, from the same figures as the
page and the Excel workbook (tracker.bulletin.round_bulletin): a red-headed title, a 文号 line to
fill in, the overall progress, who has not filed, what is overdue by agency, and next steps."""

import re
from typing import BinaryIO

import docx
from django.utils.translation import gettext as _
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from .assessment import period_label, ranking_table
from .bulletin import Bulletin, level_label
from .bulletin_template import bulletin_context, render
from .models import BulletinTemplate

# Official documents are set in 仿宋 (body) and 小标宋/黑体 (titles); Word falls back where absent.
BODY_FONT = "仿宋_GB2312"
TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
# Control characters (form feeds from PDF extraction in a measure's title, say) are not allowed in
# Word's XML: python-docx refuses the whole run, and the download would fail.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value) -> str:
    return _NOT_XML.sub("", str(value))


def _font(run, name: str, size: float, *, bold: bool = False, color: RGBColor | None = None) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    run.element.rPr.rFonts.set(qn("w:eastAsia"), name)  # the font for the Chinese characters
    if color is not None:
        run.font.color.rgb = color


def _paragraph(document, text: str, *, font: str = BODY_FONT, size: float = 16, bold: bool = False, center=False):
    paragraph = document.add_paragraph()
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(paragraph.add_run(_text(text)), font, size, bold=bold)
    return paragraph


def _table(document, header: list[str], rows: list[tuple]) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        _font(cell.paragraphs[0].add_run(_text(text)), HEADING_FONT, 12)
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            _font(cell.paragraphs[0].add_run(_text(value)), BODY_FONT, 12)


def bulletin_docx(bulletin: Bulletin, stream: BinaryIO) -> None:
    """In the jurisdiction's own template when it has one, else in the built-in layout."""
    template = BulletinTemplate.objects.filter(jurisdiction_id=bulletin.round.document.jurisdiction_id).first()
    if template is not None:
        with template.file.open("rb") as source:
            render(source, bulletin_context(bulletin), stream)
        return
    document = docx.Document()
    header = document.add_paragraph()
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(header.add_run(_("督办通报")), TITLE_FONT, 26, bold=True, color=RGBColor(0xC0, 0x00, 0x00))
    _paragraph(document, _("〔    〕第   号"), center=True)  # the office fills in its number
    _paragraph(document, bulletin.title, font=TITLE_FONT, size=22, center=True)

    expected = sum(a.expected for a in bulletin.agencies)
    filed = sum(a.filed for a in bulletin.agencies)
    missing_agencies = sum(1 for a in bulletin.agencies if a.missing)
    round_ = bulletin.round
    _paragraph(document, _("一、总体情况"), font=HEADING_FONT)
    _paragraph(
        document,
        _(
            "《%(doc)s》本轮调度“%(round)s”报送截止日期为 %(due)s。截至 %(today)s,应报送 %(expected)d 项,"
            "已报送 %(filed)d 项,未报送 %(missing)d 项(涉及 %(agencies)d 个单位);逾期未完成任务 %(overdue)d 项。"
        )
        % {
            "doc": round_.document,
            "round": round_.title,
            "due": round_.due_date.isoformat(),
            "today": bulletin.today.isoformat(),
            "expected": expected,
            "filed": filed,
            "missing": expected - filed,
            "agencies": missing_agencies,
            "overdue": len(bulletin.overdue),
        },
    )
    _paragraph(document, _("二、各单位报送情况"), font=HEADING_FONT)
    _table(
        document,
        [_("单位"), _("应报"), _("已报"), _("未报"), _("逾期任务"), _("黄色督办"), _("红色督办")],
        [(a.agency, a.expected, a.filed, a.missing, a.overdue, a.yellow, a.red) for a in bulletin.agencies],
    )
    if bulletin.missing:
        _paragraph(document, _("三、未报送事项"), font=HEADING_FONT)
        _table(
            document,
            [_("单位"), _("任务"), _("角色")],
            [
                (e.agency.name, f"{e.task.measure.ref} {e.task.measure.title}", e.get_role_display())
                for e in bulletin.missing
            ],
        )
    if bulletin.overdue:
        _paragraph(document, _("四、逾期任务"), font=HEADING_FONT)
        _table(
            document,
            [_("任务"), _("牵头单位"), _("完成时限"), _("逾期天数"), _("督办")],
            [
                (
                    f"{o.task.measure.ref} {o.task.measure.title}",
                    o.lead,
                    o.task.due_date.isoformat(),
                    o.days,
                    level_label(o.level),
                )
                for o in bulletin.overdue
            ],
        )
    ranking = bulletin.ranking
    if ranking is not None:
        _paragraph(document, _("五、考核排名"), font=HEADING_FONT)
        _paragraph(
            document,
            _("%(period)s考核(统计截至 %(cutoff)s):红榜 %(red)s;黑榜 %(black)s。")
            % {
                "period": period_label(ranking.period),
                "cutoff": ranking.cutoff.isoformat(),
                "red": "、".join(r.agency for r in ranking.red) or _("无"),
                "black": "、".join(r.agency for r in ranking.black) or _("无"),
            },
        )
        _table(document, *ranking_table(ranking))
    _paragraph(document, _("六、下一步工作") if ranking is not None else _("五、下一步工作"), font=HEADING_FONT)
    _paragraph(
        document,
        _("请未报送单位于收到本通报后 3 个工作日内补报;逾期任务的牵头单位说明原因,提出整改措施和完成时限。"),
    )
    document.save(stream)
