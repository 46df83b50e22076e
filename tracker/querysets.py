"""Reusable reads of tasks. The tracker's own models are reached through the task's relations
(`_related`), never imported: tracker.models imports this module, so imports run one way."""

import datetime

from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery

from agencies.models import Agency
from measures.models import PolicyDocument


def _related(model, name: str):
    """The model at the other end of a relation of `model` (Task.assignments → Assignment)."""
    return model._meta.get_field(name).related_model


def groups_of(agency_id: int):
    """The groups an agency belongs to (staff of 历下区 see what 各区县人民政府 must do), as a subquery."""
    return Agency.members.through.objects.filter(to_agency_id=agency_id).values("from_agency_id")


def leader_jurisdiction(user):
    """A leader oversees every document of their agency's jurisdiction: the id, as a subquery."""
    return Subquery(Agency.objects.filter(pk=user.agency_id).values("jurisdiction_id")[:1])


class TaskQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=self.model.OPEN)

    def overdue(self, *, on: datetime.date):
        """Derived, never stored: open work past its due date. Tasks without a due date never are."""
        return self.open().filter(due_date__lt=on)

    def for_agencies(self, agency_ids: list[int], role: str | None = None):
        assignments = _related(self.model, "assignments").objects.filter(task=OuterRef("pk"), agency_id__in=agency_ids)
        if role:
            assignments = assignments.filter(role=role)
        return self.filter(Exists(assignments))

    def narrow_ids(self, user):
        """The ids of the tasks a user sees one by one: those of documents they were given, and
        those their agency or one of its groups is assigned (a union of index reads)."""
        Assignment, DocumentAccess = _related(self.model, "assignments"), _related(PolicyDocument, "access")
        tasks = self.model.objects.order_by().values("pk")
        ids = tasks.filter(document_id__in=DocumentAccess.objects.filter(user=user).values("document_id"))
        if not user.agency_id:
            return ids
        assignments = Assignment.objects.order_by().values("task_id")
        return ids.union(
            assignments.filter(agency_id=user.agency_id),
            assignments.filter(agency_id__in=groups_of(user.agency_id)),
        )

    def visible_to(self, user, *, whole: bool = False):
        """Every read of tasks starts here: a user sees the tasks their agency (or a group it belongs
        to) is assigned, the tasks of documents they coordinate, and those of documents they are given.

        One `id IN (… UNION …)` rather than an OR of EXISTS: each branch is read through its own
        index (assignments by agency, tasks by document) and the union is a few hundred ids for
        staff, where the OR made PostgreSQL scan the whole task table (docs/benchmarks.md).
        `whole=True` is for reading all of them (aggregates) rather than a page."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        tasks = self.model.objects.order_by().values("pk")
        ids = self.narrow_ids(user)
        if not user.agency_id:
            return self.filter(pk__in=ids)
        documents = PolicyDocument.objects.order_by().values("pk")
        if user.role == user.Role.COORDINATOR:
            documents = documents.filter(coordinator_id=user.agency_id)
        elif user.role == user.Role.LEADER:
            documents = documents.filter(jurisdiction_id=leader_jurisdiction(user))
        else:
            return self.filter(pk__in=ids)
        if whole:
            # Aggregates read every visible task: gathered per branch through the document index.
            return self.filter(pk__in=ids.union(tasks.filter(document_id__in=documents)))
        # A page of a list: whole documents are thousands of tasks, too many to gather first; as a
        # condition on the task itself PostgreSQL walks the list's order (an index) and stops at the
        # page's end.
        return self.filter(Q(document_id__in=documents) | Q(pk__in=ids))
