"""定期调度 without a hand: a document with a cadence gets one round per period, opened by the sweep
at the period's start, due on its day, closed three days later; missing reports are chased."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse

from measures.parsing import parse_document
from notifications import recording
from notifications.models import Notification
from tests.pages.conftest import client_for  # noqa: F401 - shared fixture
from tracker import recurring, services
from tracker.models import ReportingRound

pytestmark = pytest.mark.django_db
SH = zoneinfo.ZoneInfo("Asia/Shanghai")
D = datetime.date


def _sweep(day: D):
    recording.sweep_run(at=datetime.datetime.combine(day, datetime.time(9), tzinfo=SH))


def _rounds():
    return list(ReportingRound.objects.order_by("period").values_list("period", "due_date", "closed_at"))


def test_periods_and_due_dates():
    assert recurring.period_of(D(2026, 3, 17), "month").key == "2026-03"
    quarter = recurring.period_of(D(2026, 5, 2), "quarter")
    assert (quarter.key, quarter.start, quarter.end) == ("2026-Q2", D(2026, 4, 1), D(2026, 6, 30))
    assert recurring.period_of(D(2026, 9, 1), "half_year").key == "2026-H2"
    assert recurring.due_date(recurring.period_of(D(2026, 2, 3), "month"), 5) == D(2026, 2, 5)
    assert recurring.due_date(recurring.period_of(D(2026, 2, 3), "month"), None) == D(2026, 2, 28)


def test_a_monthly_round_opens_and_closes_itself_over_three_months(world, django_capture_on_commit_callbacks):
    document = world.task.document
    document.round_every, document.round_due_day = "month", 20
    document.save()
    with django_capture_on_commit_callbacks(execute=True):
        _sweep(D(2026, 3, 2))
        _sweep(D(2026, 3, 2))  # again the same day: still one round
    assert [(p, due) for p, due, _c in _rounds()] == [("2026-03", D(2026, 3, 20))]
    assert Notification.objects.filter(kind=Notification.Kind.ROUND_OPENED).exists()  # the agencies are told
    _sweep(D(2026, 3, 22))  # past due: the missing are chased, the round still open for late reports
    assert Notification.objects.filter(kind=Notification.Kind.ROUND_MISSED).exists()
    _sweep(D(2026, 3, 24))  # three days past due: closed
    assert _rounds()[0][2] is not None
    for day in (D(2026, 4, 1), D(2026, 4, 24), D(2026, 5, 1), D(2026, 5, 24)):
        _sweep(day)
    assert [(p, due, closed is not None) for p, due, closed in _rounds()] == [
        ("2026-03", D(2026, 3, 20), True),
        ("2026-04", D(2026, 4, 20), True),
        ("2026-05", D(2026, 5, 20), True),
    ]
    assert ReportingRound.objects.get(period="2026-04").title == "2026年4月调度"


def test_a_period_whose_due_day_has_passed_gets_no_round(world):
    document = world.task.document
    document.round_every, document.round_due_day = "month", 5
    document.save()
    _sweep(D(2026, 3, 10))
    assert not ReportingRound.objects.exists()


def test_the_cadence_is_read_from_the_text_and_editable(world, client_for):  # noqa: F811
    parsed = parse_document(
        "某方案\n一、任务\n(一)建设。(责任单位:市商务局)\n二、保障措施\n建立调度机制,每月10日前报送进展。"
    )
    assert parsed.cadence == {"every": "month", "day": 10}
    url = reverse("pages:document-cadence", args=[world.task.document.pk])
    assert client_for("coordinator").post(url, {"round_every": "quarter", "round_due_day": "15"}).status_code == 303
    world.task.document.refresh_from_db()
    assert (world.task.document.round_every, world.task.document.round_due_day) == ("quarter", 15)
    assert client_for("lead").post(url, {"round_every": "month"}).status_code == 404
    services.document_cadence_set(document=world.task.document, user=world.coordinator, every="", due_day=None)
