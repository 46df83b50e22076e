"""The bulletin (通报) of a document for a period (a month, a quarter, a half-year, a year) rather than
a round: overall progress up to the period's end (or yesterday, while it runs), what was completed
in it, what is behind schedule and overdue by lead agency, the period's ranking when the document is
assessed, next steps; as a page, an Excel workbook and a Word document in the official layout."""

import datetime
from dataclasses import dataclass, field
from typing import BinaryIO

import docx
from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import RGBColor

from measures.models import PolicyDocument

from . import assessment, recurring
from .bulletin import workbook_write
from .bulletin_docx import BODY_FONT, HEADING_FONT, TITLE_FONT, _font, _paragraph, _table
from .models import Assignment, Task
from .workflow import OPEN


@dataclass
class AgencyFigures:
    agency: str
    tasks: int
    closed: int
    closed_in_period: int
    overdue: int
    behind: int


@dataclass
class PeriodBulletin:
    document: PolicyDocument
    period: recurring.Period
    cutoff: datetime.date
    totals: dict[str, int]
    agencies: list[AgencyFigures]
    overdue: list[tuple[Task, str, int]]
    behind: list[tuple[Task, str]]
    ranking: assessment.Ranking | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return _("%(doc)s %(period)s落实情况通报") % {
            "doc": self.document,
            "period": assessment.period_label(self.period),
        }


def period_bulletin(*, document: PolicyDocument, period: recurring.Period, today: datetime.date) -> PeriodBulletin:
    """Five queries whatever the document's size: totals, per agency, overdue, behind, their leads."""
    cutoff = assessment.cutoff_for(period, today=today)
    end = timezone.make_aware(datetime.datetime.combine(cutoff + datetime.timedelta(days=1), datetime.time()))
    start = timezone.make_aware(datetime.datetime.combine(period.start, datetime.time()))
    tasks = Task.objects.filter(document=document).exclude(status=Task.Status.CANCELLED)
    closed_in_period = Q(status=Task.Status.CLOSED, closed_at__gte=start, closed_at__lt=end)
    totals = tasks.aggregate(
        total=Count("pk"),
        closed=Count("pk", filter=Q(status=Task.Status.CLOSED)),
        closed_in_period=Count("pk", filter=closed_in_period),
        open=Count("pk", filter=Q(status__in=OPEN)),
        overdue=Count("pk", filter=Q(status__in=OPEN, due_date__lt=cutoff)),
        behind=Count("pk", filter=Q(status__in=OPEN, schedule_state="behind")),
    )
    rows = (
        Assignment.objects.filter(role=Assignment.Role.LEAD, task__in=tasks)
        .values("agency__name")
        .annotate(
            tasks=Count("pk"),
            closed=Count("pk", filter=Q(task__status=Task.Status.CLOSED)),
            closed_in_period=Count(
                "pk", filter=Q(task__status=Task.Status.CLOSED, task__closed_at__gte=start, task__closed_at__lt=end)
            ),
            overdue=Count("pk", filter=Q(task__status__in=OPEN, task__due_date__lt=cutoff)),
            behind=Count("pk", filter=Q(task__status__in=OPEN, task__schedule_state="behind")),
        )
        .order_by("-overdue", "-behind", "agency__name")
    )
    agencies = [
        AgencyFigures(r["agency__name"], r["tasks"], r["closed"], r["closed_in_period"], r["overdue"], r["behind"])
        for r in rows
    ]
    leads = Prefetch(
        "assignments",
        queryset=Assignment.objects.filter(role=Assignment.Role.LEAD).select_related("agency").order_by("position"),
        to_attr="leads",
    )
    listed = tasks.select_related("measure").defer("measure__text").prefetch_related(leads)
    overdue = [
        (t, "、".join(a.agency.name for a in t.leads), (cutoff - t.due_date).days)
        for t in listed.filter(status__in=OPEN, due_date__lt=cutoff).order_by("due_date", "measure__order")
    ]
    behind = [
        (t, "、".join(a.agency.name for a in t.leads))
        for t in listed.filter(status__in=OPEN, schedule_state="behind").order_by("due_date", "measure__order")
    ]
    ranking = (
        assessment.ranking(jurisdiction=document.jurisdiction, period=period, today=today)
        if document.assessed
        else None
    )
    return PeriodBulletin(document, period, cutoff, totals, agencies, overdue, behind, ranking)


AGENCY_HEADER = (
    gettext_lazy("牵头单位"),
    gettext_lazy("任务数"),
    gettext_lazy("已销号"),
    gettext_lazy("本期销号"),
    gettext_lazy("逾期"),
    gettext_lazy("序时滞后"),
)


def _agency_rows(bulletin: PeriodBulletin) -> list[tuple]:
    return [(a.agency, a.tasks, a.closed, a.closed_in_period, a.overdue, a.behind) for a in bulletin.agencies]


def period_bulletin_xlsx(bulletin: PeriodBulletin, stream: BinaryIO) -> None:
    sheets = [
        (_("各单位情况"), [str(h) for h in AGENCY_HEADER], _agency_rows(bulletin), (28, 8, 8, 10, 8, 10)),
        (
            _("逾期任务"),
            [_("任务"), _("牵头单位"), _("完成时限"), _("逾期天数")],
            [(f"{t.measure.ref} {t.measure.title}", lead, t.due_date, days) for t, lead, days in bulletin.overdue],
            (60, 28, 12, 10),
        ),
        (
            _("序时进度滞后"),
            [_("任务"), _("牵头单位"), _("完成时限")],
            [(f"{t.measure.ref} {t.measure.title}", lead, t.due_date) for t, lead in bulletin.behind],
            (60, 28, 12),
        ),
    ]
    if bulletin.ranking is not None:
        header, rows = assessment.ranking_table(bulletin.ranking)
        sheets.append((_("考核排名"), header, rows, (6, 28, 8, 16, 6, 8, 8, 16, 8, 10, 6)))
    workbook_write(bulletin.title, sheets, stream)


def period_bulletin_docx(bulletin: PeriodBulletin, stream: BinaryIO) -> None:
    document = docx.Document()
    header = document.add_paragraph()
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(header.add_run(_("督办通报")), TITLE_FONT, 26, bold=True, color=RGBColor(0xC0, 0x00, 0x00))
    _paragraph(document, _("〔    〕第   号"), center=True)
    _paragraph(document, bulletin.title, font=TITLE_FONT, size=22, center=True)
    t = bulletin.totals
    _paragraph(document, _("一、总体情况"), font=HEADING_FONT)
    _paragraph(
        document,
        _(
            "《%(doc)s》共 %(total)d 项任务。截至 %(cutoff)s,已销号 %(closed)d 项(本期 %(period_closed)d 项),"
            "推进中 %(open)d 项,其中逾期 %(overdue)d 项、序时进度滞后 %(behind)d 项。"
        )
        % {
            "doc": bulletin.document,
            "total": t["total"],
            "cutoff": bulletin.cutoff.isoformat(),
            "closed": t["closed"],
            "period_closed": t["closed_in_period"],
            "open": t["open"],
            "overdue": t["overdue"],
            "behind": t["behind"],
        },
        font=BODY_FONT,
    )
    _paragraph(document, _("二、各单位情况"), font=HEADING_FONT)
    _table(document, [str(h) for h in AGENCY_HEADER], _agency_rows(bulletin))
    number = 3
    headings = {3: _("三"), 4: _("四"), 5: _("五"), 6: _("六")}
    if bulletin.overdue:
        _paragraph(document, _("%(n)s、逾期任务") % {"n": headings[number]}, font=HEADING_FONT)
        _table(
            document,
            [_("任务"), _("牵头单位"), _("完成时限"), _("逾期天数")],
            [
                (f"{x.measure.ref} {x.measure.title}", lead, x.due_date.isoformat(), days)
                for x, lead, days in bulletin.overdue
            ],
        )
        number += 1
    if bulletin.ranking is not None:
        _paragraph(document, _("%(n)s、考核排名") % {"n": headings[number]}, font=HEADING_FONT)
        _table(document, *assessment.ranking_table(bulletin.ranking))
        number += 1
    _paragraph(document, _("%(n)s、下一步工作") % {"n": headings[number]}, font=HEADING_FONT)
    _paragraph(
        document,
        _("请逾期和序时进度滞后任务的牵头单位说明原因,提出整改措施和完成时限,于 5 个工作日内报督办单位。"),
    )
    document.save(stream)
