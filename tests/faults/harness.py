"""The pieces every fault scenario is made of: a Redis server of the test's own, an SMTP sink that
counts what it accepted, Celery workers and sweep drivers as separate processes, and the tally.

Everything here is real except the SMTP server, which is the edge of the world: a local aiosmtpd
that can be slow, answer 451 for a while or 550 for one recipient."""

import asyncio
import datetime
import email
import email.header
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller
from django.db import connection

from notifications.models import Notification
from tests.celery_worker import ROOT, Worker, free_port

# Results of every scenario of the run, printed at the end (conftest) and written to
# FAULTS_REPORT as JSON when set: docs/reliability.md quotes them.
RESULTS: list[dict] = []


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class RedisServer:
    """redis-server on a free port, no persistence: a restart loses every queued message, the
    harsher case (the ledger, not the broker, must bring the work back)."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                import socket

                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)  # as a crash: nothing flushed, nothing said
            self.process.wait(10)


@dataclass
class Accepted:
    recipient: str
    subject: str
    message_id: str
    notification_id: int
    dot_at: float  # time.time() when the client's DATA was complete (the final ".")
    at: float  # time.time() when the server answered 250


class Sink:
    """An SMTP server that records what it accepted, per (recipient, subject, Message-ID).

    `delay` holds each RCPT before answering: a slow server, so a batch is in flight when a fault
    strikes, and a client that dies meanwhile has sent no message. `data_delay` holds the answer
    to the final "." instead: a client that dies then has sent the whole message, and this server,
    like a real MTA that received it complete, delivers it (RFC 1047: the duplicate SMTP cannot rule
    out). `refuse_until` (time.monotonic()) answers 451 to DATA until then; `reject` answers 550 at
    RCPT for those addresses."""

    def __init__(self) -> None:
        self.accepted: list[Accepted] = []
        self.delay = 0.0
        self.data_delay = 0.0
        self.refuse_until = 0.0
        self.reject: set[str] = set()
        self.refused = 0
        self.rejected = 0
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.delay:
            await asyncio.sleep(self.delay)
        if address in self.reject:
            self.rejected += 1
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        dot_at = time.time()
        if time.monotonic() < self.refuse_until:
            self.refused += 1
            return "451 4.3.0 Try again later"
        message = email.message_from_bytes(envelope.content)
        subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
        accepted = Accepted(
            ",".join(envelope.rcpt_tos), subject, message["Message-ID"], int(message["X-Notification-Id"]), dot_at, 0.0
        )
        # The message is the server's now, whether or not the client stays to hear the answer.
        with self.lock:
            self.accepted.append(accepted)
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        accepted.at = time.time()  # stays 0 when the client was gone before the answer
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return len(self.accepted)

    def by_key(self) -> Counter:
        with self.lock:
            return Counter((a.recipient, a.subject, a.message_id) for a in self.accepted)

    def by_id(self) -> Counter:
        with self.lock:
            return Counter(a.notification_id for a in self.accepted)


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@dataclass
class Cluster:
    """The processes of one scenario, pointed at the test's database, its Redis and its sink."""

    redis: RedisServer
    sink: Sink
    tmp: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    workers: list[Worker] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": self.redis.url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_TASK_DEFAULT_QUEUE": "faults",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.sink.port),
            "NOTIFY_SITE_URL": "https://tracker.example.gov.cn",
            "NOTIFY_SMTP_TIMEOUT": "5",
            "NOTIFY_LEASE_SECONDS": "60",
            "NOTIFY_PENDING_GRACE_SECONDS": "0",
            "NOTIFY_RETRY_BASE_SECONDS": "1",
            "NOTIFY_RETRY_MAX_SECONDS": "4",
            **self.extra_env,
        }

    def worker(self, name: str = "w1") -> Worker:
        worker = Worker(self.env(), "faults", self.tmp / f"{name}.log")
        worker.start()
        self.workers.append(worker)
        return worker

    def drive(self, *args: str, wait: bool = True, env: dict[str, str] | None = None):
        """`python -m tests.faults.driver …` in its own process: what beat's sweep message makes a
        worker run, or a beat of its own under a moving clock. Returns its JSON result (or the
        Popen when wait=False)."""
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.driver", *args],
            cwd=ROOT,
            env={**self.env(), **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        if not wait:
            return process
        return driver_result(process)

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()


def driver_result(process: subprocess.Popen, timeout: float = 600) -> dict:
    out, err = process.communicate(timeout=timeout)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        raise AssertionError(f"driver said nothing (exit {process.returncode}):\n{err[-4000:]}")
    result = json.loads(lines[-1])
    result["stderr"] = err
    result["returncode"] = process.returncode
    return result


@dataclass
class Tally:
    scenario: str
    runs: int = 0
    owed: int = 0
    received: int = 0
    lost: int = 0
    doubled: int = 0
    failed_visibly: int = 0
    notes: dict = field(default_factory=dict)


def tally(scenario: str, sink: Sink, *, runs: int, notes: dict | None = None) -> Tally:
    """Owed: every ledger row that is to go by email (all but the in-app ones and those that
    failed visibly). Lost: an owed row whose mail never arrived. Doubled: copies beyond the first,
    counted per (recipient, subject, Message-ID)."""
    rows = dict(Notification.objects.exclude(status=Notification.Status.IN_APP).values_list("pk", "status"))
    failed = {pk for pk, status in rows.items() if status == Notification.Status.FAILED}
    owed = set(rows) - failed
    by_id = sink.by_id()
    by_key = sink.by_key()
    result = Tally(
        scenario=scenario,
        runs=runs,
        owed=len(owed),
        received=sum(by_key.values()),
        lost=len([pk for pk in owed if not by_id.get(pk)]),
        doubled=sum(n - 1 for n in by_key.values()),
        failed_visibly=len(failed),
        notes=notes or {},
    )
    # A mail for no ledger row, or for a row that says it failed, would be a lie of the ledger.
    assert set(by_id) <= owed, (set(by_id) - owed, rows)
    RESULTS.append(asdict(result))
    return result


def wait_until(condition, *, timeout: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def statuses() -> Counter:
    return Counter(Notification.objects.values_list("status", flat=True))


def unsettled() -> list:
    """The rows still to do, for a failure message."""
    return list(
        Notification.objects.filter(status__in=[Notification.Status.PENDING, Notification.Status.SENDING]).values_list(
            "pk", "status", "attempts", "next_attempt_at", "last_error"
        )[:20]
    )


def settled() -> bool:
    """Nothing left to do: every row sent, in-app only or failed."""
    return not Notification.objects.filter(
        status__in=[Notification.Status.PENDING, Notification.Status.SENDING]
    ).exists()


def local_now() -> datetime.datetime:
    from notifications import schedule

    return datetime.datetime.now(tz=schedule.TZ)


def scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="faults-"))


def beat_app(redis: RedisServer):
    """A Celery app of the test's own that only publishes: what beat does on each tick, sending
    the sweep's message to the workers. The test process's own app stays pointed where it was."""
    from celery import Celery

    app = Celery("faults-beat", broker=redis.url, set_as_current=False)
    # Celery takes CELERY_BROKER_URL from the environment over the broker it is given (CI exports
    # the machine's Redis there): the ticks must go to the test's own Redis, so the URL is kept
    # here and each tick connects to it explicitly.
    app.faults_broker_url = redis.url
    return app


def beat_tick(app) -> None:
    with app.connection_for_write(url=app.faults_broker_url) as connection:
        app.send_task("notifications.tasks.sweep", queue="faults", connection=connection)


_serial = iter(range(1, 1_000_000))


def owed_task(staff: int, *, due_in: int = 7, today: datetime.date | None = None):
    """A new open task due in `due_in` days (local), led by an agency of its own with `staff`
    staff users: the next sweep owes each of them one reminder."""
    from notifications import schedule
    from tests.factories import AgencyFactory, AssignmentFactory, MeasureFactory, TaskFactory, UserFactory

    n = next(_serial)
    today = today or schedule.local_date(local_now())
    agency = AgencyFactory(name=f"故障测试局{n}")
    task = TaskFactory(measure=MeasureFactory(ref=f"一、{n}", title=f"建设平台{n}"),
                       due_date=today + datetime.timedelta(days=due_in))  # fmt: skip
    AssignmentFactory(task=task, agency=agency, role="lead")
    users = [UserFactory(username=f"f{n}-{i}", agency=agency) for i in range(staff)]
    return task, users


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def beat_until(app, condition, *, every: float, timeout: float, what: str) -> float:
    """Tick like beat every `every` seconds until `condition()`; returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        beat_tick(app)
        tick = time.monotonic()
        while time.monotonic() - tick < every:
            if condition():
                return time.monotonic() - started
            time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}: {unsettled()}")
