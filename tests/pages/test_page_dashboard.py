"""The dashboard's numbers and the ledger export."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import AssignmentFactory, MeasureFactory, TaskFactory
from tracker import services
from tracker.models import Task

pytestmark = pytest.mark.django_db
S = Task.Status


def _closed_task(world, due_in: int) -> Task:
    task = TaskFactory(
        measure=MeasureFactory(document=world.task.document),
        due_date=timezone.localdate() + datetime.timedelta(days=due_in),
    )
    AssignmentFactory(task=task, agency=world.lead_agency, role="lead")
    services.task_transition(task=task, user=world.lead, action="request_closure", expected_version=1, comment="完成")
    services.task_transition(task=task, user=world.coordinator, action="accept_closure", expected_version=2)
    return task


def test_dashboard_rates_by_agency_and_document(world, client_for):
    _closed_task(world, 10)  # closed before its deadline: on time
    overdue = TaskFactory(
        measure=MeasureFactory(document=world.task.document),
        status=S.IN_PROGRESS,
        due_date=timezone.localdate() - datetime.timedelta(days=3),
    )
    AssignmentFactory(task=overdue, agency=world.lead_agency, role="lead")
    response = client_for("leader").get(reverse("pages:dashboard"))
    assert response.status_code == 200
    by_agency = {r.label: r for r in response.context["by_agency"]}
    lead = by_agency["市商务局"]
    assert (lead.total, lead.closed, lead.overdue, lead.on_time_rate) == (3, 1, 1, 100.0)
    assert lead.completion == pytest.approx(33.3)
    (document,) = response.context["by_document"]
    assert (document.total, document.closed, document.overdue) == (4, 1, 1)
    assert response.context["trend"][-1].closed == 1
    html = response.content.decode()
    assert 'id="chart-data"' in html and "chart-4.6.1.umd.min.js" in html
    assert "<caption>各牵头单位完成情况</caption>" in html


def test_dashboard_query_count_does_not_grow(world, client_for, django_assert_max_num_queries):
    client = client_for("coordinator")
    for i in range(10):
        _closed_task(world, i)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("pages:dashboard")).status_code == 200


def test_ledger_export_follows_the_filters(world, client_for):
    _closed_task(world, 5)
    response = client_for("coordinator").get(reverse("pages:ledger"), {"status": "closed"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [r for r in sheet.iter_rows(values_only=True) if r[0] is not None]
    assert rows[0][0] == "政策措施落实台账"
    assert rows[1][:3] == ("序号", "任务内容", "牵头单位")
    assert len(rows) == 3  # title, header, the one closed task
    assert rows[2][6] == "已销号"


def test_leader_sees_only_their_documents(world, client_for):
    other = TaskFactory()  # another document, not given to the leader
    response = client_for("leader").get(reverse("pages:dashboard"))
    assert other.document.pk not in {r.key for r in response.context["by_document"]}


def test_staff_cannot_export(client_for):
    assert client_for("lead").get(reverse("pages:ledger")).status_code == 403


def test_dashboard_figures_are_cached_per_user_and_say_when(world, client_for, settings):
    settings.DASHBOARD_CACHE_SECONDS = 300
    leader = client_for("leader")
    first = leader.get(reverse("pages:dashboard"))
    total = first.context["totals"]["total"]
    assert "每 5 分钟更新" in first.content.decode()
    _closed_task(world, 10)
    cached = leader.get(reverse("pages:dashboard"))
    assert cached.context["totals"]["total"] == total  # within the five minutes: as computed
    assert cached.context["computed_at"] == first.context["computed_at"]
    # Another filter is another entry; so is the same page with the cache off.
    assert leader.get(reverse("pages:dashboard"), {"status": "closed"}).context["totals"]["closed"] == 1
    settings.DASHBOARD_CACHE_SECONDS = 0
    fresh = leader.get(reverse("pages:dashboard"))
    assert fresh.context["totals"]["total"] == total + 1
    assert "分钟更新" not in fresh.content.decode()
