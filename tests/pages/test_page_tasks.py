"""我的任务 and the task page's forms: each calls its service, and a stale write keeps what was typed."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from measures.models import MeasureTarget
from tests.factories import AssignmentFactory, MeasureFactory, TaskFactory
from tracker.models import ProgressReport, Task, TaskEvent

pytestmark = pytest.mark.django_db
S = Task.Status


def _task(world, *, due_in: int | None, title: str, text: str = "加快建设平台。", status: str = S.IN_PROGRESS) -> Task:
    today = timezone.localdate()
    measure = MeasureFactory(document=world.task.document, title=title, text=text)
    task = TaskFactory(
        measure=measure, status=status, due_date=None if due_in is None else today + datetime.timedelta(days=due_in)
    )
    AssignmentFactory(task=task, agency=world.lead_agency, role="lead")
    return task


def test_my_tasks_buckets_with_counts(world, client_for):
    _task(world, due_in=-3, title="逾期的措施")
    _task(world, due_in=5, title="快到期的措施")
    _task(world, due_in=90, title="以后的措施")
    _task(world, due_in=-40, title="已销号的措施", status=S.CLOSED)
    # world.task has no due date: the undated bucket.
    response = client_for("lead").get(reverse("pages:my-tasks"))
    buckets = {b.key: b for b in response.context["buckets"]}
    assert {k: b.count for k, b in buckets.items()} == {"overdue": 1, "soon": 1, "later": 1, "undated": 1, "done": 1}
    assert [t.measure.title for t in buckets["overdue"].tasks] == ["逾期的措施"]
    html = response.content.decode()
    assert "已逾期" in html and "逾期 3 天" in html and "还剩 5 天" in html
    # Another agency's task is not listed.
    assert world.other_task.measure.title not in html


def test_my_tasks_search_finds_a_chinese_phrase_without_spaces(world, client_for):
    _task(world, due_in=10, title="发展跨境电商", text="支持企业开展跨境电子商务零售出口。")
    _task(world, due_in=10, title="建设物流园区", text="完善冷链物流。")
    client = client_for("lead")
    found = client.get(reverse("pages:my-tasks"), {"q": "电子商务"})
    titles = [t.measure.title for b in found.context["buckets"] for t in b.tasks]
    assert titles == ["发展跨境电商"]
    both = client.get(reverse("pages:my-tasks"), {"q": "跨境 零售"})
    assert [t.measure.title for b in both.context["buckets"] for t in b.tasks] == ["发展跨境电商"]


def test_my_tasks_filters_by_role_and_status(world, client_for):
    client = client_for("support")
    as_lead = client.get(reverse("pages:my-tasks"), {"role": "lead"})
    assert sum(b.count for b in as_lead.context["buckets"]) == 0
    as_support = client.get(reverse("pages:my-tasks"), {"role": "support"})
    assert sum(b.count for b in as_support.context["buckets"]) == 1
    closed = client_for("lead").get(reverse("pages:my-tasks"), {"status": "closed"})
    assert sum(b.count for b in closed.context["buckets"]) == 0


def test_my_tasks_bucket_page(world, client_for):
    for i in range(3):
        _task(world, due_in=-i - 1, title=f"逾期{i}")
    response = client_for("lead").get(reverse("pages:my-tasks"), {"bucket": "overdue"})
    assert response.context["page_obj"].paginator.count == 3


def test_my_tasks_query_count_does_not_grow_with_tasks(world, client_for, django_assert_max_num_queries):
    client = client_for("lead")
    for i in range(30):
        _task(world, due_in=i - 10, title=f"措施{i}")
    # 16, plus the header's unread count, the open rounds the agency owes and the tasks it has not
    # signed for (a count and the first ten).
    with django_assert_max_num_queries(20):
        assert client.get(reverse("pages:my-tasks")).status_code == 200


def test_task_page_shows_the_measure_and_the_actions_each_role_may_take(world, client_for):
    url = reverse("pages:task", args=[world.task.pk])
    lead = client_for("lead").get(url).content.decode()
    assert world.task.measure.text in lead and "市商务局" in lead and "市工业和信息化局" in lead
    assert "报送进展" in lead and "申请销号" in lead and "申请延期" in lead
    assert 'name="request_closure-version"' in lead
    support = client_for("support").get(url).content.decode()
    assert "报送配合情况" in support and "申请销号" not in support
    leader = client_for("leader").get(url).content.decode()
    # Leaders read, and may only write an instruction (领导批示) or a remark (marked as a leader's).
    forms = re.findall(r'<form method="post" action="(/tasks/[^"]+)"', leader)
    assert "只读" in leader and forms == [f"/tasks/{world.task.pk}/instruct/", f"/tasks/{world.task.pk}/comment/"]
    coordinator = client_for("coordinator").get(url).content.decode()
    assert "催办" in coordinator and "调整完成时限" in coordinator and "同意销号" not in coordinator


def test_post_a_report_with_target_values(world, client_for):
    target = MeasureTarget.objects.create(measure=world.task.measure, text="新增企业", value=Decimal(100), unit="家")
    client = client_for("lead")
    response = client.post(
        reverse("pages:task-report", args=[world.task.pk]),
        {"text": "已完成第一阶段", "percent": "40", f"value_{target.pk}": "35"},
    )
    assert response.status_code == 303
    report = ProgressReport.objects.get(task=world.task)
    assert (report.text, report.percent, report.kind) == ("已完成第一阶段", 40, "report")
    assert report.values.get().value == Decimal(35)
    world.task.refresh_from_db()
    assert world.task.status == S.IN_PROGRESS
    page = client.get(response["Location"]).content.decode()
    assert "进展已报送" in page and "已完成第一阶段" in page and "35家" in page


def test_report_without_text_keeps_the_form_and_says_why(world, client_for):
    response = client_for("lead").post(reverse("pages:task-report", args=[world.task.pk]), {"percent": "30"})
    assert response.status_code == 400
    assert 'value="30"' in response.content.decode()
    assert not ProgressReport.objects.exists()


def test_supporter_files_a_contribution(world, client_for):
    client_for("support").post(reverse("pages:task-report", args=[world.task.pk]), {"text": "已配合完成调研"})
    assert ProgressReport.objects.get().kind == "contribution"


def test_request_then_accept_closure(world, client_for):
    task = world.task
    url = reverse("pages:task-transition", args=[task.pk, "request_closure"])
    response = client_for("lead").post(
        url, {"request_closure-version": task.version, "request_closure-comment": "已全部完成"}
    )
    assert response.status_code == 303
    task.refresh_from_db()
    assert task.status == S.CLOSURE_REQUESTED
    coordinator_page = client_for("coordinator").get(reverse("pages:task", args=[task.pk])).content.decode()
    assert "同意销号" in coordinator_page and "退回" in coordinator_page
    accept = reverse("pages:task-transition", args=[task.pk, "accept_closure"])
    response = client_for("coordinator").post(accept, {"accept_closure-version": task.version})
    assert response.status_code == 303
    task.refresh_from_db()
    assert task.status == S.CLOSED
    assert TaskEvent.objects.filter(task=task, to_status=S.CLOSED).exists()


def test_stale_version_shows_the_error_and_keeps_what_was_typed(world, client_for):
    task = world.task
    seen = task.version
    Task.objects.filter(pk=task.pk).update(version=seen + 1)  # someone else saved meanwhile
    response = client_for("lead").post(
        reverse("pages:task-transition", args=[task.pk, "request_closure"]),
        {"request_closure-version": seen, "request_closure-comment": "我写了很长的理由"},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "已被他人修改" in html and "您填写的内容已保留" in html
    assert "我写了很长的理由</textarea>" in html
    # The form now carries the current version, so a deliberate resubmit goes through.
    assert f'name="request_closure-version" value="{seen + 1}"' in html
    task.refresh_from_db()
    assert task.status == S.NOT_STARTED


def test_transition_needing_a_reason_says_so(world, client_for):
    response = client_for("lead").post(
        reverse("pages:task-transition", args=[world.task.pk, "request_closure"]),
        {"request_closure-version": world.task.version},
    )
    assert response.status_code == 400
    assert "必填项" in response.content.decode()


def test_leader_cannot_act(world, client_for):
    response = client_for("leader").post(
        reverse("pages:task-transition", args=[world.task.pk, "cancel"]),
        {"cancel-version": world.task.version, "cancel-comment": "x"},
    )
    assert response.status_code == 403


def test_unknown_action_is_404(world, client_for):
    assert client_for("lead").post(reverse("pages:task-transition", args=[world.task.pk, "explode"])).status_code == 404


def test_extension_request_and_approval(world, client_for):
    task = world.task
    later = (timezone.localdate() + datetime.timedelta(days=100)).isoformat()
    client_for("lead").post(
        reverse("pages:task-transition", args=[task.pk, "request_extension"]),
        {
            "request_extension-version": task.version,
            "request_extension-comment": "需要更多时间",
            "request_extension-due_date": later,
        },
    )
    task.refresh_from_db()
    assert task.status == S.EXTENSION_REQUESTED
    client_for("coordinator").post(
        reverse("pages:task-transition", args=[task.pk, "approve_extension"]),
        {"approve_extension-version": task.version, "approve_extension-due_date": later},
    )
    task.refresh_from_db()
    assert (task.status, task.due_date.isoformat()) == (S.IN_PROGRESS, later)


def test_comment_nudge_and_due_date(world, client_for):
    task = world.task
    client_for("support").post(reverse("pages:task-comment", args=[task.pk]), {"comment-text": "请牵头单位汇总"})
    assert TaskEvent.objects.filter(task=task, kind="comment", comment="请牵头单位汇总").exists()
    coordinator = client_for("coordinator")
    response = coordinator.post(reverse("pages:task-nudge", args=[task.pk]), {"nudge-comment": "请抓紧"})
    assert response.status_code == 303
    assert TaskEvent.objects.filter(task=task, kind="nudge").exists()
    due = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    coordinator.post(reverse("pages:task-due-date", args=[task.pk]), {"due-version": task.version, "due-due_date": due})
    task.refresh_from_db()
    assert task.due_date.isoformat() == due
    timeline = coordinator.get(reverse("pages:task", args=[task.pk])).content.decode()
    assert "请牵头单位汇总" in timeline and "催办" in timeline and due in timeline


def test_staff_cannot_nudge(world, client_for):
    assert client_for("lead").post(reverse("pages:task-nudge", args=[world.task.pk])).status_code == 403


def test_coordinator_reassigns_from_the_task_page(world, client_for):
    coordinator = client_for("coordinator")
    url = reverse("pages:task-reassign", args=[world.task.pk])
    page = coordinator.get(reverse("pages:task", args=[world.task.pk])).content.decode()
    assert "调整责任单位" in page
    response = coordinator.post(
        url,
        {"assign-version": 1, "assign-lead": [world.support_agency.pk], "assign-support": [world.lead_agency.pk]},
    )
    assert response.status_code == 303
    roles = dict(world.task.assignments.values_list("agency__name", "role"))
    assert roles == {"市工业和信息化局": "lead", "市商务局": "support"}
    stale = coordinator.post(
        url, {"assign-version": 1, "assign-lead": [world.lead_agency.pk], "assign-comment": "再调"}
    )
    assert stale.status_code == 409 and "再调" in stale.content.decode()
    assert client_for("lead").post(url, {"assign-version": 2, "assign-lead": [world.lead_agency.pk]}).status_code == 403
    assert url not in client_for("lead").get(reverse("pages:task", args=[world.task.pk])).content.decode()


def test_attachment_is_served_only_to_those_who_see_the_task(world, client_for, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tracker import services

    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("进展材料.txt", "已完成".encode(), content_type="text/plain")
    report = services.report_submit(task=world.task, user=world.lead, text="附材料", attachments=[upload])
    attachment = report.attachments.get()
    url = reverse("pages:attachment", args=[attachment.pk])
    assert url in client_for("lead").get(reverse("pages:task", args=[world.task.pk])).content.decode()
    response = client_for("coordinator").get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == "已完成".encode()
    assert "attachment" in response["Content-Disposition"]
    assert client_for("outsider").get(url).status_code == 404
