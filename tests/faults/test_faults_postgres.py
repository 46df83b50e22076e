"""Scenario 5: PostgreSQL restarted during a sweep.

The shared server cannot be restarted from a test, so a restart is simulated the way clients see
one: every backend of the test database except the test's own is terminated
(pg_terminate_backend) while a sweep is half-way — the sweep's connection, and the worker's, which
is sending the sweep's first batches meanwhile. The sweep must fail cleanly (an error, nothing
half-written: each batch is one transaction) and the next one catch up. FAULTS_PG_REPEATS times
(CI default 3), each time on new tasks."""

import time

import pytest
from django.db import connection

from notifications.models import Notification
from tests.faults import harness

pytestmark = pytest.mark.faults

TASKS = 100
LEASE = 4


def _terminate_others() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_postgres_restarted_during_a_sweep(cluster):
    repeats = harness.env_int("FAULTS_PG_REPEATS", 3)
    cluster.extra_env.update(NOTIFY_LEASE_SECONDS=str(LEASE), NOTIFY_SMTP_TIMEOUT="1")
    cluster.sink.delay = 0.01
    cluster.worker()
    beat = harness.beat_app(cluster.redis)
    sweeps, terminated, recorded_before = [], [], []
    try:
        for _ in range(repeats):
            before = Notification.objects.count()
            for _ in range(TASKS):
                harness.owed_task(1)
            sweep = cluster.drive("sweep", wait=False, env={"NOTIFY_BATCH_SIZE": "2"})
            harness.wait_until(
                lambda b=before: Notification.objects.count() > b + 20, timeout=60, what="half a sweep", every=0.01
            )
            terminated.append(_terminate_others())
            recorded_before.append(Notification.objects.count() - before)
            result = harness.driver_result(sweep)
            sweeps.append(result)
            harness.beat_until(
                beat,
                lambda b=before: Notification.objects.count() == b + TASKS and harness.settled(),
                every=LEASE + 1,
                timeout=120,
                what="the next sweeps catching up",
            )
    finally:
        beat.close()
    time.sleep(1)
    outcome = harness.tally(
        "5 PostgreSQL backends terminated mid-sweep",
        cluster.sink,
        runs=repeats,
        notes={
            "sweep errors": [r.get("error", "")[:80] for r in sweeps],
            "recorded before the cut": recorded_before,
            "backends terminated": terminated,
        },
    )
    # It failed, it said so, and the rows it had committed stayed (no half-written batch).
    assert all(not r["ok"] and "OperationalError" in r["error"] for r in sweeps), sweeps
    assert (outcome.lost, outcome.doubled) == (0, 0), outcome
