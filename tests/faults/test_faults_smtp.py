"""Scenario 4: the SMTP server refuses.

(a) 451 to every DATA for FAULTS_SMTP_451_SECONDS (CI default 5), then it accepts. The retry
    backoff is scaled with it: FAULTS_RETRY_BASE_SECONDS (1) and FAULTS_RETRY_MAX_SECONDS (4) in CI;
    the documented five-minute run uses the production 60 s and 6 h, and beat every 60 s.
(b) 550 at RCPT for one recipient, for good: that row fails visibly (status failed, the server's
    answer kept on it) after one attempt; the others of the same batch go, once each."""

import time

import pytest

from notifications.models import Notification
from tests.faults import harness

pytestmark = pytest.mark.faults


def test_smtp_451_for_a_while_then_accepting(cluster):
    refuse = harness.env_int("FAULTS_SMTP_451_SECONDS", 5)
    base = harness.env_int("FAULTS_RETRY_BASE_SECONDS", 1)
    cap = harness.env_int("FAULTS_RETRY_MAX_SECONDS", 4)
    every = harness.env_int("FAULTS_BEAT_EVERY_SECONDS", 2)
    cluster.extra_env.update(NOTIFY_RETRY_BASE_SECONDS=str(base), NOTIFY_RETRY_MAX_SECONDS=str(cap))
    for _ in range(5):
        harness.owed_task(4)
    cluster.worker()
    cluster.sink.refuse_until = time.monotonic() + refuse
    beat = harness.beat_app(cluster.redis)
    try:
        took = harness.beat_until(
            beat,
            lambda: Notification.objects.count() == 20 and harness.settled(),
            every=every,
            timeout=refuse + 20 * cap + 120,
            what="every row settled",
        )
    finally:
        beat.close()
    time.sleep(1)
    attempts = list(Notification.objects.values_list("attempts", flat=True))
    result = harness.tally(
        f"4a SMTP 451 for {refuse}s",
        cluster.sink,
        runs=1,
        notes={"refusals": cluster.sink.refused, "attempts max": max(attempts), "all sent after s": round(took, 1)},
    )
    assert (result.lost, result.doubled, result.failed_visibly) == (0, 0, 0), result
    assert cluster.sink.refused >= 20


def test_smtp_550_for_one_recipient(cluster):
    _, users = harness.owed_task(10)
    refused = users[3]
    cluster.sink.reject = {refused.email}
    cluster.worker()
    beat = harness.beat_app(cluster.redis)
    try:
        harness.beat_until(
            beat,
            lambda: Notification.objects.count() == 10 and harness.settled(),
            every=2,
            timeout=120,
            what="every row settled",
        )
    finally:
        beat.close()
    time.sleep(1)
    row = Notification.objects.get(recipient=refused)
    result = harness.tally(
        "4b SMTP 550 for one recipient", cluster.sink, runs=1, notes={"attempts of the refused row": row.attempts}
    )
    assert (row.status, row.attempts) == ("failed", 1), (row.status, row.attempts)
    assert "550" in row.last_error
    assert (result.lost, result.doubled, result.failed_visibly, result.received) == (0, 0, 1, 9), result
