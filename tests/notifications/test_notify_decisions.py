"""Decisions, requests, new assignments and opened rounds reach the people they concern, through
the same ledger as reminders: recorded once with the event, sent after commit, shown in the app."""

import datetime

import pytest
from django.utils import timezone

from notifications import emails, recording
from notifications.models import Notification
from tests.factories import AgencyFactory, UserFactory
from tracker import services as tracker_services
from tracker.models import ReportingRound, Task

K = Notification.Kind


def _rows(kind):
    return sorted(
        (n.recipient.username, n.kind) for n in Notification.objects.filter(kind=kind).select_related("recipient")
    )


def _move(world, action, user, **kwargs):
    task = Task.objects.get(pk=world.task.pk)
    return tracker_services.task_transition(
        task=task, user=user, action=action, expected_version=task.version, **kwargs
    )


@pytest.fixture
def requested(world):
    _move(world, "request_closure", world.lead, comment="已完成建设")
    return world


def test_a_closure_request_reaches_the_coordinators_and_not_its_author(requested, world):
    assert _rows(K.REQUEST) == [("coord", K.REQUEST), ("granted", K.REQUEST)]
    note = Notification.objects.filter(kind=K.REQUEST).first()
    assert "申请销号" in emails.headline(note)


@pytest.mark.parametrize(("action", "label"), [("accept_closure", "同意销号"), ("return_closure", "退回")])
def test_a_closure_decision_reaches_the_lead_agencys_staff(
    requested, world, action, label, mailoutbox, django_capture_on_commit_callbacks, eager_celery
):
    with django_capture_on_commit_callbacks(execute=True):
        _move(world, action, world.coordinator, comment="材料齐全" if action == "accept_closure" else "材料不全")
    assert _rows(K.DECISION) == [("lead", K.DECISION), ("lead2", K.DECISION)]  # not the supporting agency
    assert sorted(m.to[0] for m in mailoutbox) == ["lead2@example.org", "lead@example.org"]
    mail = mailoutbox[0]
    assert label in mail.subject and "市发展改革委" in mail.body and ("材料" in mail.body)


def test_an_extension_decision_carries_the_new_date(world):
    new_due = timezone.localdate() + datetime.timedelta(days=60)
    _move(world, "request_extension", world.lead, comment="资金未到位", due_date=new_due)
    assert _rows(K.REQUEST)
    _move(world, "approve_extension", world.coordinator, due_date=new_due)
    note = Notification.objects.filter(kind=K.DECISION, recipient=world.lead).get()
    rendered = emails.render(note, language="zh-hans")
    assert "批准延期" in rendered.subject and new_due.isoformat() in rendered.text
    request = Notification.objects.get(kind=K.REQUEST, recipient=world.coordinator)
    assert new_due.isoformat() in emails.render(request, language="zh-hans").text


def test_suspending_a_task_tells_everyone_on_it(world):
    _move(world, "suspend", world.coordinator, comment="政策调整")
    assert {u for u, _k in _rows(K.DECISION)} == {"lead", "lead2", "support"}


def test_an_agency_newly_on_a_task_is_told_and_those_already_on_it_are_not(world):
    newcomer = AgencyFactory(name="市财政局")
    UserFactory(username="finance", agency=newcomer)
    task = Task.objects.get(pk=world.task.pk)
    tracker_services.task_reassign(
        task=task,
        user=world.coordinator,
        expected_version=task.version,
        lead=[world.lead_agency],
        support=[world.support_agency, newcomer],
    )
    assert _rows(K.ASSIGNED) == [("finance", K.ASSIGNED)]
    assert "新任务" in emails.headline(Notification.objects.get(kind=K.ASSIGNED))


def test_an_opened_round_reaches_the_agencies_that_owe_it_once(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        round = tracker_services.round_open(
            document=world.task.document,
            user=world.coordinator,
            title="一季度调度",
            due_date=timezone.localdate() + datetime.timedelta(days=10),
        )
    first = _rows(K.ROUND_OPENED)
    assert {u for u, _k in first} == {"lead", "lead2", "support", "outsider"}
    assert "一季度调度" in emails.headline(Notification.objects.filter(kind=K.ROUND_OPENED).first())
    # The sweep records it again for recent rounds: nothing new.
    recording.sweep_run(at=timezone.now())
    assert _rows(K.ROUND_OPENED) == first
    assert ReportingRound.objects.get(pk=round.pk).is_open


def test_the_sweep_records_an_opened_round_whose_notice_was_lost(world):
    # Opened without running the commit hook: as if the process died right after the commit.
    tracker_services.round_open(
        document=world.task.document,
        user=world.coordinator,
        title="二季度调度",
        due_date=timezone.localdate() + datetime.timedelta(days=10),
    )
    assert not Notification.objects.filter(kind=K.ROUND_OPENED).exists()
    recording.sweep_run(at=timezone.now())
    assert {u for u, _k in _rows(K.ROUND_OPENED)} == {"lead", "lead2", "support", "outsider"}


def test_the_header_counts_unread_and_opening_a_notification_reads_it(requested, world, client):
    client.force_login(world.coordinator)
    page = client.get("/board/").content.decode()
    assert 'class="badge unread-count"' in page and ">1<" in page
    note = Notification.objects.get(kind=K.REQUEST, recipient=world.coordinator)
    response = client.get(f"/notifications/{note.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/tasks/{world.task.pk}/"
    assert Notification.objects.get(pk=note.pk).read_at is not None
    assert "unread-count" not in client.get("/board/").content.decode()
    other = Notification.objects.get(kind=K.REQUEST, recipient=world.granted)
    assert client.get(f"/notifications/{other.pk}/").status_code == 404  # not theirs


def test_the_notification_pages_have_the_site_header_and_the_calendar_link(world, client):
    client.force_login(world.lead)
    inbox = client.get("/notifications/").content.decode()
    assert 'class="site-header"' in inbox and "我的任务" in inbox
    settings_page = client.get("/notifications/settings/").content.decode()
    assert 'class="site-header"' in settings_page and "/notifications/ics/" in settings_page
