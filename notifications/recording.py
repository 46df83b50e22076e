"""Recording: the ledger rows of every notification — the sweep (reminders, escalations, rounds,
receipts, 督办单), the events someone must hear of, the weekly digests — inserted exactly once on
their unique key and handed on after commit to notifications.sending."""

import datetime
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from agencies.models import Agency, User
from tracker import services as tracker_services
from tracker import supervision, workdays
from tracker.models import ReportingRound, SupervisionNotice, TaskEvent

from . import channels, schedule, selectors
from .models import Notification, Preference, SweepRun

log = logging.getLogger(__name__)

N = Notification
K = Notification.Kind
Status = Notification.Status

OnRecorded = Callable[[list[int]], None]


@dataclass(frozen=True)
class Row:
    """One ledger row to insert."""

    recipient_id: int
    kind: str
    target: str
    period: str
    task_id: int | None = None
    round_id: int | None = None
    data: dict = field(default_factory=dict)


@dataclass
class RunResult:
    recorded: int = 0
    sent: int = 0
    failed: int = 0
    requeued: int = 0
    # 督办单 issued, and the ledger rows they made (not in `recorded`, which counts the reminders).
    notices: int = 0
    notice_rows: int = 0


_COLUMNS = ("recipient_id", "kind", "target", "period", "task_id", "round_id", "data", "status", "attempts",
            "last_error", "next_attempt_at", "subject", "created_at")  # fmt: skip


def notifications_insert(rows: Sequence[Row], *, now: datetime.datetime) -> list[int]:
    """Insert ledger rows, skipping keys already present; return the ids actually inserted.

    Raw SQL because the ORM's bulk_create(ignore_conflicts=True) cannot tell which rows were new,
    and that is exactly what decides who enqueues the send. Works on PostgreSQL and SQLite ≥ 3.35."""
    if not rows:
        return []
    if connection.vendor == "postgresql":
        return _insert_unnest(rows, now=now)
    meta = Notification._meta
    fields = [meta.get_field(c.removesuffix("_id") if c.endswith("_id") else c) for c in _COLUMNS]
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    key = ", ".join(
        connection.ops.quote_name(meta.get_field(f).column) for f in ("target", "kind", "period", "recipient")
    )
    ids: list[int] = []
    # 400 rows x 13 columns stays under SQLite's parameter limit.
    for start in range(0, len(rows), 400):
        chunk = rows[start : start + 400]
        params: list = []
        for row in chunk:
            values = (row.recipient_id, row.kind, row.target, row.period, row.task_id, row.round_id, row.data,
                      Status.PENDING, 0, "", now, "", now)  # fmt: skip
            params.extend(f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True))
        placeholders = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(chunk))
        sql = f"INSERT INTO {table} ({columns}) VALUES {placeholders} ON CONFLICT ({key}) DO NOTHING RETURNING id"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids.extend(r[0] for r in cursor.fetchall())
    return ids


def _insert_unnest(rows: Sequence[Row], *, now: datetime.datetime) -> list[int]:
    """PostgreSQL: one column array per parameter, whatever the number of rows. A VALUES list of
    thousands of placeholders spends more time being parsed on the client than inserted; this
    statement is the same text every time. The sweep's rows of one task share one `data` dict, so
    each is serialised once."""
    meta = Notification._meta
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(meta.get_field(c.removesuffix("_id")).column) for c in _COLUMNS)
    key = ", ".join(
        connection.ops.quote_name(meta.get_field(f).column) for f in ("target", "kind", "period", "recipient")
    )
    sql = (
        f"INSERT INTO {table} ({columns}) "
        "SELECT u.recipient, u.kind, u.target, u.period, u.task, u.round, u.data::jsonb, %s, 0, '', %s, '', %s "
        "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::bigint[], %s::bigint[], %s::text[]) "
        "AS u (recipient, kind, target, period, task, round, data) "
        f"ON CONFLICT ({key}) DO NOTHING RETURNING id"
    )
    ids: list[int] = []
    for start in range(0, len(rows), 5000):
        chunk = rows[start : start + 5000]
        dumped: dict[int, str] = {}
        data = []
        for row in chunk:
            text = dumped.get(id(row.data))
            if text is None:
                text = dumped[id(row.data)] = json.dumps(row.data)
            data.append(text)
        params = [
            Status.PENDING,
            now,
            now,
            [r.recipient_id for r in chunk],
            [str(r.kind) for r in chunk],
            [r.target for r in chunk],
            [r.period for r in chunk],
            [r.task_id for r in chunk],
            [r.round_id for r in chunk],
            data,
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids.extend(r[0] for r in cursor.fetchall())
    return ids


def _record(rows: Sequence[Row], *, now: datetime.datetime, on_recorded: OnRecorded | None) -> int:
    if not rows:
        return 0
    with transaction.atomic():
        ids = notifications_insert(rows, now=now)
        if ids and on_recorded is not None:
            transaction.on_commit(lambda: on_recorded(ids))
        # The group robots' posts are recorded with the rows they echo (notifications.channels).
        posts = channels.deliveries_record(ids)
        if posts:
            transaction.on_commit(lambda: _enqueue_posts(posts))
    return len(ids)


def _enqueue_posts(ids: list[int]) -> None:
    from . import tasks

    tasks.enqueue_posts(ids)


# --- the sweep -----------------------------------------------------------------------------


def _task_batch_rows(batch: list[tuple[int, int, datetime.date]], today: datetime.date, config: schedule.Config):
    """Rows owed today for one batch of tasks; skips stages already in the ledger before looking up
    any recipient, so a sweep that finds nothing new costs two queries per batch."""
    agency_stage: dict[int, schedule.Stage] = {}
    coordinator_stage: dict[int, tuple[int, schedule.Stage]] = {}
    for task_id, document_id, due_date in batch:
        if stage := schedule.agency_stage(due_date, today, config):
            agency_stage[task_id] = stage
        if stage := schedule.coordinator_stage(due_date, today, config):
            coordinator_stage[task_id] = (document_id, stage)
    if not agency_stage and not coordinator_stage:
        return []
    targets = [f"task:{t}" for t in agency_stage.keys() | coordinator_stage.keys()]
    done = selectors.recorded_keys(targets, [K.REMINDER, K.NUDGE, K.YELLOW, K.RED])
    agency_stage = {t: s for t, s in agency_stage.items() if (f"task:{t}", s.kind, s.period) not in done}
    coordinator_stage = {
        t: ds for t, ds in coordinator_stage.items() if (f"task:{t}", ds[1].kind, ds[1].period) not in done
    }
    rows: list[Row] = []
    if agency_stage:
        staff = selectors.task_staff(agency_stage)
        for task_id, stage in agency_stage.items():
            data = {"due": stage.due_date.isoformat(), "days": (stage.due_date - today).days}
            rows.extend(
                Row(user_id, stage.kind, f"task:{task_id}", stage.period, task_id=task_id, data=data)
                for user_id in staff.get(task_id, [])
            )
    if coordinator_stage:
        coordinators = selectors.document_coordinators({d for d, _ in coordinator_stage.values()})
        leads = _lead_names(coordinator_stage)
        for task_id, (document_id, stage) in coordinator_stage.items():
            data = {"due": stage.due_date.isoformat(), "days": (stage.due_date - today).days,
                    "agencies": leads.get(task_id, [])}  # fmt: skip
            rows.extend(
                Row(user_id, stage.kind, f"task:{task_id}", stage.period, task_id=task_id, data=data)
                for user_id in coordinators.get(document_id, [])
            )
    return rows


def _lead_names(task_ids: Iterable[int]) -> dict[int, list[str]]:
    from tracker.models import Assignment

    names: dict[int, list[str]] = {}
    for task_id, name in (
        Assignment.objects.filter(task_id__in=list(task_ids), role=Assignment.Role.LEAD)
        .order_by("task_id", "position")
        .values_list("task_id", "agency__name")
    ):
        names.setdefault(task_id, []).append(name)
    return names


def _round_batches(today: datetime.date, config: schedule.Config) -> Iterator[list[Row]]:
    """Rows owed for open rounds, one list per round: a province-wide round can owe tens of
    thousands of rows, and holding every round's rows at once is what made the sweep's memory grow
    with the data."""
    for round in selectors.rounds_due_between(*schedule.round_window(today, config)):
        stage = schedule.round_stage(round.due_date, today, config)
        if stage is None:
            continue
        target = f"round:{round.pk}"
        if (target, stage.kind, stage.period) in selectors.recorded_keys([target], [stage.kind]):
            continue
        data_base = {"due": round.due_date.isoformat(), "days": (round.due_date - today).days}
        rows = [
            Row(user_id, stage.kind, target, stage.period, round_id=round.pk, data={**data_base, "missing": missing})
            for user_id, missing in selectors.round_missing_by_user(round.pk).items()
        ]
        if rows:
            yield rows


def _receipt_batches(today: datetime.date) -> Iterator[list[Row]]:
    """签收 not done after NOTIFY_RECEIPT_DAYS working days reminds the agency's staff; after
    NOTIFY_RECEIPT_ESCALATE_DAYS it tells the document's coordinators. Once each per assignment."""
    stages = (
        (settings.NOTIFY_RECEIPT_DAYS, K.RECEIPT, "receipt"),
        (settings.NOTIFY_RECEIPT_ESCALATE_DAYS, K.RECEIPT_LATE, "receipt-late"),
    )
    # An agency hears once per assignment; the coordinators once per task, however many agencies lag.
    for days, kind, prefix in stages:
        # Handed over on or before the working day `days` working days ago.
        cutoff = schedule.start_of_day(workdays.add_working_days(today, -days) + datetime.timedelta(days=1))
        for batch in selectors.unreceived_before(cutoff, batch_size=settings.NOTIFY_BATCH_SIZE):
            if kind == K.RECEIPT:
                reach = selectors.staff_by_agency({agency for _a, _t, agency, _d in batch})
                recipients = {a: reach.get(agency, []) for a, _t, agency, _d in batch}
            else:
                reach = selectors.document_coordinators({document for _a, _t, _g, document in batch})
                recipients = {a: reach.get(document, []) for a, _t, _g, document in batch}
            rows = {
                (user_id, task): Row(
                    user_id,
                    kind,
                    f"task:{task}",
                    f"{prefix}:{a}" if kind == K.RECEIPT else prefix,
                    task_id=task,
                    data={"days": days},
                )
                for a, task, _agency, _document in batch
                for user_id in recipients[a]
            }
            if rows:
                yield list(rows.values())


def _notice_rows(notices: list[SupervisionNotice]) -> list[Row]:
    recipients = selectors.notice_recipients(notices)
    names = dict(Agency.objects.filter(pk__in={n.agency_id for n in notices}).values_list("pk", "name"))
    rows = []
    for notice in notices:
        base = {
            "number": notice.number,
            "colour": notice.colour,
            "reason": notice.reason,
            "days": notice.reason_days,
            "asks": notice.asks,
            "issued": notice.issued_on.isoformat(),
            "answer_due": notice.answer_due.isoformat(),
            "agency": names.get(notice.agency_id, ""),
        }
        people, gap = recipients.get(notice.pk, ([], False))
        data, copy = {**base, "gap": gap, "copy": False}, {**base, "gap": gap, "copy": True}
        rows.extend(
            Row(user_id, K.SUPERVISION, f"notice:{notice.pk}", "issued", task_id=notice.task_id,
                data=copy if copied else data)
            for user_id, copied in people
        )  # fmt: skip
    return rows


def sweep_run(*, at: datetime.datetime, on_recorded: OnRecorded | None = None) -> RunResult:
    """One reminder-and-escalation sweep as of `at`: records what is owed and re-queues stuck rows.

    Safe to run any number of times, concurrently too: the ledger's unique key decides."""
    config = schedule.Config.from_settings()
    today = schedule.local_date(at)
    now = timezone.now()
    result = RunResult()
    # 定期调度: this period's rounds open (their notices follow their commit), last period's close.
    tracker_services.recurring_rounds_run(today=today)
    start, end = schedule.task_window(today, config)
    for batch in selectors.tasks_due_between(start, end, batch_size=settings.NOTIFY_BATCH_SIZE):
        rows = _task_batch_rows(batch, today, config)
        result.recorded += _record(rows, now=now, on_recorded=on_recorded)
    for rows in _round_batches(today, config):
        result.recorded += _record(rows, now=now, on_recorded=on_recorded)
    for rows in _receipt_batches(today):
        result.recorded += _record(rows, now=now, on_recorded=on_recorded)
    # The notice of an opened round goes out when the round commits; should that never have run
    # (the process died in between), the sweep records it for rounds opened in the last two days.
    for round_id in selectors.rounds_opened_between(at - datetime.timedelta(days=2), at):
        result.recorded += round_opened_record(round_id=round_id, on_recorded=on_recorded)
    # 督办单: once a day; each batch's notices and their ledger rows commit together.
    recorded = []

    def notices_recorded(notices: list[SupervisionNotice]) -> None:
        ids = notifications_insert(_notice_rows(notices), now=now)
        recorded.append(len(ids))
        if ids and on_recorded is not None:
            transaction.on_commit(lambda: on_recorded(ids))
        if posts := channels.deliveries_record(ids):
            transaction.on_commit(lambda: _enqueue_posts(posts))

    result.notices = supervision.notices_issue(today=today, on_issued=notices_recorded)
    result.notice_rows = sum(recorded)
    result.requeued = notifications_requeue(now=now, on_ready=on_recorded)
    if on_recorded is not None and (posts := channels.deliveries_due(now=now)):
        _enqueue_posts(posts)
    _run_finished(SweepRun.Job.SWEEP, started_at=now, recorded=result.recorded + result.notice_rows)
    return result


def _run_finished(job: str, *, started_at: datetime.datetime, recorded: int) -> None:
    """The job's one row, for the health check: a sweep that stops running shows as its age. One
    upsert statement, so concurrent sweeps never collide on the unique job."""
    SweepRun.objects.bulk_create(
        [SweepRun(job=job, started_at=started_at, finished_at=timezone.now(), recorded=recorded)],
        update_conflicts=True,
        unique_fields=["job"],
        update_fields=["started_at", "finished_at", "recorded"],
    )


def notifications_requeue(*, now: datetime.datetime, on_ready: OnRecorded | None, limit: int = 10_000) -> int:
    """Hand back rows that should be sending but are not: stale claims and forgotten pending rows."""
    count = 0
    stale = list(
        Notification.objects.filter(status=Status.SENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    if stale:
        # Conditional: a row that a slow worker marked sent in the meantime stays sent.
        Notification.objects.filter(pk__in=stale, status=Status.SENDING, next_attempt_at__lte=now).update(
            status=Status.PENDING, next_attempt_at=now, last_error="lease expired: worker lost"
        )
        log.warning("re-queued %d notifications whose worker was lost", len(stale))
    cutoff = now - datetime.timedelta(seconds=settings.NOTIFY_PENDING_GRACE_SECONDS)
    pending = list(
        Notification.objects.filter(status=Status.PENDING, next_attempt_at__lte=cutoff)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    ids = sorted(set(stale) | set(pending))
    count = len(ids)
    if ids and on_ready is not None:
        transaction.on_commit(lambda: on_ready(ids))
    return count


# --- hand nudges -----------------------------------------------------------------------------


def nudge_record(*, event: TaskEvent, on_recorded: OnRecorded | None) -> int:
    """Turn a 催办 TaskEvent into notifications for the agency's staff, in the event's transaction."""
    recipients = selectors.nudge_recipients(event.task_id, event.agency_id)
    data = {"comment": event.comment, "actor": _actor_label(event), "agency": event.agency_id}
    rows = [
        Row(user_id, K.MANUAL_NUDGE, f"task:{event.task_id}", f"event:{event.pk}", task_id=event.task_id, data=data)
        for user_id in recipients
    ]
    return _record(rows, now=timezone.now(), on_recorded=on_recorded)


# --- decisions, requests, new assignments, opened rounds ---------------------------------------

# A coordinator's decision reaches the agencies that asked (the lead) or, for a change of the whole
# task's course, everyone on it; a request reaches the document's coordinators.
DECISIONS_TO_LEAD = frozenset({"accept_closure", "return_closure", "approve_extension", "refuse_extension"})
DECISIONS_TO_ALL = frozenset({"suspend", "resume", "cancel"})
REQUESTS = frozenset({"request_closure", "request_extension"})


def _actor_label(event: TaskEvent) -> str:
    if not event.actor_id:
        return ""
    actor = User.objects.select_related("agency").filter(pk=event.actor_id).first()
    if actor is None:
        return ""
    return actor.agency.name if actor.agency_id else actor.get_username()


def event_record(*, event: TaskEvent, on_recorded: OnRecorded | None) -> int:
    """Turn a task event that somebody must hear of into ledger rows, in the event's transaction:
    a decision on a request, a request waiting for a decision, an agency newly on the task. The key
    holds the event id, so recording it twice records nothing more."""
    action = (event.data or {}).get("action", "")
    if event.kind == TaskEvent.Kind.STATUS and action in DECISIONS_TO_LEAD | DECISIONS_TO_ALL:
        kind = K.DECISION
        if action in DECISIONS_TO_LEAD:
            staff = selectors.staff_by_agency(selectors.lead_agencies(event.task_id))
            recipients = sorted({u for users in staff.values() for u in users})
        else:
            recipients = selectors.task_staff([event.task_id]).get(event.task_id, [])
    elif event.kind == TaskEvent.Kind.STATUS and action in REQUESTS:
        kind = K.REQUEST
        document_id = event.task.document_id
        recipients = selectors.document_coordinators([document_id]).get(document_id, [])
    elif event.kind == TaskEvent.Kind.REPORT_RETURNED:
        kind = K.DECISION
        staff = selectors.staff_by_agency([event.agency_id]) if event.agency_id else {}
        recipients = sorted({u for users in staff.values() for u in users})
    elif event.kind == TaskEvent.Kind.COMMENT and (event.data or {}).get("mentions"):
        kind = K.MENTION
        recipients = list(event.data["mentions"])
    elif event.kind == TaskEvent.Kind.INSTRUCTION:
        kind = K.INSTRUCTION
        recipients = selectors.task_staff([event.task_id]).get(event.task_id, [])
    elif event.kind == TaskEvent.Kind.ASSIGNMENT:
        kind = K.ASSIGNED
        added = _added_agencies(event)
        staff = selectors.staff_by_agency(added)
        recipients = sorted({u for a in added for u in staff.get(a, [])})
    else:
        return 0
    data = {
        "action": action or event.kind,
        "to_status": event.to_status,
        "comment": event.comment,
        "actor": _actor_label(event),
        # The date a request asks for, or the one a decision set.
        "due": (event.data or {}).get("new_due_date") or (event.data or {}).get("requested_due_date") or "",
    }
    rows = [
        Row(user_id, kind, f"task:{event.task_id}", f"event:{event.pk}", task_id=event.task_id, data=data)
        for user_id in recipients
        if user_id != event.actor_id
    ]
    return _record(rows, now=timezone.now(), on_recorded=on_recorded)


def _added_agencies(event: TaskEvent) -> list[int]:
    """The agencies an assignment event put on the task: a reassignment's new ones, a mapped name's agency."""
    data = event.data or {}
    if "after" in data:
        return sorted(int(a) for a in set(data["after"]) - set(data.get("before", {})))
    return [event.agency_id] if event.agency_id else []


def round_opened_record(*, round_id: int, on_recorded: OnRecorded | None) -> int:
    """Tell the staff of every agency that owes the round a report that it is open. Safe to run
    again (the sweep does, for rounds opened lately, in case the first run never happened)."""
    round = ReportingRound.objects.filter(pk=round_id, closed_at__isnull=True).first()
    if round is None:
        return 0
    data = {"due": round.due_date.isoformat()}
    rows = [
        Row(user_id, K.ROUND_OPENED, f"round:{round.pk}", "opened", round_id=round.pk, data={**data, "missing": n})
        for user_id, n in selectors.round_missing_by_user(round.pk).items()
    ]
    return _record(rows, now=timezone.now(), on_recorded=on_recorded)


def round_chase_record(*, round: ReportingRound, user: User, comment: str, at, on_recorded: OnRecorded | None) -> int:
    """A coordinator's 催报 of a round reaches the staff of every agency that has not filed; the key
    holds the moment of the chase, so each chase is told once."""
    actor = user.agency.name if user.agency_id else user.get_username()
    data = {"due": round.due_date.isoformat(), "comment": comment, "actor": actor}
    period = f"chase:{at:%Y%m%dT%H%M%S}"
    rows = [
        Row(user_id, K.ROUND_CHASED, f"round:{round.pk}", period, round_id=round.pk, data={**data, "missing": n})
        for user_id, n in selectors.round_missing_by_user(round.pk).items()
    ]
    return _record(rows, now=timezone.now(), on_recorded=on_recorded)


def document_instruction_record(*, instruction, task_ids: list[int], on_recorded: OnRecorded | None) -> int:
    """A leader's instruction on a document reaches, once each, the staff of every agency with open
    work in it; the key holds the instruction's id."""
    author = instruction.author
    actor = (author.agency.name if author.agency_id else author.get_username()) if author else ""
    data = {"comment": instruction.text, "actor": actor, "document": str(instruction.document)}
    staff = selectors.task_staff(task_ids)
    recipients = sorted({u for users in staff.values() for u in users} - {instruction.author_id})
    period = f"instruction:{instruction.pk}"
    rows = [Row(u, K.INSTRUCTION, f"document:{instruction.document_id}", period, data=data) for u in recipients]
    return _record(rows, now=timezone.now(), on_recorded=on_recorded)


# --- digests ---------------------------------------------------------------------------------


def digests_run(*, at: datetime.datetime, on_recorded: OnRecorded | None = None) -> RunResult:
    """Record this week's digest for every user whose digest day and hour have come at `at`.

    Users come in batches ordered by agency; the content of an agency is computed for the whole
    batch in a fixed number of queries and kept only while its users last (memory stays flat as
    the province grows); that of a set of coordinated documents is computed once per run.
    Nothing to say: no row, no email."""
    config = schedule.Config.from_settings()
    local = schedule.local_time(at)
    result = RunResult()
    if local.hour < config.digest_hour:
        return result
    today = local.date()
    week = schedule.iso_week(today)
    now = timezone.now()
    staff_cache: dict[int, dict] = {}
    oversight_cache: dict[tuple[tuple[int, ...], bool], dict] = {}
    batches = selectors.digest_users(
        local.weekday(), default_weekday=Preference.Weekday.MONDAY, batch_size=min(500, settings.NOTIFY_BATCH_SIZE)
    )
    for users in batches:
        targets = [f"user:{u.pk}" for u in users]
        done = {t for t, _kind, _period in selectors.recorded_keys(targets, [K.DIGEST], periods=[week])}
        todo = [u for u in users if f"user:{u.pk}" not in done]
        agencies = {u.agency_id for u in todo if u.agency_id}
        agency_names = dict(Agency.objects.filter(pk__in=agencies).values_list("pk", "name"))
        # Users are in agency order: only the last agency of the previous batch can come again.
        staff_cache = {a: c for a, c in staff_cache.items() if a in agencies}
        staff_agencies = {u.agency_id for u in todo if u.agency_id and u.role == User.Role.STAFF}
        staff_cache.update(selectors.staff_digests(staff_agencies - staff_cache.keys(), today, config.due_soon_days))
        rows: list[Row] = []
        for user in todo:
            content = _digest_content(user, today, config, staff_cache, oversight_cache)
            if content is None or not selectors.digest_has_news(content):
                continue
            data = {**content, "week": week, "agency": agency_names.get(user.agency_id, ""),
                    "due_soon_days": config.due_soon_days}  # fmt: skip
            rows.append(Row(user.pk, K.DIGEST, f"user:{user.pk}", week, data=data))
        result.recorded += _record(rows, now=now, on_recorded=on_recorded)
    _run_finished(SweepRun.Job.DIGESTS, started_at=now, recorded=result.recorded)
    return result


def _digest_content(user: User, today, config, staff_cache: dict, oversight_cache: dict) -> dict | None:
    if user.role == User.Role.STAFF:
        if not user.agency_id:
            return None
        if user.agency_id not in staff_cache:
            staff_cache[user.agency_id] = selectors.staff_digest(user.agency_id, today, config.due_soon_days)
        return staff_cache[user.agency_id]
    documents = tuple(selectors.overseen_documents(user))
    if not documents:
        return None
    key = (documents, user.role == User.Role.COORDINATOR)
    if key not in oversight_cache:
        # Bounded: coordinators of one agency share a key, so this holds a few dozen entries.
        oversight_cache[key] = selectors.coordinator_digest(list(documents), today, with_requests=key[1])
    return oversight_cache[key]
