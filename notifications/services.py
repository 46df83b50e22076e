"""Writes for notifications: record ledger rows, claim and send them, re-queue the stuck ones.

Exactly once, in three steps:

1. *Record.* The sweep inserts ledger rows with INSERT … ON CONFLICT DO NOTHING RETURNING id on
   the unique key (target, kind, period, recipient), one transaction per batch. Only the ids it
   actually inserted come back, so of two sweeps running at once (two beat processes, a manual
   `run_sweep` during a scheduled one) each row is owned by exactly one of them.
2. *Enqueue after commit.* The owner hands the new ids to `on_recorded` through
   `transaction.on_commit`, so a worker never looks for a row that is not committed yet.
3. *Claim, send, mark.* `notification_send` moves the row pending → sending with a conditional
   UPDATE and goes on only if that changed one row; it sends, then marks it sent at once. A
   failure puts it back to pending with a later `next_attempt_at` (exponential backoff), or
   failed after NOTIFY_MAX_ATTEMPTS, with the error kept on the row.

Lost work comes back through `notifications_requeue`, run by every sweep: pending rows nobody
picked up (Redis was down at enqueue time, a retry message was lost) and sending rows whose lease
(NOTIFY_LEASE_SECONDS, set at claim time) ran out because their worker was killed.

The one window left: a worker SIGKILLed after the SMTP server accepted a message (250 after
DATA) and before the UPDATE to sent. Its row is re-sent when the lease runs out — at least once,
not at most once, because losing a deadline reminder is worse than a rare duplicate. The window is
the few microseconds between smtplib returning and the UPDATE (we mark sent straight after the
server's reply, before closing the connection), the re-sent mail carries the same Message-ID, and
the lease (30 min) is far above the SMTP timeout so a slow but live worker is never raced."""

import datetime
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from agencies.models import Agency, User
from tracker.models import TaskEvent

from . import emails, schedule, selectors
from .models import Notification, Preference

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


_COLUMNS = ("recipient_id", "kind", "target", "period", "task_id", "round_id", "data", "status", "attempts",
            "last_error", "next_attempt_at", "subject", "created_at")  # fmt: skip


def notifications_insert(rows: Sequence[Row], *, now: datetime.datetime) -> list[int]:
    """Insert ledger rows, skipping keys already present; return the ids actually inserted.

    Raw SQL because the ORM's bulk_create(ignore_conflicts=True) cannot tell which rows were new,
    and that is exactly what decides who enqueues the send. Works on PostgreSQL and SQLite ≥ 3.35."""
    if not rows:
        return []
    meta = Notification._meta
    fields = [meta.get_field(c.removesuffix("_id") if c.endswith("_id") else c) for c in _COLUMNS]
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    key = ", ".join(
        connection.ops.quote_name(meta.get_field(f).column) for f in ("target", "kind", "period", "recipient")
    )
    ids: list[int] = []
    # 400 rows x 13 columns stays under SQLite's and psycopg's parameter limits.
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


def _record(rows: Sequence[Row], *, now: datetime.datetime, on_recorded: OnRecorded | None) -> int:
    if not rows:
        return 0
    with transaction.atomic():
        ids = notifications_insert(rows, now=now)
        if ids and on_recorded is not None:
            transaction.on_commit(lambda: on_recorded(ids))
    return len(ids)


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


def _round_rows(today: datetime.date, config: schedule.Config) -> list[Row]:
    rows: list[Row] = []
    for round in selectors.rounds_due_between(*schedule.round_window(today, config)):
        stage = schedule.round_stage(round.due_date, today, config)
        if stage is None:
            continue
        target = f"round:{round.pk}"
        if (target, stage.kind, stage.period) in selectors.recorded_keys([target], [stage.kind]):
            continue
        for user_id, missing in selectors.round_missing_by_user(round.pk).items():
            data = {"due": round.due_date.isoformat(), "days": (round.due_date - today).days, "missing": missing}
            rows.append(Row(user_id, stage.kind, target, stage.period, round_id=round.pk, data=data))
    return rows


def sweep_run(*, at: datetime.datetime, on_recorded: OnRecorded | None = None) -> RunResult:
    """One reminder-and-escalation sweep as of `at`: records what is owed and re-queues stuck rows.

    Safe to run any number of times, concurrently too: the ledger's unique key decides."""
    config = schedule.Config.from_settings()
    today = schedule.local_date(at)
    now = timezone.now()
    result = RunResult()
    start, end = schedule.task_window(today, config)
    for batch in selectors.tasks_due_between(start, end, batch_size=settings.NOTIFY_BATCH_SIZE):
        rows = _task_batch_rows(batch, today, config)
        result.recorded += _record(rows, now=now, on_recorded=on_recorded)
    result.recorded += _record(_round_rows(today, config), now=now, on_recorded=on_recorded)
    result.requeued = notifications_requeue(now=now, on_ready=on_recorded)
    return result


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
    actor = ""
    if event.actor_id:
        actor_user = User.objects.select_related("agency").filter(pk=event.actor_id).first()
        if actor_user is not None:
            actor = actor_user.agency.name if actor_user.agency_id else actor_user.get_username()
    data = {"comment": event.comment, "actor": actor, "agency": event.agency_id}
    rows = [
        Row(user_id, K.MANUAL_NUDGE, f"task:{event.task_id}", f"event:{event.pk}", task_id=event.task_id, data=data)
        for user_id in recipients
    ]
    return _record(rows, now=timezone.now(), on_recorded=on_recorded)


# --- digests ---------------------------------------------------------------------------------


def digests_run(*, at: datetime.datetime, on_recorded: OnRecorded | None = None) -> RunResult:
    """Record this week's digest for every user whose digest day and hour have come at `at`.

    Small batches of users; the content of an agency (or a set of coordinated documents) is
    computed once per run and shared by its users. Nothing to say: no row, no email."""
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
    agency_names: dict[int, str] = {}
    batches = selectors.digest_users(
        local.weekday(), default_weekday=Preference.Weekday.MONDAY, batch_size=min(500, settings.NOTIFY_BATCH_SIZE)
    )
    for users in batches:
        targets = [f"user:{u.pk}" for u in users]
        done = {t for t, _kind, _period in selectors.recorded_keys(targets, [K.DIGEST], periods=[week])}
        missing_agencies = {u.agency_id for u in users if u.agency_id} - agency_names.keys()
        agency_names.update(Agency.objects.filter(pk__in=missing_agencies).values_list("pk", "name"))
        rows: list[Row] = []
        for user in users:
            target = f"user:{user.pk}"
            if target in done:
                continue
            content = _digest_content(user, today, config, staff_cache, oversight_cache)
            if content is None or not selectors.digest_has_news(content):
                continue
            data = {**content, "week": week, "agency": agency_names.get(user.agency_id, ""),
                    "due_soon_days": config.due_soon_days}  # fmt: skip
            rows.append(Row(user.pk, K.DIGEST, target, week, data=data))
        result.recorded += _record(rows, now=now, on_recorded=on_recorded)
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


def _wants_email(notification: Notification, preference: Preference) -> bool:
    if not notification.recipient.email or not notification.recipient.is_active:
        return False
    if notification.kind == K.DIGEST:
        return preference.digest_enabled
    return preference.email_reminders


def notification_send(*, notification_id: int, connection=None) -> tuple[str, int]:
    """Claim one pending row, send its email, mark it. Returns (outcome, seconds until a retry).

    Safe to call twice or concurrently for the same id: only the caller whose claim changed the
    row goes on."""
    now = timezone.now()
    claimed = Notification.objects.filter(pk=notification_id, status=Status.PENDING).update(
        status=Status.SENDING,
        attempts=F("attempts") + 1,
        next_attempt_at=now + datetime.timedelta(seconds=settings.NOTIFY_LEASE_SECONDS),
    )
    if claimed != 1:
        return Outcome.SKIPPED, 0
    notification = Notification.objects.select_related(
        "recipient", "recipient__notification_preference", "task__measure", "round"
    ).get(pk=notification_id)
    user = notification.recipient
    try:
        preference = user.notification_preference
    except Preference.DoesNotExist:
        preference = Preference.defaults(user)
    mine = Notification.objects.filter(pk=notification_id, status=Status.SENDING)
    if not _wants_email(notification, preference):
        mine.update(status=Status.IN_APP, sent_at=timezone.now(), last_error="")
        return Outcome.IN_APP, 0
    own_connection = connection is None
    try:
        if own_connection:
            connection = get_connection(timeout=settings.NOTIFY_SMTP_TIMEOUT)
        message = emails.build(notification, preference=preference, connection=connection)
        if own_connection:
            connection.open()
        message.send()
    except Exception as exc:  # SMTP refusals, timeouts, a broken template: all retried, then visible
        attempts = notification.attempts
        delay = schedule.retry_delay(
            attempts, base=settings.NOTIFY_RETRY_BASE_SECONDS, cap=settings.NOTIFY_RETRY_MAX_SECONDS
        )
        give_up = attempts >= settings.NOTIFY_MAX_ATTEMPTS
        mine.update(
            status=Status.FAILED if give_up else Status.PENDING,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=timezone.now() + datetime.timedelta(seconds=delay),
        )
        log.warning("notification %s attempt %d failed: %s", notification_id, attempts, exc)
        if own_connection and connection is not None:
            _close_quietly(connection)
        return (Outcome.FAILED, 0) if give_up else (Outcome.RETRY, delay)
    # Marked straight after the server accepted, before QUIT: the SIGKILL window is this statement.
    mine.update(status=Status.SENT, sent_at=timezone.now(), subject=message.subject[:255], last_error="")
    if own_connection:
        _close_quietly(connection)
    return Outcome.SENT, 0


def _close_quietly(connection) -> None:
    try:
        connection.close()
    except Exception:  # closing a dead SMTP session must not hide the real outcome
        log.debug("closing SMTP connection failed", exc_info=True)


class InlineSender:
    """Sends recorded ids right away in this process over one SMTP connection: the management
    commands and the benchmark use it instead of the broker."""

    def __init__(self) -> None:
        self.result = RunResult()
        self._connection = None

    def __call__(self, ids: list[int]) -> None:
        if self._connection is None:
            self._connection = get_connection(timeout=settings.NOTIFY_SMTP_TIMEOUT)
            self._connection.open()
        for pk in ids:
            outcome, _ = notification_send(notification_id=pk, connection=self._connection)
            if outcome in (Outcome.SENT, Outcome.IN_APP):
                self.result.sent += 1
            elif outcome in (Outcome.RETRY, Outcome.FAILED):
                self.result.failed += 1
                # The connection may be broken after a refusal: start a new one for the next mail.
                self.close()
                self._connection = get_connection(timeout=settings.NOTIFY_SMTP_TIMEOUT)
                self._connection.open()

    def close(self) -> None:
        if self._connection is not None:
            _close_quietly(self._connection)
            self._connection = None


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


def unsubscribe(*, user: User) -> Preference:
    """The List-Unsubscribe action: no more email of any kind; the in-app list goes on."""
    return preference_update(user=user, digest_enabled=False, email_reminders=False)
