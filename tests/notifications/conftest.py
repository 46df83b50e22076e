"""A small world for notification tests: one document coordinated by 市发展改革委, a task led by
市商务局 and supported by 市工业和信息化局 due on a fixed date, and users for every role."""

import datetime
from dataclasses import dataclass

import pytest

from agencies.models import Agency, User
from tests.factories import AgencyFactory, AssignmentFactory, DocumentFactory, MeasureFactory, TaskFactory, UserFactory
from tracker.models import DocumentAccess, Task

# A Monday. Reminders for DUE fall on 2026-03-17 (14 days), 03-24 (7) and 03-30 (1).
DUE = datetime.date(2026, 3, 31)


@dataclass
class World:
    task: Task
    other_task: Task
    lead: User
    lead2: User
    support: User
    coordinator: User
    granted: User
    outsider: User
    lead_agency: Agency
    support_agency: Agency
    other_agency: Agency
    coordinating: Agency


@pytest.fixture
def world(db) -> World:
    coordinating = AgencyFactory(name="市发展改革委")
    document = DocumentFactory(coordinator=coordinating, horizon=2027, title="关于加快建设的实施意见")
    lead_agency = AgencyFactory(name="市商务局")
    support_agency = AgencyFactory(name="市工业和信息化局")
    other_agency = AgencyFactory(name="市教育局")
    task = TaskFactory(measure=MeasureFactory(document=document, ref="一、1", title="建设跨境电商平台"), due_date=DUE)
    AssignmentFactory(task=task, agency=lead_agency, role="lead")
    AssignmentFactory(task=task, agency=support_agency, role="support")
    other_task = TaskFactory(
        measure=MeasureFactory(document=document, ref="一、2", title="推进课后服务"),
        due_date=DUE + datetime.timedelta(days=60),
    )
    AssignmentFactory(task=other_task, agency=other_agency, role="lead")
    granted = UserFactory(username="granted", agency=None, role=User.Role.COORDINATOR)
    DocumentAccess.objects.create(user=granted, document=document, role=DocumentAccess.Role.COORDINATOR)
    return World(
        task=task,
        other_task=other_task,
        lead=UserFactory(username="lead", agency=lead_agency),
        lead2=UserFactory(username="lead2", agency=lead_agency),
        support=UserFactory(username="support", agency=support_agency),
        coordinator=UserFactory(username="coord", agency=coordinating, role=User.Role.COORDINATOR),
        granted=granted,
        outsider=UserFactory(username="outsider", agency=other_agency),
        lead_agency=lead_agency,
        support_agency=support_agency,
        other_agency=other_agency,
        coordinating=coordinating,
    )
