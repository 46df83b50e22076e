"""领导批示: a leader of the document writes an instruction on a task; it stands on the timeline and
reaches the task's agencies; nobody else may write one."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.models import User
from notifications.models import Notification
from tests.factories import AgencyFactory, UserFactory
from tests.pages.conftest import client_for  # noqa: F401 - shared fixture
from tracker.models import TaskEvent

pytestmark = pytest.mark.django_db


def test_a_leader_instructs_and_the_agencies_hear_of_it(world, client_for):  # noqa: F811
    url = reverse("pages:task-instruct", args=[world.task.pk])
    page = client_for("leader").get(reverse("pages:task", args=[world.task.pk])).content.decode()
    assert "发出批示" in page
    assert client_for("leader").post(url, {"text": "请加快进度,月底前见成效"}).status_code == 303
    event = TaskEvent.objects.get(kind=TaskEvent.Kind.INSTRUCTION)
    assert event.comment == "请加快进度,月底前见成效" and event.actor == world.leader
    told = set(
        Notification.objects.filter(kind=Notification.Kind.INSTRUCTION).values_list("recipient__username", flat=True)
    )
    assert told == {"lead", "support"}
    assert "请加快进度" in client_for("lead").get(reverse("pages:task", args=[world.task.pk])).content.decode()


def test_a_city_leader_may_instruct_without_a_grant_and_staff_may_not(world, client_for):  # noqa: F811
    mayor = UserFactory(username="mayor", agency=AgencyFactory(name="市政府办公厅"), role=User.Role.LEADER)
    api = APIClient()
    api.force_authenticate(mayor)
    assert api.post(f"/api/tasks/{world.task.pk}/instructions/", {"text": "抓紧落实"}, format="json").status_code == 201
    assert (
        client_for("lead").post(reverse("pages:task-instruct", args=[world.task.pk]), {"text": "x"}).status_code == 403
    )
    assert TaskEvent.objects.filter(kind=TaskEvent.Kind.INSTRUCTION).count() == 1
