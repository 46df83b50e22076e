import datetime

from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery


def assigned_to(agency_id: int):
    """Assignments of an agency, directly or through a group it belongs to (staff of 历下区 see what
    各区县人民政府 must do)."""
    return Q(agency_id=agency_id) | Q(agency__members=agency_id)


def leader_jurisdiction(user):
    """A leader oversees every document of their agency's jurisdiction: the id, as a subquery."""
    from agencies.models import Agency

    return Subquery(Agency.objects.filter(pk=user.agency_id).values("jurisdiction_id")[:1])


class TaskQuerySet(models.QuerySet):
    def open(self):
        from .workflow import OPEN

        return self.filter(status__in=OPEN)

    def overdue(self, *, on: datetime.date):
        """Derived, never stored: open work past its due date. Tasks without a due date never are."""
        return self.open().filter(due_date__lt=on)

    def for_agencies(self, agency_ids: list[int], role: str | None = None):
        from .models import Assignment

        assignments = Assignment.objects.filter(task=OuterRef("pk"), agency_id__in=agency_ids)
        if role:
            assignments = assignments.filter(role=role)
        return self.filter(Exists(assignments))

    def visible_to(self, user):
        """Every read of tasks starts here: a user sees the tasks their agency (or a group it belongs
        to) is assigned, the tasks of documents they coordinate, and those of documents they are given."""
        from .models import Assignment, DocumentAccess

        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        condition = Q(Exists(DocumentAccess.objects.filter(user=user, document=OuterRef("document_id"))))
        if user.agency_id:
            condition |= Q(Exists(Assignment.objects.filter(assigned_to(user.agency_id), task=OuterRef("pk"))))
            if user.role == user.Role.COORDINATOR:
                condition |= Q(document__coordinator_id=user.agency_id)
            if user.role == user.Role.LEADER:
                condition |= Q(document__jurisdiction_id=leader_jurisdiction(user))
        return self.filter(condition)
