import datetime
import zoneinfo
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from notifications import emails, recording, sending
from notifications.models import Notification, Preference
from tracker.models import ReportingRound, RoundEntry, Task

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
DUE = datetime.date(2026, 3, 31)
# Monday 2026-04-13 08:00: the task is 13 days overdue; other_task (due 05-30) is not due soon.
MONDAY = datetime.datetime(2026, 4, 13, 8, 0, tzinfo=SH)


def digests(when=MONDAY) -> recording.RunResult:
    return recording.digests_run(at=when)


def digest_of(user) -> Notification:
    return Notification.objects.get(recipient=user, kind="digest")


def send(n: Notification, mailoutbox):
    sending.notification_send(notification_id=n.pk)
    return next(m for m in reversed(mailoutbox) if m.to == [n.recipient.email])


def test_staff_digest_content(world, mailoutbox):
    round = ReportingRound.objects.create(document=world.task.document, title="第一季度调度", due_date=DUE)
    RoundEntry.objects.create(round=round, task=world.task, agency=world.lead_agency, role="lead")
    digests()
    n = digest_of(world.lead)
    assert n.period == "2026-W16"
    assert [t["id"] for t in n.data["overdue"]] == [world.task.pk]
    assert n.data["missing"] == [{"round": round.pk, "title": "第一季度调度", "due": "2026-03-31", "n": 1}]
    message = send(n, mailoutbox)
    assert message.subject == "【每周摘要】2026-W16：逾期 1 项，近期到期 0 项"
    assert f"/tasks/{world.task.pk}/" in message.body and f"/tasks/{world.task.pk}/" in message.alternatives[0][0]
    assert "市商务局" in message.body and "第一季度调度" in message.body
    assert 'lang="zh-hans"' in message.alternatives[0][0]


def test_digest_tables_share_one_style_and_travel_as_8bit(world, mailoutbox):
    """The table rules stand once in the head, not on every cell; rows on their own lines keep every
    line short, so the HTML goes as 8bit rather than quoted-printable (which triples Chinese text)."""
    for i in range(30):
        task = Task.objects.create(measure=world.task.measure.__class__.objects.create(
            document=world.task.document, ref=f"二、{i}", title=f"推进第{i}项工作" * 8, order=100 + i),
            document=world.task.document, due_date=DUE)  # fmt: skip
        task.assignments.create(agency=world.lead_agency, role="lead")
    digests()
    message = send(digest_of(world.lead), mailoutbox)
    html = message.alternatives[0][0]
    head, body = html.split("</head>")
    assert "<style>" in head and "th, td {" in head
    assert "<td>" in body and "<td style=" not in body and "<h1 style=" in body  # the rest still inlined
    html_part = next(p for p in message.message().walk() if p.get_content_type() == "text/html")
    assert html_part["Content-Transfer-Encoding"] == "8bit"


def test_staff_digest_in_english(world, mailoutbox):
    Preference.objects.create(user=world.support, language="en")
    digests()
    message = send(digest_of(world.support), mailoutbox)
    assert 'lang="en"' in message.alternatives[0][0]
    assert "2026-W16" in message.subject


def test_coordinator_digest_content_both_languages(world, mailoutbox):
    Task.objects.filter(pk=world.other_task.pk).update(status=Task.Status.EXTENSION_REQUESTED)
    Preference.objects.create(user=world.granted, language="en")
    digests()
    n = digest_of(world.coordinator)
    assert n.data["audience"] == "coordinator"
    assert n.data["overdue_by_agency"] == [{"agency": "市商务局", "n": 1}]
    assert [t["id"] for t in n.data["requests"]] == [world.other_task.pk]
    assert n.data["on_time"] == [{"agency": "市商务局", "rate": 0}]
    zh = send(n, mailoutbox)
    assert zh.subject == "【每周督办摘要】2026-W16：逾期 1 项，待审批 1 项"
    assert "市商务局" in zh.body and "申请延期" in zh.body and f"/tasks/{world.other_task.pk}/" in zh.body
    en = send(digest_of(world.granted), mailoutbox)
    assert 'lang="en"' in en.alternatives[0][0]


def test_no_digest_when_nothing_to_say(world):
    digests()
    # 市教育局's only task is due in May: nothing overdue, nothing due within 14 days, no round.
    assert not Notification.objects.filter(recipient=world.outsider).exists()


def test_one_digest_per_week_and_not_before_eight(world):
    assert digests(MONDAY - datetime.timedelta(minutes=1)).recorded == 0
    first = digests().recorded
    assert first == 5  # lead, lead2, support, coord, granted
    assert digests(MONDAY + datetime.timedelta(hours=3)).recorded == 0
    assert digests(MONDAY + datetime.timedelta(days=1)).recorded == 0  # Tuesday is nobody's day
    assert digests(MONDAY + datetime.timedelta(days=7)).recorded == first  # next ISO week


def test_chosen_weekday_and_opt_out(world):
    Preference.objects.create(user=world.lead, digest_weekday=2)
    Preference.objects.create(user=world.lead2, digest_enabled=False)
    digests()
    assert not Notification.objects.filter(recipient__in=[world.lead, world.lead2]).exists()
    digests(MONDAY + datetime.timedelta(days=2))
    assert digest_of(world.lead).period == "2026-W16"
    assert not Notification.objects.filter(recipient=world.lead2).exists()


@pytest.mark.django_db(transaction=True)
def test_send_digests_command(world, mailoutbox):
    out = StringIO()
    call_command("send_digests", "--at", "2026-04-13 08:00", stdout=out)
    assert out.getvalue().startswith("已记录 5 条，已发送 5 条")
    assert len(mailoutbox) == 5
    out = StringIO()
    call_command("send_digests", "--at", "2026-04-13 08:00", stdout=out)
    assert out.getvalue().startswith("已记录 0 条，已发送 0 条")
    assert len(mailoutbox) == 5


def test_headline_follows_viewer_language(world):
    digests()
    n = digest_of(world.lead)
    with translation.override("zh-hans"):
        assert emails.headline(n).startswith("【每周摘要】")


def test_staff_digest_through_a_group_lists_the_first_twenty_and_counts_all(world):
    from tests.factories import AgencyFactory, AssignmentFactory, MeasureFactory, TaskFactory, UserFactory

    group = AgencyFactory(name="各区县人民政府", kind="group")
    district = AgencyFactory(name="历下区人民政府")
    group.members.add(district)
    user = UserFactory(username="district", agency=district)
    document = world.task.document
    overdue = []
    for i in range(25):
        task = TaskFactory(measure=MeasureFactory(document=document), due_date=DUE + datetime.timedelta(days=i % 5))
        # Assigned to the group and, for some, to the district too: listed and counted once.
        AssignmentFactory(task=task, agency=group, role="lead")
        if i % 3 == 0:
            AssignmentFactory(task=task, agency=district, role="support")
        overdue.append(task)
    soon = TaskFactory(measure=MeasureFactory(document=document), due_date=datetime.date(2026, 4, 20))
    AssignmentFactory(task=soon, agency=district, role="lead")
    Task.objects.filter(pk=overdue[0].pk).update(status=Task.Status.CLOSED)
    digests()
    data = digest_of(user).data
    expected = sorted(overdue[1:], key=lambda t: (t.due_date, t.pk))
    assert data["overdue_count"] == 24
    assert [t["id"] for t in data["overdue"]] == [t.pk for t in expected[:20]]
    assert (data["due_soon_count"], [t["id"] for t in data["due_soon"]]) == (1, [soon.pk])
    assert data["due_soon"][0]["due"] == "2026-04-20" and data["agency"] == "历下区人民政府"
