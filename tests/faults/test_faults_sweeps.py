"""Scenario 2: sweeps that overlap.

(a) Two sweeps started at the same wall-clock moment in two processes, FAULTS_SWEEP_PAIRS times
    (CI default 3), each time on new tasks: every row recorded by exactly one, sent once.
(b) Two beat processes for ten minutes of simulated time (time-machine in each), one sweep every
    30 simulated seconds each, at the same simulated moments, across local midnight: the reminders
    owed before midnight and those that fall due at midnight, each sent once."""

import datetime
import time

import pytest

from notifications import schedule
from notifications.models import Notification
from tests.faults import harness

pytestmark = pytest.mark.faults


def test_two_sweeps_at_the_same_moment(cluster):
    pairs = harness.env_int("FAULTS_SWEEP_PAIRS", 3)
    cluster.worker()
    recorded_by = []
    for _ in range(pairs):
        for _ in range(10):
            harness.owed_task(3)
        before = Notification.objects.count()
        start = time.time() + 4  # both drivers are up (Django loaded) by then
        processes = [cluster.drive("sweep", "--start-at", str(start), wait=False) for _ in range(2)]
        results = [harness.driver_result(p) for p in processes]
        assert all(r["ok"] for r in results), results
        recorded = [r["recorded"] for r in results]
        recorded_by.append(recorded)
        assert sum(recorded) == Notification.objects.count() - before == 30, recorded
    harness.wait_until(lambda: harness.settled() and cluster.sink.count() >= 30 * pairs, timeout=60, what="all sent")
    time.sleep(1)
    result = harness.tally("2a two sweeps at once", cluster.sink, runs=pairs, notes={"recorded by each": recorded_by})
    assert (result.lost, result.doubled) == (0, 0), result


def test_two_beats_for_ten_simulated_minutes(cluster):
    cluster.worker()
    # Five minutes before the last local midnight, and ten minutes of clock from there.
    midnight = datetime.datetime.combine(schedule.local_date(harness.local_now()), datetime.time(), tzinfo=schedule.TZ)
    start = midnight - datetime.timedelta(minutes=5)
    before = start.date()
    for _ in range(5):
        harness.owed_task(4, due_in=7, today=before)  # owed from the first sweep
        harness.owed_task(4, due_in=8, today=before)  # owed from midnight (7 days left then)
    together = str(time.time() + 4)
    beats = [
        cluster.drive("beat", "--from", start.isoformat(), "--minutes", "10", "--every", "30", "--start-at", together,
                      wait=False)
        for _ in range(2)
    ]  # fmt: skip
    results = [harness.driver_result(p) for p in beats]
    assert all(r["ok"] for r in results), results
    # 20 seven-day reminders from the first sweep; for the tasks due a day later, 20 fourteen-day
    # reminders caught up at once (that stage passed six days before, within NOTIFY_CATCHUP_DAYS)
    # and 20 seven-day reminders from midnight on.
    assert sum(r["recorded"] for r in results) == Notification.objects.count() == 60
    later = Notification.objects.filter(period=f"{before + datetime.timedelta(days=8)}:-7")
    assert later.count() == 20 and all(c >= midnight for c in later.values_list("created_at", flat=True))
    harness.wait_until(lambda: harness.settled() and cluster.sink.count() >= 60, timeout=60, what="all sent")
    time.sleep(1)
    result = harness.tally(
        "2b two beats, ten simulated minutes",
        cluster.sink,
        runs=sum(r["sweeps"] for r in results),
        notes={
            "recorded by each": [r["recorded"] for r in results],
            "re-queued by each": [r["requeued"] for r in results],
        },
    )
    assert (result.lost, result.doubled) == (0, 0), result
