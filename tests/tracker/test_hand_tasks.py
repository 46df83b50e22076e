"""A task made by hand inside a document (a meeting decision, a leader's instruction) runs the same
workflow: assignments to be signed for, the agencies told, the timeline, the document's gold."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from measures.services import document_gold
from notifications.models import Notification
from tests.factories import AgencyFactory, JurisdictionFactory
from tests.pages.conftest import client_for  # noqa: F401 - shared fixture
from tracker.models import Assignment, Task, TaskEvent

pytestmark = pytest.mark.django_db


def test_a_coordinator_hands_over_a_task_inside_a_document(world, client_for):  # noqa: F811
    url = reverse("pages:document-hand-task", args=[world.task.document.pk])
    due = timezone.localdate() + datetime.timedelta(days=30)
    response = client_for("coordinator").post(
        url,
        {
            "hand-title": "筹办数字经济大会",
            "hand-lead": [world.lead_agency.pk],
            "hand-support": [world.support_agency.pk],
            "hand-due_date": due.isoformat(),
            "hand-source": "市长办公会议决定",
        },
    )
    assert response.status_code == 303
    task = Task.objects.get(measure__title="筹办数字经济大会")
    assert response["Location"] == reverse("pages:task", args=[task.pk])
    assert (task.measure.ref, task.due_date, task.status) == ("交办-1", due, "not_started")
    assert sorted(Assignment.objects.filter(task=task).values_list("agency__name", "role")) == [
        ("市商务局", "lead"),
        ("市工业和信息化局", "support"),
    ]
    assert not Assignment.objects.filter(task=task, received_at__isnull=False).exists()  # to be signed for
    assert TaskEvent.objects.get(task=task, kind=TaskEvent.Kind.CREATED).data["source"] == "市长办公会议决定"
    told = set(
        Notification.objects.filter(kind=Notification.Kind.ASSIGNED, task=task).values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"lead", "support"}
    gold = document_gold(document=task.document)
    assert any(m["ref"] == "交办-1" and m["lead"] == ["市商务局"] for m in gold["measures"])


def test_only_its_coordinators_and_only_with_the_documents_agencies(world, client_for):  # noqa: F811
    url = reverse("pages:document-hand-task", args=[world.task.document.pk])
    assert client_for("lead").post(url, {"hand-title": "x", "hand-lead": [world.lead_agency.pk]}).status_code == 404
    foreign = AgencyFactory(jurisdiction=JurisdictionFactory(name="绍兴市"), name="市商务局")
    client_for("coordinator").post(url, {"hand-title": "x", "hand-lead": [foreign.pk]})
    assert not Task.objects.filter(measure__title="x").exists()
