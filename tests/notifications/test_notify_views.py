import datetime
import zoneinfo

import time_machine
from icalendar import Calendar
from rest_framework.test import APIClient

from notifications import emails, recording
from notifications.models import Notification, Preference
from tracker.models import ReportingRound, RoundEntry

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
DUE = datetime.date(2026, 3, 31)


def _seed(world):
    recording.sweep_run(at=datetime.datetime(2026, 3, 24, 9, tzinfo=SH))
    recording.sweep_run(at=datetime.datetime(2026, 4, 7, 9, tzinfo=SH))


def test_inbox_page_lists_own_and_marks_read(world, client):
    _seed(world)
    assert client.get("/notifications/").status_code == 302  # login required
    client.force_login(world.lead)
    page = client.get("/notifications/")
    text = page.content.decode()
    assert page.status_code == 200 and "【到期提醒】一、1 建设跨境电商平台 还有 7 天到期" in text
    assert "【黄牌督办】" not in text  # the coordinator's, not the lead's
    assert "【红色督办单】" in text  # the agency's own 督办单, a week overdue
    assert text.count('class="unread"') == 3
    mine = Notification.objects.filter(recipient=world.lead).first()
    client.post("/notifications/read/", {"id": mine.pk})
    assert Notification.objects.get(pk=mine.pk).read_at is not None
    client.post("/notifications/read/")
    assert not Notification.objects.filter(recipient=world.lead, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=world.support, read_at__isnull=True).exists()


def test_api_lists_own_only_and_marks_read(world, django_assert_max_num_queries):
    _seed(world)
    api = APIClient()
    api.force_authenticate(world.coordinator)
    with django_assert_max_num_queries(3):
        body = api.get("/api/notifications/").json()
    assert [r["kind"] for r in body["results"]] == ["escalation_yellow"]
    assert body["results"][0]["url"].endswith(f"/tasks/{world.task.pk}/")
    theirs = Notification.objects.filter(recipient=world.lead).first()
    assert api.get(f"/api/notifications/{theirs.pk}/").status_code == 404
    assert api.post(f"/api/notifications/{theirs.pk}/read/").status_code == 404
    mine = body["results"][0]["id"]
    assert api.post(f"/api/notifications/{mine}/read/").json()["is_read"] is True
    assert api.post("/api/notifications/read-all/", {}, format="json").json() == {"marked": 0}
    assert APIClient().get("/api/notifications/").status_code in (401, 403)


def test_settings_page_by_signed_link_without_login(world, client):
    token = emails.settings_token(world.lead.pk)
    page = client.get(f"/notifications/settings/?t={token}")
    assert page.status_code == 200
    response = client.post(
        "/notifications/settings/",
        {"t": token, "digest_enabled": "on", "digest_weekday": 4, "language": "en", "email_reminders": "on"},
    )
    assert response.status_code == 200
    pref = Preference.objects.get(user=world.lead)
    assert (pref.digest_weekday, pref.language, pref.digest_enabled) == (4, "en", True)
    assert client.get("/notifications/settings/?t=forged:token").status_code == 404
    assert client.get("/notifications/settings/").status_code == 302


def test_one_click_unsubscribe(world, client):
    url = emails.unsubscribe_url(world.support.pk).split("8000", 1)[-1]
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 200
    pref = Preference.objects.get(user=world.support)
    assert not pref.digest_enabled and not pref.email_reminders


def test_ics_feed(world, client):
    round = ReportingRound.objects.create(document=world.task.document, title="第一季度调度", due_date=DUE)
    RoundEntry.objects.create(round=round, task=world.task, agency=world.lead_agency, role="lead")
    with time_machine.travel(datetime.datetime(2026, 3, 20, 9, tzinfo=SH)):
        response = client.get(f"/notifications/ics/{emails.ics_token(world.lead.pk, 0)}.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    summaries = sorted(str(e["summary"]) for e in cal.walk("VEVENT"))
    assert summaries == ["【完成时限】一、1 建设跨境电商平台", "【调度报送截止】第一季度调度"]
    assert client.get("/notifications/ics/123:forged.ics").status_code == 404


def test_the_calendar_link_is_shown_and_reset(world, client):
    client.force_login(world.lead)
    page = client.get("/notifications/settings/")
    old = page.context["ics_url"]
    path = old.split("://", 1)[-1].split("/", 1)[1]
    assert client.get(f"/{path}").status_code == 200
    reset = client.post("/notifications/settings/ics-reset/")
    assert reset.status_code == 302
    new = client.get("/notifications/settings/").context["ics_url"]
    assert new != old
    assert client.get(f"/{path}").status_code == 404
    assert client.get("/" + new.split("://", 1)[-1].split("/", 1)[1]).status_code == 200


def test_preferences_and_calendar_link_through_the_api(world):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(world.lead)
    first = api.get("/api/notifications/preferences/").json()
    assert first["digest_enabled"] is True and first["ics_url"].endswith(".ics")
    changed = api.patch("/api/notifications/preferences/", {"digest_weekday": 4, "language": "en"}, format="json")
    assert changed.status_code == 200 and changed.json()["digest_weekday"] == 4
    assert Preference.objects.get(user=world.lead).language == "en"
    bad = api.patch("/api/notifications/preferences/", {"digest_weekday": 9}, format="json")
    assert bad.status_code == 400
    reset = api.post("/api/notifications/preferences/ics-reset/").json()
    assert reset["ics_url"] != first["ics_url"]
