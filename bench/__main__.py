"""python -m bench --size small|full [--only SCENARIO[,SCENARIO]] [--reuse] --out FILE.json

Recreates the PostgreSQL database --db (default tracker_bench_<size>) on 127.0.0.1, migrates it,
generates a province with COPY (bench/data.py), then runs the scenarios and writes every figure to
--out (scenario → p50_ms, p95_ms, queries, peak_mb, …) and a table to stdout.

Scenarios: parse, api (or one case: api_staff_list, api_staff_list_deep, api_coordinator_deep,
api_overdue_list, api_task_detail, api_task_timeline, dashboard), load, import, notifications."""

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from . import data

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ["parse", "api", "load", "import", "notifications"]


def _setup(dsn: str) -> None:
    os.environ.update(
        DATABASE_URL=dsn,
        DJANGO_SETTINGS_MODULE="tracker.settings",
        CELERY_TASK_ALWAYS_EAGER="true",
        DEBUG="false",
        SECRET_KEY="bench-only",
        SECURE_SSL_REDIRECT="false",
        STATIC_ROOT=str(Path(tempfile.gettempdir()) / "tracker-bench-static"),
    )
    os.environ.pop("CELERY_BROKER_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _machine() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    load = os.getloadavg()
    return {
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "postgresql": pg,
        "loadavg_at_start": [round(x, 2) for x in load],
    }


def _table(results: dict) -> str:
    keys = ["p50_ms", "p95_ms", "queries", "sql_p50_ms", "overhead_ms", "ratio", "peak_mb"]
    lines = [f"{'scenario':<26}" + "".join(f"{k:>12}" for k in keys) + "  other"]
    for name, figures in results.items():
        if not isinstance(figures, dict) or name in ("machine", "size", "generate"):
            continue
        cells = "".join(f"{figures.get(k, ''):>12}" for k in keys)
        other = {
            k: v for k, v in figures.items()
            if k not in keys and k not in ("path", "slowest_sql", "plan", "note", "phase", "detail")
            and not isinstance(v, dict | list)
        }  # fmt: skip
        lines.append(f"{name:<26}{cells}  {other}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=["small", "full"], default="small")
    parser.add_argument("--only", default="", help="comma-separated scenarios or API cases")
    parser.add_argument("--out", default="bench-results.json")
    parser.add_argument("--db", default=None, help="default: tracker_bench_<size>")
    parser.add_argument("--reuse", action="store_true", help="keep the data of an earlier run in --db")
    parser.add_argument("--repeat", type=int, default=None, help="runs per case (default 30 small, 50 full)")
    parser.add_argument("--load-seconds", type=int, default=20)
    parser.add_argument("--load-workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--load-connections", type=int, default=16)
    parser.add_argument("--send-limit", type=int, default=20_000, help="reminder mails sent to the sink")
    parser.add_argument("--mail-sessions", type=int, default=4, help="SMTP sessions of the inline sender")
    parser.add_argument("--no-digests", action="store_true")
    parser.add_argument("--with-supervision", action="store_true", help="let the sweep issue the day's 督办单 too")
    args = parser.parse_args()
    size = data.Size.named(args.size)
    db = args.db or f"tracker_bench_{args.size}"
    dsn = f"postgresql://postgres@127.0.0.1:5432/{db}"
    repeat = args.repeat or (30 if args.size == "small" else 50)
    only = {o.strip() for o in args.only.split(",") if o.strip()}
    api_case = any(o.startswith(("api_", "dashboard")) for o in only)
    wanted = [s for s in SCENARIOS if not only or s in only or (s == "api" and api_case)]

    if not args.reuse:
        data.recreate_database(db)
    _setup(dsn)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)  # what gunicorn's whitenoise serves
    results: dict = {"size": {"name": args.size, **size.__dict__}, "machine": _machine()}
    if not args.reuse:
        print(f"generating {args.size}: {size}", flush=True)
        counts = data.generate(dsn, tasks=size.tasks, agencies=size.agencies, users=size.users)
        results["generate"] = counts
        print(f"generated in {counts['seconds']} s: {counts}", flush=True)

    from . import scenarios

    def record(name: str, figures: dict) -> None:
        results.update(figures)
        Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str))
        print(f"{name} done", flush=True)

    for scenario in wanted:
        t0 = time.perf_counter()
        if scenario == "parse":
            record(scenario, scenarios.parse(repeat=repeat, agencies=size.agencies))
        elif scenario == "api":
            record(scenario, scenarios.api(size=size, dsn=dsn, repeat=repeat, only=only or None))
        elif scenario == "load":
            record(scenario, scenarios.load(size=size, dsn=dsn, seconds=args.load_seconds,
                                            workers=args.load_workers, connections=args.load_connections))  # fmt: skip
        elif scenario == "import":
            record(scenario, scenarios.import_200(agencies=size.agencies, repeat=min(repeat, 10)))
        elif scenario == "notifications":
            record(scenario, scenarios.notifications(send_limit=args.send_limit, workers=args.mail_sessions,
                                                     digests=not args.no_digests,
                                                     supervision=args.with_supervision))  # fmt: skip
        print(f"  ({time.perf_counter() - t0:.0f} s)", flush=True)
    print(_table(results))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
