"""Celery entry points. Beat starts the sweeps (CELERY_BEAT_SCHEDULE in settings); the sweeps fan
out `send_notifications` messages of up to SEND_CHUNK_SIZE ledger ids each. Every task re-reads
its state from the database and is safe to run twice."""

import logging

from celery import shared_task
from django.utils import timezone

from . import recording, sending

log = logging.getLogger(__name__)


def enqueue_sends(ids: list[int]) -> None:
    """Called after the recording transaction commits (recording uses transaction.on_commit).

    One message per chunk of ids, not per row: the broker, the worker and the database each see a
    hundred times fewer round trips. If Redis is down here the rows stay pending and the next sweep
    re-queues them."""
    size = sending.SEND_CHUNK_SIZE
    for start in range(0, len(ids), size):
        try:
            send_notifications.delay(list(ids[start : start + size]))
        except Exception:  # broker unavailable: the sweep's re-queue is the safety net
            log.warning("could not enqueue %d notifications; the next sweep will", len(ids) - start, exc_info=True)
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
def send_notifications(self, notification_ids: list[int]) -> dict:
    result = sending.notifications_send(notification_ids=notification_ids)
    if result.released:
        # Handed back before their lease ran out (a slow server): a fresh message, a fresh lease.
        enqueue_sends(result.released)
    if result.retry_in and self.request.retries < self.max_retries:
        # Only the rows that failed, once the soonest of them may be tried again.
        raise self.retry(args=(sorted(result.retry_in),), countdown=min(result.retry_in.values()))
    return {o: result.count(o) for o in set(result.outcomes.values())}


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    max_retries=5,
)
def send_notification(self, notification_id: int) -> str:
    """The one-id task of earlier releases, kept so messages already in the broker at deploy time
    are still consumed."""
    outcome, delay = sending.notification_send(notification_id=notification_id)
    if outcome == sending.Outcome.RETRY and self.request.retries < self.max_retries:
        raise self.retry(countdown=delay)
    return outcome


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sweep() -> dict:
    result = recording.sweep_run(at=timezone.now(), on_recorded=enqueue_sends)
    return {"recorded": result.recorded, "requeued": result.requeued}


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def digests() -> dict:
    result = recording.digests_run(at=timezone.now(), on_recorded=enqueue_sends)
    return {"recorded": result.recorded}


def enqueue_posts(ids: list[int]) -> None:
    """The group robots' posts, after their recording commits; the sweep re-queues what fails here."""
    try:
        post_to_channels.delay(list(ids))
    except Exception:
        log.warning("could not enqueue %d channel posts; the next sweep will", len(ids), exc_info=True)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def post_to_channels(delivery_ids: list[int]) -> dict:
    from . import channels

    return channels.deliveries_send(delivery_ids)
