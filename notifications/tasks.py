"""Celery entry points. Beat starts the sweeps (CELERY_BEAT_SCHEDULE in settings); the sweeps fan
out one `send_notification` per ledger row, by id. Every task re-reads its state from the
database and is safe to run twice."""

import logging

from celery import shared_task
from django.utils import timezone

from . import services

log = logging.getLogger(__name__)


def enqueue_sends(ids: list[int]) -> None:
    """Called after the recording transaction commits (services use transaction.on_commit).

    If Redis is down here the rows stay pending and the next sweep re-queues them."""
    for pk in ids:
        try:
            send_notification.delay(pk)
        except Exception:  # broker unavailable: the sweep's re-queue is the safety net
            log.warning("could not enqueue notification %s; the next sweep will", pk, exc_info=True)
            return


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    # A short backoff in the broker is fine; a longer one is left to the sweep (NOTIFY_* settings),
    # because long countdowns in Redis outlive the visibility timeout.
    max_retries=5,
)
def send_notification(self, notification_id: int) -> str:
    outcome, delay = services.notification_send(notification_id=notification_id)
    if outcome == services.Outcome.RETRY and self.request.retries < self.max_retries:
        raise self.retry(countdown=delay)
    return outcome


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sweep() -> dict:
    result = services.sweep_run(at=timezone.now(), on_recorded=enqueue_sends)
    return {"recorded": result.recorded, "requeued": result.requeued}


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def digests() -> dict:
    result = services.digests_run(at=timezone.now(), on_recorded=enqueue_sends)
    return {"recorded": result.recorded}
