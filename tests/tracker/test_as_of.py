"""As of a past day: the dashboard and the ledger rebuilt from the tasks' history (the ranking's own
as-of view is in test_ranking_pages)."""

import datetime
import zoneinfo
from io import BytesIO

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from tracker import services
from tracker.models import Task

pytestmark = pytest.mark.django_db
SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def _at(day: str, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(datetime.date.fromisoformat(day), datetime.time(hour), tzinfo=SH)


@pytest.fixture
def closed_on_the_tenth(world):
    """Due on 3 March, closed on the 10th."""
    with time_machine.travel(_at("2026-03-01"), tick=False):
        task = Task.objects.get(pk=world.task.pk)
        services.task_set_due_date(
            task=task, user=world.coordinator, expected_version=None, due_date=datetime.date(2026, 3, 3)
        )
    with time_machine.travel(_at("2026-03-10"), tick=False):
        Task.objects.filter(pk=task.pk).update(status=Task.Status.CLOSURE_REQUESTED)
        task.refresh_from_db()
        services.task_transition(task=task, user=world.coordinator, action="accept_closure", expected_version=None)
    return task


def test_the_dashboard_as_it_stood_on_a_past_day(world, client, closed_on_the_tenth):
    with time_machine.travel(_at("2026-03-20"), tick=False):
        client.force_login(world.coordinator)
        live = client.get(reverse("pages:dashboard")).context["totals"]
        past = client.get(reverse("pages:dashboard"), {"as_of": "2026-03-05"})
    assert live["closed"] == 1
    assert past.context["as_of"] == datetime.date(2026, 3, 5)
    assert past.context["totals"]["closed"] == 0 and past.context["totals"]["overdue"] == 1
    assert past.context["by_agency"] == []


def test_the_ledger_as_it_stood_on_a_past_day(world, client, closed_on_the_tenth):
    def ledger(**params):
        response = client.get(reverse("pages:ledger"), params)
        sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
        return sheet, {row[1].value.split()[0]: [c.value for c in row] for row in sheet.iter_rows(min_row=3)}

    with time_machine.travel(_at("2026-03-20"), tick=False):
        client.force_login(world.coordinator)
        _sheet, live = ledger()
        sheet, past = ledger(as_of="2026-03-05")
    ref = closed_on_the_tenth.measure.ref
    assert live[ref][6] == "已销号" and live[ref][7] is None
    assert past[ref][6] == "未开始" and past[ref][7] == 2  # two days past its due date on the 5th
    assert "2026-03-05" in sheet["A1"].value


def test_the_board_as_it_stood_on_a_past_day(world, client, closed_on_the_tenth):
    with time_machine.travel(_at("2026-03-20"), tick=False):
        client.force_login(world.coordinator)
        live = client.get(reverse("pages:board"))
        past = client.get(reverse("pages:board"), {"as_of": "2026-03-05"})
    ids = lambda response: [r.task.pk for g in response.context["groups"] for r in g.rows]  # noqa: E731
    assert closed_on_the_tenth.pk not in ids(live)
    assert closed_on_the_tenth.pk in ids(past)
    (row,) = [r for g in past.context["groups"] for r in g.rows if r.task.pk == closed_on_the_tenth.pk]
    assert row.days == 2 and "2026-03-05" in past.content.decode()
