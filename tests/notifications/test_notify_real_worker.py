"""Real components: a Celery worker process (prefork, 2 children) on the real Redis, the test's
PostgreSQL database, and a real SMTP server (aiosmtpd) that can be slow or refuse.

Run with DATABASE_URL=postgres://… CELERY_BROKER_URL=redis://… (REQUIRE_SERVICES=1 in CI)."""

import asyncio
import datetime
import email
import os
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection, connections

from agencies.models import User
from notifications import recording, schedule, tasks
from notifications.models import Notification
from tests.celery_worker import Worker, free_port
from tests.factories import UserFactory
from tracker.celery import app as celery_app
from tracker.models import Task

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

# The worker's claim lease. A send chunk hands back its unsent rows once half of it has gone (see
# sending.notifications_send), so it must leave room for a few 1-second deliveries before that:
# the SIGKILL test kills while a chunk is still claimed and in flight.
LEASE_SECONDS = 8


class Sink:
    """An SMTP server that records what it accepted. `delay` holds every DATA before answering
    (so a batch is in flight); `refuse_until` answers 451 until that moment.

    A message counts as delivered only once the server decided to accept it: if the client
    disappears during the delay, aiosmtpd cancels the handler and nothing is stored — as a real
    MTA would not queue a message whose DATA was never acknowledged."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.delay = 0.0
        self.refuse_until = 0.0
        self.refused = 0
        self.port = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if time.monotonic() < self.refuse_until:
            self.refused += 1
            return "451 4.3.0 Try again later"
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def ids(self) -> list[str]:
        with self.lock:
            return [m["X-Notification-Id"] for m in self.messages]

    def wait_for(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.ids()) >= count:
                return
            time.sleep(0.1)
        raise AssertionError(f"sink got {len(self.ids())} of {count} messages in {timeout}s")


@pytest.fixture
def sink():
    handler = Sink()
    handler.port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    yield handler
    controller.stop()


@pytest.fixture
def worker(sink, settings):
    """A worker on a queue of its own (so no other worker on this Redis takes our messages),
    pointed at the database this test uses and at the sink."""
    queue = f"notify-test-{uuid.uuid4().hex[:8]}"
    previous_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink.port),
        "NOTIFY_SITE_URL": "https://tracker.example.gov.cn",
        "NOTIFY_LEASE_SECONDS": str(LEASE_SECONDS),
        "NOTIFY_RETRY_BASE_SECONDS": "1",
        "NOTIFY_RETRY_MAX_SECONDS": "4",
        "NOTIFY_SMTP_TIMEOUT": "3",
    }
    settings.NOTIFY_PENDING_GRACE_SECONDS = 0
    with tempfile.TemporaryDirectory() as tmp:
        w = Worker(env, queue, Path(tmp) / "worker.log")
        w.start()
        yield w
        w.stop()
        # Shown by pytest when the test failed: what the worker saw.
        print(w.log.read_text(errors="replace")[-6000:])
    celery_app.conf.task_default_queue = previous_queue


def _world(staff: int) -> tuple[Task, list[User]]:
    """One open task due in 7 days (local), led by an agency with `staff` staff users."""
    from tests.factories import AgencyFactory, AssignmentFactory, MeasureFactory, TaskFactory

    today = schedule.local_date(datetime.datetime.now(tz=schedule.TZ))
    agency = AgencyFactory(name="市商务局")
    measure = MeasureFactory(ref="一、1", title="建设跨境电商平台")
    task = TaskFactory(measure=measure, due_date=today + datetime.timedelta(7))
    AssignmentFactory(task=task, agency=agency, role="lead")
    users = [UserFactory(username=f"staff{i}", agency=agency) for i in range(staff)]
    return task, users


def _sweep() -> recording.RunResult:
    return recording.sweep_run(at=datetime.datetime.now(tz=schedule.TZ), on_recorded=tasks.enqueue_sends)


def _wait_all_sent(expected: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Notification.objects.filter(status="sent").count() >= expected:
            return
        time.sleep(0.2)
    raise AssertionError(dict(Counter(Notification.objects.values_list("status", flat=True))))


def _assert_exactly_once(sink: Sink, expected_ids: set[int]) -> None:
    time.sleep(1.5)  # give any duplicate a chance to show up
    counts = Counter(sink.ids())
    assert set(counts) == {str(i) for i in expected_ids}, "somebody got none"
    assert max(counts.values()) == 1, f"somebody got two: {counts}"
    recipients = Counter(m["To"] for m in sink.messages)
    assert max(recipients.values()) == 1


def test_beat_sweep_on_worker_delivers_mail(sink, worker):
    task, users = _world(3)
    tasks.sweep.delay()  # what beat does: the sweep runs in the worker and fans out sends
    sink.wait_for(3, timeout=30)
    _wait_all_sent(3, timeout=10)
    message = sink.messages[0]
    assert sorted(m["To"] for m in sink.messages) == sorted(u.email for u in users)
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    assert subject == "【到期提醒】一、1 建设跨境电商平台 还有 7 天到期"
    parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in message.walk() if not p.is_multipart()}
    link = f"https://tracker.example.gov.cn/tasks/{task.pk}/"
    assert link in parts["text/plain"] and link in parts["text/html"]
    assert "https://tracker.example.gov.cn/notifications/settings/?t=" in parts["text/plain"]
    assert message["List-Unsubscribe"].strip().startswith("<https://tracker.example.gov.cn/notifications/unsubscribe/")
    _assert_exactly_once(sink, set(Notification.objects.values_list("pk", flat=True)))


def test_sigkill_mid_batch_then_restart_delivers_each_once(sink, worker):
    _, users = _world(10)
    sink.delay = 1.0  # each DATA held for a second: the batch is in flight when we kill
    assert _sweep().recorded == 10
    sink.wait_for(2, timeout=30)
    worker.kill()
    delivered = len(sink.ids())
    statuses = Counter(Notification.objects.values_list("status", flat=True))
    assert delivered < 10 and statuses["sent"] < 10, statuses
    assert statuses["sending"] >= 1, statuses  # claimed by a child that died mid-SMTP
    sink.delay = 0.1
    worker.start()
    time.sleep(LEASE_SECONDS + 0.5)  # NOTIFY_LEASE_SECONDS in the worker: the dead claims expire
    result = _sweep()  # re-queues stale "sending" and unpicked "pending" rows
    assert result.recorded == 0 and result.requeued >= 1
    sink.wait_for(10, timeout=40)
    _wait_all_sent(10, timeout=10)
    _assert_exactly_once(sink, set(Notification.objects.values_list("pk", flat=True)))
    assert sorted(m["To"] for m in sink.messages) == sorted(u.email for u in users)


def test_two_sweeps_at_once_record_and_send_once(sink, worker):
    _world(20)
    barrier = threading.Barrier(2)
    results: list[int] = []

    def run():
        try:
            barrier.wait()
            results.append(_sweep().recorded)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results)[-1] + sorted(results)[0] == 20
    assert Notification.objects.count() == 20
    sink.wait_for(20, timeout=40)
    _wait_all_sent(20, timeout=10)
    _assert_exactly_once(sink, set(Notification.objects.values_list("pk", flat=True)))


def test_smtp_refusing_then_recovering_delivers_once(sink, worker):
    _world(4)
    sink.refuse_until = time.monotonic() + 3
    assert _sweep().recorded == 4
    sink.wait_for(4, timeout=40)
    _wait_all_sent(4, timeout=10)
    assert sink.refused >= 4
    assert all(a >= 2 for a in Notification.objects.values_list("attempts", flat=True))
    _assert_exactly_once(sink, set(Notification.objects.values_list("pk", flat=True)))
