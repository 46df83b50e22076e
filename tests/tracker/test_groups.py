"""Groups with members (各区县人民政府): a task assigned to the group reaches each member, each member
reports for itself, the coordinator sees who has not; a group without members is flagged at import,
on the board and on the task, and its round entry stays visible as missing."""

import datetime

import pytest
from django.urls import reverse

from agencies.models import Agency, User
from measures.services import document_preview_file
from tests.factories import AgencyFactory, AssignmentFactory, MeasureFactory, TaskFactory, UserFactory
from tests.pages.conftest import client_for  # noqa: F401 - shared fixture
from tracker import services
from tracker.models import ProgressReport, RoundEntry
from tracker.selectors import group_progress

pytestmark = pytest.mark.django_db


@pytest.fixture
def districts(world):
    document = world.task.document
    group = AgencyFactory(name="各区县人民政府", kind=Agency.Kind.GROUP, jurisdiction=document.jurisdiction)
    lixia = AgencyFactory(name="历下区人民政府", kind=Agency.Kind.GOVERNMENT, jurisdiction=document.jurisdiction)
    shizhong = AgencyFactory(name="市中区人民政府", kind=Agency.Kind.GOVERNMENT, jurisdiction=document.jurisdiction)
    group.members.set([lixia, shizhong])
    task = TaskFactory(measure=MeasureFactory(document=document, title="推进老旧小区改造"))
    AssignmentFactory(task=task, agency=group, role="lead")
    staff = UserFactory(username="lixia", agency=lixia)
    return task, group, lixia, shizhong, staff


def test_a_round_expects_a_report_from_each_member(world, districts):
    task, group, lixia, _shizhong, staff = districts
    round_ = services.round_open(
        document=task.document, user=world.coordinator, title="调度", due_date=datetime.date.today()
    )
    owed = set(RoundEntry.objects.filter(round=round_, task=task).values_list("agency__name", flat=True))
    assert owed == {"历下区人民政府", "市中区人民政府"}
    report = services.report_submit(task=task, user=staff, text="已完成摸底")
    assert report.agency == lixia and report.round == round_
    entries = dict(RoundEntry.objects.filter(round=round_, task=task).values_list("agency__name", "report"))
    assert entries == {"历下区人民政府": report.pk, "市中区人民政府": None}
    (progress,) = group_progress(task)
    assert progress.group == group
    assert [(m.name, last is not None) for m, last in progress.members] == [
        ("历下区人民政府", True),
        ("市中区人民政府", False),
    ]


def test_the_task_page_shows_who_has_not_reported(world, districts, client_for):  # noqa: F811
    task, _group, _lixia, _shizhong, staff = districts
    services.report_submit(task=task, user=staff, text="已完成摸底")
    body = client_for("coordinator").get(reverse("pages:task", args=[task.pk])).content.decode()
    assert "各区县人民政府：各成员单位报送情况" in body
    assert "市中区人民政府 · <strong>未报送</strong>" in body
    assert ProgressReport.objects.get(task=task).agency.name == "历下区人民政府"


def test_a_group_without_members_is_flagged_never_silent(world, client_for, tmp_path):  # noqa: F811
    document = world.task.document
    empty = AgencyFactory(name="各开发区管委会", kind=Agency.Kind.GROUP, jurisdiction=document.jurisdiction)
    task = TaskFactory(measure=MeasureFactory(document=document))
    AssignmentFactory(task=task, agency=empty, role="lead")
    today = datetime.date.today()
    round_ = services.round_open(document=document, user=world.coordinator, title="调度", due_date=today)
    assert RoundEntry.objects.filter(round=round_, task=task, agency=empty).exists()
    board = client_for("coordinator").get(reverse("pages:board")).content.decode()
    assert "没有成员单位的集合名称" in board and "各开发区管委会" in board
    page = client_for("coordinator").get(reverse("pages:task", args=[task.pk])).content.decode()
    assert "该集合名称还没有成员单位" in page

    source = tmp_path / "plan.txt"
    source.write_text(
        "济南市人民政府办公厅关于推进园区建设的通知\n一、加快园区基础设施建设。(责任单位:各开发区管委会)\n",
        encoding="utf-8",
    )
    preview = document_preview_file(path=source, jurisdiction=document.jurisdiction, coordinator=world.lead_agency)
    assert any("各开发区管委会" in w and "没有成员单位" in w for w in preview.warnings)


def test_a_member_agency_also_assigned_itself_owes_one_report(world, districts):
    task, _group, lixia, _shizhong, _staff = districts
    AssignmentFactory(task=task, agency=lixia, role="support")
    round_ = services.round_open(
        document=task.document, user=world.coordinator, title="调度", due_date=datetime.date.today()
    )
    assert RoundEntry.objects.filter(round=round_, task=task, agency=lixia).count() == 1
    assert User.objects.filter(agency=lixia).exists()
