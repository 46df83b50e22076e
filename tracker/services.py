"""Writes and rules for tasks. Every caller (commands, API, pages, admin, Celery) goes through here."""

import datetime

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from measures.models import Measure, MeasureAgency, PolicyDocument
from measures.services import DocumentImportError, ImportPreview, document_create

from .models import Assignment, Task

# Words that mark a measure as ongoing work: it reports every round but has no deadline.
ONGOING_MARKERS = ("持续推进", "长期坚持", "常态化推进", "持续开展", "长期推进")


def due_date_for(*, measure: Measure, horizon: int | None) -> datetime.date | None:
    """The measure's own latest deadline; else none for ongoing work; else the document's horizon."""
    if measure.deadlines:
        latest = max(measure.deadlines)
        if len(latest) == 4:
            return datetime.date(int(latest), 12, 31)
        return datetime.date.fromisoformat(latest)
    if any(marker in measure.text for marker in ONGOING_MARKERS):
        return None
    return datetime.date(horizon, 12, 31) if horizon else None


@transaction.atomic
def tasks_create_for_document(*, document: PolicyDocument) -> list[Task]:
    measures = list(document.measures.all())
    tasks = bulk_create_with_history(
        [
            Task(measure=m, document=document, due_date=due_date_for(measure=m, horizon=document.horizon))
            for m in measures
        ],
        Task,
    )
    # bulk_create_with_history may not return primary keys on every backend: read them back.
    task_by_measure = dict(Task.objects.filter(document=document).values_list("measure_id", "id"))
    assignments: dict[tuple[int, int], Assignment] = {}
    mentions = MeasureAgency.objects.filter(measure__document=document, agency__isnull=False).order_by(
        "measure_id", "role", "position"
    )
    for mention in mentions:
        # A lead named again among the supporters stays the lead: "lead" sorts before "support".
        key = (task_by_measure[mention.measure_id], mention.agency_id)
        assignments.setdefault(
            key,
            Assignment(task_id=key[0], agency_id=key[1], role=mention.role, position=mention.position),
        )
    bulk_create_with_history(list(assignments.values()), Assignment)
    return tasks


@transaction.atomic
def document_import(*, preview: ImportPreview, imported_by=None) -> tuple[PolicyDocument, bool]:
    """Import a previewed document with its tasks in one transaction. Returns (document, created);
    the same content imported again returns the existing document and creates nothing."""
    existing = PolicyDocument.objects.filter(source_hash=preview.source_hash).first()
    if existing is not None:
        return existing, False
    if not preview.parsed.measures:
        raise DocumentImportError(f"{preview.source_name}: 未找到任何措施")
    document = document_create(preview=preview, imported_by=imported_by)
    tasks_create_for_document(document=document)
    return document, True
