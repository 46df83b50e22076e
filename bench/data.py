"""The data generator shared by every benchmark: a province loaded with COPY (not a test).

`generate(dsn, tasks=…, agencies=…, users=…)` fills a migrated, empty database: agencies with an
alias each and a few groups, users (2 coordinators per coordinating agency, the rest staff, API
tokens for the first ones), documents of 200 measures, tasks with due dates spread over ±400 days
around AT, a lead and a supporting agency per task, an open reporting round on 5 % of the
documents, and with `history=True` a progress report on every task that has started, its timeline
(created, status change) and its django-simple-history row."""

import datetime
import os
import random
import threading
import time
import zoneinfo
from dataclasses import dataclass

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
# A Monday 08:00 in Shanghai: the default digest slot; "today" for every scenario.
AT = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=SH)
COORDINATING = 50
GROUPS = 20
GROUP_MEMBERS = 20
TOKENS = 1000
STATUSES = ["not_started"] * 30 + ["in_progress"] * 35 + ["closed"] * 25 + ["closure_requested"] * 3
STATUSES += ["extension_requested"] * 2 + ["suspended"] * 2 + ["cancelled"] * 3
OPEN = {"not_started", "in_progress", "closure_requested", "extension_requested", "returned"}


@dataclass(frozen=True)
class Size:
    tasks: int
    agencies: int
    users: int

    @classmethod
    def named(cls, name: str) -> "Size":
        return {"full": cls(1_000_000, 20_000, 50_000), "small": cls(20_000, 400, 1_000)}[name]


def token(user_id: int) -> str:
    """The API token of a generated user (those with id ≤ TOKENS)."""
    return f"{user_id:040x}"


def staff_agency(user_id: int, agencies: int) -> int:
    return COORDINATING + 1 + (user_id % (agencies - COORDINATING))


def lead_agency(task_id: int, agencies: int) -> int:
    return COORDINATING + 1 + (task_id * 7919) % (agencies - COORDINATING)


def coordinated_documents(coordinating_agency: int, documents: int) -> list[int]:
    return [d for d in range(1, documents + 1) if 1 + d % COORDINATING == coordinating_agency]


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


def recreate_database(name: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def generate(dsn: str, *, tasks: int, agencies: int, users: int, seed: int = 1, history: bool = True) -> dict:
    """COPY a province into the migrated database `dsn`; returns rows per table and seconds."""
    import psycopg

    t0 = time.perf_counter()
    rng = random.Random(seed)
    today = AT.date()
    now = datetime.datetime.now(tz=SH)
    documents = max(1, tasks // 200)
    staff_agencies = agencies - COORDINATING
    counts: dict[str, int] = {}
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
            ((i, f"省第{i}局", f"某省第{i}局", "department", True, 1) for i in range(1, agencies + 1)),
        )
        copy(
            "agencies_agencyalias",
            "id, name, kind, agency_id, jurisdiction_id",
            ((i, f"第{i}局", "abbreviation", i, 1) for i in range(1, agencies + 1)),
        )
        # Groups (各区县人民政府): the first staff agencies stand for GROUP_MEMBERS others each, so the
        # visibility rule's group branch has rows to look through.
        copy(
            "agencies_agency_members",
            "id, from_agency_id, to_agency_id",
            (
                (g * GROUP_MEMBERS + m + 1, COORDINATING + 1 + g, COORDINATING + GROUPS + 1 + g * GROUP_MEMBERS + m)
                for g in range(min(GROUPS, staff_agencies // (GROUP_MEMBERS + 1)))
                for m in range(GROUP_MEMBERS)
            ),
        )
        coordinators = 2 * COORDINATING

        def user_rows():
            for i in range(1, users + 1):
                if i <= coordinators:
                    agency, role = 1 + (i - 1) % COORDINATING, "coordinator"
                else:
                    agency, role = staff_agency(i, agencies), "staff"
                yield (i, "!", False, f"u{i}", "", "", f"u{i}@bench.example", False, True, now, role, agency)

        copy(
            "agencies_user",
            "id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active, "
            "date_joined, role, agency_id",
            user_rows(),
        )
        copy("authtoken_token", "key, created, user_id", ((token(i), now, i) for i in range(1, min(users, TOKENS) + 1)))
        copy(
            "measures_policydocument",
            "id, title, issuer, doc_number, is_draft, coordinator_names, mechanisms, source_name, source_hash, "
            "raw_text, imported_at, coordinator_id, jurisdiction_id, corrections, working_days, round_every, "
            "assessed, bulletin_after_round, schedule_warnings",
            (
                (d, f"实施意见{d}", "", "", False, "[]", "[]", f"d{d}.txt", f"{d:064x}", "", now,
                 1 + d % COORDINATING, 1, "[]", False, "", False, False, False)
                for d in range(1, documents + 1)
            ),
        )  # fmt: skip
        copy(
            "measures_measure",
            'id, ref, title, text, "order", deadlines, others, lead_inferred, document_id, confidence, doubts',
            (
                (i, str(i), f"措施{i}", "加快建设。", i, "[]", False, False, 1 + i % documents, 1.0, "[]")
                for i in range(1, tasks + 1)
            ),
        )
        task_status: dict[int, str] = {}
        round_tasks: dict[int, str] = {}

        def task_rows():
            for i in range(1, tasks + 1):
                status = rng.choice(STATUSES)
                task_status[i] = status
                if (1 + i % documents) % 20 == 0:
                    round_tasks[i] = status
                due = None if rng.random() < 0.05 else today + datetime.timedelta(days=rng.randint(-400, 400))
                yield (i, status, due, 1, now, now, 1 + i % documents, i)

        copy(
            "tracker_task",
            "id, status, due_date, version, created_at, updated_at, document_id, measure_id",
            task_rows(),
        )

        def lead(i: int) -> int:
            return lead_agency(i, agencies)

        # 签收: all but one task in fifty signed for by both agencies (a live province, not a fresh
        # import where every receipt reminder would be owed at once).
        signed = AT - datetime.timedelta(days=30)

        def assignment_rows():
            for i in range(1, tasks + 1):
                received = None if i % 50 == 0 else signed
                yield (2 * i - 1, "lead", 0, lead(i), i, signed, received)
                yield (2 * i, "support", 0, COORDINATING + 1 + (lead(i) + 1 + i % 97) % staff_agencies, i, signed,
                       received)  # fmt: skip

        copy(
            "tracker_assignment",
            "id, role, position, agency_id, task_id, assigned_at, received_at",
            assignment_rows(),
        )
        round_docs = [d for d in range(1, documents + 1) if d % 20 == 0]
        copy(
            "tracker_reportinground",
            "id, title, due_date, opened_at, document_id, period",
            ((d, f"第一季度调度{d}", today + datetime.timedelta(days=3), now, d, "") for d in round_docs),
        )
        copy(
            "tracker_roundentry",
            "id, role, agency_id, round_id, task_id",
            ((i, "lead", lead(i), 1 + i % documents, i) for i, s in sorted(round_tasks.items()) if s in OPEN),
        )
        if history:
            _history(copy, task_status, lead, rng=random.Random(seed + 1), now=now, agencies=agencies, users=users)
        for table in counts:
            if table in ("agencies_agency_members", "authtoken_token"):
                continue
            column = "history_id" if table.startswith("tracker_historical") else "id"
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), (SELECT max({column}) FROM {table}))"
            )
        cur.execute("SELECT setval(pg_get_serial_sequence('agencies_agency_members', 'id'), "
                    "(SELECT coalesce(max(id), 1) FROM agencies_agency_members))")  # fmt: skip
        conn.commit()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    counts["seconds"] = round(time.perf_counter() - t0, 1)
    return counts


def _history(copy, task_status: dict[int, str], lead, *, rng: random.Random, now, agencies: int, users: int) -> None:
    """Reports, timeline events and simple-history rows: what a few years of use leave behind."""
    staff_of: dict[int, int] = {}
    for u in range(2 * COORDINATING + 1, users + 1):
        staff_of.setdefault(staff_agency(u, agencies), u)
    started = {"in_progress", "closed", "closure_requested", "extension_requested", "suspended"}

    def when(days: int) -> datetime.datetime:
        return now - datetime.timedelta(days=days, minutes=rng.randint(0, 600))

    def report_rows():
        n = 0
        for i, status in task_status.items():
            if status in started:
                n += 1
                agency = lead(i)
                yield (n, "report", "本季度完成年度任务的一半。", rng.randint(10, 100), when(rng.randint(1, 300)),
                       agency, staff_of.get(agency), None, i, "", None)  # fmt: skip

    copy(
        "tracker_progressreport",
        "id, kind, text, percent, created_at, agency_id, author_id, round_id, task_id, return_reason, returned_at",
        report_rows(),
    )

    def event_rows():
        n = 0
        for i, status in task_status.items():
            n += 1
            yield (n, "created", "", "not_started", "", "{}", when(400), None, None, i)
            if status != "not_started":
                n += 1
                agency = lead(i)
                yield (n, "status", "not_started", status, "", "{}", when(rng.randint(1, 300)),
                       staff_of.get(agency), agency, i)  # fmt: skip

    copy(
        "tracker_taskevent",
        "id, kind, from_status, to_status, comment, data, created_at, actor_id, agency_id, task_id",
        event_rows(),
    )
    copy(
        "tracker_historicaltask",
        "id, status, due_date, version, created_at, updated_at, history_id, history_date, history_type, "
        "document_id, measure_id",
        ((i, "not_started", None, 1, now, now, i, when(400), "+", None, i) for i in task_status),
    )
