"""督办台 and reporting rounds."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import AgencyFactory, AssignmentFactory, MeasureFactory, TaskFactory
from tracker import services
from tracker.models import ReportingRound, Task, TaskEvent

pytestmark = pytest.mark.django_db
S = Task.Status


def _overdue(world, days: int, agency=None) -> Task:
    task = TaskFactory(
        measure=MeasureFactory(document=world.task.document, title=f"逾期{days}天的措施"),
        status=S.IN_PROGRESS,
        due_date=timezone.localdate() - datetime.timedelta(days=days),
    )
    AssignmentFactory(task=task, agency=agency or world.lead_agency, role="lead")
    return task


@pytest.fixture
def thresholds(settings):
    settings.NOTIFY_ESCALATION_YELLOW_DAYS = 7
    settings.NOTIFY_RED_DAYS = 30


def test_board_groups_overdue_by_agency_with_escalation_marks(world, client_for, thresholds):
    _overdue(world, 2)
    _overdue(world, 10)
    _overdue(world, 45, agency=AgencyFactory(name="市财政局"))
    response = client_for("coordinator").get(reverse("pages:board"))
    groups = {g.agency.name: g for g in response.context["groups"]}
    assert set(groups) == {"市商务局", "市财政局"}
    assert [r.level for r in groups["市商务局"].rows] == ["yellow", ""]
    assert groups["市财政局"].worst == "red"
    # Most overdue agency first.
    assert response.context["groups"][0].agency.name == "市财政局"
    html = response.content.decode()
    assert "红色督办" in html and "黄色督办" in html and "row-red" in html


def test_thresholds_come_from_settings(world, client_for, settings):
    settings.NOTIFY_YELLOW_DAYS = 1
    settings.NOTIFY_RED_DAYS = 3
    _overdue(world, 4)
    response = client_for("coordinator").get(reverse("pages:board"))
    assert response.context["groups"][0].rows[0].level == "red"


def test_board_lists_requests_waiting_for_decision(world, client_for):
    services.task_transition(
        task=world.task, user=world.lead, action="request_closure", expected_version=1, comment="全部完成"
    )
    response = client_for("coordinator").get(reverse("pages:board"))
    assert [t.pk for t in response.context["requests"]] == [world.task.pk]
    assert "全部完成" in response.content.decode()


def test_board_nudge_with_htmx_replaces_the_button(world, client_for):
    task = _overdue(world, 12)
    response = client_for("coordinator").post(
        reverse("pages:task-nudge", args=[task.pk]),
        {"agency": world.lead_agency.pk, "next": reverse("pages:board")},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="",
    )
    assert response.status_code == 200 and "已催办" in response.content.decode()
    event = TaskEvent.objects.get(task=task, kind="nudge")
    assert event.agency == world.lead_agency


def test_board_nudge_without_js_goes_back_to_the_board(world, client_for):
    task = _overdue(world, 12)
    response = client_for("coordinator").post(
        reverse("pages:task-nudge", args=[task.pk]), {"next": reverse("pages:board")}
    )
    assert response.status_code == 303 and response["Location"] == reverse("pages:board")


def test_board_query_count_does_not_grow(world, client_for, django_assert_max_num_queries, thresholds):
    client = client_for("coordinator")
    for days in range(1, 40):
        _overdue(world, days, agency=AgencyFactory(name=f"市测试{days % 7}局"))
    # 12 for overdue, requests, rounds and receipts; 3 for the unanswered 督办单 (counts, rows) and the liaison gaps.
    with django_assert_max_num_queries(15):
        assert client.get(reverse("pages:board")).status_code == 200


def test_open_a_round_see_who_filed_and_close_it(world, client_for):
    client = client_for("coordinator")
    due = (timezone.localdate() + datetime.timedelta(days=14)).isoformat()
    response = client.post(
        reverse("pages:rounds"), {"document": world.task.document.pk, "title": "2026年第三季度调度", "due_date": due}
    )
    round_ = ReportingRound.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("pages:round", args=[round_.pk])
    client_for("lead").post(reverse("pages:task-report", args=[world.task.pk]), {"text": "本季度进展"})
    page = client.get(reverse("pages:round", args=[round_.pk]))
    filed = {(e.agency.name, e.role) for e in page.context["filed"]}
    missing = {(e.agency.name, e.role) for e in page.context["missing"]}
    assert filed == {("市商务局", "lead")}
    assert ("市工业和信息化局", "support") in missing and ("市教育局", "lead") in missing
    assert client.get(reverse("pages:rounds")).status_code == 200
    closed = client.post(reverse("pages:round-close", args=[round_.pk]), {"confirm": "1"})
    assert closed.status_code == 302
    round_.refresh_from_db()
    assert round_.closed_at is not None


def test_round_with_a_past_date_is_refused_with_the_reason(world, client_for):
    response = client_for("coordinator").post(
        reverse("pages:rounds"), {"document": world.task.document.pk, "title": "过去", "due_date": "2000-01-01"}
    )
    assert response.status_code == 400 and "不能早于今天" in response.content.decode()


def test_staff_cannot_see_rounds(world, client_for):
    round_ = services.round_open(
        document=world.task.document, user=world.coordinator, title="调度", due_date=timezone.localdate()
    )
    assert client_for("lead").get(reverse("pages:round", args=[round_.pk])).status_code == 403
