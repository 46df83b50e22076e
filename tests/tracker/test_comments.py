"""意见 on a task: @username tells that person (only if they may see the task); a leader's remark
stands marked as such."""

import pytest
from django.core import mail
from django.urls import reverse

from notifications.models import Notification
from tests.pages.conftest import client_for  # noqa: F401 - shared fixture
from tracker import services
from tracker.models import TaskEvent

pytestmark = pytest.mark.django_db


def test_a_mention_reaches_the_person_who_may_see_the_task(eager_celery, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event = services.task_comment(
            task=world.task, user=world.coordinator, text="@support 请配合提供数据,@outsider 也看看"
        )
    assert event.data["mentions"] == [world.support.pk]  # outsider's agency is not on this task
    (row,) = Notification.objects.filter(kind=Notification.Kind.MENTION)
    assert row.recipient == world.support and row.task == world.task
    assert any("提到了您" in m.body and "请配合提供数据" in m.body for m in mail.outbox)


def test_a_leaders_remark_is_marked(world, client_for):  # noqa: F811
    leader = client_for("leader")
    page = leader.get(reverse("pages:task", args=[world.task.pk]))
    assert page.context["comment_form"] is not None
    done = leader.post(reverse("pages:task-comment", args=[world.task.pk]), {"comment-text": "要抓紧推进"})
    assert done.status_code in (302, 303)
    event = TaskEvent.objects.get(kind=TaskEvent.Kind.COMMENT)
    assert event.data.get("leader") is True
    assert "领导意见" in client_for("lead").get(reverse("pages:task", args=[world.task.pk])).content.decode()
