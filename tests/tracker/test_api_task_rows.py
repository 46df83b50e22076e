"""The task list's rows are built from values (serializers.task_rows), not through TaskSerializer;
they must be the serializer's output exactly."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import AssignmentFactory, MeasureFactory, TaskFactory
from tracker.api.serializers import TaskSerializer
from tracker.models import Task

pytestmark = pytest.mark.django_db


def test_list_rows_equal_the_serializer(world):
    today = timezone.localdate()
    overdue = TaskFactory(measure=MeasureFactory(document=world.task.document), due_date=today - datetime.timedelta(3))
    AssignmentFactory(task=overdue, agency=world.support_agency, role="support", position=1)
    AssignmentFactory(task=overdue, agency=world.lead_agency, role="lead")
    TaskFactory(measure=MeasureFactory(document=world.task.document), due_date=None, status=Task.Status.CLOSED)
    client = APIClient()
    client.force_authenticate(world.coordinator)
    rows = client.get("/api/tasks/", {"page_size": 200}).json()["results"]
    tasks = Task.objects.filter(pk__in=[r["id"] for r in rows]).order_by("-id")
    assert len(rows) == tasks.count() >= 3
    expected = TaskSerializer(tasks, many=True).data
    assert rows == [dict(e) | {"assignments": [dict(a) for a in e["assignments"]]} for e in expected]
    row = next(r for r in rows if r["id"] == overdue.pk)
    assert row["overdue_days"] == 3 and [a["role"] for a in row["assignments"]] == ["lead", "support"]
