"""序时进度 kept on the task rows by the daily sweep (and at once by a lead's report with a percent),
so the board, the dashboard's counts per agency and the coordinators' digest show who is behind."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from notifications import recording, selectors
from tests.notifications.conftest import DUE
from tracker import services
from tracker.models import Task

pytestmark = pytest.mark.django_db
SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def _sweep(day: datetime.date):
    return recording.sweep_run(at=datetime.datetime.combine(day, datetime.time(9), tzinfo=SH))


@pytest.fixture
def running(world):
    """The task ran from 1 January to its due date, 31 March; by 10 March 76 % of its time is gone."""
    Task.objects.filter(pk=world.task.pk).update(created_at=datetime.datetime(2026, 1, 1, 9, tzinfo=SH))
    return world


def test_the_sweep_stores_who_is_behind_and_a_report_clears_it(running, client):
    day = DUE - datetime.timedelta(days=21)
    with time_machine.travel(datetime.datetime.combine(day, datetime.time(9), tzinfo=SH), tick=False):
        _sweep(day)
        task = Task.objects.get(pk=running.task.pk)
        assert task.schedule_state == "behind"
        client.force_login(running.coordinator)
        board = client.get(reverse("pages:board")).content.decode()
        assert "序时进度滞后" in board and "市商务局 · 1" in board
        dashboard = client.get(reverse("pages:dashboard"))
        (row,) = [r for r in dashboard.context["by_agency"] if r.label == "市商务局"]
        assert row.behind == 1
        digest = selectors.coordinator_digest([task.document_id], day, with_requests=False)
        assert {"agency": "市商务局", "n": 1} in digest["behind_by_agency"]
        assert selectors.digest_has_news(digest)
        services.report_submit(task=task, user=running.lead, text="主体工程完成", percent=80)
        assert Task.objects.get(pk=task.pk).schedule_state == "on_schedule"


def test_a_task_past_its_due_date_is_stored_overdue_not_behind(running):
    _sweep(DUE + datetime.timedelta(days=2))
    assert Task.objects.get(pk=running.task.pk).schedule_state == "overdue"
