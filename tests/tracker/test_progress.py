"""序时进度: the share of time gone against the share of work reported done."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.pages.conftest import client_for  # noqa: F401 - shared fixture
from tracker import services
from tracker.models import Task
from tracker.progress import schedule

D = datetime.date


def test_on_schedule_behind_and_overdue(settings):
    settings.SCHEDULE_BEHIND_POINTS = 20
    start, due = D(2026, 1, 1), D(2026, 12, 31)
    mid = D(2026, 7, 2)  # half the year gone
    assert schedule(start=start, due=due, today=mid, done=45).state == "on_schedule"
    behind = schedule(start=start, due=due, today=mid, done=20)
    assert (behind.state, behind.elapsed, behind.behind_by) == ("behind", 50, 30)
    assert schedule(start=start, due=due, today=mid, done=None).state == "behind"  # nothing reported: 0 %
    assert schedule(start=start, due=due, today=D(2027, 1, 5), done=90).state == "overdue"
    assert schedule(start=start, due=None, today=mid, done=10).state == "no_due_date"


def test_working_days_count_the_spring_festival_as_no_time_gone():
    # 12 → 26 February 2026 is 14 days but 5 working days; by the 24th three have gone (13, Saturday 14, 24).
    calendar = schedule(start=D(2026, 2, 12), due=D(2026, 2, 26), today=D(2026, 2, 24), done=None)
    working = schedule(start=D(2026, 2, 12), due=D(2026, 2, 26), today=D(2026, 2, 24), done=None, working_days=True)
    assert calendar.elapsed == 86 and working.elapsed == 60


@pytest.mark.django_db
def test_the_task_page_and_the_list_say_a_task_is_behind(world, client_for):  # noqa: F811
    today = timezone.localdate()
    Task.objects.filter(pk=world.task.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=80), due_date=today + datetime.timedelta(days=20)
    )
    services.report_submit(task=Task.objects.get(pk=world.task.pk), user=world.lead, text="启动", percent=10)
    page = client_for("lead").get(reverse("pages:task", args=[world.task.pk])).content.decode()
    assert "时间已过 80%，完成 10%" in page and "滞后 70 个百分点" in page
    listing = client_for("lead").get(reverse("pages:my-tasks")).content.decode()
    assert "滞后 70%" in listing


@pytest.mark.django_db
def test_a_coordinator_switches_a_document_to_working_days(world, client_for):  # noqa: F811
    url = reverse("pages:document-working-days", args=[world.task.document.pk])
    assert client_for("lead").post(url, {"working_days": "1"}).status_code == 404  # not theirs to set
    assert client_for("coordinator").post(url, {"working_days": "1"}).status_code == 303
    world.task.document.refresh_from_db()
    assert world.task.document.working_days
