"""The bulletin (通报) in a jurisdiction's own Word layout. A coordinator uploads a .docx holding
docxtpl tags (`{{ title }}`, `{%tr for a in agencies %}` rows …); it is rendered with the figures of
tracker.bulletin.round_bulletin as plain data, in Jinja's sandbox with undefined names an error, so a
template can neither reach the application's objects nor silently print blanks. An upload is
rendered once with sample figures before it is kept: a broken template is refused with Jinja's
reason, never stored."""

import io
from typing import BinaryIO

import docx
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from .assessment import period_label
from .bulletin import Bulletin, level_label

MAX_BYTES = 2 * 1024 * 1024

SYNTAX_HELP = gettext_lazy(
    "模板使用 docxtpl 语法:{{ 变量 }} 填写数值,表格行用 {%tr for a in agencies %} … {%tr endfor %},"
    "段落用 {%p for … %} … {%p endfor %}。上传时先用示例数据试填,有误的模板不会启用。"
)

VARIABLES = {
    "title": gettext_lazy("通报标题"),
    "document": gettext_lazy("政策文件名称"),
    "round": gettext_lazy("调度轮次名称"),
    "due": gettext_lazy("报送截止日期"),
    "today": gettext_lazy("统计日期"),
    "expected / filed / missing": gettext_lazy("应报、已报、未报项数"),
    "missing_agencies": gettext_lazy("未报送单位数"),
    "overdue_count": gettext_lazy("逾期任务数"),
    "agencies": gettext_lazy("各单位:agency, expected, filed, missing, overdue, yellow, red"),
    "missing_items": gettext_lazy("未报送事项:agency, task, role"),
    "overdue": gettext_lazy("逾期任务:task, lead, due, days, level"),
    "ranking": gettext_lazy("考核排名(文件纳入考核时):period, cutoff, rows(rank, agency, score, listed), red, black"),
}


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def bulletin_context(bulletin: Bulletin) -> dict:
    round_ = bulletin.round
    expected = sum(a.expected for a in bulletin.agencies)
    filed = sum(a.filed for a in bulletin.agencies)
    ranking = bulletin.ranking
    return {
        "title": str(bulletin.title),
        "document": str(round_.document),
        "round": round_.title,
        "due": round_.due_date.isoformat(),
        "today": bulletin.today.isoformat(),
        "expected": expected,
        "filed": filed,
        "missing": expected - filed,
        "missing_agencies": sum(1 for a in bulletin.agencies if a.missing),
        "overdue_count": len(bulletin.overdue),
        "agencies": [
            {
                "agency": a.agency,
                "expected": a.expected,
                "filed": a.filed,
                "missing": a.missing,
                "overdue": a.overdue,
                "yellow": a.yellow,
                "red": a.red,
            }
            for a in bulletin.agencies
        ],
        "missing_items": [
            {
                "agency": e.agency.name,
                "task": f"{e.task.measure.ref} {e.task.measure.title}",
                "role": str(e.get_role_display()),
            }
            for e in bulletin.missing
        ],
        "overdue": [
            {
                "task": f"{o.task.measure.ref} {o.task.measure.title}",
                "lead": o.lead,
                "due": o.task.due_date.isoformat(),
                "days": o.days,
                "level": str(level_label(o.level)),
            }
            for o in bulletin.overdue
        ],
        "ranking": ranking
        and {
            "period": str(period_label(ranking.period)),
            "cutoff": ranking.cutoff.isoformat(),
            "rows": [
                {"rank": r.rank, "agency": r.agency, "score": str(r.score), "listed": r.listed} for r in ranking.rows
            ],
            "red": [r.agency for r in ranking.red],
            "black": [r.agency for r in ranking.black],
        },
    }


def render(template: BinaryIO, context: dict, stream: BinaryIO) -> None:
    document = DocxTemplate(template)
    document.render(context, _environment())
    document.save(stream)


SAMPLE_CONTEXT = {
    "title": "2026年11月调度 落实情况通报",
    "document": "关于加快建设的实施意见",
    "round": "2026年11月调度",
    "due": "2026-11-30",
    "today": "2026-12-01",
    "expected": 3,
    "filed": 2,
    "missing": 1,
    "missing_agencies": 1,
    "overdue_count": 1,
    "agencies": [{"agency": "市商务局", "expected": 3, "filed": 2, "missing": 1, "overdue": 1, "yellow": 0, "red": 1}],
    "missing_items": [{"agency": "市商务局", "task": "一、1 建设平台", "role": "牵头"}],
    "overdue": [{"task": "一、1 建设平台", "lead": "市商务局", "due": "2026-10-31", "days": 31, "level": "红色"}],
    "ranking": {
        "period": "2026年11月",
        "cutoff": "2026-11-30",
        "rows": [{"rank": 1, "agency": "市商务局", "score": "80.0", "listed": ""}],
        "red": [],
        "black": [],
    },
}


def template_check(content: bytes) -> None:
    """Refuse what cannot serve as a bulletin template, saying why."""
    if len(content) > MAX_BYTES:
        raise ValidationError(_("模板文件超过 2 MB"))
    try:
        render(io.BytesIO(content), SAMPLE_CONTEXT, io.BytesIO())
    except TemplateError as exc:
        raise ValidationError(_("模板有误:%(e)s") % {"e": exc}) from exc
    except Exception as exc:  # a zip that is no Word file fails in many ways inside python-docx
        raise ValidationError(_("不是有效的 Word 文件(.docx)")) from exc


def sample_template(stream: BinaryIO) -> None:
    """A starting point for an office's own layout: every variable in use, in the usual order."""
    document = docx.Document()
    for text in (
        _("督办通报"),
        _("〔    〕第   号"),
        "{{ title }}",
        _("一、总体情况"),
        _(
            "《{{ document }}》本轮调度“{{ round }}”报送截止日期为 {{ due }}。"
            "截至 {{ today }},应报送 {{ expected }} 项,已报送 {{ filed }} 项,"
            "未报送 {{ missing }} 项(涉及 {{ missing_agencies }} 个单位);"
            "逾期未完成任务 {{ overdue_count }} 项。"
        ),
        _("二、各单位报送情况"),
    ):
        document.add_paragraph(text)
    table = document.add_table(rows=3, cols=5)
    table.style = "Table Grid"
    for cell, text in zip(
        table.rows[0].cells, [_("单位"), _("应报"), _("已报"), _("未报"), _("逾期任务")], strict=True
    ):
        cell.text = text
    table.rows[1].cells[0].text = "{%tr for a in agencies %}"
    for cell, text in zip(
        table.rows[2].cells,
        ["{{ a.agency }}", "{{ a.expected }}", "{{ a.filed }}", "{{ a.missing }}", "{{ a.overdue }}{%tr endfor %}"],
        strict=True,
    ):
        cell.text = text
    for text in (
        _("三、逾期任务"),
        "{%p for o in overdue %}",
        _("{{ o.task }}(牵头:{{ o.lead }},完成时限 {{ o.due }},逾期 {{ o.days }} 天,{{ o.level }}督办)"),
        "{%p endfor %}",
        "{%p if ranking %}",
        _("四、考核排名({{ ranking.period }},统计截至 {{ ranking.cutoff }})"),
        "{%p for r in ranking.rows %}",
        "{{ r.rank }}. {{ r.agency }} {{ r.score }}",
        "{%p endfor %}",
        "{%p endif %}",
        _("五、下一步工作:请未报送单位于收到本通报后 3 个工作日内补报。"),
    ):
        document.add_paragraph(text)
    document.save(stream)
