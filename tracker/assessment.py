"""Assessment (考核) and ranking (红黑榜) of agencies, per jurisdiction and period, over the tasks of
the documents marked for assessment. One place for the figures, the score and the lists: the ranking
page, its API, the bulletin (page, Excel, Word) and the daily sweep all call `assessment_rows` or
read the snapshot `assessment_snapshot` stores.

The figures of an agency for a period, counted up to a cutoff day (the period's last day once it
has ended, else yesterday, so that today's deadlines are not judged before the day is over):

- due: lead tasks whose *original* due date falls in the period up to the cutoff; on_time: of
  those, closed on or before that original date; extended: of those, given a later date since;
- overdue / overdue_days: lead tasks still open at the cutoff past their (current) due date;
  carried: those of them originally due before the period, which count as misses in the on-time
  rate (on_time / (due + carried)) of every period until they are done;
- rounds_expected / rounds_on_time: round entries due in the period, filed by the round's due date;
- returned: its reports sent back (退回重报) in the period;
- received / receipt_late: assignments handed over in the period, and those signed for (签收)
  later than NOTIFY_RECEIPT_DAYS working days after, or not at all by the cutoff.

Each agency's score is the weighted mean of its three rates (weights ASSESSMENT_WEIGHTS; a rate
with nothing to count drops out of the mean) times 100, less ASSESSMENT_PENALTIES per overdue task
and per returned report, never below 0. Every figure comes from a handful of grouped queries, so the
cost does not depend on the number of agencies.
"""

import datetime
from collections import defaultdict
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum, Value
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, Jurisdiction

from . import recurring, workdays
from .models import AssessmentScore, AssessmentSnapshot, Assignment, ProgressReport, RoundEntry, Task
from .selectors import directory_jurisdictions, ranking_jurisdictions

PERIOD_KINDS = ("month", "quarter", "half_year", "year")


@dataclass
class Figures:
    due: int = 0
    on_time: int = 0
    extended: int = 0
    overdue: int = 0
    overdue_days: int = 0
    carried: int = 0
    rounds_expected: int = 0
    rounds_on_time: int = 0
    returned: int = 0
    received: int = 0
    receipt_late: int = 0

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    @property
    def on_time_rate(self) -> float | None:
        # Work left overdue from earlier periods stays a miss in every period until it is done.
        return self._rate(self.on_time, self.due + self.carried)

    @property
    def rounds_rate(self) -> float | None:
        return self._rate(self.rounds_on_time, self.rounds_expected)

    @property
    def receipt_rate(self) -> float | None:
        return self._rate(self.received - self.receipt_late, self.received)


@dataclass
class Row:
    agency_id: int
    agency: str
    figures: Figures
    score: Decimal
    rank: int = 0
    listed: str = ""


def score(figures: Figures) -> Decimal:
    weights = settings.ASSESSMENT_WEIGHTS
    rates = {"on_time": figures.on_time_rate, "rounds": figures.rounds_rate, "receipt": figures.receipt_rate}
    counted = {k: v for k, v in rates.items() if v is not None and weights.get(k)}
    base = sum(weights[k] * v for k, v in counted.items()) / sum(weights[k] for k in counted) if counted else 100.0
    penalties = settings.ASSESSMENT_PENALTIES
    value = base - penalties.get("overdue", 0) * figures.overdue - penalties.get("returned", 0) * figures.returned
    return Decimal(max(value, 0)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def period_label(period: recurring.Period) -> str:
    key = period.key
    if "-Q" in key:
        return _("%(y)d年第%(q)d季度") % {"y": period.start.year, "q": (period.start.month - 1) // 3 + 1}
    if "-H" in key:
        return (
            _("%(y)d年上半年") % {"y": period.start.year}
            if key.endswith("H1")
            else _("%(y)d年下半年") % {"y": period.start.year}
        )
    if "-" in key:
        return _("%(y)d年%(m)d月") % {"y": period.start.year, "m": period.start.month}
    return _("%(y)d年度") % {"y": period.start.year}


def cutoff_for(period: recurring.Period, *, today: datetime.date) -> datetime.date:
    return min(period.end, today - datetime.timedelta(days=1))


def _day_end(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time()))


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def _figures(jurisdiction_id: int, period: recurring.Period, cutoff: datetime.date) -> dict[int, Figures]:
    figures: dict[int, Figures] = defaultdict(Figures)
    if cutoff < period.start:
        return figures
    start, end = _day_start(period.start), _day_end(cutoff)
    scope = {"task__document__jurisdiction_id": jurisdiction_id, "task__document__assessed": True}
    leads = Assignment.objects.filter(role=Assignment.Role.LEAD, **scope).exclude(task__status=Task.Status.CANCELLED)
    # Closed by the original due date, and by the cutoff (the as-of view asks about the past).
    closed_in_time = Q(task__closed_at__date__lte=F("task__original_due_date"), task__closed_at__lt=end)
    for row in (
        leads.filter(task__original_due_date__range=(period.start, cutoff))
        .values("agency_id")
        .annotate(
            due=Count("pk"),
            on_time=Count("pk", filter=closed_in_time),
            extended=Count("pk", filter=Q(task__due_date__gt=F("task__original_due_date"))),
        )
        .order_by()
    ):
        f = figures[row["agency_id"]]
        f.due, f.on_time, f.extended = row["due"], row["on_time"], row["extended"]

    late_by = ExpressionWrapper(Value(cutoff) - F("task__due_date"), output_field=DurationField())
    open_at_cutoff = Q(task__closed_at__isnull=True) | Q(task__closed_at__gte=end)
    for row in (
        # However late the document was imported: its obligations ran from its own dates.
        leads.filter(open_at_cutoff, task__due_date__lt=cutoff)
        .exclude(task__status=Task.Status.SUSPENDED)
        .values("agency_id")
        .annotate(
            overdue=Count("pk"),
            days=Sum(late_by),
            carried=Count("pk", filter=Q(task__original_due_date__lt=period.start)),
        )
        .order_by()
    ):
        f = figures[row["agency_id"]]
        f.overdue, f.overdue_days = row["overdue"], row["days"].days if row["days"] else 0
        f.carried = row["carried"]

    round_scope = {"round__document__jurisdiction_id": jurisdiction_id, "round__document__assessed": True}
    for row in (
        RoundEntry.objects.filter(round__due_date__range=(period.start, cutoff), **round_scope)
        .values("agency_id")
        .annotate(
            expected=Count("pk"),
            on_time=Count("pk", filter=Q(report__created_at__date__lte=F("round__due_date"))),
        )
        .order_by()
    ):
        f = figures[row["agency_id"]]
        f.rounds_expected, f.rounds_on_time = row["expected"], row["on_time"]

    for row in (
        ProgressReport.objects.filter(returned_at__gte=start, returned_at__lt=end, **scope)
        .values("agency_id")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        figures[row["agency_id"]].returned = row["n"]

    # Grouped by the day handed over and the day signed for: the working-day deadline is computed
    # once per distinct day, not once per assignment.
    for row in (
        Assignment.objects.filter(assigned_at__gte=start, assigned_at__lt=end, **scope)
        .annotate(day=TruncDate("assigned_at"), got=TruncDate("received_at"))
        .values("agency_id", "day", "got")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        f = figures[row["agency_id"]]
        deadline = workdays.add_working_days(row["day"], settings.NOTIFY_RECEIPT_DAYS)
        got = row["got"] if row["got"] is not None and row["got"] <= cutoff else None
        f.received += row["n"]
        if (got is None and deadline < cutoff) or (got is not None and got > deadline):
            f.receipt_late += row["n"]
    return figures


def _ranked(rows: list[Row]) -> list[Row]:
    rows.sort(key=lambda r: (-r.score, r.agency))
    for i, row in enumerate(rows):
        row.rank = rows[i - 1].rank if i and rows[i - 1].score == row.score else i + 1
    size = settings.ASSESSMENT_LIST_SIZE
    for row in [r for r in rows if r.score >= settings.ASSESSMENT_RED_MIN][:size]:
        row.listed = AssessmentScore.Listed.RED
    for row in [r for r in reversed(rows) if r.score < settings.ASSESSMENT_BLACK_BELOW][:size]:
        row.listed = AssessmentScore.Listed.BLACK
    return rows


def assessment_rows(*, jurisdiction: Jurisdiction, period: recurring.Period, cutoff: datetime.date) -> list[Row]:
    """The ranking of the period as it stood at the end of `cutoff`, computed now."""
    figures = _figures(jurisdiction.pk, period, cutoff)
    names = dict(Agency.objects.filter(pk__in=figures).values_list("pk", "name"))
    return _ranked([Row(pk, names[pk], f, score(f)) for pk, f in figures.items()])


@transaction.atomic
def assessment_snapshot(
    *, jurisdiction: Jurisdiction, period: recurring.Period, today: datetime.date, force: bool = False
) -> AssessmentSnapshot:
    """The stored ranking of a period: a final one as it is, today's as it is, else computed again."""
    snapshot, created = AssessmentSnapshot.objects.select_for_update().get_or_create(
        jurisdiction=jurisdiction,
        period=period.key,
        defaults={"cutoff": period.start, "computed_at": timezone.now()},
    )
    fresh = timezone.localdate(snapshot.computed_at) == today
    if not created and (snapshot.final or (fresh and not force)):
        return snapshot
    cutoff = cutoff_for(period, today=today)
    rows = assessment_rows(jurisdiction=jurisdiction, period=period, cutoff=cutoff)
    snapshot.scores.all().delete()
    AssessmentScore.objects.bulk_create(
        AssessmentScore(
            snapshot=snapshot,
            agency_id=r.agency_id,
            rank=r.rank,
            score=r.score,
            listed=r.listed,
            figures=asdict(r.figures),
        )
        for r in rows
    )
    snapshot.cutoff, snapshot.computed_at, snapshot.final = cutoff, timezone.now(), cutoff == period.end
    snapshot.save(update_fields=["cutoff", "computed_at", "final"])
    return snapshot


def snapshot_rows(snapshot: AssessmentSnapshot) -> list[Row]:
    return [
        Row(s.agency_id, s.agency.name, Figures(**s.figures), s.score, s.rank, s.listed)
        for s in snapshot.scores.select_related("agency").order_by("rank", "agency__name")
    ]


@dataclass
class Ranking:
    jurisdiction: Jurisdiction
    period: recurring.Period
    cutoff: datetime.date
    rows: list[Row]
    # None for a view as of a past day, computed on the spot and never stored.
    snapshot: AssessmentSnapshot | None

    @property
    def red(self) -> list[Row]:
        return [r for r in self.rows if r.listed == AssessmentScore.Listed.RED]

    @property
    def black(self) -> list[Row]:
        return [r for r in reversed(self.rows) if r.listed == AssessmentScore.Listed.BLACK]


def ranking(
    *, jurisdiction: Jurisdiction, period: recurring.Period, today: datetime.date, as_of: datetime.date | None = None
) -> Ranking:
    """The ranking pages, API and bulletins show: the stored snapshot (computed if today has none),
    or, for a day before its cutoff, the ranking as it stood at the end of that day."""
    current = cutoff_for(period, today=today)
    if as_of is not None and as_of < current:
        cutoff = max(as_of, period.start - datetime.timedelta(days=1))
        rows = assessment_rows(jurisdiction=jurisdiction, period=period, cutoff=cutoff)
        return Ranking(jurisdiction, period, cutoff, rows, None)
    snapshot = assessment_snapshot(jurisdiction=jurisdiction, period=period, today=today)
    return Ranking(jurisdiction, period, snapshot.cutoff, snapshot_rows(snapshot), snapshot)


def _rate_text(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:g}%"


def ranking_table(result: Ranking) -> tuple[list[str], list[tuple]]:
    """The ranking as header and rows, the same in the Excel download and the Word bulletin."""
    header = [
        _("名次"), _("单位"), _("得分"), _("按期完成"), _("延期"), _("逾期任务"), _("逾期天数"),
        _("按时报送"), _("退回重报"), _("逾期签收"), _("榜单"),
    ]  # fmt: skip
    rows = []
    for r in result.rows:
        f = r.figures
        rows.append(
            (
                r.rank,
                r.agency,
                float(r.score),
                f"{f.on_time}/{f.due + f.carried} ({_rate_text(f.on_time_rate)})",
                f.extended,
                f.overdue,
                f.overdue_days,
                f"{f.rounds_on_time}/{f.rounds_expected} ({_rate_text(f.rounds_rate)})",
                f.returned,
                f"{f.receipt_late}/{f.received}",
                str(AssessmentScore.Listed(r.listed).label) if r.listed else "",
            )
        )
    return header, rows


def ranking_scope(user, *, jurisdiction: str | None, period: str | None, as_of: str | None):
    """(jurisdictions the user reads, the one asked for, the period, the as-of day, today) from the
    parameters of a page or API request; 404 for a jurisdiction the user may not read or a bad key."""
    places = list(ranking_jurisdictions(user).order_by("name"))
    if jurisdiction:
        place = next((p for p in places if str(p.pk) == jurisdiction), None)
    else:
        place = places[0] if places else None
    if place is None:
        raise Http404
    today = timezone.localdate()
    try:
        chosen = recurring.period_from_key(period) if period else recurring.period_of(today, "month")
        day = datetime.date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise Http404 from None
    return places, place, chosen, day, today


def ranking_refresh(*, user, jurisdiction: Jurisdiction, period: recurring.Period, today: datetime.date):
    """A coordinator of the jurisdiction asks for the current figures now rather than the day's."""
    if not directory_jurisdictions(user).filter(pk=jurisdiction.pk).exists():
        raise PermissionDenied(_("您无权执行此操作"))
    return assessment_snapshot(jurisdiction=jurisdiction, period=period, today=today, force=True)


def snapshots_refresh(*, today: datetime.date) -> int:
    """The daily sweep's part: every jurisdiction with assessed documents gets the current periods
    recomputed and the periods that ended yesterday made final. Returns the snapshots computed."""
    places = Jurisdiction.objects.filter(documents__assessed=True).distinct()
    yesterday = today - datetime.timedelta(days=1)
    periods = {recurring.period_of(day, kind) for day in (today, yesterday) for kind in PERIOD_KINDS}
    count = 0
    for place in places:
        for period in sorted(periods, key=lambda p: p.key):
            assessment_snapshot(jurisdiction=place, period=period, today=today)
            count += 1
    return count


# A period key of each kind, for picking one kind of period out of the stored snapshots.
KIND_PATTERNS = {"month": r"^\d{4}-\d\d$", "quarter": r"^\d{4}-Q\d$", "half_year": r"^\d{4}-H\d$", "year": r"^\d{4}$"}


def agency_history(agency: Agency, *, kind: str = "month", limit: int = 24) -> list[AssessmentScore]:
    """The agency's stored scores for one kind of period, newest first, each with its snapshot."""
    return list(
        AssessmentScore.objects.filter(agency=agency, snapshot__period__regex=KIND_PATTERNS[kind])
        .select_related("snapshot")
        .order_by("-snapshot__period")[:limit]
    )
