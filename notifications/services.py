"""Writes for notifications: record ledger rows, claim and send them, re-queue the stuck ones.

Exactly once, in three steps:

1. *Record.* The sweep inserts ledger rows with INSERT … ON CONFLICT DO NOTHING RETURNING id on
   the unique key (target, kind, period, recipient), one transaction per batch. Only the ids it
   actually inserted come back, so of two sweeps running at once (two beat processes, a manual
   `run_sweep` during a scheduled one) each row is owned by exactly one of them.
2. *Enqueue after commit.* The owner hands the new ids to `on_recorded` through
   `transaction.on_commit`, so a worker never looks for a row that is not committed yet.
3. *Claim, send, mark.* `notifications_send` takes a chunk of ids (one Celery message each) and
   moves them pending → sending with one conditional UPDATE … RETURNING; it goes on only with the
   rows that UPDATE changed. It sends them over one SMTP session and marks each sent straight
   after the server accepted it. A failure puts only that row back to pending with a later
   `next_attempt_at` (exponential backoff), or failed after NOTIFY_MAX_ATTEMPTS — at once when the
   server refused the recipient for good (5xx at RCPT) — with the error kept on the row.

Lost work comes back through `notifications_requeue`, run by every sweep: pending rows nobody
picked up (Redis was down at enqueue time, a retry message was lost) and sending rows whose lease
(NOTIFY_LEASE_SECONDS, set at claim time) ran out because their worker was killed.

The one window left: a worker SIGKILLed after the SMTP server accepted a message (250 after
DATA) and before the UPDATE to sent. Its row is re-sent when the lease runs out — at least once,
not at most once, because losing a deadline reminder is worse than a rare duplicate. The window is
the few microseconds between smtplib returning and the UPDATE (we mark each row sent straight
after the server's reply, before the next mail of the chunk), the re-sent mail carries the same
Message-ID, and a slow but live worker is never raced: the lease (30 min) is far above the SMTP
timeout, and a chunk hands its unsent rows back once half of its lease has gone. A database
connection lost in that moment is retried (`_Marker`), so a PostgreSQL restart does not widen it.
Measured in tests/faults and docs/reliability.md."""

import datetime
import json
import logging
import queue
import smtplib
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import get_connection
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from agencies.models import Agency, User
from tracker import services as tracker_services
from tracker import supervision, workdays
from tracker.models import ReportingRound, SupervisionNotice, TaskEvent

from . import channels, emails, schedule, selectors
from .models import Notification, Preference, SweepRun

log = logging.getLogger(__name__)

N = Notification
K = Notification.Kind
Status = Notification.Status

OnRecorded = Callable[[list[int]], None]

# Ids per send call (one Celery message, one claim, one SELECT): big enough to amortise the
# queries, small enough that a killed worker strands few rows until their lease runs out.
SEND_CHUNK_SIZE = 100


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


# --- sending ---------------------------------------------------------------------------------


class Outcome:
    SENT = "sent"
    IN_APP = "in_app"
    SKIPPED = "skipped"  # not pending any more: someone else claimed or finished it
    RETRY = "retry"
    FAILED = "failed"


@dataclass
class SendResult:
    """What one `notifications_send` call did, by row id."""

    outcomes: dict[int, str] = field(default_factory=dict)
    # Rows put back to pending after a failed attempt → seconds until they may be tried again.
    retry_in: dict[int, int] = field(default_factory=dict)
    # Claimed rows handed back unsent because the claim's lease was running out (see below).
    released: list[int] = field(default_factory=list)

    def count(self, *outcomes: str) -> int:
        return sum(1 for o in self.outcomes.values() if o in outcomes)


def _wants_email(notification: Notification, preference: Preference) -> bool:
    if not notification.recipient.email or not notification.recipient.is_active:
        return False
    if notification.kind == K.DIGEST:
        return preference.digest_enabled
    return preference.email_reminders


def _sql_ids(ids: Sequence[int]) -> str:
    return ", ".join(["%s"] * len(ids))


def _claim(ids: Sequence[int], *, now: datetime.datetime) -> list[int]:
    """pending → sending for those of `ids` still pending, in one statement; returns the claimed ids.

    The conditional UPDATE is the whole lock: of two workers given the same id, one gets it back."""
    if not ids:
        return []
    table = connection.ops.quote_name(Notification._meta.db_table)
    lease_until = now + datetime.timedelta(seconds=settings.NOTIFY_LEASE_SECONDS)
    field = Notification._meta.get_field("next_attempt_at")
    sql = (
        f"UPDATE {table} SET status = %s, attempts = attempts + 1, next_attempt_at = %s "
        f"WHERE id IN ({_sql_ids(ids)}) AND status = %s RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [Status.SENDING, field.get_db_prep_save(lease_until, connection), *ids, Status.PENDING])
        return [row[0] for row in cursor.fetchall()]


class _Marker:
    """The one UPDATE after the SMTP server accepted a message, as a fixed raw statement: it runs
    once per mail in the SIGKILL window, so it should cost one round trip and nothing more.

    The mail is out by then, so a lost database connection (PostgreSQL restarting) must not leave
    the row "sending" to be re-sent when its lease runs out: the fault suite measured one double
    per restart until the mark was retried on a fresh connection. The UPDATE is conditional, so a
    retry that follows a commit whose answer was lost changes nothing. It gives up well inside the
    lease (a quarter of it, at most two minutes), before a sweep could take the row back."""

    def __init__(self) -> None:
        table = connection.ops.quote_name(Notification._meta.db_table)
        self._sent = (
            f"UPDATE {table} SET status = %s, sent_at = %s, subject = %s, last_error = '' WHERE id = %s AND status = %s"
        )
        self._field = Notification._meta.get_field("sent_at")
        self._patience = min(settings.NOTIFY_LEASE_SECONDS / 4, 120)

    def sent(self, pk: int, subject: str) -> None:
        now = self._field.get_db_prep_save(timezone.now(), connection)
        give_up = time.monotonic() + self._patience
        pause = 0.1
        while True:
            try:
                with connection.cursor() as cursor:
                    cursor.execute(self._sent, [Status.SENT, now, subject[:255], pk, Status.SENDING])
                return
            except (OperationalError, InterfaceError):
                if time.monotonic() + pause > give_up or connection.in_atomic_block:
                    raise
                log.warning("marking notification %s sent: database connection lost, retrying", pk, exc_info=True)
                connection.close()  # the next cursor() connects afresh
                time.sleep(pause)
                pause = min(pause * 2, 5)


def _release(ids: Sequence[int]) -> None:
    """Hand claimed but unattempted rows back (the claim counted an attempt that never happened)."""
    Notification.objects.filter(pk__in=list(ids), status=Status.SENDING).update(
        status=Status.PENDING, attempts=F("attempts") - 1, next_attempt_at=timezone.now()
    )


def _refused_for_good(exc: Exception) -> bool:
    """The server refused every recipient with a permanent (5xx) answer: 550 no such mailbox and
    the like. Retrying cannot help (the fault suite saw eight attempts over what would be two hours
    in production), so the row fails at once, visibly. Other 5xx answers (sender refused, DATA
    refused) usually mean a misconfigured server that an operator fixes, so they keep the backoff."""
    return (
        isinstance(exc, smtplib.SMTPRecipientsRefused)
        and bool(exc.recipients)
        and all(isinstance(answer, tuple) and int(answer[0]) >= 500 for answer in exc.recipients.values())
    )


def _fail(notification: Notification, exc: Exception) -> tuple[str, int]:
    attempts = notification.attempts
    delay = schedule.retry_delay(
        attempts, base=settings.NOTIFY_RETRY_BASE_SECONDS, cap=settings.NOTIFY_RETRY_MAX_SECONDS
    )
    give_up = attempts >= settings.NOTIFY_MAX_ATTEMPTS or _refused_for_good(exc)
    Notification.objects.filter(pk=notification.pk, status=Status.SENDING).update(
        status=Status.FAILED if give_up else Status.PENDING,
        last_error=f"{type(exc).__name__}: {exc}"[:2000],
        next_attempt_at=timezone.now() + datetime.timedelta(seconds=delay),
    )
    log.warning("notification %s attempt %d failed: %s", notification.pk, attempts, exc)
    return (Outcome.FAILED, 0) if give_up else (Outcome.RETRY, delay)


def notifications_send(*, notification_ids: Sequence[int], connection=None) -> SendResult:
    """Claim a chunk of pending rows, render them, send them over one SMTP connection, mark each.

    Exactly once, as for a single row: one conditional UPDATE … RETURNING claims the chunk (ids
    someone else holds come back SKIPPED); one SELECT reads the claimed rows with what the
    templates need; then each mail is handed to the server and its row marked sent by its own
    UPDATE straight after the server's 250, so the SIGKILL window stays one statement per mail.
    A failed mail puts only its row back for a retry (or failed), and the connection is renewed.

    The lease was taken for the whole chunk at claim time. A slow server could make a long chunk
    outlive it, and then a sweep would hand the rest to another worker while this one still
    sends; so once half the lease has gone, the unsent rest is released (back to pending) and
    returned in `released` for the caller to enqueue again.

    Safe to call twice or concurrently for the same ids: only the caller whose claim changed a row
    goes on with it. `connection`: an open Django mail connection to reuse (the caller closes it);
    without one, a connection is opened for this chunk and closed after it."""
    result = SendResult()
    ids = list(dict.fromkeys(notification_ids))
    if not ids:
        return result
    started = time.monotonic()
    claimed = _claim(ids, now=timezone.now())
    result.outcomes = {pk: Outcome.SKIPPED for pk in ids}
    if not claimed:
        return result
    rows = list(
        Notification.objects.select_related("recipient", "recipient__notification_preference", "task__measure", "round")
        .filter(pk__in=claimed)
        .order_by("pk")
    )
    to_send: list[tuple[Notification, Preference]] = []
    in_app: list[int] = []
    for notification in rows:
        try:
            preference = notification.recipient.notification_preference
        except Preference.DoesNotExist:
            preference = Preference.defaults(notification.recipient)
        if _wants_email(notification, preference):
            to_send.append((notification, preference))
        else:
            in_app.append(notification.pk)
    if in_app:
        Notification.objects.filter(pk__in=in_app, status=Status.SENDING).update(
            status=Status.IN_APP, sent_at=timezone.now(), last_error=""
        )
        result.outcomes.update(dict.fromkeys(in_app, Outcome.IN_APP))
    if not to_send:
        return result
    deadline = started + settings.NOTIFY_LEASE_SECONDS / 2
    own_connection = connection is None
    if own_connection:
        connection = get_connection(timeout=settings.NOTIFY_SMTP_TIMEOUT)
    marker = _Marker()
    cache: dict = {}
    try:
        for index, (notification, preference) in enumerate(to_send):
            if time.monotonic() > deadline:
                result.released = [n.pk for n, _ in to_send[index:]]
                _release(result.released)
                for pk in result.released:
                    del result.outcomes[pk]
                log.warning("lease half gone: released %d unsent notifications", len(result.released))
                break
            try:
                connection.open()  # nothing when open; a new session after a failure closed it
            except Exception as exc:  # the server is unreachable: no point trying the rest now
                for rest, _ in to_send[index:]:
                    _failed(result, rest, exc)
                break
            try:
                message = emails.build(notification, preference=preference, connection=connection, cache=cache)
                connection.send_messages([message])
            except Exception as exc:  # SMTP refusals, timeouts, a broken template: retried, then visible
                _failed(result, notification, exc)
                # The session may be broken after a refusal or a timeout: a fresh one for the next.
                _close_quietly(connection)
                continue
            # Marked straight after the server accepted, before the next mail: the SIGKILL window
            # is this statement.
            marker.sent(notification.pk, message.subject)
            result.outcomes[notification.pk] = Outcome.SENT
    finally:
        if own_connection:
            _close_quietly(connection)
    return result


def _failed(result: SendResult, notification: Notification, exc: Exception) -> None:
    outcome, delay = _fail(notification, exc)
    result.outcomes[notification.pk] = outcome
    if outcome == Outcome.RETRY:
        result.retry_in[notification.pk] = delay


def notification_send(*, notification_id: int, connection=None) -> tuple[str, int]:
    """Claim one pending row, send its email, mark it. Returns (outcome, seconds until a retry)."""
    result = notifications_send(notification_ids=[notification_id], connection=connection)
    return result.outcomes.get(notification_id, Outcome.SKIPPED), result.retry_in.get(notification_id, 0)


def _close_quietly(connection) -> None:
    try:
        connection.close()
    except Exception:  # closing a dead SMTP session must not hide the real outcome
        log.debug("closing SMTP connection failed", exc_info=True)


class InlineSender:
    """Sends recorded ids right away in this process, in chunks over one SMTP connection: the
    management commands and the benchmark use it instead of the broker.

    `workers` > 1 sends from that many threads, each with its own SMTP session and database
    connection, while the caller goes on recording: most of a mail's time is spent waiting for
    the SMTP server and for the commit of its "sent" mark, and threads overlap those waits. The
    per-row guarantees are those of `notifications_send`, whichever thread runs it. Threads need
    committed rows (they read through their own connections), which on_commit callbacks are; a
    bounded queue keeps memory flat when recording outruns sending. PostgreSQL only in practice:
    SQLite takes a table lock per writer."""

    def __init__(self, *, chunk_size: int = SEND_CHUNK_SIZE, workers: int = 1) -> None:
        self.result = RunResult()
        self.chunk_size = chunk_size
        self.workers = workers
        self._connection = None
        self._lock = threading.Lock()
        self._queue: queue.Queue | None = None
        self._threads: list[threading.Thread] = []
        self._error: BaseException | None = None

    def __call__(self, ids: list[int]) -> None:
        chunks = [ids[start : start + self.chunk_size] for start in range(0, len(ids), self.chunk_size)]
        if self.workers <= 1:
            for chunk in chunks:
                self._connection = self._send_chunk(chunk, self._connection)
            return
        if self._queue is None:
            self._queue = queue.Queue(maxsize=4 * self.workers)
            self._threads = [threading.Thread(target=self._work, daemon=True) for _ in range(self.workers)]
            for thread in self._threads:
                thread.start()
        for chunk in chunks:
            if self._error is not None:
                raise self._error
            self._queue.put(chunk)

    def _send_chunk(self, ids: list[int], mail_connection):
        """Send one chunk (and whatever of it was released) on `mail_connection`; returns the
        connection to use next (a new one after a failure)."""
        pending = ids
        while pending:
            if mail_connection is None:
                mail_connection = get_connection(timeout=settings.NOTIFY_SMTP_TIMEOUT)
                mail_connection.open()
            result = notifications_send(notification_ids=pending, connection=mail_connection)
            failed = result.count(Outcome.RETRY, Outcome.FAILED)
            with self._lock:
                self.result.sent += result.count(Outcome.SENT, Outcome.IN_APP)
                self.result.failed += failed
            if failed:
                # notifications_send closed the session it gave up on; start the next chunk afresh.
                _close_quietly(mail_connection)
                mail_connection = None
            pending = result.released
        return mail_connection

    def _work(self) -> None:
        from django.db import connections

        mail_connection = None
        try:
            while (chunk := self._queue.get()) is not None:
                try:
                    if self._error is None:
                        mail_connection = self._send_chunk(chunk, mail_connection)
                except BaseException as exc:  # shown by close() in the caller's thread
                    self._error = exc
        finally:
            if mail_connection is not None:
                _close_quietly(mail_connection)
            connections.close_all()

    def close(self) -> None:
        if self._queue is not None:
            for _ in self._threads:
                self._queue.put(None)
            for thread in self._threads:
                thread.join()
            self._queue, self._threads = None, []
        if self._connection is not None:
            _close_quietly(self._connection)
            self._connection = None
        if self._error is not None:
            error, self._error = self._error, None
            raise error


# --- in-app --------------------------------------------------------------------------------


def notification_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's own notifications read (all of them when ids is None)."""
    queryset = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        queryset = queryset.filter(pk__in=list(ids))
    return queryset.update(read_at=timezone.now())


def preference_update(*, user: User, **values) -> Preference:
    preference, _ = Preference.objects.get_or_create(user=user)
    for name, value in values.items():
        setattr(preference, name, value)
    preference.full_clean()
    preference.save()
    return preference


@transaction.atomic
def ics_link_reset(*, user: User) -> Preference:
    """A new calendar-feed link for the user; the old one answers 404 from now on."""
    preference, _ = Preference.objects.select_for_update().get_or_create(user=user)
    preference.ics_version += 1
    preference.save(update_fields=["ics_version"])
    return preference


def unsubscribe(*, user: User) -> Preference:
    """The List-Unsubscribe action: no more email of any kind; the in-app list goes on."""
    return preference_update(user=user, digest_enabled=False, email_reminders=False)
