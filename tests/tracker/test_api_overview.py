"""The dashboard's figures and the round's bulletin through the API, for the leaders and
coordinators of the document; staff are refused."""

import datetime
from io import BytesIO

import docx
import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from tracker import services
from tracker.models import Task

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_dashboard_figures(world):
    Task.objects.filter(pk=world.other_task.pk).update(due_date=datetime.date.today() - datetime.timedelta(days=3))
    data = _api(world.coordinator).get("/api/dashboard/").json()
    assert data["totals"]["total"] == 2 and data["totals"]["overdue"] == 1
    assert {r["label"] for r in data["by_agency"]} == {"市商务局", "市教育局"}
    assert data["as_of"] is None and len(data["trend"]) == 12
    assert _api(world.leader).get("/api/dashboard/").status_code == 200
    assert _api(world.lead).get("/api/dashboard/").status_code == 403
    past = _api(world.coordinator).get("/api/dashboard/", {"as_of": "2020-01-01"}).json()
    assert past["as_of"] == "2020-01-01" and past["by_agency"] == []
    assert _api(world.coordinator).get("/api/dashboard/", {"as_of": "nonsense"}).status_code == 400


def test_the_bulletin_as_data_and_files(world):
    round_ = services.round_open(
        document=world.task.document, user=world.coordinator, title="第四季度调度", due_date=datetime.date.today()
    )
    api = _api(world.leader)
    data = api.get(f"/api/rounds/{round_.pk}/bulletin/").json()
    assert data["round"] == "第四季度调度" and data["expected"] == 3 and data["filed"] == 0
    sheet = load_workbook(BytesIO(api.get(f"/api/rounds/{round_.pk}/bulletin/xlsx/").content))
    assert sheet.sheetnames[0] == "报送情况"
    word = docx.Document(BytesIO(api.get(f"/api/rounds/{round_.pk}/bulletin/docx/").content))
    assert any("第四季度调度" in p.text for p in word.paragraphs)
    assert _api(world.lead).get(f"/api/rounds/{round_.pk}/bulletin/").status_code == 404
