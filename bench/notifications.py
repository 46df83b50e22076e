#!/usr/bin/env python
"""Benchmark of the notification sweep and the weekly digests on PostgreSQL (not a test).

    python bench/notifications.py                       # 100,000 tasks, 2,000 agencies, 5,000 users
    python bench/notifications.py --tasks 1000000 --agencies 20000 --users 50000

It (re)creates the database --db on 127.0.0.1 (dropping it first), migrates, bulk-loads a
province's worth of data with COPY, starts a discarding SMTP server (aiosmtpd) in a separate
process, and times, with the peak resident memory growth of this process during each phase:

1. one reminder sweep recording every stage owed (a cold ledger: the worst case),
2. sending all those mails to the SMTP sink, inline over one connection,
3. the same sweep again (what beat runs every 15 minutes: nothing new),
4. the weekly digest run: recording and handing every digest to the SMTP sink.

Results go to stdout; docs/benchmarks.md keeps the figures."""

import argparse
import datetime
import os
import platform
import random
import socket
import subprocess
import sys
import threading
import time
import zoneinfo
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SH = zoneinfo.ZoneInfo("Asia/Shanghai")
# A Monday 08:00 in Shanghai: the default digest slot.
AT = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=SH)
COORDINATING = 50


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PeakRSS:
    """Samples this process's resident set every 20 ms; tracemalloc would distort the timings."""

    def __init__(self) -> None:
        self.peak = self.start = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._rss())

    def __enter__(self) -> "PeakRSS":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())


def measure(label: str, fn: Callable[[], str]) -> dict:
    with PeakRSS() as rss:
        t0 = time.perf_counter()
        detail = fn()
        seconds = time.perf_counter() - t0
    row = {"phase": label, "seconds": seconds, "peak_mib": (rss.peak - rss.start) / 2**20, "detail": detail}
    print(f"{label:<40} {seconds:8.1f} s  +{row['peak_mib']:6.1f} MiB  {detail}", flush=True)
    return row


def recreate_database(name: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def generate(dsn: str, *, tasks: int, agencies: int, users: int, seed: int = 1) -> dict:
    """COPY a province: agencies, users (2 coordinators per coordinating agency, the rest staff),
    documents of 200 measures, tasks with due dates spread over ±400 days, a lead and a supporting
    agency per task, and an open reporting round (due in 3 days) on 5% of the documents."""
    import psycopg

    rng = random.Random(seed)
    today = AT.date()
    now = datetime.datetime.now(tz=SH)
    documents = max(1, tasks // 200)
    staff_agencies = agencies - COORDINATING
    counts = {}
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:

        def copy(table: str, columns: str, rows) -> None:
            n = 0
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as out:
                for row in rows:
                    out.write_row(row)
                    n += 1
            counts[table] = n

        copy("agencies_jurisdiction", "id, name, level, prefix", [(1, "某省", "province", "省")])
        copy(
            "agencies_agency",
            "id, name, full_name, kind, is_active, jurisdiction_id",
            ((i, f"省单位{i}", "", "department", True, 1) for i in range(1, agencies + 1)),
        )
        coordinators = 2 * COORDINATING

        def user_rows():
            for i in range(1, users + 1):
                if i <= coordinators:
                    agency, role = 1 + (i - 1) % COORDINATING, "coordinator"
                else:
                    agency, role = COORDINATING + 1 + (i % staff_agencies), "staff"
                yield (i, "!", False, f"u{i}", "", "", f"u{i}@bench.example", False, True, now, role, agency)

        copy(
            "agencies_user",
            "id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active, "
            "date_joined, role, agency_id",
            user_rows(),
        )
        copy(
            "measures_policydocument",
            "id, title, issuer, doc_number, is_draft, coordinator_names, mechanisms, source_name, source_hash, "
            "raw_text, imported_at, coordinator_id, jurisdiction_id",
            (
                (
                    d,
                    f"实施意见{d}",
                    "",
                    "",
                    False,
                    "[]",
                    "[]",
                    f"d{d}.txt",
                    f"{d:064x}",
                    "",
                    now,
                    1 + d % COORDINATING,
                    1,
                )
                for d in range(1, documents + 1)
            ),
        )
        copy(
            "measures_measure",
            'id, ref, title, text, "order", deadlines, others, lead_inferred, document_id',
            (
                (i, str(i), f"措施{i}", "加快建设。", i, "[]", False, False, 1 + i % documents)
                for i in range(1, tasks + 1)
            ),
        )
        statuses = ["not_started"] * 30 + ["in_progress"] * 35 + ["closed"] * 25 + ["closure_requested"] * 3
        statuses += ["extension_requested"] * 2 + ["suspended"] * 2 + ["cancelled"] * 3
        task_status: dict[int, str] = {}

        def task_rows():
            for i in range(1, tasks + 1):
                status = rng.choice(statuses)
                if (1 + i % documents) % 20 == 0:
                    task_status[i] = status
                due = None if rng.random() < 0.05 else today + datetime.timedelta(days=rng.randint(-400, 400))
                yield (i, status, due, 1, now, now, 1 + i % documents, i)

        copy(
            "tracker_task",
            "id, status, due_date, version, created_at, updated_at, document_id, measure_id",
            task_rows(),
        )

        def lead(i: int) -> int:
            return COORDINATING + 1 + (i * 7919) % staff_agencies

        def assignment_rows():
            for i in range(1, tasks + 1):
                yield (2 * i - 1, "lead", 0, lead(i), i)
                yield (2 * i, "support", 0, COORDINATING + 1 + (lead(i) + 1 + i % 97) % staff_agencies, i)

        copy("tracker_assignment", "id, role, position, agency_id, task_id", assignment_rows())
        round_docs = [d for d in range(1, documents + 1) if d % 20 == 0]
        copy(
            "tracker_reportinground",
            "id, title, due_date, opened_at, document_id",
            ((d, f"第一季度调度{d}", today + datetime.timedelta(days=3), now, d) for d in round_docs),
        )
        open_ = {"not_started", "in_progress", "closure_requested", "extension_requested", "returned"}
        copy(
            "tracker_roundentry",
            "id, role, agency_id, round_id, task_id",
            ((i, "lead", lead(i), 1 + i % documents, i) for i, s in sorted(task_status.items()) if s in open_),
        )
        for table in counts:
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.commit()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--agencies", type=int, default=None, help="default: tasks / 50")
    parser.add_argument("--users", type=int, default=None, help="default: tasks / 20")
    parser.add_argument("--db", default="bench_notifications")
    parser.add_argument("--no-send", action="store_true", help="time the sweeps only (no SMTP, no digests)")
    parser.add_argument(
        "--workers", type=int, default=4, help="SMTP sessions (threads) of the inline sender; 1 = the commands"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep the data of an earlier run in --db; only empty the ledger"
    )
    args = parser.parse_args()
    agencies = args.agencies or max(COORDINATING + 10, args.tasks // 50)
    users = args.users or max(2 * COORDINATING + 10, args.tasks // 20)
    dsn = f"postgresql://postgres@127.0.0.1:5432/{args.db}"
    port = _free_port()
    sink = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.environ.update(
        DATABASE_URL=dsn,
        DJANGO_SETTINGS_MODULE="tracker.settings",
        CELERY_TASK_ALWAYS_EAGER="true",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
        DEBUG="false",
        SECRET_KEY="bench-only",
    )
    try:
        print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
        if not args.reuse:
            recreate_database(args.db)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        print(f"PostgreSQL: {connection.cursor().connection.info.server_version}")
        if args.reuse:
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE notifications_notification")
                cursor.execute("VACUUM ANALYZE notifications_notification")
        else:
            t0 = time.perf_counter()
            counts = generate(dsn, tasks=args.tasks, agencies=agencies, users=users)
            print(f"generated in {time.perf_counter() - t0:.1f} s: {counts}", flush=True)
        run(args.tasks, send=not args.no_send, workers=args.workers)
    finally:
        sink.terminate()
        sink.wait(10)


def run(tasks: int, *, send: bool = True, workers: int = 1) -> None:
    from notifications import services
    from notifications.models import Notification

    rows = []
    recorded = {}

    def sweep() -> str:
        result = services.sweep_run(at=AT)
        recorded["sweep"] = result.recorded
        return f"recorded {result.recorded}"

    def send_pending() -> str:
        sender = services.InlineSender(workers=workers)
        last = 0
        while True:
            ids = list(
                Notification.objects.filter(status="pending", pk__gt=last)
                .order_by("pk")
                .values_list("pk", flat=True)[:1000]
            )
            if not ids:
                break
            sender(ids)
            last = ids[-1]
        sender.close()
        return f"sent {sender.result.sent}, failed {sender.result.failed}"

    def digests() -> str:
        sender = services.InlineSender(workers=workers)
        result = services.digests_run(at=AT, on_recorded=sender)
        sender.close()
        recorded["digests"] = sender.result.sent
        return f"recorded {result.recorded}, sent {sender.result.sent}, failed {sender.result.failed}"

    rows.append(measure("sweep: record (cold ledger)", sweep))
    if not send:
        measure("sweep again (steady state, nothing new)", lambda: f"recorded {services.sweep_run(at=AT).recorded}")
        return
    rows.append(measure(f"sweep: send to SMTP sink ({workers} sessions)", send_pending))
    rows.append(
        measure("sweep again (steady state, nothing new)", lambda: f"recorded {services.sweep_run(at=AT).recorded}")
    )
    rows.append(measure(f"digests: record + send ({workers} sessions)", digests))
    send = rows[1]["seconds"]
    digest = rows[3]["seconds"]
    print(f"sweep mails/s: {recorded['sweep'] / send:.0f}; digest mails/s: {recorded['digests'] / digest:.0f}")


if __name__ == "__main__":
    main()
