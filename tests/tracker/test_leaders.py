"""Leaders see every document of their jurisdiction by default, with nothing to grant."""

import pytest
from django.urls import reverse

from agencies.models import User
from tests.factories import (
    AgencyFactory,
    AssignmentFactory,
    DocumentFactory,
    JurisdictionFactory,
    MeasureFactory,
    TaskFactory,
    UserFactory,
)
from tracker.models import Task
from tracker.selectors import overseen_documents, visible_documents

pytestmark = pytest.mark.django_db


@pytest.fixture
def leaders(world):
    office = AgencyFactory(name="市政府办公厅")  # the world's city
    elsewhere = JurisdictionFactory(name="绍兴市")
    other_doc = DocumentFactory(
        jurisdiction=elsewhere, coordinator=AgencyFactory(jurisdiction=elsewhere, name="市发改委")
    )
    other_task = TaskFactory(measure=MeasureFactory(document=other_doc))
    AssignmentFactory(task=other_task, agency=AgencyFactory(jurisdiction=elsewhere, name="市商务局"), role="lead")
    return (
        UserFactory(username="mayor", agency=office, role=User.Role.LEADER),
        UserFactory(
            username="sx-mayor",
            agency=AgencyFactory(jurisdiction=elsewhere, name="市政府办公室"),
            role=User.Role.LEADER,
        ),
        other_doc,
    )


def test_a_leader_sees_every_document_and_task_of_their_jurisdiction_without_a_grant(world, leaders, client):
    mayor, sx_mayor, other_doc = leaders
    document = world.task.document
    assert set(visible_documents(mayor)) == {document}
    assert set(Task.objects.visible_to(mayor)) == {world.task, world.other_task}
    assert set(overseen_documents(sx_mayor)) == {other_doc}
    client.force_login(mayor)
    assert client.get(reverse("pages:document", args=[document.pk])).status_code == 200
    assert client.get(reverse("pages:document", args=[other_doc.pk])).status_code == 404
    assert client.get(reverse("pages:task", args=[world.task.pk])).status_code == 200
    dashboard = client.get(reverse("pages:dashboard"))
    assert dashboard.status_code == 200 and dashboard.context["totals"]["total"] == 2


def test_a_leader_may_only_read(world, leaders):
    from tracker.roles import task_roles

    mayor, _sx, _doc = leaders
    task = Task.objects.select_related("document").get(pk=world.task.pk)
    assert not (task_roles(mayor, task) - {"leader"})
