"""Scenario 3: Redis stopped (SIGKILL, no persistence: every queued message is lost) for
FAULTS_REDIS_DOWN_SECONDS (CI default 5; the documented figures come from 60), then started again.

(a) During a sweep: the sweep (in a process of its own, as in a worker) records its batches while
    Redis dies under it; its later enqueues fail, those rows stay pending in the ledger.
(b) During sending: a worker is half-way through a batch when Redis dies.

In both, once Redis is back beat's next tick reaches the worker, whose sweep re-queues what the
broker lost. Owed: every row; the aim is each mail exactly once."""

import time

import pytest

from notifications.models import Notification
from tests.faults import harness

pytestmark = pytest.mark.faults


def _down_seconds() -> int:
    return harness.env_int("FAULTS_REDIS_DOWN_SECONDS", 5)


def test_redis_down_during_a_sweep(cluster):
    down = _down_seconds()
    for _ in range(30):
        harness.owed_task(2)
    worker = cluster.worker()
    # Small batches: the sweep commits (and enqueues) thirty times, so Redis dies in the middle.
    sweep = cluster.drive("sweep", wait=False, env={"NOTIFY_BATCH_SIZE": "1"})
    harness.wait_until(lambda: Notification.objects.exists(), timeout=30, what="the sweep's first rows", every=0.01)
    cluster.redis.stop()
    stopped = time.monotonic()
    result = harness.driver_result(sweep)
    # The sweep itself goes through: the ledger, not the broker, holds the work.
    assert result["ok"], result
    assert Notification.objects.count() == 60
    left_pending = Notification.objects.filter(status="pending").count()
    time.sleep(max(0.0, down - (time.monotonic() - stopped)))
    cluster.redis.start()
    exited = _supervise(worker)
    beat = harness.beat_app(cluster.redis)
    try:
        harness.beat_tick(beat)
        harness.wait_until(harness.settled, timeout=down + 90, what="every row sent after Redis came back")
    finally:
        beat.close()
    time.sleep(1)
    outcome = harness.tally(
        f"3a Redis down {down}s during a sweep",
        cluster.sink,
        runs=1,
        notes={
            "sweep seconds": result["seconds"],
            "left pending by the sweep": left_pending,
            "worker exited": exited,
        },
    )
    assert (outcome.lost, outcome.doubled) == (0, 0), outcome


def test_redis_down_during_sending(cluster):
    down = _down_seconds()
    for _ in range(20):
        harness.owed_task(2)
    worker = cluster.worker()
    cluster.sink.delay = 0.1
    beat = harness.beat_app(cluster.redis)
    try:
        harness.beat_tick(beat)
        harness.wait_until(lambda: cluster.sink.count() >= 5, timeout=30, what="sending under way", every=0.02)
        cluster.redis.stop()
        at_stop = harness.statuses()
        time.sleep(down)
        cluster.redis.start()
        exited = _supervise(worker)
        harness.beat_tick(beat)
        harness.wait_until(harness.settled, timeout=down + 90, what="every row sent after Redis came back")
    finally:
        beat.close()
    time.sleep(1)
    outcome = harness.tally(
        f"3b Redis down {down}s during sending",
        cluster.sink,
        runs=1,
        notes={"ledger when Redis died": dict(at_stop), "worker exited": exited},
    )
    assert (outcome.lost, outcome.doubled) == (0, 0), outcome


def _supervise(worker) -> bool:
    """Restart the worker if it died, as systemd (Restart=always) or any supervisor would.

    It does die, sometimes: with acknowledgements outstanding when Redis goes, Celery 5.7 / kombu
    5.7 (redis-py 8.2) can end the worker with "Unrecoverable error: AttributeError('NoneType' object has no
    attribute 'hostname')" while it closes the lost connection. The ledger does not care (claims,
    leases and the sweep bring every row back), but a worker left dead sends nothing more."""
    if worker.process.poll() is None:
        return False
    worker.start()
    return True
