"""督办单 pages: the list and the notice itself for who may see the task, the board's unanswered
notices and liaison gaps, the ladder a coordinator edits, and the directory's duties."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse

from notifications import recording
from tests.notifications.conftest import DUE
from tests.pages.conftest import client_for  # noqa: F401 - shared fixture
from tracker.models import SupervisionLevel, SupervisionNotice

pytestmark = pytest.mark.django_db
SH = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def issued(world):
    recording.sweep_run(at=datetime.datetime.combine(DUE + datetime.timedelta(days=2), datetime.time(9), tzinfo=SH))
    return SupervisionNotice.objects.get(task=world.task)


def test_the_agency_and_the_coordinator_read_the_notice_others_get_404(world, issued, client_for):  # noqa: F811
    url = reverse("pages:notice", args=[issued.pk])
    text = client_for("lead").get(url).content.decode()
    assert issued.number in text and "已逾期2天" in text and "红色督办单" in text
    assert issued.number in client_for("coordinator").get(reverse("pages:notices")).content.decode()
    assert client_for("outsider").get(url).status_code == 404
    assert issued.number not in client_for("outsider").get(reverse("pages:notices")).content.decode()
    assert issued.number in client_for("lead").get(reverse("pages:task", args=[world.task.pk])).content.decode()


def test_the_board_shows_unanswered_notices_and_gaps(world, issued, client_for):  # noqa: F811
    text = client_for("coordinator").get(reverse("pages:board")).content.decode()
    assert issued.number in text and "未指定联络员的单位" in text and world.lead_agency.name in text


def test_a_coordinator_edits_the_ladder_for_the_jurisdiction(world, client_for):  # noqa: F811
    place = world.task.document.jurisdiction
    response = client_for("coordinator").post(
        reverse("pages:ladder"),
        {"jurisdiction": place.pk, "colour": "red", "red-trigger": "overdue", "red-days": 10, "red-repeat_days": 14,
         "red-answer_days": 5, "red-asks": "限期整改", "red-copy_leader": "on", "red-is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 303
    own = {lv.colour: lv for lv in SupervisionLevel.objects.filter(jurisdiction=place)}
    assert set(own) == {"blue", "yellow", "red"}  # copied from the defaults, then changed
    assert (own["red"].days, own["red"].repeat_days, own["red"].asks) == (10, 14, "限期整改")
    default = SupervisionLevel.objects.get(jurisdiction=None, colour="red")
    assert default.days == 1  # the defaults are untouched
    assert client_for("lead").get(reverse("pages:ladder")).status_code == 403


def test_a_coordinator_names_a_liaison_and_a_leader(world, client_for):  # noqa: F811
    url = reverse("pages:agency-duties", args=[world.lead_agency.pk])
    client_for("coordinator").post(url, {"liaison": world.lead2.pk, "leader": world.lead.pk})
    world.lead_agency.refresh_from_db()
    assert (world.lead_agency.liaison, world.lead_agency.responsible_leader) == (world.lead2, world.lead)
    client_for("coordinator").post(url, {"liaison": world.support.pk})  # not of this agency: refused
    world.lead_agency.refresh_from_db()
    assert world.lead_agency.liaison == world.lead2
    assert client_for("lead").post(url, {"liaison": ""}).status_code == 403


def test_the_api_lists_notices_to_who_may_see_them(world, issued):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(world.lead)
    (row,) = api.get("/api/notices/").json()["results"]
    assert (row["number"], row["colour"], row["reason_text"]) == (issued.number, "red", "已逾期2天")
    assert api.get("/api/notices/?answered=true").json()["results"] == []
    api.force_authenticate(world.outsider)
    assert api.get("/api/notices/").json()["results"] == []
    assert api.get(f"/api/notices/{issued.pk}/").status_code == 404


def test_a_coordinator_changes_the_documents_switches(world, client_for):  # noqa: F811
    document = world.task.document
    url = reverse("pages:document-supervision", args=[document.pk])
    assert client_for("coordinator").post(url, {"assessed": "on", "schedule_warnings": "on"}).status_code == 303
    document.refresh_from_db()
    assert (document.assessed, document.schedule_warnings, document.bulletin_after_round) == (True, True, False)
    assert client_for("lead").post(url, {"bulletin_after_round": "on"}).status_code == 404
    assert "监测预警" in client_for("coordinator").get(reverse("pages:document", args=[document.pk])).content.decode()
