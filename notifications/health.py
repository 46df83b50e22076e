"""The health check behind `/healthz`: the database answers, the broker answers, and the reminder
sweep has run lately (beat alive and a worker taking the sweep queue). A load balancer takes a web
process out on 503; the body says which part failed."""

import datetime

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .models import SweepRun

OK, FAIL, SKIPPED = "ok", "fail", "skipped"


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"status": OK}
    except Exception as exc:  # any driver error means "down" to a load balancer
        return {"status": FAIL, "error": str(exc)[:200]}


def _broker() -> dict:
    if not settings.CELERY_BROKER_URL:
        # The demo: tasks run in-process, there is no broker to check.
        return {"status": SKIPPED}
    from tracker.celery import app

    try:
        with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=settings.HEALTH_BROKER_TIMEOUT_SECONDS)
        return {"status": OK}
    except Exception as exc:  # kombu raises the transport's own errors
        return {"status": FAIL, "error": str(exc)[:200]}


def _sweep(now: datetime.datetime) -> dict:
    limit = settings.HEALTH_SWEEP_MAX_AGE_SECONDS
    if not limit:
        return {"status": SKIPPED}
    try:
        run = SweepRun.objects.filter(job=SweepRun.Job.SWEEP).first()
    except Exception as exc:  # the database check reports the cause
        return {"status": FAIL, "error": str(exc)[:200]}
    if run is None:
        return {"status": FAIL, "error": "never run", "max_age_seconds": limit}
    age = (now - run.finished_at).total_seconds()
    return {
        "status": OK if age <= limit else FAIL,
        "finished_at": run.finished_at.isoformat(),
        "age_seconds": round(age),
        "max_age_seconds": limit,
    }


def health_report(*, now: datetime.datetime | None = None) -> tuple[bool, dict]:
    """(healthy, body): healthy when no check failed."""
    checks = {"database": _database(), "broker": _broker(), "sweep": _sweep(now or timezone.now())}
    healthy = all(c["status"] != FAIL for c in checks.values())
    return healthy, {"status": OK if healthy else FAIL, "checks": checks}
