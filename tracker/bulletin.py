"""The bulletin (通报) of a reporting round: who filed and who did not, and what is overdue,
as a page to print and an Excel workbook. A round covers one document, so everything here is
bounded by that document's size (hundreds of rows), unlike the ledger."""

import datetime
from dataclasses import dataclass, field
from typing import BinaryIO

from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from . import assessment, recurring
from .ledger import safe_text
from .models import Assignment, ReportingRound, RoundEntry, Task
from .selectors import escalation_level


@dataclass
class AgencyLine:
    agency: str
    expected: int
    filed: int
    overdue: int = 0
    yellow: int = 0
    red: int = 0

    @property
    def missing(self) -> int:
        return self.expected - self.filed


@dataclass
class OverdueLine:
    task: Task
    lead: str
    days: int
    level: str


@dataclass
class Bulletin:
    round: ReportingRound
    today: datetime.date
    agencies: list[AgencyLine]
    missing: list[RoundEntry]
    overdue: list[OverdueLine] = field(default_factory=list)
    # The assessment (考核) of the round's period, when its document is assessed.
    ranking: assessment.Ranking | None = None

    @property
    def title(self) -> str:
        return _("%(round)s 落实情况通报") % {"round": self.round.title}


def round_bulletin(round_: ReportingRound, *, today: datetime.date) -> Bulletin:
    """Four queries whatever the round's size: agency counts, missing entries, overdue tasks, their leads."""
    counts = (
        round_.entries.values("agency__name")
        .annotate(expected=Count("id"), filed=Count("id", filter=Q(report__isnull=False)))
        .order_by("agency__name")
    )
    lines = {row["agency__name"]: AgencyLine(row["agency__name"], row["expected"], row["filed"]) for row in counts}
    missing = list(
        round_.entries.filter(report__isnull=True)
        .select_related("agency", "task__measure")
        .defer("task__measure__text")
        .order_by("agency__name", "task__measure__order")
    )
    leads = Prefetch(
        "assignments",
        queryset=Assignment.objects.filter(role=Assignment.Role.LEAD).select_related("agency").order_by("position"),
        to_attr="leads",
    )
    overdue = []
    tasks = (
        Task.objects.overdue(on=today)
        .filter(document_id=round_.document_id)
        .select_related("measure")
        .defer("measure__text")
        .prefetch_related(leads)
        .order_by("due_date", "measure__order")
    )
    for task in tasks:
        days = (today - task.due_date).days
        level = escalation_level(days)
        names = [a.agency.name for a in task.leads]
        overdue.append(OverdueLine(task, "、".join(names), days, level))
        for name in names:
            line = lines.setdefault(name, AgencyLine(name, 0, 0))
            line.overdue += 1
            line.yellow += level == "yellow"
            line.red += level == "red"
    agencies = sorted(lines.values(), key=lambda line: (-line.missing, -line.overdue, line.agency))
    return Bulletin(round_, today, agencies, missing, overdue, _ranking(round_, today))


def _ranking(round_: ReportingRound, today: datetime.date) -> assessment.Ranking | None:
    """A recurring round's own period; a round opened by hand, the month it is due in."""
    document = round_.document
    if not document.assessed:
        return None
    if round_.period:
        period = recurring.period_from_key(round_.period)
    else:
        period = recurring.period_of(round_.due_date, "month")
    return assessment.ranking(jurisdiction=document.jurisdiction, period=period, today=today)


def bulletin_write(bulletin: Bulletin, stream: BinaryIO) -> None:
    sheets = (
        (
            _("报送情况"),
            [_("单位"), _("应报"), _("已报"), _("未报"), _("逾期任务"), _("黄色督办"), _("红色督办")],
            [(a.agency, a.expected, a.filed, a.missing, a.overdue, a.yellow, a.red) for a in bulletin.agencies],
            (28, 8, 8, 8, 10, 10, 10),
        ),
        (
            _("未报送"),
            [_("单位"), _("任务"), _("角色")],
            [
                (e.agency.name, f"{e.task.measure.ref} {e.task.measure.title}", e.get_role_display())
                for e in bulletin.missing
            ],
            (28, 60, 8),
        ),
        (
            _("逾期任务"),
            [_("任务"), _("牵头单位"), _("完成时限"), _("逾期天数"), _("督办")],
            [
                (f"{o.task.measure.ref} {o.task.measure.title}", o.lead, o.task.due_date, o.days, level_label(o.level))
                for o in bulletin.overdue
            ],
            (60, 28, 12, 10, 10),
        ),
    )
    if bulletin.ranking is not None:
        header, rows = assessment.ranking_table(bulletin.ranking)
        sheets += ((_("考核排名"), header, rows, (6, 28, 8, 16, 6, 8, 8, 16, 8, 10, 6)),)
    workbook_write(bulletin.title, sheets, stream)


def workbook_write(title: str, sheets, stream: BinaryIO) -> None:
    """Sheets of (name, header, rows, column widths), each headed by the title: the bulletins' Excel."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, header, rows, widths in sheets:
        sheet = workbook.create_sheet(name)
        sheet.append([safe_text(title)])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append([safe_text(str(h)) for h in header])
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([safe_text(v) if isinstance(v, str) else v for v in row])
        for index, width in enumerate(widths):
            sheet.column_dimensions[chr(ord("A") + index)].width = width
        for row in sheet.iter_rows(min_row=3):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                if isinstance(cell.value, datetime.date):
                    cell.number_format = "yyyy-mm-dd"
        sheet.freeze_panes = "A3"
    workbook.save(stream)


def level_label(level: str) -> str:
    return {"yellow": _("黄色"), "red": _("红色")}.get(level, "")
