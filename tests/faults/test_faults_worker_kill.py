"""Scenario 1: a worker SIGKILLed at a random moment of a sending batch, then restarted.

Each repetition: beat's tick sends the sweep's message, the worker records ten reminders and
starts sending them (the sink holds each DATA for a random 20-150 ms, so the batch is in flight),
the whole worker (parent and children) is SIGKILLed at a random moment, restarted, and the next
tick — once the dead claims' lease ran out — re-queues what the dead worker held.

FAULTS_KILL_REPEATS repetitions (CI default 20)."""

import itertools
import random
import time

import pytest

from notifications.models import Notification
from tests.faults import harness

pytestmark = pytest.mark.faults

STAFF = 10
LEASE = 4  # seconds; the worker's SMTP timeout is 1 s, a chunk takes at most 1.5 s


def test_sigkill_mid_batch_then_restart(cluster):
    repeats = harness.env_int("FAULTS_KILL_REPEATS", 20)
    rng = random.Random(harness.env_int("FAULTS_SEED", 13))
    cluster.extra_env.update(NOTIFY_LEASE_SECONDS=str(LEASE), NOTIFY_SMTP_TIMEOUT="1")
    sink = cluster.sink
    beat = harness.beat_app(cluster.redis)
    worker = cluster.worker()
    kills: list[dict] = []
    try:
        for _ in range(repeats):
            harness.owed_task(STAFF)
            expected = Notification.objects.count() + STAFF
            sink.delay = rng.uniform(0.02, 0.15)
            harness.beat_tick(beat)
            time.sleep(rng.uniform(0, 0.3 + STAFF * sink.delay))
            worker.kill()
            at = time.time()
            snapshot = dict(Notification.objects.values_list("pk", "status"))
            kills.append({"at": at, "statuses": snapshot})
            worker.start()
            time.sleep(max(0.0, LEASE + 0.5 - (time.time() - at)))  # the dead claims' lease runs out
            harness.beat_tick(beat)
            harness.wait_until(
                lambda e=expected: Notification.objects.count() >= e and harness.settled(),
                timeout=60,
                what="every row settled",
            )
    finally:
        beat.close()
    time.sleep(1)  # a late duplicate would show now
    window = _window(sink)
    mid_batch = sum(1 for k in kills if "sending" in k["statuses"].values())
    result = harness.tally("1 SIGKILL mid-batch, restart", sink, runs=repeats,
                           notes={"kills mid-batch": mid_batch, **window})  # fmt: skip
    assert result.lost == 0, result
    # Every double must be the documented window: the server had accepted the mail before the
    # kill, and the row was still "sending" (not yet marked) when the worker died.
    first = {}
    for a in sorted(sink.accepted, key=lambda a: a.at):
        first.setdefault(a.notification_id, a.at)
    for pk, copies in sink.by_id().items():
        if copies > 1:
            kill = next(k for k in kills if k["at"] > first[pk])
            assert kill["statuses"].get(pk) == "sending", (pk, kill["statuses"].get(pk))
    assert result.doubled <= mid_batch * 2  # two children per worker: at most one each per kill


def _window(sink: harness.Sink) -> dict:
    """The SIGKILL window, measured: from the server's 250 to the row's `sent` mark (sent_at is
    taken just before the UPDATE, so this slightly understates it by the UPDATE's own round trip),
    against the whole time one mail takes."""
    sent_at = dict(Notification.objects.filter(status="sent").values_list("pk", "sent_at"))
    gaps = []
    for a in sink.accepted:
        if (when := sent_at.get(a.notification_id)) is not None:
            gap = when.timestamp() - a.at
            if 0 <= gap < 1:  # the copy whose mark this is (not an earlier, unmarked one)
                gaps.append(gap * 1000)
    per_mail = []
    times = sorted(a.at for a in sink.accepted)
    for before, after in itertools.pairwise(times):
        if after - before < 1:
            per_mail.append((after - before) * 1000)
    return {
        "window ms p50": round(harness.percentile(gaps, 50), 2),
        "window ms p99": round(harness.percentile(gaps, 99), 2),
        "mail ms p50": round(harness.percentile(per_mail, 50), 1),
    }
