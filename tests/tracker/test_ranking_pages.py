"""The ranking (考核排名) end to end: page, as-of view, Excel, recompute, an agency's history, the API,
and the ranking inside the round's bulletin (page, Excel, Word)."""

import datetime
import zoneinfo
from io import BytesIO

import docx
import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from tests.pages.conftest import client_for  # noqa: F401 - shared fixture
from tracker import services
from tracker.models import AssessmentSnapshot, Task

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 22, 10, tzinfo=SH)


@pytest.fixture
def assessed(world):
    """November 2026: 市教育局's task was due on the 2nd and is still open; 商务局 has nothing due."""
    with time_machine.travel(datetime.datetime(2026, 11, 1, 9, tzinfo=SH), tick=False):
        document = world.task.document
        document.assessed = True
        document.save()
        Task.objects.filter(pk=world.other_task.pk).update(
            due_date=datetime.date(2026, 11, 2), original_due_date=datetime.date(2026, 11, 2)
        )
        Task.objects.update(created_at=datetime.datetime(2026, 10, 1, tzinfo=SH))
    with time_machine.travel(NOW, tick=False):
        yield world


def test_coordinators_and_leaders_read_the_ranking(assessed, client_for):  # noqa: F811
    for who in ("coordinator", "leader"):
        page = client_for(who).get(reverse("pages:ranking"), {"period": "2026-11"})
        assert page.status_code == 200
        body = page.content.decode()
        assert "市教育局" in body and "黑榜" in body and "2026-11-21" in body  # counted up to yesterday
    for who in ("lead", "outsider"):
        assert client_for(who).get(reverse("pages:ranking")).status_code in (403, 404)
    snapshot = AssessmentSnapshot.objects.get(period="2026-11")
    (row,) = [s for s in snapshot.scores.all() if s.agency.name == "市教育局"]
    assert row.figures["overdue"] == 1 and row.figures["overdue_days"] == 19 and row.listed == "black"


def test_as_of_a_past_day_is_computed_not_stored(assessed, client_for):  # noqa: F811
    page = client_for("coordinator").get(reverse("pages:ranking"), {"period": "2026-11", "as_of": "2026-11-05"})
    assert page.status_code == 200 and "2026-11-05" in page.content.decode()
    assert page.context["ranking"].snapshot is None
    (row,) = [r for r in page.context["ranking"].rows if r.agency == "市教育局"]
    assert row.figures.overdue_days == 3
    assert client_for("coordinator").get(reverse("pages:ranking"), {"period": "2026-13"}).status_code == 404


def test_excel_refresh_and_history(assessed, client_for):  # noqa: F811
    coordinator = client_for("coordinator")
    response = coordinator.get(reverse("pages:ranking-xlsx"), {"period": "2026-11"})
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    assert sheet["A3"].value == "名次" and sheet["B4"].value in ("市教育局", "市商务局")
    assert [c.value for c in sheet[3]][-1] == "榜单"
    before = AssessmentSnapshot.objects.get(period="2026-11").computed_at
    with time_machine.travel(NOW + datetime.timedelta(hours=1), tick=False):
        done = coordinator.post(reverse("pages:ranking-refresh"), {"period": "2026-11"})
        assert done.status_code == 303
        assert client_for("leader").post(reverse("pages:ranking-refresh"), {"period": "2026-11"}).status_code == 403
    assert AssessmentSnapshot.objects.get(period="2026-11").computed_at > before
    education = assessed.other_task.assignments.get().agency
    history = coordinator.get(reverse("pages:ranking-agency", args=[education.pk]))
    assert history.status_code == 200 and "2026-11" in history.content.decode()
    assert client_for("outsider").get(reverse("pages:ranking-agency", args=[education.pk])).status_code in (403, 404)


def test_the_api_gives_the_same_ranking(assessed, client_for):  # noqa: F811
    api = client_for("leader")
    data = api.get("/api/ranking/", {"period": "2026-11"}).json()
    assert data["period"] == "2026-11" and data["cutoff"] == "2026-11-21" and not data["final"]
    rows = {r["agency"]: r for r in data["rows"]}
    assert rows["市教育局"]["listed"] == "black" and rows["市教育局"]["figures"]["overdue"] == 1
    history = api.get(f"/api/ranking/{rows['市教育局']['agency_id']}/history/").json()
    assert [h["period"] for h in history] == ["2026-11"]
    assert client_for("outsider").get("/api/ranking/").status_code == 404
    assert api.get("/api/ranking/", {"jurisdiction": "999999"}).status_code == 404


def test_the_bulletin_carries_the_ranking(assessed, client_for):  # noqa: F811
    round_ = services.round_open(
        document=assessed.task.document,
        user=assessed.coordinator,
        title="11月调度",
        due_date=datetime.date(2026, 11, 30),
    )
    coordinator = client_for("coordinator")
    page = coordinator.get(reverse("pages:bulletin", args=[round_.pk]))
    assert "考核排名" in page.content.decode()
    workbook = load_workbook(BytesIO(coordinator.get(reverse("pages:bulletin-xlsx", args=[round_.pk])).content))
    assert workbook.sheetnames[-1] == "考核排名"
    assert [c.value for c in workbook["考核排名"][3]][1] in ("市教育局", "市商务局")
    word = docx.Document(BytesIO(coordinator.get(reverse("pages:bulletin-docx", args=[round_.pk])).content))
    text = "\n".join(p.text for p in word.paragraphs)
    assert "五、考核排名" in text and "黑榜 市教育局" in text and "六、下一步工作" in text
    ranking = [[c.text for c in row.cells] for row in word.tables[-1].rows]
    assert ranking[0][:3] == ["名次", "单位", "得分"]
    assert any(row[1] == "市教育局" and row[-1] == "黑榜" for row in ranking)
