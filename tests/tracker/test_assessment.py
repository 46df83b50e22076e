"""考核 and 红黑榜: on time against the original due date (an extension counted, not hidden), overdue
count and days, round punctuality, returned reports, receipt delays; a weighted score, ranks, lists,
stored snapshots and each agency's history."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
import time_machine

from tests.factories import AgencyFactory, AssignmentFactory, DocumentFactory, MeasureFactory, TaskFactory
from tracker import assessment, recurring
from tracker.models import AssessmentSnapshot, ProgressReport, ReportingRound, RoundEntry, Task

pytestmark = pytest.mark.django_db
SH = zoneinfo.ZoneInfo("Asia/Shanghai")
MARCH = recurring.period_from_key("2026-03")


def _at(day: str, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(datetime.date.fromisoformat(day), datetime.time(hour), tzinfo=SH)


def _task(document, agency, *, due: str, role="lead", assigned="2026-03-02", received=None, **fields):
    task = TaskFactory(measure=MeasureFactory(document=document), due_date=datetime.date.fromisoformat(due), **fields)
    AssignmentFactory(
        task=task, agency=agency, role=role, assigned_at=_at(assigned), received_at=received and _at(received)
    )
    return task


@pytest.fixture
def march():
    with time_machine.travel(_at("2026-03-01"), tick=False):
        return _march()


def _march():
    document = DocumentFactory(assessed=True)
    commerce = AgencyFactory(name="市商务局", jurisdiction=document.jurisdiction)
    education = AgencyFactory(name="市教育局", jurisdiction=document.jurisdiction)
    closed = {"status": Task.Status.CLOSED, "closed_at": _at("2026-03-08")}
    on_time = _task(document, commerce, due="2026-03-10", received="2026-03-03", **closed)
    extended = _task(document, commerce, due="2026-04-30", received="2026-03-03", status=Task.Status.IN_PROGRESS)
    Task.objects.filter(pk=extended.pk).update(original_due_date=datetime.date(2026, 3, 10))
    late = _task(document, education, due="2026-03-05", status=Task.Status.IN_PROGRESS)
    round_ = ReportingRound.objects.create(document=document, title="3月调度", due_date=datetime.date(2026, 3, 15))
    filed = ProgressReport.objects.create(task=on_time, agency=commerce, kind="report", text="已完成")
    ProgressReport.objects.filter(pk=filed.pk).update(created_at=_at("2026-03-14"))
    RoundEntry.objects.create(round=round_, task=on_time, agency=commerce, role="lead", report=filed)
    RoundEntry.objects.create(round=round_, task=late, agency=education, role="lead")
    returned = ProgressReport.objects.create(task=late, agency=education, kind="report", text="推进中")
    ProgressReport.objects.filter(pk=returned.pk).update(returned_at=_at("2026-03-20"))
    return document, commerce, education


def _by_name(rows):
    return {r.agency: r for r in rows}


def test_the_figures_of_a_month(march):
    document, *_ = march
    rows = _by_name(assessment.assessment_rows(jurisdiction=document.jurisdiction, period=MARCH, cutoff=MARCH.end))
    c, e = rows["市商务局"].figures, rows["市教育局"].figures
    assert (c.due, c.on_time, c.extended, c.overdue) == (2, 1, 1, 0)
    assert (c.rounds_expected, c.rounds_on_time, c.received, c.receipt_late, c.returned) == (1, 1, 2, 0, 0)
    assert (e.due, e.on_time, e.overdue, e.overdue_days) == (1, 0, 1, 26)
    assert (e.rounds_expected, e.rounds_on_time, e.received, e.receipt_late, e.returned) == (1, 0, 1, 1, 1)
    # 50 % on time, every round filed, every receipt in time: (50×50 + 30×100 + 20×100) / 100.
    assert rows["市商务局"].score == Decimal("75.0")
    assert rows["市教育局"].score == Decimal("0.0")
    assert (rows["市商务局"].rank, rows["市教育局"].rank) == (1, 2)
    assert (rows["市商务局"].listed, rows["市教育局"].listed) == ("", "black")


def test_an_extension_does_not_make_a_late_task_on_time(march):
    document, *_ = march
    extended = Task.objects.get(due_date=datetime.date(2026, 4, 30))
    Task.objects.filter(pk=extended.pk).update(status=Task.Status.CLOSED, closed_at=_at("2026-03-25"))
    rows = _by_name(assessment.assessment_rows(jurisdiction=document.jurisdiction, period=MARCH, cutoff=MARCH.end))
    assert (rows["市商务局"].figures.on_time, rows["市商务局"].figures.extended) == (1, 1)


def test_as_it_stood_on_a_past_day(march):
    document, *_ = march
    rows = _by_name(
        assessment.assessment_rows(jurisdiction=document.jurisdiction, period=MARCH, cutoff=datetime.date(2026, 3, 9))
    )
    # On the 9th nothing of 商务局 was due yet, the round was not due, the returned report not returned.
    assert rows["市商务局"].figures.due == 0 and rows["市商务局"].figures.rounds_expected == 0
    e = rows["市教育局"].figures
    assert (e.due, e.overdue, e.overdue_days, e.returned, e.rounds_expected) == (1, 1, 4, 0, 0)


def test_documents_not_assessed_count_nowhere(march):
    document, commerce, _ = march
    other = DocumentFactory(jurisdiction=document.jurisdiction, assessed=False)
    _task(other, commerce, due="2026-03-03", status=Task.Status.IN_PROGRESS)
    rows = _by_name(assessment.assessment_rows(jurisdiction=document.jurisdiction, period=MARCH, cutoff=MARCH.end))
    assert rows["市商务局"].figures.overdue == 0


def test_red_list_ties_and_weights(march, settings):
    document, *_ = march
    settings.ASSESSMENT_RED_MIN = 70
    settings.ASSESSMENT_WEIGHTS = {"on_time": 0, "rounds": 1, "receipt": 0}
    rows = _by_name(assessment.assessment_rows(jurisdiction=document.jurisdiction, period=MARCH, cutoff=MARCH.end))
    assert rows["市商务局"].score == Decimal("100.0") and rows["市商务局"].listed == "red"


def test_the_figures_take_a_fixed_number_of_queries(march, django_assert_max_num_queries):
    document, *_ = march
    with django_assert_max_num_queries(6):
        assessment.assessment_rows(jurisdiction=document.jurisdiction, period=MARCH, cutoff=MARCH.end)


def test_snapshots_are_stored_refreshed_daily_and_final_after_the_period(march):
    document, commerce, _ = march
    place = document.jurisdiction
    with time_machine.travel(_at("2026-03-20"), tick=False):
        first = assessment.assessment_snapshot(jurisdiction=place, period=MARCH, today=datetime.date(2026, 3, 20))
        assert first.cutoff == datetime.date(2026, 3, 19) and not first.final
        again = assessment.assessment_snapshot(jurisdiction=place, period=MARCH, today=datetime.date(2026, 3, 20))
        assert again.computed_at == first.computed_at
    with time_machine.travel(_at("2026-04-01"), tick=False):
        assert assessment.snapshots_refresh(today=datetime.date(2026, 4, 1)) >= 1
    march_snapshot = AssessmentSnapshot.objects.get(jurisdiction=place, period="2026-03")
    assert march_snapshot.final and march_snapshot.cutoff == MARCH.end
    assert [r.agency for r in assessment.snapshot_rows(march_snapshot)] == ["市商务局", "市教育局"]
    history = assessment.agency_history(commerce)
    assert [s.snapshot.period for s in history] == ["2026-03"]  # April has nothing to count yet
    assert AssessmentSnapshot.objects.filter(jurisdiction=place, period="2026-Q1", final=True).exists()


def test_closing_a_task_records_when(world):
    from tracker import services

    task = world.task
    Task.objects.filter(pk=task.pk).update(status=Task.Status.CLOSURE_REQUESTED)
    task.refresh_from_db()
    closed = services.task_transition(task=task, user=world.coordinator, action="accept_closure", expected_version=None)
    assert closed.closed_at is not None


def test_period_keys():
    assert recurring.period_from_key("2026-Q2").start == datetime.date(2026, 4, 1)
    assert recurring.period_from_key("2026-H2").end == datetime.date(2026, 12, 31)
    assert recurring.period_from_key("2026").end == datetime.date(2026, 12, 31)
    with pytest.raises(ValueError):
        recurring.period_from_key("2026-13")


def test_work_overdue_from_an_earlier_period_stays_a_miss(march):
    document, *_ = march
    april = recurring.period_from_key("2026-04")
    rows = _by_name(assessment.assessment_rows(jurisdiction=document.jurisdiction, period=april, cutoff=april.end))
    e = rows["市教育局"].figures
    assert (e.due, e.carried, e.overdue, e.on_time_rate) == (0, 1, 1, 0.0)
    assert rows["市教育局"].listed != "red"
