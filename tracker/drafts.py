"""A draft (征求意见稿, 送审稿) replaced by its final text. The final is imported as a document of its
own; each of its measures that matches a draft measure takes over that measure's task — the same row,
so its reports, events, notices and history carry over — with its agencies and due date brought in
line with the final text (each change on the timeline). Draft tasks the final dropped are cancelled;
final measures the draft lacked get new tasks. All in one transaction."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rapidfuzz import fuzz

from measures.models import Measure, MeasureAgency, PolicyDocument
from measures.services import ImportPreview, document_create

from .events import event_record
from .models import Assignment, DocumentAccess, ReportingRound, Task, TaskEvent
from .services import due_date_for, tasks_create_for_document
from .workflow import FINISHED

# Below this similarity (0–100, on the measure's text) a final measure is new, not a revised one.
MATCH_MIN = 60


@dataclass
class Replacement:
    document: PolicyDocument
    carried: list[tuple[Measure, Task]] = field(default_factory=list)
    added: list[Measure] = field(default_factory=list)
    dropped: list[Task] = field(default_factory=list)


def measures_match(old: Sequence[Measure], new: Sequence[Measure]) -> list[tuple[Measure, Measure]]:
    """(draft measure, final measure) pairs, most similar first, each measure in one pair at most.
    Similarity is on the text; the same number (ref) breaks ties, since drafts get renumbered."""
    scored = []
    for o in old:
        for n in new:
            score = fuzz.ratio(o.text, n.text)
            if score >= MATCH_MIN:
                scored.append((score, o.ref == n.ref, o, n))
    scored.sort(key=lambda item: (-item[0], not item[1], item[2].order, item[3].order))
    used_old, used_new, pairs = set(), set(), []
    for _score, _same_ref, o, n in scored:
        if o.pk not in used_old and n.pk not in used_new:
            used_old.add(o.pk)
            used_new.add(n.pk)
            pairs.append((o, n))
    return pairs


def _carry(task: Task, measure: Measure, document: PolicyDocument, user) -> None:
    """Move the task to the final measure and bring its agencies and due date in line with it."""
    before = {a.agency_id: a.role for a in task.assignments.all()}
    wanted: dict[int, tuple[str, int]] = {}
    for mention in MeasureAgency.objects.filter(measure=measure, agency__isnull=False).order_by("role", "position"):
        wanted.setdefault(mention.agency_id, (mention.role, mention.position))
    draft_id = task.document_id
    task.measure, task.document = measure, document
    fields = ["measure", "document"]
    due = due_date_for(measure=measure, horizon=document.horizon)
    old_due = task.due_date
    if due != old_due and task.status not in FINISHED:
        task.due_date = due
        fields.append("due_date")
    task.version += 1
    task.save(update_fields=[*fields, "version", "updated_at"])
    event_record(task=task, kind=TaskEvent.Kind.COMMENT, actor=user, comment=_("草案已由终稿替换"), draft=draft_id)
    if "due_date" in fields:
        event_record(
            task=task,
            kind=TaskEvent.Kind.DUE_DATE,
            actor=user,
            comment=_("按终稿调整"),
            old_due_date=old_due and old_due.isoformat(),
            new_due_date=due and due.isoformat(),
        )
    if wanted and {k: v[0] for k, v in wanted.items()} != before:
        for assignment in task.assignments.all():
            if assignment.agency_id not in wanted:
                assignment.delete()
        for agency_id, (role, position) in wanted.items():
            Assignment.objects.update_or_create(
                task=task, agency_id=agency_id, defaults={"role": role, "position": position}
            )
        event_record(
            task=task,
            kind=TaskEvent.Kind.ASSIGNMENT,
            actor=user,
            comment=_("按终稿调整"),
            before={str(k): v for k, v in before.items()},
            after={str(k): v[0] for k, v in wanted.items()},
        )


@transaction.atomic
def document_replace(*, draft: PolicyDocument, preview: ImportPreview, user) -> Replacement:
    """Import `preview` as the final text of `draft` (see the module's docstring)."""
    locked = PolicyDocument.objects.select_for_update().get(pk=draft.pk)
    if not user.has_perm("tracker.manage_rounds", locked):
        raise PermissionDenied(_("您无权执行此操作"))
    if not locked.is_draft or locked.replaced_by_id:
        raise ValidationError(_("只能替换尚未被替换的草案"))
    if preview.parsed.draft:
        raise ValidationError(_("用于替换的文件仍是草案,请导入终稿"))
    if preview.jurisdiction.pk != locked.jurisdiction_id:
        raise ValidationError(_("终稿与草案不属于同一行政区"))
    if PolicyDocument.objects.filter(source_hash=preview.source_hash).exists():
        raise ValidationError(_("该文件已导入"))
    preview.coordinator = preview.coordinator or locked.coordinator
    document = document_create(preview=preview, imported_by=user)
    result = Replacement(document)
    old_tasks = {t.measure_id: t for t in Task.objects.filter(document=locked).select_related("measure")}
    new_measures = list(document.measures.all())
    pairs = measures_match([t.measure for t in old_tasks.values()], new_measures)
    for old_measure, new_measure in pairs:
        task = old_tasks.pop(old_measure.pk)
        _carry(task, new_measure, document, user)
        result.carried.append((new_measure, task))
    matched = {n.pk for _o, n in pairs}
    result.added = [m for m in new_measures if m.pk not in matched]
    tasks_create_for_document(document=document, measures=result.added)
    for task in old_tasks.values():
        if task.status not in FINISHED:
            previous, task.status = task.status, Task.Status.CANCELLED
            task.version += 1
            task.save(update_fields=["status", "version", "updated_at"])
            event_record(
                task=task,
                kind=TaskEvent.Kind.STATUS,
                actor=user,
                from_status=previous,
                to_status=task.status,
                comment=_("终稿已删除该措施"),
            )
        result.dropped.append(task)
    # Who was given the draft is given the final; the draft's open rounds end with it.
    DocumentAccess.objects.bulk_create(
        [DocumentAccess(user_id=a.user_id, document=document, role=a.role) for a in locked.access.all()],
        ignore_conflicts=True,
    )
    ReportingRound.objects.filter(document=locked, closed_at__isnull=True).update(closed_at=timezone.now())
    locked.replaced_by = document
    locked.save(update_fields=["replaced_by"])
    return result
