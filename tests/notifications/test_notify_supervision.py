"""督办单: blue near the deadline, yellow when behind, red when overdue, numbered, to the agency's
liaison with copies to its leader (and on red to the coordinating agency's leader), repeating on the
rung's interval until the task is closed or extended, and issued exactly once per key."""

import datetime
import zoneinfo

import pytest

from notifications import emails, recording
from notifications.models import Notification
from tests.factories import AssignmentFactory, MeasureFactory, TaskFactory, UserFactory
from tests.notifications.conftest import DUE
from tracker import services, supervision
from tracker.models import SupervisionLevel, SupervisionNotice, SupervisionRun, Task

pytestmark = pytest.mark.django_db
SH = zoneinfo.ZoneInfo("Asia/Shanghai")
K = Notification.Kind


def _sweep(day: datetime.date):
    return recording.sweep_run(at=datetime.datetime.combine(day, datetime.time(9), tzinfo=SH))


def _notices(task=None):
    qs = SupervisionNotice.objects.order_by("issued_on", "seq")
    if task is not None:
        qs = qs.filter(task=task)
    return list(qs)


@pytest.fixture
def duties(world):
    liaison = UserFactory(username="liaison", agency=world.lead_agency)
    leader = UserFactory(username="leader", agency=world.lead_agency, role="leader")
    chief = UserFactory(username="chief", agency=world.coordinating, role="leader")
    world.lead_agency.liaison, world.lead_agency.responsible_leader = liaison, leader
    world.lead_agency.save()
    world.coordinating.responsible_leader = chief
    world.coordinating.save()
    return liaison, leader, chief


def test_blue_goes_to_the_liaison_with_a_copy_to_the_leader(world, duties):
    _sweep(DUE - datetime.timedelta(days=3))
    (notice,) = _notices(world.task)
    assert notice.colour == "blue" and notice.number == f"{world.task.document.jurisdiction.name}督办〔2026〕1号"
    assert notice.answer_due == DUE
    rows = {n.recipient.username: n.data["copy"] for n in Notification.objects.filter(kind=K.SUPERVISION)}
    assert rows == {"liaison": False, "leader": True}
    assert "蓝色督办单" in emails.headline(Notification.objects.filter(kind=K.SUPERVISION).first())


def test_a_task_forty_days_late_keeps_getting_its_red_notice(world, duties):
    day = DUE + datetime.timedelta(days=1)
    end = DUE + datetime.timedelta(days=40)
    while day <= end:
        _sweep(day)
        _sweep(day)  # a second sweep the same day issues nothing
        day += datetime.timedelta(days=1)
    red = [n for n in _notices(world.task) if n.colour == "red"]
    # Overdue from day 1, again every 7 days: days 1, 8, 15, 22, 29, 36.
    assert [(n.issued_on - DUE).days for n in red] == [1, 8, 15, 22, 29, 36]
    assert [n.seq for n in _notices()] == list(range(1, len(_notices()) + 1))  # no gaps, no repeats
    chief = Notification.objects.filter(kind=K.SUPERVISION, recipient__username="chief")
    assert chief.count() == 6 and all(n.data["copy"] for n in chief)
    assert _notices(world.task)[-1].reason_text == "已逾期36天"


def test_already_late_at_import_gets_its_notice_and_closing_stops_it(world, duties):
    long_ago = DUE - datetime.timedelta(days=300)
    Task.objects.filter(pk=world.task.pk).update(due_date=long_ago)
    _sweep(DUE)
    (notice,) = _notices(world.task)
    assert notice.colour == "red" and notice.reason_days == 300
    Task.objects.filter(pk=world.task.pk).update(status=Task.Status.CLOSED)
    _sweep(DUE + datetime.timedelta(days=7))
    assert len(_notices(world.task)) == 1


def test_an_extension_starts_the_ladder_again(world, duties):
    _sweep(DUE + datetime.timedelta(days=2))
    assert [n.colour for n in _notices(world.task)] == ["red"]
    Task.objects.filter(pk=world.task.pk).update(due_date=DUE + datetime.timedelta(days=30))
    _sweep(DUE + datetime.timedelta(days=9))  # no longer overdue, not yet near: nothing
    assert len(_notices(world.task)) == 1


def test_behind_schedule_is_yellow_only_where_the_document_asks_for_warnings(world, duties):
    day = DUE - datetime.timedelta(days=10)
    Task.objects.filter(pk=world.task.pk).update(
        created_at=datetime.datetime.combine(DUE - datetime.timedelta(days=100), datetime.time(9), tzinfo=SH)
    )
    _sweep(day)
    assert not _notices(world.task)
    world.task.document.schedule_warnings = True
    world.task.document.save()
    SupervisionRun.objects.all().delete()
    _sweep(day)
    (notice,) = _notices(world.task)
    assert notice.colour == "yellow" and notice.reason == "behind" and notice.reason_days == 90


def test_without_a_liaison_the_staff_get_it_and_the_gap_is_listed(world):
    _sweep(DUE + datetime.timedelta(days=1))
    rows = Notification.objects.filter(kind=K.SUPERVISION)
    assert sorted(rows.values_list("recipient__username", flat=True)) == ["lead", "lead2"]
    assert all(n.data["gap"] for n in rows)
    from tracker.selectors import board_duty_gaps

    assert world.lead_agency in board_duty_gaps(world.coordinator)
    world.lead_agency.liaison = world.lead
    world.lead_agency.save()
    assert world.lead_agency not in board_duty_gaps(world.coordinator)
    assert world.support_agency in board_duty_gaps(world.coordinator)


def test_the_ladder_is_data(world, duties):
    SupervisionLevel.objects.filter(jurisdiction=None, colour="red").update(days=10, repeat_days=0)
    _sweep(DUE + datetime.timedelta(days=5))
    assert not [n for n in _notices(world.task) if n.colour == "red"]
    SupervisionRun.objects.all().delete()
    _sweep(DUE + datetime.timedelta(days=12))
    SupervisionRun.objects.all().delete()
    _sweep(DUE + datetime.timedelta(days=40))
    assert len([n for n in _notices(world.task) if n.colour == "red"]) == 1  # once: no repeat


def test_a_jurisdiction_may_have_its_own_ladder(world, duties):
    place = world.task.document.jurisdiction
    SupervisionLevel.objects.create(jurisdiction=place, colour="red", trigger="overdue", days=20, asks="限期整改")
    _sweep(DUE + datetime.timedelta(days=3))
    assert not _notices(world.task)  # its own ladder has no blue, and red only from day 20


def test_a_report_answers_the_notice(world, duties):
    _sweep(DUE + datetime.timedelta(days=1))
    services.report_submit(task=Task.objects.get(pk=world.task.pk), user=world.lead, text="已整改")
    assert all(n.answered_at for n in _notices(world.task))


def test_a_forced_second_issue_writes_nothing_new(world, duties):
    day = DUE + datetime.timedelta(days=1)
    _sweep(day)
    before = (SupervisionNotice.objects.count(), Notification.objects.filter(kind=K.SUPERVISION).count())
    assert supervision.notices_issue(today=day, force=True) == 0
    assert (SupervisionNotice.objects.count(), Notification.objects.filter(kind=K.SUPERVISION).count()) == before


def test_the_days_walk_does_not_grow_with_tasks(world, duties, django_assert_max_num_queries):
    for _ in range(30):
        task = TaskFactory(measure=MeasureFactory(document=world.task.document), due_date=DUE)
        AssignmentFactory(task=task, agency=world.lead_agency, role="lead")
    # The day's claim, the ladder; per batch: tasks, behind (leads, rounds, reports), leads, issued
    # already; per jurisdiction: the counter (locked), issued again, insert; the recipients and their
    # ledger rows; the day marked done.
    with django_assert_max_num_queries(30):
        assert supervision.notices_issue(today=DUE + datetime.timedelta(days=1), on_issued=recording._notice_rows) == 31
