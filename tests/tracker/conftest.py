from dataclasses import dataclass

import pytest

from agencies.models import Agency, User
from tests.factories import AgencyFactory, AssignmentFactory, DocumentFactory, MeasureFactory, TaskFactory, UserFactory
from tracker.models import DocumentAccess, Task


@dataclass
class World:
    """One document coordinated by 市发展改革委; a task led by 市商务局 and supported by 市工信局;
    another task of another agency; a user for every role."""

    task: Task
    other_task: Task
    lead: User
    support: User
    coordinator: User
    leader: User
    outsider: User
    lead_agency: Agency
    support_agency: Agency


@pytest.fixture
def world(db) -> World:
    coordinating = AgencyFactory(name="市发展改革委")
    document = DocumentFactory(coordinator=coordinating, horizon=2027)
    lead_agency = AgencyFactory(name="市商务局")
    support_agency = AgencyFactory(name="市工业和信息化局")
    other_agency = AgencyFactory(name="市教育局")
    task = TaskFactory(measure=MeasureFactory(document=document))
    AssignmentFactory(task=task, agency=lead_agency, role="lead")
    AssignmentFactory(task=task, agency=support_agency, role="support")
    other_task = TaskFactory(measure=MeasureFactory(document=document))
    AssignmentFactory(task=other_task, agency=other_agency, role="lead")
    leader = UserFactory(username="leader", agency=None, role=User.Role.LEADER)
    DocumentAccess.objects.create(user=leader, document=document, role=DocumentAccess.Role.LEADER)
    return World(
        task=task,
        other_task=other_task,
        lead=UserFactory(username="lead", agency=lead_agency),
        support=UserFactory(username="support", agency=support_agency),
        coordinator=UserFactory(username="coord", agency=coordinating, role=User.Role.COORDINATOR),
        leader=leader,
        outsider=UserFactory(username="outsider", agency=other_agency),
        lead_agency=lead_agency,
        support_agency=support_agency,
    )
