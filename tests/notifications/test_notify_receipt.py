"""交办 → 签收: every agency handed a task acknowledges it; reporting counts as acknowledging; the
sweep reminds after NOTIFY_RECEIPT_DAYS working days and tells the coordinators after
NOTIFY_RECEIPT_ESCALATE_DAYS, once each, counting the official calendar."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from notifications import recording
from notifications.models import Notification
from tests.pages.conftest import client_for  # noqa: F401 - shared fixture
from tracker import services
from tracker.models import Assignment, Task, TaskEvent

pytestmark = pytest.mark.django_db
SH = zoneinfo.ZoneInfo("Asia/Shanghai")
K = Notification.Kind


def _handed_over(world, day: datetime.date) -> None:
    Assignment.objects.filter(task=world.task).update(
        assigned_at=datetime.datetime.combine(day, datetime.time(10), tzinfo=SH)
    )


def _sweep(day: datetime.date):
    return recording.sweep_run(at=datetime.datetime.combine(day, datetime.time(9), tzinfo=SH))


def _rows(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def test_an_agency_signs_for_its_task_on_the_page(world, client_for):  # noqa: F811
    url = reverse("pages:task", args=[world.task.pk])
    assert "签收" in client_for("lead").get(url).content.decode()
    response = client_for("lead").post(reverse("pages:task-receive", args=[world.task.pk]))
    assert response.status_code == 303
    lead = Assignment.objects.get(task=world.task, agency=world.lead_agency)
    assert lead.received_at is not None and lead.received_by == world.lead
    assert not Assignment.objects.get(
        task=world.task, agency=world.support_agency
    ).received_at  # the other agency's own
    assert TaskEvent.objects.filter(task=world.task, kind=TaskEvent.Kind.RECEIVED, agency=world.lead_agency).exists()
    assert client_for("outsider").post(reverse("pages:task-receive", args=[world.task.pk])).status_code == 404


def test_reporting_signs_for_the_task(world):
    services.report_submit(task=Task.objects.get(pk=world.task.pk), user=world.support, text="已配合")
    assert Assignment.objects.get(task=world.task, agency=world.support_agency).received_at is not None


def test_the_api_signs_and_refuses_a_second_time(world):
    api = APIClient()
    api.force_authenticate(world.lead)
    assert api.post(f"/api/tasks/{world.task.pk}/receive/").json() == {"received": 1}
    assert api.post(f"/api/tasks/{world.task.pk}/receive/").status_code == 409


def test_the_sweep_reminds_after_two_working_days_then_tells_the_coordinators(world):
    # Handed over on Thursday 12 February 2026, just before the Spring Festival holiday (15–23).
    _handed_over(world, datetime.date(2026, 2, 12))
    _sweep(datetime.date(2026, 2, 13))  # one working day: nothing yet
    assert not _rows(K.RECEIPT)
    _sweep(datetime.date(2026, 2, 14))  # Saturday 14 is worked: two working days
    assert _rows(K.RECEIPT) == ["lead", "lead2", "support"]
    _sweep(datetime.date(2026, 2, 23))  # the holiday: still two working days, nothing more
    assert not _rows(K.RECEIPT_LATE)
    _sweep(datetime.date(2026, 2, 26))  # 13, 14, 24, 25, 26: five working days
    assert _rows(K.RECEIPT_LATE) == ["coord", "granted"]
    _sweep(datetime.date(2026, 2, 27))  # once each
    assert len(_rows(K.RECEIPT)) == 3 and len(_rows(K.RECEIPT_LATE)) == 2


def test_who_signed_is_not_reminded_and_the_board_lists_who_has_not(world, client_for):  # noqa: F811
    _handed_over(world, datetime.date(2026, 2, 12))
    services.assignment_receive(task=Task.objects.get(pk=world.task.pk), user=world.lead)
    _sweep(datetime.date(2026, 2, 14))
    assert _rows(K.RECEIPT) == ["support"]
    board = client_for("coordinator").get(reverse("pages:board")).content.decode()
    assert "未签收的交办任务" in board and "市工业和信息化局" in board
