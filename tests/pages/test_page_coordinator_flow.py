"""The coordinator's day on the pages: an extension approved at the date asked, a report sent back
with a reason, a round's non-filers chased in one action, a round closed only once confirmed, and
staff told on their own page that a round is open."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from tracker import services
from tracker.models import ProgressReport, ReportingRound, RoundEntry, Task, TaskEvent

pytestmark = pytest.mark.django_db


def _task(world) -> Task:
    return Task.objects.get(pk=world.task.pk)


def test_approving_an_extension_offers_the_date_asked_for(world, client_for):
    asked = timezone.localdate() + datetime.timedelta(days=45)
    task = _task(world)
    services.task_transition(
        task=task,
        user=world.lead,
        action="request_extension",
        expected_version=task.version,
        comment="缺资金",
        due_date=asked,
    )
    form = next(
        f
        for f in client_for("coordinator").get(reverse("pages:task", args=[task.pk])).context["transition_forms"]
        if f.transition.name == "approve_extension"
    )
    assert form.initial["due_date"] == asked.isoformat()


def test_a_report_is_sent_back_with_a_reason_and_no_longer_counts(world, client_for):
    round_ = services.round_open(
        document=world.task.document,
        user=world.coordinator,
        title="一季度",
        due_date=timezone.localdate() + datetime.timedelta(days=5),
    )
    report = services.report_submit(task=_task(world), user=world.lead, text="已完成一半")
    assert RoundEntry.objects.get(round=round_, task=world.task, agency=world.lead_agency).report == report

    url = reverse("pages:report-return", args=[world.task.pk, report.pk])
    assert client_for("lead").post(url, {"reason": "x"}).status_code == 403  # not the lead's call
    assert client_for("coordinator").post(url, {"reason": ""}).status_code == 303  # refused, with a message
    assert ProgressReport.objects.get(pk=report.pk).returned_at is None

    response = client_for("coordinator").post(url, {"reason": "数据口径不一致,请重报"})
    assert response.status_code == 303
    report.refresh_from_db()
    assert report.returned_at is not None and report.return_reason == "数据口径不一致,请重报"
    assert RoundEntry.objects.get(round=round_, task=world.task, agency=world.lead_agency).report is None
    event = TaskEvent.objects.get(kind=TaskEvent.Kind.REPORT_RETURNED)
    assert event.agency == world.lead_agency and event.comment == "数据口径不一致,请重报"
    assert Notification.objects.filter(kind=Notification.Kind.DECISION, recipient=world.lead).exists()
    page = client_for("lead").get(reverse("pages:task", args=[world.task.pk])).content.decode()
    assert "已退回重报" in page and "数据口径不一致" in page


def test_a_round_chases_its_non_filers_in_one_action(world, client_for):
    round_ = services.round_open(
        document=world.task.document,
        user=world.coordinator,
        title="二季度",
        due_date=timezone.localdate() + datetime.timedelta(days=5),
    )
    services.report_submit(task=_task(world), user=world.lead, text="已报送")
    response = client_for("coordinator").post(
        reverse("pages:round-chase", args=[round_.pk]), {"comment": "请于周五前报送"}
    )
    assert response.status_code == 303
    chased = set(
        Notification.objects.filter(kind=Notification.Kind.ROUND_CHASED).values_list("recipient__username", flat=True)
    )
    assert chased == {"support", "outsider"}  # the lead filed; the others have not
    assert ReportingRound.objects.get(pk=round_.pk).chased_at is not None
    assert client_for("lead").post(reverse("pages:round-chase", args=[round_.pk])).status_code == 403


def test_closing_a_round_asks_first_and_says_the_deadline_has_not_come(world, client_for):
    round_ = services.round_open(
        document=world.task.document,
        user=world.coordinator,
        title="三季度",
        due_date=timezone.localdate() + datetime.timedelta(days=5),
    )
    client = client_for("coordinator")
    first = client.post(reverse("pages:round-close", args=[round_.pk]))
    assert first.status_code == 200 and "还未到" in first.content.decode() and "确定关闭" in first.content.decode()
    assert ReportingRound.objects.get(pk=round_.pk).is_open
    client.post(reverse("pages:round-close", args=[round_.pk]), {"confirm": "1"})
    assert not ReportingRound.objects.get(pk=round_.pk).is_open


def test_staff_see_on_their_page_that_a_round_is_open(world, client_for):
    services.round_open(
        document=world.task.document,
        user=world.coordinator,
        title="四季度调度",
        due_date=timezone.localdate() + datetime.timedelta(days=5),
    )
    page = client_for("lead").get(reverse("pages:my-tasks")).content.decode()
    assert "调度进行中" in page and "四季度调度" in page
    services.report_submit(task=_task(world), user=world.lead, text="已报送")
    assert "四季度调度" not in client_for("lead").get(reverse("pages:my-tasks")).content.decode()
