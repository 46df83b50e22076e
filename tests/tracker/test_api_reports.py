"""Numeric progress reports through the API: one transaction per report, values accepted or refused
loudly in JSON and in multipart alike."""

import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from measures.models import MeasureTarget
from tracker.models import ProgressReport, ReportedValue

pytestmark = pytest.mark.django_db


@pytest.fixture
def target(world):
    return MeasureTarget.objects.create(measure=world.task.measure, text="网络零售额1400亿元", value=1400, unit="亿元")


@pytest.fixture
def lead(world):
    api = APIClient()
    api.force_authenticate(world.lead)
    return api


def test_a_json_report_with_values_is_saved_once_and_answered(world, target, lead):
    url = f"/api/tasks/{world.task.pk}/reports/"
    body = {"text": "一季度进展", "values": [{"target": target.pk, "value": "350.5"}]}
    response = lead.post(url, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["values"] == [{"target": target.pk, "value": "350.5000"}]
    assert ReportedValue.objects.get().value == Decimal("350.5")
    assert ProgressReport.objects.count() == 1


def test_a_multipart_report_keeps_its_values(world, target, lead):
    url = f"/api/tasks/{world.task.pk}/reports/"
    response = lead.post(
        url,
        {
            "text": "附上材料",
            "values": json.dumps([{"target": target.pk, "value": "12"}]),
            "attachments": [SimpleUploadedFile("进展.txt", "材料".encode())],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert ReportedValue.objects.get().value == Decimal("12")
    assert response.json()["values"] == [{"target": target.pk, "value": "12.0000"}]


@pytest.mark.parametrize(
    ("values", "fmt"),
    [
        ("not json", "multipart"),
        (json.dumps([{"target": 999999, "value": "1"}]), "multipart"),
        ([{"target": "x", "value": "1"}], "json"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(world, target, lead, values, fmt):
    response = lead.post(f"/api/tasks/{world.task.pk}/reports/", {"text": "进展", "values": values}, format=fmt)
    assert response.status_code == 400, response.content
    assert not ProgressReport.objects.exists() and not ReportedValue.objects.exists()


def test_form_style_value_keys_are_refused_not_dropped(world, target, lead):
    response = lead.post(
        f"/api/tasks/{world.task.pk}/reports/",
        {"text": "进展", "values[0]target": target.pk, "values[0]value": "3"},
        format="multipart",
    )
    assert response.status_code == 400 and "values" in response.json()
    assert not ProgressReport.objects.exists()


def test_a_report_by_a_user_of_no_agency_is_refused_clearly(world, client):
    """A superuser sees every task but reports for no agency: 403 with a reason, never a 500."""
    from agencies.models import User

    root = User.objects.create_superuser("root", "root@example.org", "x" * 12)
    api = APIClient()
    api.force_authenticate(root)
    response = api.post(f"/api/tasks/{world.task.pk}/reports/", {"text": "进展"}, format="json")
    assert response.status_code == 403 and "牵头或配合单位" in response.json()["detail"]
    client.force_login(root)
    page = client.post(f"/tasks/{world.task.pk}/report/", {"report-text": "进展"})
    assert page.status_code in (400, 403)
    assert not ProgressReport.objects.exists()
