"""督办单: the three-colour ladder. Blue when a deadline is near, yellow when a task falls behind
(序时进度 behind where the document asks for warnings, a report sent back, a round not filed), red
when it is overdue. Each level issues a numbered notice to the lead agency, again every
`repeat_days` while its condition holds, until the task is closed, suspended or extended: nothing
ages out, so a task 300 days late keeps its red notice coming, and a document imported with
deadlines long gone gets its notices on the first day.

`owed` is the rule (pure); `notices_issue` walks the open tasks once a day and writes the notices,
numbering them per jurisdiction and year under a row lock so two sweeps at once neither skip nor
repeat a number, and the unique (task, agency, colour, cycle) key keeps each notice to one."""

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from agencies.models import Jurisdiction

from . import assessment
from .models import (
    Assignment,
    NoticeCounter,
    ProgressReport,
    RoundEntry,
    SupervisionLevel,
    SupervisionNotice,
    SupervisionRun,
    Task,
)
from .progress import schedule
from .selectors import latest_percent
from .workflow import OPEN

Colour = SupervisionLevel.Colour
Trigger = SupervisionLevel.Trigger
Reason = SupervisionNotice.Reason
SEVERITY = {Colour.RED: 3, Colour.YELLOW: 2, Colour.BLUE: 1}
# A claimed day whose run has not finished after this long was left by a dead worker.
STALE_RUN = datetime.timedelta(hours=1)
# A round missed or a report sent back counts as "behind" for this many days after it happened.
RECENT_DAYS = 30
BATCH_SIZE = 1000


@dataclass(frozen=True)
class Owed:
    level: SupervisionLevel
    cycle: str
    reason: str  # a SupervisionNotice.Reason value
    days: int = 0  # days late, days left, or points behind


def ladder(jurisdiction_id: int | None, levels: Iterable[SupervisionLevel]) -> list[SupervisionLevel]:
    """The jurisdiction's own active rungs if it has any, else the defaults; most severe first."""
    levels = list(levels)
    own = [lv for lv in levels if lv.jurisdiction_id == jurisdiction_id]
    chosen = own if own else [lv for lv in levels if lv.jurisdiction_id is None]
    return sorted((lv for lv in chosen if lv.is_active), key=lambda lv: -SEVERITY[lv.colour])


def _cycle(due: datetime.date, n: int) -> str:
    return f"{due.isoformat()}:{n}"


def owed(
    rungs: list[SupervisionLevel], *, due: datetime.date, today: datetime.date, behind: tuple[str, int] | None
) -> Owed | None:
    """The notice a task's lead agency is owed today: the most severe rung whose condition holds.
    `behind` is why it is behind (None if it is not). Repeats count from the day the condition
    first held, so each interval gives one new cycle key and a missed day is caught up once."""
    for level in rungs:
        repeat = level.repeat_days
        if level.trigger == Trigger.OVERDUE:
            late = (today - due).days
            if late >= max(level.days, 1):
                n = (late - max(level.days, 1)) // repeat if repeat else 0
                return Owed(level, _cycle(due, n), Reason.OVERDUE, late)
        elif level.trigger == Trigger.BEHIND:
            if behind and today <= due:
                # Anchored to the calendar rather than to when it fell behind (which no row records):
                # the same key for the whole interval, a new one the next.
                n = today.toordinal() // repeat if repeat else 0
                return Owed(level, _cycle(due, n), *behind)
        elif level.trigger == Trigger.DUE_SOON:
            left = (due - today).days
            if 0 <= left <= level.days:
                n = (level.days - left) // repeat if repeat else 0
                return Owed(level, _cycle(due, n), Reason.DUE_SOON, left)
    return None


def _number(jurisdiction: Jurisdiction, year: int, seq: int) -> str:
    # An official reference, the same in every language, as a 文号 is.
    return f"{jurisdiction.name}督办〔{year}〕{seq}号"


def _behind_reasons(batch: list[dict], today: datetime.date) -> dict[tuple[int, int], tuple[str, int]]:
    """(task id, lead agency id) → why it is behind, for a batch of tasks due today or later."""
    ids = [t["pk"] for t in batch]
    since = timezone.now() - datetime.timedelta(days=RECENT_DAYS)
    reasons: dict[tuple[int, int], tuple[str, int]] = {}
    leads = defaultdict(list)
    for task_id, agency_id in Assignment.objects.filter(task_id__in=ids, role=Assignment.Role.LEAD).values_list(
        "task_id", "agency_id"
    ):
        leads[task_id].append(agency_id)
    for task_id, agency_id in RoundEntry.objects.filter(
        task_id__in=ids, report__isnull=True, round__closed_at__gte=since, role=Assignment.Role.LEAD
    ).values_list("task_id", "agency_id"):
        reasons[(task_id, agency_id)] = (Reason.ROUND_MISSED, 0)
    latest: dict[tuple[int, int], bool] = {}
    for task_id, agency_id, returned in (
        ProgressReport.objects.filter(task_id__in=ids, kind=ProgressReport.Kind.REPORT, created_at__gte=since)
        .order_by("task_id", "agency_id", "-created_at")
        .values_list("task_id", "agency_id", "returned_at")
    ):
        latest.setdefault((task_id, agency_id), returned is not None)
    for key, returned in latest.items():
        if returned:
            reasons.setdefault(key, (Reason.REPORT_RETURNED, 0))
    for t in batch:
        if t["status"] == Task.Status.RETURNED:
            for agency_id in leads[t["pk"]]:
                reasons.setdefault((t["pk"], agency_id), (Reason.CLOSURE_RETURNED, 0))
        if t["document__schedule_warnings"]:
            state = schedule(
                start=timezone.localtime(t["created_at"]).date(),
                due=t["due_date"],
                today=today,
                done=t["percent"],
                working_days=t["document__working_days"],
            )
            if state.behind:
                for agency_id in leads[t["pk"]]:
                    reasons.setdefault((t["pk"], agency_id), (Reason.BEHIND, state.behind_by))
    return {key: reason for key, reason in reasons.items() if key[1] in leads[key[0]]}


def _state(t: dict, today: datetime.date) -> str:
    return schedule(
        start=timezone.localtime(t["created_at"]).date(),
        due=t["due_date"],
        today=today,
        done=t["percent"],
        working_days=t["document__working_days"],
    ).state


def _schedule_states_store(batch: list[dict], today: datetime.date) -> None:
    """The day's 序时进度 of each open task onto its row: one UPDATE per state that changed."""
    changed: dict[str, list[int]] = defaultdict(list)
    for t in batch:
        state = _state(t, today)
        if state != t["schedule_state"]:
            changed[state].append(t["pk"])
    for state, ids in changed.items():
        Task.objects.filter(pk__in=ids).update(schedule_state=state)


def _open_tasks(batch_size: int) -> Iterator[list[dict]]:
    """Open tasks with a due date, in batches, keyset on id (the walk is daily, not per sweep)."""
    base = (
        Task.objects.filter(status__in=OPEN, due_date__isnull=False)
        .annotate(percent=latest_percent())
        .order_by("pk")
        .values(
            "pk",
            "status",
            "due_date",
            "created_at",
            "percent",
            "document__jurisdiction_id",
            "document__schedule_warnings",
            "document__working_days",
            "schedule_state",
        )
    )
    last = 0
    while True:
        rows = list(base.filter(pk__gt=last)[:batch_size])
        if not rows:
            return
        yield rows
        if len(rows) < batch_size:
            return
        last = rows[-1]["pk"]


def _claim_day(today: datetime.date) -> SupervisionRun | None:
    now = timezone.now()
    run, created = SupervisionRun.objects.get_or_create(day=today, defaults={"started_at": now})
    if created:
        return run
    if run.finished_at is None and run.started_at < now - STALE_RUN:
        taken = SupervisionRun.objects.filter(pk=run.pk, started_at=run.started_at).update(started_at=now)
        return run if taken else None
    return None


def notices_issue(
    *,
    today: datetime.date,
    on_issued: Callable[[list[SupervisionNotice]], None] | None = None,
    batch_size: int = BATCH_SIZE,
    force: bool = False,
) -> int:
    """Issue the day's 督办单; once a day unless `force`. `on_issued` runs inside each batch's
    transaction with the new notices, so what it records (the notifications) commits with them."""
    run = _claim_day(today)
    if run is None and not force:
        return 0
    levels = list(SupervisionLevel.objects.all())
    rungs_by_place: dict[int, list[SupervisionLevel]] = {}
    issued = 0
    for batch in _open_tasks(batch_size):
        _schedule_states_store(batch, today)
        issued += _issue_batch(batch, today=today, levels=levels, rungs_by_place=rungs_by_place, on_issued=on_issued)
    if run is not None:
        # The assessment is a daily matter too: its snapshots are refreshed on the day's claim.
        assessment.snapshots_refresh(today=today)
        SupervisionRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), issued=F("issued") + issued)
    return issued


def _issue_batch(batch, *, today, levels, rungs_by_place, on_issued) -> int:
    behind = _behind_reasons([t for t in batch if t["due_date"] >= today], today)
    ids = [t["pk"] for t in batch]
    leads: dict[int, list[int]] = defaultdict(list)
    for task_id, agency_id in (
        Assignment.objects.filter(task_id__in=ids, role=Assignment.Role.LEAD)
        .order_by("task_id", "position")
        .values_list("task_id", "agency_id")
    ):
        leads[task_id].append(agency_id)
    wanted: dict[tuple[int, int, str, str], tuple[dict, Owed]] = {}
    for t in batch:
        place = t["document__jurisdiction_id"]
        if place not in rungs_by_place:
            rungs_by_place[place] = ladder(place, levels)
        for agency_id in leads[t["pk"]]:
            owe = owed(rungs_by_place[place], due=t["due_date"], today=today, behind=behind.get((t["pk"], agency_id)))
            if owe is not None:
                wanted[(t["pk"], agency_id, owe.level.colour, owe.cycle)] = (t, owe)
    if not wanted:
        return 0
    new = _without_existing(wanted)
    if not new:
        return 0
    by_place: dict[int, list] = defaultdict(list)
    for key, value in new.items():
        by_place[value[0]["document__jurisdiction_id"]].append((key, value))
    count = 0
    for place, items in by_place.items():
        count += _write(place, items, today=today, on_issued=on_issued)
    return count


def _without_existing(wanted: dict) -> dict:
    task_ids = {k[0] for k in wanted}
    existing = set(
        SupervisionNotice.objects.filter(task_id__in=task_ids).values_list("task_id", "agency_id", "colour", "cycle")
    )
    return {k: v for k, v in wanted.items() if k not in existing}


@transaction.atomic
def _write(place: int, items: list, *, today: datetime.date, on_issued) -> int:
    jurisdiction = Jurisdiction.objects.get(pk=place)
    NoticeCounter.objects.get_or_create(jurisdiction=jurisdiction, year=today.year)
    counter = NoticeCounter.objects.select_for_update().get(jurisdiction=jurisdiction, year=today.year)
    # Checked again under the lock: a sweep that ran meanwhile has issued some of them already.
    fresh = _without_existing(dict(items))
    if not fresh:
        return 0
    notices = []
    seq = counter.last
    for (task_id, agency_id, colour, cycle), (_t, owe) in fresh.items():
        seq += 1
        notices.append(
            SupervisionNotice(
                number=_number(jurisdiction, today.year, seq),
                jurisdiction=jurisdiction,
                year=today.year,
                seq=seq,
                task_id=task_id,
                agency_id=agency_id,
                colour=colour,
                cycle=cycle,
                issued_on=today,
                reason=owe.reason,
                reason_days=owe.days,
                asks=owe.level.asks,
                answer_due=today + datetime.timedelta(days=owe.level.answer_days),
            )
        )
    counter.last = seq
    counter.save(update_fields=["last"])
    created = SupervisionNotice.objects.bulk_create(notices)
    for notice, (_t, owe) in zip(created, fresh.values(), strict=True):
        notice.level = owe.level  # who is copied, for the recipients
    if on_issued is not None:
        on_issued(created)
    return len(created)


def notices_answer(*, task_id: int, agency_id: int) -> int:
    """A report from the agency answers its open notices on the task."""
    return SupervisionNotice.objects.filter(task_id=task_id, agency_id=agency_id, answered_at__isnull=True).update(
        answered_at=timezone.now()
    )
