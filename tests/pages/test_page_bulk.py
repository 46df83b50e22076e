"""Work in bulk: tick tasks on a document's page → nudge, set a due date, export; the board's
"nudge all overdue of this agency". All or nothing; only the document's coordinators."""

import datetime
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.pages.conftest import client_for  # noqa: F401 - shared fixture
from tracker.models import Task, TaskEvent

pytestmark = pytest.mark.django_db


def test_nudge_and_due_date_for_ticked_tasks(world, client_for):  # noqa: F811
    coordinator = client_for("coordinator")
    url = reverse("pages:document-bulk", args=[world.task.document_id])
    ticked = [world.task.pk, world.other_task.pk]
    done = coordinator.post(url, {"action": "nudge", "tasks": ticked, "comment": "请本周内报送"})
    assert done.status_code == 303
    assert TaskEvent.objects.filter(kind=TaskEvent.Kind.NUDGE, comment="请本周内报送").count() == 2
    due = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    coordinator.post(url, {"action": "due_date", "tasks": ticked, "due_date": due})
    assert set(Task.objects.filter(pk__in=ticked).values_list("due_date", flat=True)) == {
        datetime.date.fromisoformat(due)
    }
    refused = coordinator.post(url, {"action": "due_date", "tasks": ticked})  # no date given
    assert refused.status_code == 303 and TaskEvent.objects.filter(kind=TaskEvent.Kind.DUE_DATE).count() == 2


def test_export_of_ticked_tasks_and_who_may(world, client_for):  # noqa: F811
    url = reverse("pages:document-bulk", args=[world.task.document_id])
    response = client_for("coordinator").post(url, {"action": "export", "tasks": [world.task.pk]})
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    assert sheet.max_row == 3  # title, header, the one ticked task
    assert client_for("lead").post(url, {"action": "nudge", "tasks": [world.task.pk]}).status_code == 404
    assert not TaskEvent.objects.filter(kind=TaskEvent.Kind.NUDGE).exists()


def test_nudge_all_overdue_of_one_agency_from_the_board(world, client_for):  # noqa: F811
    Task.objects.filter(pk__in=[world.task.pk, world.other_task.pk]).update(
        due_date=datetime.date.today() - datetime.timedelta(days=5)
    )
    coordinator = client_for("coordinator")
    board = coordinator.get(reverse("pages:board")).content.decode()
    assert "催办该单位全部逾期任务" in board
    done = coordinator.post(reverse("pages:board-agency-nudge", args=[world.lead_agency.pk]))
    assert done.status_code == 303
    nudged = set(TaskEvent.objects.filter(kind=TaskEvent.Kind.NUDGE).values_list("task_id", flat=True))
    assert nudged == {world.task.pk}  # 市教育局's overdue task is not 市商务局's
    assert client_for("lead").post(reverse("pages:board-agency-nudge", args=[world.lead_agency.pk])).status_code == 403
