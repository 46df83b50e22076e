"""Fault scenarios need real PostgreSQL (DATABASE_URL) and the redis-server binary: each test
starts a Redis of its own on a free port, never the machine's shared one. Without them a
newcomer gets a skip; with REQUIRE_SERVICES=1 (CI) their absence fails the run."""

import json
import os
import shutil

import pytest

from tests.faults import harness


def _missing() -> str:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return "needs DATABASE_URL (PostgreSQL)"
    if not shutil.which("redis-server"):
        return "needs the redis-server binary"
    return ""


@pytest.fixture(autouse=True)
def _fault_services():
    if missing := _missing():
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(missing)
        pytest.skip(missing)


@pytest.fixture
def cluster(transactional_db, settings):
    """A Redis of the test's own, a counting SMTP sink and the scaffolding for workers and
    sweep drivers. The test database is written for real (transactional_db): the worker and
    driver processes read it."""
    tmp = harness.scratch()
    redis = harness.RedisServer(tmp)
    redis.start()
    sink = harness.Sink()
    sink.controller.start()
    cluster = harness.Cluster(redis=redis, sink=sink, tmp=tmp)
    try:
        yield cluster
    finally:
        cluster.stop()
        sink.controller.stop()
        redis.stop()
        # Shown by pytest when the test failed: what the workers saw.
        for log in sorted(tmp.glob("*.log")):
            print(f"--- {log.name}\n" + log.read_text(errors="replace")[-4000:])
        shutil.rmtree(tmp, ignore_errors=True)


def pytest_terminal_summary(terminalreporter):
    if not harness.RESULTS:
        return
    terminalreporter.section("fault scenarios")
    for r in harness.RESULTS:
        terminalreporter.write_line(
            f"{r['scenario']}: runs {r['runs']}, owed {r['owed']}, received {r['received']}, lost {r['lost']}, "
            f"doubled {r['doubled']}, failed visibly {r['failed_visibly']} {json.dumps(r['notes'], ensure_ascii=False)}"
        )
    if path := os.environ.get("FAULTS_REPORT"):
        with open(path, "w") as f:
            json.dump(harness.RESULTS, f, ensure_ascii=False, indent=1)
