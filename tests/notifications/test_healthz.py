"""/healthz: 200 while the database answers, the broker answers and the sweep ran lately; 503 with
the failing part named otherwise."""

import datetime
import zoneinfo

import pytest
from django.test import override_settings
from django.utils import timezone

from notifications import recording
from notifications.models import SweepRun

pytestmark = pytest.mark.django_db


@override_settings(CELERY_BROKER_URL="", HEALTH_SWEEP_MAX_AGE_SECONDS=0)
def test_healthy_without_broker_or_sweep_check(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": {"status": "ok"}, "broker": {"status": "skipped"}, "sweep": {"status": "skipped"}},
    }
    assert response["Cache-Control"] == "no-store"


@override_settings(HEALTH_SWEEP_MAX_AGE_SECONDS=45 * 60)
def test_sweep_age_decides(client):
    assert client.get("/healthz").json()["checks"]["sweep"] == {
        "status": "fail",
        "error": "never run",
        "max_age_seconds": 2700,
    }
    recording.sweep_run(at=timezone.now())
    run = SweepRun.objects.get(job="sweep")
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["checks"]["sweep"]["status"] == "ok"
    SweepRun.objects.filter(pk=run.pk).update(finished_at=timezone.now() - datetime.timedelta(minutes=46))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "fail"
    assert response.json()["checks"]["sweep"]["status"] == "fail"
    assert response.json()["checks"]["sweep"]["age_seconds"] >= 46 * 60


def test_sweep_and_digests_keep_one_row_each():
    recording.sweep_run(at=timezone.now())
    recording.sweep_run(at=timezone.now())
    recording.digests_run(at=timezone.now().astimezone(zoneinfo.ZoneInfo("Asia/Shanghai")).replace(hour=23))
    assert sorted(SweepRun.objects.values_list("job", flat=True)) == ["digests", "sweep"]


# A port nothing listens on.
@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0", HEALTH_BROKER_TIMEOUT_SECONDS=1)
def test_unreachable_broker_is_503(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["status"] == "fail"
    assert response.json()["checks"]["database"] == {"status": "ok"}
