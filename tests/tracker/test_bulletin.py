import datetime
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.pages.conftest import client_for  # noqa: F401 - shared fixture
from tracker import services
from tracker.bulletin import round_bulletin
from tracker.models import Task

TODAY = datetime.date(2026, 11, 22)


@pytest.fixture
def round_with_reports(world):
    due = datetime.date.today() + datetime.timedelta(days=10)
    round_ = services.round_open(
        document=world.task.document, user=world.coordinator, title="第四季度调度", due_date=due
    )
    services.report_submit(task=world.task, user=world.lead, text="已完成方案")
    Task.objects.filter(pk=world.other_task.pk).update(due_date=TODAY - datetime.timedelta(days=40))
    return round_


def test_bulletin_counts_filed_missing_and_overdue(world, round_with_reports, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        bulletin = round_bulletin(round_with_reports, today=TODAY)
    lines = {a.agency: (a.expected, a.filed, a.missing, a.overdue, a.red) for a in bulletin.agencies}
    assert lines == {"市商务局": (1, 1, 0, 0, 0), "市工业和信息化局": (1, 0, 1, 0, 0), "市教育局": (1, 0, 1, 1, 1)}
    assert bulletin.agencies[0].agency == "市教育局"  # most missing and overdue first
    assert [(e.agency.name, e.role) for e in bulletin.missing] == [
        ("市工业和信息化局", "support"),
        ("市教育局", "lead"),
    ]
    assert [(o.lead, o.days, o.level) for o in bulletin.overdue] == [("市教育局", 40, "red")]


def test_bulletin_page_and_excel(world, round_with_reports, client_for):  # noqa: F811
    coordinator = client_for("coordinator")
    page = coordinator.get(reverse("pages:bulletin", args=[round_with_reports.pk]))
    assert page.status_code == 200 and "第四季度调度 落实情况通报" in page.content.decode()
    response = coordinator.get(reverse("pages:bulletin-xlsx", args=[round_with_reports.pk]))
    workbook = load_workbook(BytesIO(response.content))
    assert workbook.sheetnames == ["报送情况", "未报送", "逾期任务"]
    sheet = workbook["报送情况"]
    assert [c.value for c in sheet[2]] == ["单位", "应报", "已报", "未报", "逾期任务", "黄色督办", "红色督办"]
    assert sheet["A3"].value == "市教育局" and sheet.freeze_panes == "A3"
    assert workbook["逾期任务"]["B3"].value == "市教育局"
    for who in ("lead", "outsider"):
        assert client_for(who).get(reverse("pages:bulletin", args=[round_with_reports.pk])).status_code in (403, 404)
    # The document's leaders read and download the bulletin, without the coordinator's round page.
    leader_page = client_for("leader").get(reverse("pages:bulletin", args=[round_with_reports.pk]))
    assert (
        leader_page.status_code == 200
        and f'href="{reverse("pages:round", args=[round_with_reports.pk])}"' not in leader_page.content.decode()
    )
    assert client_for("leader").get(reverse("pages:bulletin-xlsx", args=[round_with_reports.pk])).status_code == 200


def test_bulletin_as_word_reads_back_with_its_figures(world, round_with_reports, client_for):  # noqa: F811
    import docx

    for who in ("coordinator", "leader"):
        response = client_for(who).get(reverse("pages:bulletin-docx", args=[round_with_reports.pk]))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    document = docx.Document(BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "督办通报" in text and "第四季度调度 落实情况通报" in text
    assert "应报送 3 项，已报送 1 项，未报送 2 项（涉及 2 个单位）" in text
    by_agency = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert by_agency[0] == ["单位", "应报", "已报", "未报", "逾期任务", "黄色督办", "红色督办"]
    assert ["市教育局", "1", "0", "1", "1", "0", "1"] in by_agency
    overdue = [[c.text for c in row.cells] for row in document.tables[-1].rows]
    assert overdue[1][1] == "市教育局" and overdue[1][4] == "红色"
    assert client_for("lead").get(reverse("pages:bulletin-docx", args=[round_with_reports.pk])).status_code in (
        403,
        404,
    )
