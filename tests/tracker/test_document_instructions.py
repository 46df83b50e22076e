"""领导批示 on a whole document: on every open task's timeline, told once to each agency's staff
(not once per task), from the page and the API; only the document's leaders may write one."""

import pytest
from django.core import mail
from django.urls import reverse

from notifications.models import Notification
from tests.factories import AssignmentFactory, MeasureFactory, TaskFactory
from tests.pages.conftest import client_for  # noqa: F401 - shared fixture
from tracker.models import DocumentInstruction, Task, TaskEvent

pytestmark = pytest.mark.django_db


def test_a_leader_instructs_a_document_once_for_each_agency(
    eager_celery,
    world,
    client_for,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    document = world.task.document
    # A second open task of the same lead agency: its staff still hear of the instruction once.
    extra = TaskFactory(measure=MeasureFactory(document=document))
    AssignmentFactory(task=extra, agency=world.lead_agency, role="lead")
    closed = TaskFactory(measure=MeasureFactory(document=document), status=Task.Status.CLOSED)
    AssignmentFactory(task=closed, agency=world.lead_agency, role="lead")
    leader = client_for("leader")
    with django_capture_on_commit_callbacks(execute=True):
        done = leader.post(reverse("pages:document-instruct", args=[document.pk]), {"text": "加快进度，月底前见成效"})
    assert done.status_code == 303
    instruction = DocumentInstruction.objects.get()
    events = TaskEvent.objects.filter(kind=TaskEvent.Kind.INSTRUCTION)
    assert sorted(events.values_list("task_id", flat=True)) == sorted([world.task.pk, world.other_task.pk, extra.pk])
    rows = Notification.objects.filter(kind=Notification.Kind.INSTRUCTION)
    assert sorted(rows.values_list("recipient__username", flat=True)) == ["lead", "outsider", "support"]
    assert {r.period for r in rows} == {f"instruction:{instruction.pk}"}
    assert any("加快进度" in m.body and document.title in m.subject for m in mail.outbox)
    page = client_for("lead").get(reverse("pages:task", args=[extra.pk])).content.decode()
    assert "加快进度" in page
    assert "加快进度" in leader.get(reverse("pages:document", args=[document.pk])).content.decode()


def test_only_leaders_instruct_a_document(world, client_for):  # noqa: F811
    document = world.task.document
    for who in ("lead", "coordinator"):
        response = client_for(who).post(reverse("pages:document-instruct", args=[document.pk]), {"text": "x"})
        assert response.status_code in (403, 404)
    assert (
        client_for("coordinator").post(f"/api/documents/{document.pk}/instructions/", {"text": "x"}).status_code == 403
    )
    created = client_for("leader").post(
        f"/api/documents/{document.pk}/instructions/", {"text": "抓紧落实"}, content_type="application/json"
    )
    assert created.status_code == 201 and created.json()["text"] == "抓紧落实"
    empty = client_for("leader").post(
        f"/api/documents/{document.pk}/instructions/", {"text": "  "}, content_type="application/json"
    )
    assert empty.status_code == 400
    assert DocumentInstruction.objects.count() == 1
