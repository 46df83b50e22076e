"""A task outside any imported document: a coordinator hands it over from the board; it lives in
the register (交办事项) of the coordinator's agency and runs the same workflow."""

import pytest
from django.urls import reverse

from tests.pages.conftest import client_for  # noqa: F401 - shared fixture
from tracker import services
from tracker.models import Task

pytestmark = pytest.mark.django_db


def test_a_coordinator_hands_over_a_task_outside_documents(world, client_for):  # noqa: F811
    coordinator = client_for("coordinator")
    form = coordinator.get(reverse("pages:task-new"))
    assert form.status_code == 200
    created = coordinator.post(
        reverse("pages:task-new"),
        {
            "hand-title": "落实市长办公会议定事项",
            "hand-lead": [world.lead_agency.pk],
            "hand-support": [world.support_agency.pk],
            "hand-source": "市长办公会议",
        },
    )
    task = Task.objects.get(measure__title="落实市长办公会议定事项")
    assert created.status_code == 303 and created["Location"] == reverse("pages:task", args=[task.pk])
    register = task.document
    assert register.coordinator == world.coordinator.agency and register.title.endswith("交办事项")
    assert task.measure.ref == "交办-1"
    assert dict(task.assignments.values_list("agency__name", "role")) == {
        "市商务局": "lead",
        "市工业和信息化局": "support",
    }
    # The same register holds the next one; the lead's staff see and work it like any task.
    again = services.task_create_outside(user=world.coordinator, title="第二件", lead=[world.lead_agency])
    assert again.document == register and again.measure.ref == "交办-2"
    assert client_for("lead").get(reverse("pages:task", args=[task.pk])).status_code == 200
    report = services.report_submit(task=task, user=world.lead, text="已落实")
    assert report.task == task


def test_staff_cannot_hand_over_tasks(world, client_for):  # noqa: F811
    assert client_for("lead").get(reverse("pages:task-new")).status_code == 403
    with pytest.raises(Exception, match="无权"):
        services.task_create_outside(user=world.lead, title="x", lead=[world.lead_agency])
