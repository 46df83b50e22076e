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
import os
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.data import AT, COORDINATING, PeakRSS, generate, recreate_database  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(label: str, fn: Callable[[], str]) -> dict:
    with PeakRSS() as rss:
        t0 = time.perf_counter()
        detail = fn()
        seconds = time.perf_counter() - t0
    row = {"phase": label, "seconds": seconds, "peak_mib": (rss.peak - rss.start) / 2**20, "detail": detail}
    print(f"{label:<40} {seconds:8.1f} s  +{row['peak_mib']:6.1f} MiB  {detail}", flush=True)
    return row


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
    parser.add_argument("--digests-only", action="store_true", help="only the weekly digests (record + send)")
    parser.add_argument("--processes", type=int, default=1, help="digests: sending processes (as celery -c N)")
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
            counts = generate(dsn, tasks=args.tasks, agencies=agencies, users=users, history=False)
            print(f"generated in {time.perf_counter() - t0:.1f} s: {counts}", flush=True)
        run(send=not args.no_send, workers=args.workers, sweeps=not args.digests_only, processes=args.processes)
    finally:
        sink.terminate()
        sink.wait(10)


def _send_share(args: tuple[list[int], int]) -> int:
    from notifications import sending

    ids, workers = args
    sender = sending.InlineSender(workers=workers)
    for start in range(0, len(ids), 1000):
        sender(ids[start : start + 1000])
    sender.close()
    return sender.result.sent


def run(
    *,
    send: bool = True,
    workers: int = 1,
    send_limit: int | None = None,
    digests: bool = True,
    sweeps: bool = True,
    processes: int = 1,
) -> dict:
    """The phases on the data in the current database; returns phase → figures (stable keys)."""
    from notifications import recording, sending
    from notifications.models import Notification

    out: dict[str, dict] = {}
    recorded = {}

    def sweep() -> str:
        result = recording.sweep_run(at=AT)
        recorded["sweep"] = result.recorded
        return f"recorded {result.recorded}"

    def send_pending() -> str:
        sender = sending.InlineSender(workers=workers)
        last, queued = 0, 0
        while send_limit is None or queued < send_limit:
            chunk = 1000 if send_limit is None else min(1000, send_limit - queued)
            ids = list(
                Notification.objects.filter(status="pending", pk__gt=last)
                .order_by("pk")
                .values_list("pk", flat=True)[:chunk]
            )
            if not ids:
                break
            sender(ids)
            last, queued = ids[-1], queued + len(ids)
        sender.close()
        recorded["sent"] = sender.result.sent
        return f"sent {sender.result.sent}, failed {sender.result.failed}"

    def digest_run() -> str:
        if processes > 1:
            return digest_run_processes()
        sender = sending.InlineSender(workers=workers)
        result = recording.digests_run(at=AT, on_recorded=sender)
        sender.close()
        recorded["digests"] = sender.result.sent
        return f"recorded {result.recorded}, sent {sender.result.sent}, failed {sender.result.failed}"

    def digest_run_processes() -> str:
        """As Celery's prefork workers (-c N) would: record, then N processes take the chunks, each
        sending over its own `workers` SMTP sessions (the GIL caps one process near one core)."""
        import multiprocessing

        from django.db import connections

        ids: list[int] = []
        result = recording.digests_run(at=AT, on_recorded=ids.extend)
        connections.close_all()  # never share a connection across fork
        shares = [ids[i::processes] for i in range(processes)]
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            sent = sum(pool.map(_send_share, [(share, workers) for share in shares]))
        recorded["digests"] = sent
        return f"recorded {result.recorded}, sent {sent} from {processes} processes"

    def again() -> str:
        return f"recorded {recording.sweep_run(at=AT).recorded}"

    if not sweeps:
        out["digests"] = measure(f"digests: record + send ({workers} sessions)", digest_run)
        out["digests"]["mails_per_s"] = round(recorded["digests"] / out["digests"]["seconds"])
        print(f"digest mails/s: {out['digests']['mails_per_s']}")
        return out
    out["sweep_cold"] = measure("sweep: record (cold ledger)", sweep)
    out["sweep_cold"]["recorded"] = recorded["sweep"]
    if send:
        out["sweep_send"] = measure(f"sweep: send to SMTP sink ({workers} sessions)", send_pending)
        out["sweep_send"]["mails_per_s"] = round(recorded["sent"] / out["sweep_send"]["seconds"])
        out["sweep_send"]["sent"] = recorded["sent"]
    out["sweep_again"] = measure("sweep again (steady state, nothing new)", again)
    if send and digests:
        out["digests"] = measure(f"digests: record + send ({workers} sessions)", digest_run)
        out["digests"]["mails_per_s"] = round(recorded["digests"] / out["digests"]["seconds"])
        out["digests"]["sent"] = recorded["digests"]
    if send:
        print(
            f"sweep mails/s: {out['sweep_send']['mails_per_s']}"
            + (f"; digest mails/s: {out['digests']['mails_per_s']}" if "digests" in out else "")
        )
    return out


if __name__ == "__main__":
    main()
