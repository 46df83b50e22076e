"""Read-side queries for the pages: my-tasks buckets, the coordinator board, the dashboard.

Every function here costs a fixed number of queries whatever the number of rows: counts and rates
are aggregated in SQL, lists are sliced, and related rows come in one prefetch per relation."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import groupby

from django.conf import settings
from django.db.models import Count, Exists, Max, Min, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import TruncMonth
from django.utils import timezone

from agencies.models import Agency, Jurisdiction
from measures.models import PolicyDocument

from .models import (
    Assignment,
    AuditEntry,
    DocumentAccess,
    ProgressReport,
    ReportedValue,
    ReportingRound,
    RoundEntry,
    SupervisionNotice,
    Task,
    TaskEvent,
)
from .querysets import leader_jurisdiction
from .roles import document_access, oversees, user_agency_ids
from .workflow import FINISHED, OPEN

S = Task.Status

# Tasks due within this many days form the "due soon" bucket of 我的任务.
DUE_SOON_DAYS = 14
# Rows shown per bucket or board group before "show all"; keeps every page bounded at any scale.
LIST_LIMIT = 50
BOARD_LIMIT = 300


def escalation_thresholds() -> tuple[int, int]:
    """(yellow, red) in days overdue: the same settings the notifications app escalates by."""
    return settings.NOTIFY_YELLOW_DAYS, settings.NOTIFY_RED_DAYS


def escalation_level(days_overdue: int) -> str:
    """Return "red", "yellow" or "" for a task overdue by `days_overdue` days."""
    yellow, red = escalation_thresholds()
    if days_overdue >= red:
        return "red"
    if days_overdue >= yellow:
        return "yellow"
    return ""


# ---------------------------------------------------------------- who may see which page


def is_coordinator(user) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.role == user.Role.COORDINATOR:
        return True
    return DocumentAccess.Role.COORDINATOR in document_access(user).values()


def is_leader(user) -> bool:
    if not user.is_authenticated:
        return False
    return user.role == user.Role.LEADER or DocumentAccess.Role.LEADER in document_access(user).values()


def coordinated_documents(user) -> QuerySet[PolicyDocument]:
    """Documents whose tasks the user coordinates: their agency coordinates it, or they were granted it."""
    if user.is_superuser:
        return PolicyDocument.objects.all()
    condition = Q(access__user=user, access__role=DocumentAccess.Role.COORDINATOR)
    if user.role == user.Role.COORDINATOR and user.agency_id:
        condition |= Q(coordinator_id=user.agency_id)
    return PolicyDocument.objects.filter(condition).distinct()


def replaceable_drafts(user, jurisdiction: Jurisdiction) -> QuerySet[PolicyDocument]:
    """Drafts of the jurisdiction the user coordinates that no final text has replaced yet."""
    return (
        coordinated_documents(user)
        .filter(jurisdiction=jurisdiction, is_draft=True, replaced_by__isnull=True)
        .defer("raw_text")
        .order_by("-imported_at")
    )


def directory_jurisdictions(user) -> QuerySet[Jurisdiction]:
    """Jurisdictions whose directory (agencies, aliases, name mappings) the user may change: those of
    the documents they coordinate, and a coordinator's own. Aliases decide how every later import of
    a jurisdiction is matched, so nobody else may write them."""
    if not user.is_authenticated:
        return Jurisdiction.objects.none()
    if user.is_superuser:
        return Jurisdiction.objects.all()
    condition = Q(pk__in=coordinated_documents(user).values("jurisdiction_id"))
    if user.role == user.Role.COORDINATOR and user.agency_id:
        condition |= Q(agencies__pk=user.agency_id)
    return Jurisdiction.objects.filter(condition).distinct()


def can_instruct_document(user, document: PolicyDocument) -> bool:
    """A leader of the document: granted it as leader, or a leader of its jurisdiction."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or document_access(user).get(document.pk) == DocumentAccess.Role.LEADER:
        return True
    return oversees(user, document)


def ranking_jurisdictions(user) -> QuerySet[Jurisdiction]:
    """Jurisdictions whose assessment (考核) the user reads: those of the documents they coordinate
    or oversee as a leader."""
    if not user.is_authenticated:
        return Jurisdiction.objects.none()
    if user.is_superuser:
        return Jurisdiction.objects.all()
    return Jurisdiction.objects.filter(pk__in=overseen_documents(user).values("jurisdiction_id")).distinct()


def visible_documents(user) -> QuerySet[PolicyDocument]:
    """Documents with at least one task the user may see, plus those they coordinate, oversee or were given."""
    if not user.is_authenticated:
        return PolicyDocument.objects.none()
    if user.is_superuser:
        return PolicyDocument.objects.all()
    # The documents of the tasks seen one by one; those seen whole come from the conditions below
    # (through all visible tasks this read every task of every coordinated document).
    condition = Q(pk__in=Task.objects.filter(pk__in=Task.objects.narrow_ids(user)).values("document_id"))
    condition |= Q(access__user=user)
    if user.role == user.Role.COORDINATOR and user.agency_id:
        condition |= Q(coordinator_id=user.agency_id)
    if user.role == user.Role.LEADER and user.agency_id:
        condition |= Q(jurisdiction_id=leader_jurisdiction(user))
    return PolicyDocument.objects.filter(condition).distinct()


def overseen_documents(user) -> QuerySet[PolicyDocument]:
    """Documents whose results a leader reads (dashboards, bulletins): those of their agency's
    jurisdiction, and those they were granted as leader; a coordinator's own too."""
    if not user.is_authenticated:
        return PolicyDocument.objects.none()
    if user.is_superuser:
        return PolicyDocument.objects.all()
    condition = Q(access__user=user, access__role=DocumentAccess.Role.LEADER)
    if user.role == user.Role.LEADER and user.agency_id:
        condition |= Q(jurisdiction_id=leader_jurisdiction(user))
    return PolicyDocument.objects.filter(condition).distinct() | coordinated_documents(user)


# ---------------------------------------------------------------- lists of tasks


def _lead_assignments() -> Prefetch:
    return Prefetch(
        "assignments",
        queryset=Assignment.objects.select_related("agency").order_by("role", "position"),
    )


def latest_percent() -> Subquery:
    """The percent done of a task's latest lead report (not sent back): the 序时进度's progress."""
    reports = ProgressReport.objects.filter(
        task=OuterRef("pk"), kind=ProgressReport.Kind.REPORT, returned_at__isnull=True, percent__isnull=False
    )
    return Subquery(reports.order_by("-created_at").values("percent")[:1])


def task_list(tasks: QuerySet[Task]) -> QuerySet[Task]:
    """What a task row shows: measure, document and agencies, without the document's full text, and
    the latest percent done (one indexed subquery per row of the page: report_task_latest_idx)."""
    return (
        tasks.select_related("measure", "document")
        .defer("document__raw_text", "measure__text")
        .prefetch_related(_lead_assignments())
        .annotate(latest_percent=latest_percent())
    )


def my_tasks(user) -> QuerySet[Task]:
    """The tasks the user's agency (or a group it belongs to) leads or supports."""
    ids = user_agency_ids(user)
    if not ids:
        return Task.objects.none()
    return Task.objects.visible_to(user).for_agencies(list(ids))


def search_tasks(tasks: QuerySet[Task], query: str) -> QuerySet[Task]:
    """Substring search in the measure's title and text and the names of the task's agencies. Chinese
    has no spaces between words, so a phrase (营商环境) is matched as typed, inside longer text too;
    space-separated phrases must all occur. On PostgreSQL the title and text are answered by trigram
    indexes (measures migration 0009) for phrases of three characters or more."""
    for term in query.split()[:5]:
        named = Assignment.objects.filter(task=OuterRef("pk"), agency__name__icontains=term)
        tasks = tasks.filter(Q(measure__title__icontains=term) | Q(measure__text__icontains=term) | Exists(named))
    return tasks


@dataclass
class Bucket:
    key: str
    count: int
    tasks: list[Task] = field(default_factory=list)


BUCKET_KEYS = ("overdue", "soon", "later", "undated", "done")


def _bucket_filters(today: datetime.date) -> dict[str, Q]:
    soon = today + datetime.timedelta(days=DUE_SOON_DAYS)
    open_ = Q(status__in=OPEN)
    return {
        "overdue": open_ & Q(due_date__lt=today),
        "soon": open_ & Q(due_date__gte=today, due_date__lte=soon),
        "later": open_ & Q(due_date__gt=soon),
        "undated": open_ & Q(due_date__isnull=True),
        # Closed, cancelled and suspended work: nothing to do now, kept reachable.
        "done": ~open_,
    }


def bucket_queryset(tasks: QuerySet[Task], key: str, *, today: datetime.date) -> QuerySet[Task]:
    """One bucket's tasks, ready to list: soonest deadline first, finished work most recent first."""
    order = ("-updated_at", "-id") if key == "done" else ("due_date", "document_id", "measure__order")
    return task_list(tasks.filter(_bucket_filters(today)[key])).order_by(*order)


def task_buckets(
    tasks: QuerySet[Task], *, today: datetime.date, only: str | None = None, limit: int = LIST_LIMIT
) -> list[Bucket]:
    """Counts of every bucket in one aggregate query, then up to `limit` rows of each bucket
    (or of `only`; none when `limit` is 0), each list one query plus one prefetch."""
    filters = _bucket_filters(today)
    counts = tasks.aggregate(**{key: Count("pk", filter=q) for key, q in filters.items()})
    buckets = []
    for key in filters:
        bucket = Bucket(key, counts[key] or 0)
        if bucket.count and limit and (only is None or only == key):
            bucket.tasks = list(bucket_queryset(tasks, key, today=today)[:limit])
        buckets.append(bucket)
    return buckets


# ---------------------------------------------------------------- the coordinator board


@dataclass
class OverdueGroup:
    agency: Agency
    rows: list["OverdueRow"]

    @property
    def worst(self) -> str:
        levels = {r.level for r in self.rows}
        return "red" if "red" in levels else "yellow" if "yellow" in levels else ""


@dataclass
class OverdueRow:
    task: Task
    days: int
    level: str


def board_overdue(
    user, *, today: datetime.date, limit: int = BOARD_LIMIT, as_of: bool = False
) -> tuple[list[OverdueGroup], int]:
    """Overdue tasks of the documents the user coordinates, grouped by lead agency, most overdue
    first within each agency. Returns (groups, total overdue) — the groups hold at most `limit` rows.
    `as_of`: what was overdue at the end of `today` by the tasks' history (agencies are today's)."""
    mine = Task.objects.visible_to(user).filter(document__in=coordinated_documents(user))
    due_then: dict[int, datetime.date] = {}
    if as_of:
        then = tasks_as_of(mine, today).filter(status__in=OPEN, due_date__lt=today)
        total, overdue = then.count(), then.values("id")
    else:
        overdue = mine.overdue(on=today)
        total = overdue.count()
    leads = (
        Assignment.objects.filter(role=Assignment.Role.LEAD, task__in=overdue)
        .select_related("agency", "task__measure", "task__document")
        .defer("task__document__raw_text", "task__measure__text")
        .order_by("agency__name", "agency_id", "task__due_date", "task_id")[:limit]
    )
    if as_of:
        leads = list(leads)
        due_then = dict(then.filter(id__in=[a.task_id for a in leads]).values_list("id", "due_date"))
    groups = []
    for _agency_id, rows in groupby(leads, key=lambda a: a.agency_id):
        rows = list(rows)
        items = []
        for a in rows:
            days = (today - due_then.get(a.task_id, a.task.due_date)).days
            items.append(OverdueRow(a.task, days, escalation_level(days)))
        groups.append(OverdueGroup(rows[0].agency, items))
    groups.sort(key=lambda g: (-max(r.days for r in g.rows), g.agency.name))
    return groups, total


def board_requests(user, *, limit: int = BOARD_LIMIT) -> list[Task]:
    """Closure and extension requests waiting for the user's decision, oldest first, with the
    request's reason and asked-for date annotated from the latest status event."""
    latest = TaskEvent.objects.filter(task=OuterRef("pk"), kind=TaskEvent.Kind.STATUS, to_status=OuterRef("status"))
    latest = latest.order_by("-created_at", "-id")
    tasks = (
        Task.objects.visible_to(user)
        .filter(document__in=coordinated_documents(user), status__in=[S.CLOSURE_REQUESTED, S.EXTENSION_REQUESTED])
        .annotate(
            request_comment=Subquery(latest.values("comment")[:1]),
            request_data=Subquery(latest.values("data")[:1]),
            requested_at=Subquery(latest.values("created_at")[:1]),
        )
        .order_by("updated_at", "id")
    )
    return list(task_list(tasks)[:limit])


def rounds_for(user) -> QuerySet[ReportingRound]:
    """Rounds of the user's coordinated documents with their filed / expected counts."""
    return (
        ReportingRound.objects.filter(document__in=coordinated_documents(user))
        .select_related("document")
        .defer("document__raw_text")
        .annotate(
            expected=Count("entries"),
            filed=Count("entries", filter=Q(entries__report__isnull=False)),
        )
        .order_by("closed_at", "-opened_at")
    )


def round_entries(round: ReportingRound) -> QuerySet[RoundEntry]:
    return (
        RoundEntry.objects.filter(round=round)
        .select_related("agency", "task__measure", "report")
        .defer("task__measure__text")
        .order_by("report_id", "agency__name", "task__measure__order", "role")
    )


# ---------------------------------------------------------------- dashboard


@dataclass
class Rate:
    key: int
    label: str
    total: int
    closed: int
    overdue: int
    on_time: int
    finished_with_date: int
    behind: int = 0

    @property
    def completion(self) -> float:
        return round(100 * self.closed / self.total, 1) if self.total else 0.0

    @property
    def on_time_rate(self) -> float | None:
        """Share of closed tasks with a deadline that were closed by it; None when none closed yet."""
        return round(100 * self.on_time / self.finished_with_date, 1) if self.finished_with_date else None


def _closed_on_time(task_ref: str, due_ref: str) -> Exists:
    return Exists(
        TaskEvent.objects.filter(
            task=OuterRef(task_ref),
            kind=TaskEvent.Kind.STATUS,
            to_status=S.CLOSED,
            created_at__date__lte=OuterRef(due_ref),
        )
    )


def _rate_aggregates(prefix: str, today: datetime.date, on_time: Exists) -> dict:
    p = prefix
    closed = Q(**{f"{p}status": S.CLOSED})
    return {
        "total": Count("pk", filter=~Q(**{f"{p}status": S.CANCELLED})),
        "closed": Count("pk", filter=closed),
        "overdue": Count("pk", filter=Q(**{f"{p}status__in": OPEN, f"{p}due_date__lt": today})),
        "finished_with_date": Count("pk", filter=closed & Q(**{f"{p}due_date__isnull": False})),
        "on_time": Count("pk", filter=closed & Q(**{f"{p}due_date__isnull": False}) & Q(on_time)),
        "behind": Count("pk", filter=Q(**{f"{p}status__in": OPEN, f"{p}schedule_state": "behind"})),
    }


def rates_by_agency(tasks: QuerySet[Task], *, today: datetime.date, limit: int = 30) -> list[Rate]:
    """Per lead agency, the agencies with the most tasks first. Cancelled tasks count nowhere."""
    rows = (
        Assignment.objects.filter(role=Assignment.Role.LEAD, task__in=tasks)
        .values("agency_id", "agency__name")
        .annotate(**_rate_aggregates("task__", today, _closed_on_time("task_id", "task__due_date")))
        .order_by("-total", "agency__name")[:limit]
    )
    return [
        Rate(
            r["agency_id"],
            r["agency__name"],
            r["total"],
            r["closed"],
            r["overdue"],
            r["on_time"],
            r["finished_with_date"],
            r["behind"],
        )
        for r in rows
    ]


def rates_by_document(
    tasks: QuerySet[Task], *, today: datetime.date, limit: int = 30, task_ref: str = "pk"
) -> list[Rate]:
    """`task_ref` names the task's id in `tasks`: "id" for the historical rows of tasks_as_of."""
    label_fields = [f"document__{f}" for f in PolicyDocument.LABEL_FIELDS]
    rows = (
        tasks.values("document_id", *label_fields)
        .annotate(**_rate_aggregates("", today, _closed_on_time(task_ref, "due_date")))
        .order_by("-total", "document_id")[:limit]
    )
    return [
        Rate(
            r["document_id"],
            PolicyDocument.label(*(r[f] for f in label_fields)),
            r["total"],
            r["closed"],
            r["overdue"],
            r["on_time"],
            r["finished_with_date"],
            r["behind"],
        )
        for r in rows
    ]


@dataclass
class MonthCount:
    month: datetime.date
    closed: int
    reports: int


def trend_by_month(tasks: QuerySet[Task], *, today: datetime.date, months: int = 12) -> list[MonthCount]:
    """Closures and progress reports per month over the last `months` months, empty months included."""
    first = _month_start(today, months - 1)
    closed = (
        TaskEvent.objects.filter(
            task__in=tasks, kind=TaskEvent.Kind.STATUS, to_status=S.CLOSED, created_at__date__gte=first
        )
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by()
    )
    reports = (
        ProgressReport.objects.filter(task__in=tasks, created_at__date__gte=first)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by()
    )
    closed_by = {_as_date(r["month"]): r["n"] for r in closed}
    reports_by = {_as_date(r["month"]): r["n"] for r in reports}
    out = []
    for i in range(months - 1, -1, -1):
        month = _month_start(today, i)
        out.append(MonthCount(month, closed_by.get(month, 0), reports_by.get(month, 0)))
    return out


def tasks_as_of(tasks: QuerySet[Task], day: datetime.date) -> QuerySet:
    """The tasks as they stood at the end of `day`, from their history (django-simple-history): for
    each task, its last historical row up to then. Same fields as Task, so totals() and
    rates_by_document() read them alike; one correlated, indexed subquery per row, so slower than
    the live figures."""
    end = timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time()))
    history = Task.history.model.objects
    latest = (
        history.filter(id=OuterRef("id"), history_date__lt=end)
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    return history.filter(history_id=Subquery(latest), id__in=tasks.values("pk")).exclude(history_type="-")


def dashboard_figures(tasks: QuerySet[Task], *, today: datetime.date, as_of: datetime.date | None = None) -> dict:
    """Everything the dashboard shows, for the page and the API alike. `as_of` a past day: the
    totals and per-document figures from the tasks' history; the per-agency table needs today's
    assignments, so it is left out rather than shown mixed."""
    if as_of is None:
        figures, by_agency = tasks, rates_by_agency(tasks, today=today)
        by_document = rates_by_document(tasks, today=today)
    else:
        figures, by_agency = tasks_as_of(tasks, as_of), []
        by_document = rates_by_document(figures, today=as_of, task_ref="id")
    return {
        "as_of": as_of,
        "totals": totals(figures, today=as_of or today),
        "by_agency": by_agency,
        "by_document": by_document,
        "trend": trend_by_month(tasks, today=as_of or today),
    }


def totals(tasks: QuerySet[Task], *, today: datetime.date) -> dict[str, int]:
    return tasks.aggregate(
        total=Count("pk", filter=~Q(status=S.CANCELLED)),
        open=Count("pk", filter=Q(status__in=OPEN)),
        closed=Count("pk", filter=Q(status=S.CLOSED)),
        overdue=Count("pk", filter=Q(status__in=OPEN, due_date__lt=today)),
        finished=Count("pk", filter=Q(status__in=FINISHED)),
    )


def _month_start(today: datetime.date, back: int) -> datetime.date:
    index = today.year * 12 + today.month - 1 - back
    return datetime.date(index // 12, index % 12 + 1, 1)


def _as_date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


# ---------------------------------------------------------------- one task


def task_detail(tasks: QuerySet[Task]) -> QuerySet[Task]:
    return (
        tasks.select_related("measure", "document", "document__coordinator", "document__jurisdiction")
        .defer("document__raw_text")
        .prefetch_related(_lead_assignments(), "measure__targets")
        .annotate(latest_percent=latest_percent())
    )


def task_timeline(task: Task) -> list[TaskEvent]:
    """Events with the reports they announce attached as `event.report` (values and attachments
    prefetched): four queries whatever the length of the history."""
    events = list(TaskEvent.objects.filter(task=task).select_related("actor", "agency").order_by("-created_at", "-id"))
    reports = {
        r.pk: r
        for r in ProgressReport.objects.filter(task=task)
        .select_related("round")
        .prefetch_related(Prefetch("values", queryset=_values()), "attachments")
    }
    for event in events:
        event.report = reports.get((event.data or {}).get("report_id"))
    return events


def _values():
    return ReportedValue.objects.select_related("target")


def latest_values(task: Task) -> dict[int, object]:
    """target id → the most recently reported value (of reports not sent back), in one query."""
    latest: dict[int, object] = {}
    rows = ReportedValue.objects.filter(report__task=task, report__returned_at__isnull=True)
    rows = rows.order_by("-report__created_at", "-report_id")
    for target_id, value in rows.values_list("target_id", "value"):
        latest.setdefault(target_id, value)
    return latest


def unreceived_for(user, *, limit: int = 10) -> tuple[list[Task], int]:
    """Open tasks handed to the user's agency (or its groups) and not signed for yet, oldest first,
    with their count: two queries on the agency's assignments."""
    agencies = user_agency_ids(user)
    if not agencies:
        return [], 0
    pending = Assignment.objects.filter(agency_id__in=agencies, received_at__isnull=True, task__status__in=OPEN)
    count = pending.values("task_id").distinct().count()
    if not count:
        return [], 0
    tasks = (
        Task.objects.filter(pk__in=pending.values("task_id"))
        .select_related("measure")
        .defer("measure__text")
        .order_by("created_at", "pk")[:limit]
    )
    return list(tasks), count


@dataclass
class UnreceivedLine:
    agency: str
    tasks: int
    since: datetime.datetime


def board_unreceived(user, *, limit: int = 30) -> list[UnreceivedLine]:
    """Who has not signed for what, in the documents the user coordinates: per agency, how many
    tasks and since when (one grouped query over assignment_unreceived_idx)."""
    rows = (
        Assignment.objects.filter(
            received_at__isnull=True, task__status__in=OPEN, task__document__in=coordinated_documents(user)
        )
        .values("agency__name")
        .annotate(tasks=Count("task_id", distinct=True), since=Min("assigned_at"))
        .order_by("since", "agency__name")[:limit]
    )
    return [UnreceivedLine(r["agency__name"], r["tasks"], r["since"]) for r in rows]


@dataclass
class OwedRound:
    round: ReportingRound
    missing: int


def rounds_owed(user, *, limit: int = 10) -> list[OwedRound]:
    """Open rounds in which the user's agency (or a group it belongs to) has not filed yet, with how
    many reports it owes: two queries (entries are indexed by agency)."""
    agencies = user_agency_ids(user)
    if not agencies:
        return []
    owed = (
        RoundEntry.objects.filter(agency_id__in=agencies, report__isnull=True, round__closed_at__isnull=True)
        .values("round_id")
        .annotate(n=Count("id"))
        .order_by("round_id")[:limit]
    )
    counts = {row["round_id"]: row["n"] for row in owed}
    rounds = ReportingRound.objects.filter(pk__in=counts).select_related("document").order_by("due_date", "pk")
    return [OwedRound(r, counts[r.pk]) for r in rounds]


def open_round_for(task: Task) -> ReportingRound | None:
    return ReportingRound.objects.filter(document_id=task.document_id, closed_at__isnull=True).first()


def notices_visible(user) -> QuerySet[SupervisionNotice]:
    """督办单 on the tasks the user may see (an agency sees its own, coordinators their documents')."""
    return (
        SupervisionNotice.objects.filter(task__in=Task.objects.visible_to(user))
        .select_related("task__measure", "task__document", "agency")
        .defer("task__measure__text", "task__document__raw_text")
    )


def board_notices(user, *, limit: int = 30) -> tuple[list[SupervisionNotice], dict[str, int]]:
    """Unanswered 督办单 of the documents the user coordinates, most severe and latest first, and how
    many of each colour (one grouped query over notice_issued_idx)."""
    unanswered = SupervisionNotice.objects.filter(
        answered_at__isnull=True, task__document__in=coordinated_documents(user), task__status__in=OPEN
    )
    counts = dict(unanswered.values("colour").annotate(n=Count("pk")).values_list("colour", "n"))
    severity = {"red": 0, "yellow": 1, "blue": 2}
    rows = list(
        unanswered.select_related("task__measure", "agency")
        .defer("task__measure__text")
        .order_by("-issued_on", "-seq")[:limit]
    )
    rows.sort(key=lambda n: severity.get(n.colour, 3))
    return rows, counts


@dataclass
class GroupProgress:
    group: Agency
    role: str
    # (member, its latest report or contribution on the task, or None)
    members: list[tuple[Agency, datetime.datetime | None]]


def group_progress(task: Task) -> list[GroupProgress]:
    """The task's groups (各区县人民政府) member by member: who has reported and who has not yet.
    Two queries however many members."""
    groups = [a for a in task.assignments.all() if a.agency.kind == Agency.Kind.GROUP]
    if not groups:
        return []
    members = Agency.members.through.objects.filter(from_agency_id__in=[a.agency_id for a in groups]).select_related(
        "to_agency"
    )
    by_group = defaultdict(list)
    for link in members.order_by("to_agency__name"):
        by_group[link.from_agency_id].append(link.to_agency)
    latest = dict(
        ProgressReport.objects.filter(task=task, returned_at__isnull=True)
        .values("agency_id")
        .annotate(last=Max("created_at"))
        .values_list("agency_id", "last")
    )
    return [
        GroupProgress(a.agency, a.role, [(m, latest.get(m.pk)) for m in by_group.get(a.agency_id, [])]) for a in groups
    ]


@dataclass
class BehindLine:
    agency_id: int
    agency: str
    behind: int


def board_behind(user, *, limit: int = 30) -> list[BehindLine]:
    """序时进度滞后 by lead agency on the user's documents, most first (the daily sweep's state)."""
    rows = (
        Assignment.objects.filter(
            role=Assignment.Role.LEAD,
            task__schedule_state="behind",
            task__status__in=OPEN,
            task__document__in=coordinated_documents(user),
        )
        .values("agency_id", "agency__name")
        .annotate(n=Count("task_id"))
        .order_by("-n", "agency__name")[:limit]
    )
    return [BehindLine(r["agency_id"], r["agency__name"], r["n"]) for r in rows]


def board_empty_groups(user, *, limit: int = 50) -> list[Agency]:
    """Groups assigned open tasks in the user's documents that have no members: nobody gets those."""
    return list(
        Agency.objects.filter(
            kind=Agency.Kind.GROUP,
            members__isnull=True,
            assignments__task__status__in=OPEN,
            assignments__task__document__in=coordinated_documents(user),
        )
        .distinct()
        .order_by("name")[:limit]
    )


def board_duty_gaps(user, *, limit: int = 50) -> list[Agency]:
    """Agencies with open tasks in the user's documents and no liaison named: their reminders and
    督办单 go to all their staff until one is."""
    return list(
        Agency.objects.filter(
            liaison__isnull=True,
            assignments__task__status__in=OPEN,
            assignments__task__document__in=coordinated_documents(user),
        )
        .distinct()
        .order_by("name")[:limit]
    )


def audit_entries(*, kind: str = "", username: str = "") -> QuerySet[AuditEntry]:
    """The audit trail, newest first, for the superuser's page; each filter an index."""
    entries = AuditEntry.objects.select_related("user").order_by("-created_at", "-id")
    if kind in AuditEntry.Kind.values:
        entries = entries.filter(kind=kind)
    if username:
        entries = entries.filter(username=username)
    return entries
