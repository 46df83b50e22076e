"""The bulletin of a document for a period (not a round): page, Excel and Word read back with their
figures — overall, by lead agency, overdue, the ranking when assessed; for leaders and coordinators."""

import datetime
import zoneinfo
from io import BytesIO

import docx
import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from tests.pages.conftest import client_for  # noqa: F401 - shared fixture
from tracker.models import Task

pytestmark = pytest.mark.django_db
SH = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def november(world):
    Task.objects.filter(pk=world.other_task.pk).update(due_date=datetime.date(2026, 11, 2))
    Task.objects.filter(pk=world.task.pk).update(
        status=Task.Status.CLOSED, closed_at=datetime.datetime(2026, 11, 10, 10, tzinfo=SH)
    )
    document = world.task.document
    document.assessed = True
    document.save()
    with time_machine.travel(datetime.datetime(2026, 11, 22, 10, tzinfo=SH), tick=False):
        yield world


def test_the_period_bulletin_page_excel_and_word(november, client_for):  # noqa: F811
    document = november.task.document
    leader = client_for("leader")
    page = leader.get(reverse("pages:document-bulletin", args=[document.pk]), {"period": "2026-11"})
    assert page.status_code == 200
    bulletin = page.context["bulletin"]
    assert bulletin.cutoff == datetime.date(2026, 11, 21)
    assert (bulletin.totals["total"], bulletin.totals["closed_in_period"], bulletin.totals["overdue"]) == (2, 1, 1)
    assert (bulletin.agencies[0].agency, bulletin.agencies[0].overdue) == ("市教育局", 1)
    url = reverse("pages:document-bulletin-file", args=[document.pk, "xlsx"])
    workbook = load_workbook(BytesIO(leader.get(url, {"period": "2026-11"}).content))
    assert workbook.sheetnames == ["各单位情况", "逾期任务", "序时进度滞后", "考核排名"]
    assert workbook["逾期任务"]["B3"].value == "市教育局"
    word = leader.get(reverse("pages:document-bulletin-file", args=[document.pk, "docx"]), {"period": "2026-11"})
    text = "\n".join(p.text for p in docx.Document(BytesIO(word.content)).paragraphs)
    assert "2026年11月落实情况通报" in text and "已销号 1 项（本期 1 项）" in text and "三、逾期任务" in text
    assert "四、考核排名" in text and "五、下一步工作" in text


def test_who_may_read_it(november, client_for):  # noqa: F811
    document = november.task.document
    url = reverse("pages:document-bulletin", args=[document.pk])
    assert client_for("coordinator").get(url).status_code == 200
    assert client_for("lead").get(url).status_code in (403, 404)
    assert client_for("coordinator").get(url, {"period": "2026-13"}).status_code == 404
    bad = reverse("pages:document-bulletin-file", args=[document.pk, "pdf"])
    assert client_for("coordinator").get(bad).status_code == 404
