"""Sending: claim ledger rows, send them, mark them; re-queueing the stuck ones is the sweep's
(notifications.recording). How the two make exactly once:

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
import logging
import queue
import smtplib
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import get_connection
from django.db import InterfaceError, OperationalError, connection
from django.db.models import F
from django.utils import timezone

from . import emails, schedule
from .models import Notification, Preference
from .recording import RunResult

log = logging.getLogger(__name__)

N = Notification
K = Notification.Kind
Status = Notification.Status

# Ids per send call (one Celery message, one claim, one SELECT): big enough to amortise the
# queries, small enough that a killed worker strands few rows until their lease runs out.
SEND_CHUNK_SIZE = 100


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
