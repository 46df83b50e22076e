"""The scenarios of `python -m bench`: each returns a dict of figures with stable keys."""

import base64
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from . import data

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "fixtures" / "seeds").glob("*.txt"))
NUMERALS = "一二三四五六七八九十"
DECLARE = re.compile(r'^\s*DECLARE\s+"[^"]+"\s+NO SCROLL CURSOR\s+(?:WITH(?:OUT)? HOLD\s+)?FOR\s+(.*)$', re.S | re.I)


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered) * 1000, 2), "p95_ms": round(p95 * 1000, 2), "runs": len(ordered)}


def timed(fn: Callable[[], object], repeat: int, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        fn()
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return runs


def peak_mb(fn: Callable[[], object]) -> float:
    """Peak Python allocation of one call (tracemalloc: kept out of the timed runs, it slows them)."""
    tracemalloc.start()
    try:
        fn()
        return round(tracemalloc.get_traced_memory()[1] / 2**20, 2)
    finally:
        tracemalloc.stop()


# --- parse -----------------------------------------------------------------------------------


def synthetic_plan(measures: int, agencies: int, *, size_bytes: int | None = None) -> str:
    """A plan in the seeds' shape: ten sections, numbered measures each ending with its lead and
    supporting agencies from the generated directory. With size_bytes, measures are added until the
    UTF-8 text reaches it."""
    head = "某省人民政府办公厅关于印发某省推进高质量发展实施方案的通知\n各市人民政府,省政府各部门:\n"
    lines = [head]
    total = len(head.encode())
    i = 0
    while (size_bytes and total < size_bytes) or (not size_bytes and i < measures):
        if i % max(1, (measures // 10 if not size_bytes else 400)) == 0:
            section = NUMERALS[min(9, i // max(1, (measures // 10 if not size_bytes else 400)) % 10)]
            line = f"{section}、重点任务\n"
            lines.append(line)
            total += len(line.encode())
        lead = data.COORDINATING + 1 + (i * 37) % (agencies - data.COORDINATING)
        support = data.COORDINATING + 1 + (i * 37 + 11) % (agencies - data.COORDINATING)
        line = (
            f"{i + 1}. 推进第{i + 1}项重点工作。加快完善相关制度,到2027年底前完成建设任务,"
            f"形成可复制可推广的经验做法。(省第{lead}局牵头,省第{support}局配合)\n"
        )
        lines.append(line)
        total += len(line.encode())
        i += 1
    return "".join(lines)


def parse(*, repeat: int, agencies: int) -> dict:
    from measures.parsing import parse_document

    texts = [(p.name, p.read_text(encoding="utf-8")) for p in SEEDS]
    chars = sum(len(t) for _, t in texts)
    out: dict = {}
    runs = timed(lambda: [parse_document(t, n) for n, t in texts], repeat)
    measures = sum(len(parse_document(t, n).measures) for n, t in texts)
    out["parse_seeds"] = {
        **percentiles(runs),
        "documents": len(texts),
        "measures": measures,
        "chars": chars,
        "chars_per_s": round(chars / statistics.median(runs)),
        "mb_per_s": round(sum(len(t.encode()) for _, t in texts) / 2**20 / statistics.median(runs), 2),
        "peak_mb": peak_mb(lambda: [parse_document(t, n) for n, t in texts]),
    }
    big = synthetic_plan(0, agencies, size_bytes=2 * 2**20)
    runs = timed(lambda: parse_document(big, "synthetic.txt"), max(3, repeat // 10), warmup=1)
    out["parse_2mb"] = {
        **percentiles(runs),
        "measures": len(parse_document(big, "synthetic.txt").measures),
        "chars": len(big),
        "bytes": len(big.encode()),
        "chars_per_s": round(len(big) / statistics.median(runs)),
        "mb_per_s": round(len(big.encode()) / 2**20 / statistics.median(runs), 2),
        "peak_mb": peak_mb(lambda: parse_document(big, "synthetic.txt")),
    }
    return out


# --- import ----------------------------------------------------------------------------------


def import_200(*, agencies: int, repeat: int) -> dict:
    """Preview (resolve every name against the directory) and import a plan of 200 measures, as the
    import page's confirm does; each run imports a new document (the text differs by its title)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from agencies.models import Agency, Jurisdiction
    from measures.parsing import parse_document
    from measures.services import document_preview_parsed
    from tracker.services import document_import

    place = Jurisdiction.objects.get(pk=1)
    coordinator = Agency.objects.get(pk=1)
    base = synthetic_plan(200, agencies)
    runs, parse_runs, queries = [], [], 0
    for n in range(repeat + 1):
        text = base.replace("高质量发展", f"高质量发展第{n}批", 1)
        t0 = time.perf_counter()
        parsed = parse_document(text, f"bench-import-{n}.txt")
        t1 = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            preview = document_preview_parsed(
                text=text, parsed=parsed, source_name=f"bench-import-{n}.txt", jurisdiction=place,
                coordinator=coordinator,
            )  # fmt: skip
            document, created = document_import(preview=preview)
        t2 = time.perf_counter()
        assert created and document.measures.count() == 200, (created, document.measures.count())
        if n == 0:  # warm-up: the directory index is built per preview, the code paths load
            continue
        parse_runs.append(t1 - t0)
        runs.append(t2 - t1)
        queries = len(captured)
    return {
        "import_200": {
            **percentiles(runs),
            "parse_p50_ms": percentiles(parse_runs)["p50_ms"],
            "queries": queries,
            "measures": 200,
        }
    }


# --- API -------------------------------------------------------------------------------------


def cursor_at(position: int) -> str:
    """DRF's CursorPagination cursor for "after id `position`" (ordering -id)."""
    return base64.b64encode(f"p={position}".encode()).decode()


def api_cases(size: data.Size) -> dict[str, dict]:
    """The requests a user waits for, with who makes them."""
    from django.db import connection

    from tracker.workflow import OPEN

    documents = max(1, size.tasks // 200)
    staff = 2 * data.COORDINATING + 1  # the first staff user (has a token)
    coordinator = 1  # coordinator of agency 1, which coordinates every 50th document
    coordinated = data.coordinated_documents(1, documents)
    document = coordinated[0]
    open_list = "&".join(f"status={s}" for s in sorted(OPEN))
    with connection.cursor() as cursor:
        # The task 10,000 rows down the coordinator's open list: page 201 at 50 a page.
        cursor.execute(
            "SELECT id FROM tracker_task WHERE document_id = ANY(%s) AND status = ANY(%s) "
            "ORDER BY id DESC OFFSET 10000 LIMIT 1",
            [coordinated, sorted(OPEN)],
        )
        row = cursor.fetchone()
        deep = row[0] if row else 1
        cursor.execute(
            "SELECT t.id FROM tracker_task t JOIN tracker_assignment a ON a.task_id = t.id "
            "WHERE a.agency_id = %s AND a.role = 'lead' ORDER BY t.id LIMIT 1",
            [data.staff_agency(staff, size.agencies)],
        )
        task = cursor.fetchone()[0]
    return {
        "api_staff_list": {"user": staff, "path": f"/api/tasks/?{open_list}"},
        "api_staff_list_deep": {
            "user": staff, "path": f"/api/tasks/?{open_list}&page_size=10&cursor={cursor_at(task + 1)}",
            "note": "the staff agency's list after its first lead task (every staff list is short)",
        },
        "api_coordinator_deep": {
            "user": coordinator, "path": f"/api/tasks/?{open_list}&cursor={cursor_at(deep)}",
            "note": "page 201 of the open tasks a coordinator may see",
        },
        "api_overdue_list": {"user": coordinator, "path": f"/api/tasks/?document={document}&overdue=true"},
        "api_task_detail": {"user": staff, "path": f"/api/tasks/{task}/"},
        "api_task_timeline": {"user": staff, "path": f"/api/tasks/{task}/events/"},
        "dashboard": {
            "user": coordinator, "path": "/dashboard/", "session": True,
            "note": "served from the cache (DASHBOARD_CACHE_SECONDS) after the first request",
        },
        "dashboard_cold": {
            "user": coordinator, "path": "/dashboard/", "session": True, "settings": {"DASHBOARD_CACHE_SECONDS": 0},
            "note": "the aggregates computed on every request (a cache miss)",
        },
    }  # fmt: skip


class _Statements:
    """Every statement of a request as sent (parameters bound) with its time, through
    connection.execute_wrapper, so it does not depend on the debug cursor's log."""

    def __init__(self, connection) -> None:
        self.connection = connection
        self.captured_queries: list[dict] = []

    def __call__(self, execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seconds = time.perf_counter() - t0
            bound = self.connection.ops.last_executed_query(context["cursor"], sql, params)
            self.captured_queries.append({"sql": bound, "time": f"{seconds:.4f}"})


def _sql_alone(statements: list[str], dsn: str, repeat: int) -> list[float]:
    """The request's statements as captured, run again over a plain psycopg connection."""
    import psycopg

    runnable = []
    for sql in statements:
        # .iterator() on PostgreSQL is a server-side cursor: DECLARE … FOR <query>, FETCH, CLOSE.
        declared = DECLARE.match(sql)
        if declared:
            runnable.append(declared.group(1))
        elif not sql.lstrip().upper().startswith(("FETCH", "CLOSE")):
            runnable.append(sql)
    with psycopg.connect(dsn, autocommit=True) as conn:

        def run() -> None:
            for sql in runnable:
                cursor = conn.execute(sql)
                if cursor.description is not None:
                    cursor.fetchall()

        return timed(run, repeat)


def explain(sql: str, dsn: str) -> str:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        return "\n".join(r[0] for r in conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql).fetchall())


def api(*, size: data.Size, dsn: str, repeat: int, only: set[str] | None = None) -> dict:
    from django.db import connection
    from django.test import Client, override_settings

    from agencies.models import User

    out = {}
    for name, case in api_cases(size).items():
        if only and name not in only and "api" not in only:
            continue
        client = Client()
        headers = {}
        if case.get("session"):
            client.force_login(User.objects.get(pk=case["user"]))
        else:
            headers["HTTP_AUTHORIZATION"] = f"Token {data.token(case['user'])}"

        def get(path=case["path"], client=client, headers=headers):
            response = client.get(path, **headers)
            assert response.status_code == 200, (path, response.status_code, response.content[:300])
            return response

        overrides = override_settings(**case.get("settings", {}))
        overrides.enable()
        try:
            runs = timed(get, repeat, warmup=3)
            captured = _Statements(connection)
            with connection.execute_wrapper(captured):
                response = get()
            memory = peak_mb(get)
        finally:
            overrides.disable()
        statements = [q["sql"] for q in captured.captured_queries]
        sql_runs = _sql_alone(statements, dsn, repeat)
        api_p50, sql_p50 = statistics.median(runs), statistics.median(sql_runs)
        slowest = max(captured.captured_queries, key=lambda q: float(q["time"]), default={"sql": ""})["sql"]
        if declared := DECLARE.match(slowest):
            slowest = declared.group(1)
        out[name] = {
            **percentiles(runs),
            "queries": len(statements),
            "peak_mb": memory,
            "bytes": len(response.content),
            "sql_p50_ms": round(sql_p50 * 1000, 2),
            "sql_p95_ms": percentiles(sql_runs)["p95_ms"],
            "ratio": round(api_p50 / sql_p50, 2) if sql_p50 else None,
            "overhead_ms": round((api_p50 - sql_p50) * 1000, 2),
            "path": case["path"],
            "slowest_sql": slowest,
            "plan": explain(slowest, dsn) if slowest.lstrip().upper().startswith("SELECT") else "",
            **({"note": case["note"]} if "note" in case else {}),
        }
    return out


# --- load ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wrk_figures(text: str) -> dict:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+)", text)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    latency = re.search(r"Latency\s+([\d.]+)(\w+)", text)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, sockets.groups())) if sockets else 0)
    requests = int(total.group(1)) if total else 0
    return {
        "requests_per_s": float(rps.group(1)) if rps else 0.0,
        "requests": requests,
        "errors": errors,
        "error_rate": round(errors / requests, 4) if requests else None,
        "mean_latency": f"{latency.group(1)}{latency.group(2)}" if latency else None,
    }


def load(*, size: data.Size, dsn: str, seconds: int, workers: int, connections: int) -> dict:
    """wrk against gunicorn (deploy/gunicorn.conf.py) on 127.0.0.1: the staff task list and the
    coordinator's overdue list, each with its own user's token."""
    if not shutil.which("wrk"):
        return {"load": {"skipped": "wrk not installed (apt-get install -y wrk)"}}
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only",
        "SECURE_SSL_REDIRECT": "false",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_ACCESSLOG": "",
        "GUNICORN_LOGLEVEL": "warning",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "tracker.wsgi"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    out = {}
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.3)
        cases = api_cases(size)
        for name in ("api_staff_list", "api_overdue_list"):
            case = cases[name]
            url = f"http://127.0.0.1:{port}{case['path']}"
            header = f"Authorization: Token {data.token(case['user'])}"
            subprocess.run(["wrk", "-t1", "-c2", "-d2s", "-H", header, url], capture_output=True, check=False)
            result = subprocess.run(
                ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", header, url],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            out[f"load_{name.removeprefix('api_')}"] = {
                **_wrk_figures(result.stdout),
                "gunicorn_workers": workers,
                "connections": connections,
                "seconds": seconds,
            }
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    return out


# --- notifications ---------------------------------------------------------------------------


def notifications(*, send_limit: int, workers: int, digests: bool, supervision: bool) -> dict:
    """The reminder sweep (cold ledger), sending the first `send_limit` of its mails to a discarding
    SMTP server, the steady-state sweep, and the weekly digests — bench/notifications.py's phases.

    Without `supervision` the day's 督办单 run is claimed beforehand, so the sweep is the reminders,
    rounds and receipts alone: on the generated province (a third of the open tasks overdue at once)
    the first day's ladder issues 333k notices, a separate matter (docs/benchmarks.md)."""
    from django.utils import timezone

    from bench import notifications as nb
    from tracker.models import SupervisionNotice, SupervisionRun

    SupervisionNotice.objects.all().delete()
    SupervisionRun.objects.all().delete()
    if not supervision:
        SupervisionRun.objects.create(day=data.AT.date(), started_at=timezone.now(), finished_at=timezone.now())

    port = _free_port()
    sink = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    from django.conf import settings

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    try:
        time.sleep(1)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE notifications_notification")
        return nb.run(send=True, workers=workers, send_limit=send_limit, digests=digests)
    finally:
        sink.terminate()
        sink.wait(10)
