"""Writes and rules for tasks. Every caller (commands, API, pages, admin, Celery) goes through here."""

import datetime
import re
from collections.abc import Sequence
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from agencies.models import Agency, AgencyAlias, Jurisdiction, User
from agencies.normalize import normalize_name
from agencies.selectors import group_members
from agencies.services import DirectoryError, agency_create, alias_add
from measures.models import Measure, MeasureAgency, PolicyDocument
from measures.services import DocumentImportError, ImportPreview, document_create

from . import bulletin_template, recurring, supervision
from .events import event_record
from .models import (
    Assignment,
    BulletinTemplate,
    DocumentInstruction,
    ProgressReport,
    ReportAttachment,
    ReportedValue,
    ReportingRound,
    RoundEntry,
    SavedFilter,
    SupervisionLevel,
    Task,
    TaskEvent,
)
from .progress import schedule
from .roles import acting_agency, task_roles, user_agency_ids
from .selectors import can_instruct_document, coordinated_documents, directory_jurisdictions
from .signals import document_instructed, round_chased
from .workflow import OPEN, TRANSITIONS, Actor


class WorkflowError(Exception):
    """A change the rules do not allow in the task's current state (HTTP 409)."""


class StaleVersion(Exception):
    """The task changed since the caller read it (HTTP 412 / 409): nothing was written."""

    def __init__(self, current: int) -> None:
        super().__init__(_("任务已被他人修改(当前版本 %(v)d),请刷新后重试") % {"v": current})
        self.current = current


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
def tasks_create_for_document(*, document: PolicyDocument, measures: Sequence[Measure] | None = None) -> list[Task]:
    """Tasks for the document's measures (or for the given ones of them), with their assignments."""
    # The whole document by its id (10,000 measures would overflow a list of ids), a subset by ids.
    scope = Q(measure__document=document) if measures is None else Q(measure__in=[m.pk for m in measures])
    measures = list(document.measures.all()) if measures is None else list(measures)
    tasks = bulk_create_with_history(
        [
            Task(measure=m, document=document, due_date=due, original_due_date=due)
            for m in measures
            for due in [due_date_for(measure=m, horizon=document.horizon)]
        ],
        Task,
    )
    # bulk_create_with_history may not return primary keys on every backend: read them back.
    task_by_measure = dict(Task.objects.filter(scope).values_list("measure_id", "id"))
    assignments: dict[tuple[int, int], Assignment] = {}
    mentions = MeasureAgency.objects.filter(scope, agency__isnull=False).order_by("measure_id", "role", "position")
    for mention in mentions:
        # A lead named again among the supporters stays the lead: "lead" sorts before "support".
        key = (task_by_measure[mention.measure_id], mention.agency_id)
        assignments.setdefault(
            key,
            Assignment(task_id=key[0], agency_id=key[1], role=mention.role, position=mention.position),
        )
    bulk_create_with_history(list(assignments.values()), Assignment)
    TaskEvent.objects.bulk_create(
        TaskEvent(
            task_id=task_id,
            kind=TaskEvent.Kind.CREATED,
            to_status=Task.Status.NOT_STARTED,
            data={"document": document.pk},
        )
        for task_id in task_by_measure.values()
    )
    return tasks


@transaction.atomic
def document_import(
    *, preview: ImportPreview, imported_by=None, draft_confirmed: bool = False
) -> tuple[PolicyDocument, bool]:
    """Import a previewed document with its tasks in one transaction. Returns (document, created);
    the same content imported again returns the existing document and creates nothing. A draft
    (征求意见稿, 送审稿) imports only when the caller confirms it."""
    existing = PolicyDocument.objects.filter(source_hash=preview.source_hash).first()
    if existing is not None:
        return existing, False
    if not preview.parsed.measures:
        reason = _("未找到任何措施")
        raise DocumentImportError(f"{preview.source_name}: {reason}")
    if preview.parsed.draft and not draft_confirmed:
        reason = _("这是征求意见稿、送审稿等草案,须确认按草案导入")
        raise DocumentImportError(f"{preview.source_name}: {reason}")
    try:
        with transaction.atomic():
            document = document_create(preview=preview, imported_by=imported_by)
    except IntegrityError:
        # Another import of the same content committed first.
        return PolicyDocument.objects.get(source_hash=preview.source_hash), False
    tasks_create_for_document(document=document)
    return document, True


def _locked(task: Task, expected_version: int | None) -> Task:
    """Re-read the task under a row lock and check the caller saw its current version."""
    locked = Task.objects.select_for_update().select_related("document").get(pk=task.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(locked.version)
    return locked


def _save(task: Task, *fields: str) -> None:
    task.version += 1
    task.save(update_fields=[*fields, "version", "updated_at"])


def _require(user, perm: str, obj) -> None:
    if not user.has_perm(perm, obj):
        raise PermissionDenied(_("您无权执行此操作"))


@transaction.atomic
def task_transition(
    *,
    task: Task,
    user,
    action: str,
    expected_version: int | None,
    comment: str = "",
    due_date: datetime.date | None = None,
) -> Task:
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise ValidationError(_("未知操作:%(a)s") % {"a": action})
    locked = _locked(task, expected_version)
    if transition.actor not in task_roles(user, locked):
        raise PermissionDenied(_("您无权执行此操作"))
    if locked.status not in transition.sources:
        raise WorkflowError(
            _("任务当前状态为“%(s)s”,不能%(a)s") % {"s": locked.get_status_display(), "a": transition.label}
        )
    comment = comment.strip()
    if transition.needs_comment and not comment:
        raise ValidationError(_("请填写理由"))
    if transition.needs_due_date and due_date is None:
        raise ValidationError(_("请填写新的完成时限"))
    if due_date is not None and due_date < timezone.localdate():
        raise ValidationError(_("新的完成时限不能早于今天"))
    data = {}
    previous, locked.status = locked.status, transition.target
    fields = ["status"]
    if action == "request_extension":
        data["requested_due_date"] = due_date.isoformat()
    if action == "approve_extension":
        data.update(old_due_date=locked.due_date and locked.due_date.isoformat(), new_due_date=due_date.isoformat())
        locked.due_date = due_date
        fields.append("due_date")
    if Task.Status.CLOSED in (previous, locked.status):
        locked.closed_at = timezone.now() if locked.status == Task.Status.CLOSED else None
        fields.append("closed_at")
    _save(locked, *fields)
    event_record(
        task=locked,
        kind=TaskEvent.Kind.STATUS,
        actor=user,
        from_status=previous,
        to_status=locked.status,
        comment=comment,
        action=action,
        **data,
    )
    return locked


@transaction.atomic
def report_submit(
    *,
    task: Task,
    user,
    text: str,
    percent: int | None = None,
    values: dict[int, Decimal] | None = None,
    attachments: Sequence[UploadedFile] = (),
    round: ReportingRound | None = None,
) -> ProgressReport:
    """A lead's progress report or a supporter's contribution; counts for the round if one is given
    or the document has exactly one open round."""
    locked = _locked(task, None)
    _require(user, "tracker.report_task", locked)
    if locked.status not in OPEN:
        raise WorkflowError(_("任务当前状态为“%(s)s”,不能报送进展") % {"s": locked.get_status_display()})
    roles = task_roles(user, locked)
    role = Actor.LEAD if Actor.LEAD in roles else Actor.SUPPORT
    kind = ProgressReport.Kind.REPORT if role == Actor.LEAD else ProgressReport.Kind.CONTRIBUTION
    text = text.strip()
    if not text:
        raise ValidationError(_("请填写进展情况"))
    if percent is not None and not 0 <= percent <= 100:
        raise ValidationError(_("完成比例应在 0 到 100 之间"))
    targets = set(locked.measure.targets.values_list("id", flat=True))
    values = values or {}
    if unknown := set(values) - targets:
        raise ValidationError(_("量化目标不属于本任务:%(ids)s") % {"ids": sorted(unknown)})
    for upload in attachments:
        if upload.size > settings.ATTACHMENT_MAX_BYTES:
            raise ValidationError(
                _("附件 %(name)s 超过 %(limit)s MB")
                % {"name": upload.name, "limit": f"{settings.ATTACHMENT_MAX_BYTES / (1024 * 1024):.3g}"}
            )
    if round is None:
        open_rounds = list(ReportingRound.objects.filter(document_id=locked.document_id, closed_at__isnull=True)[:2])
        round = open_rounds[0] if len(open_rounds) == 1 else None
    else:
        round = ReportingRound.objects.filter(
            pk=round.pk, document_id=locked.document_id, closed_at__isnull=True
        ).first()
        if round is None:
            raise WorkflowError(_("该调度轮次已关闭或不属于本文件"))
    agency = acting_agency(user, locked, role)
    if agency is None:
        # A superuser or a coordinator passes the permission check but reports for no agency.
        raise PermissionDenied(_("只有任务的牵头或配合单位才能报送进展"))
    group = None
    if agency.kind == Agency.Kind.GROUP and user.agency_id and user.agency_id != agency.pk:
        # Each member of a group reports for itself: the report is the member's, the group's
        # notices count as answered by it.
        group, agency = agency, user.agency
    # Reporting on a task is acknowledging it: an agency that reports has signed for it (saved one
    # by one, a row or two, so the assignment's history records it).
    for assignment in _unreceived_mine(user, locked):
        assignment.received_at, assignment.received_by = timezone.now(), user
        assignment.save(update_fields=["received_at", "received_by"])
    report = ProgressReport.objects.create(
        task=locked, agency=agency, author=user, round=round, kind=kind, text=text, percent=percent
    )
    ReportedValue.objects.bulk_create(ReportedValue(report=report, target_id=t, value=v) for t, v in values.items())
    for upload in attachments:
        ReportAttachment.objects.create(report=report, file=upload, name=upload.name[:255], size=upload.size)
    if round is not None:
        RoundEntry.objects.filter(round=round, task=locked, agency=agency).update(report=report)
    if role == Actor.LEAD and percent is not None:
        # The board's and the lists' 序时进度 follow the report now, not at the next daily sweep.
        state = schedule(
            start=timezone.localtime(locked.created_at).date(),
            due=locked.due_date,
            today=timezone.localdate(),
            done=percent,
            working_days=locked.document.working_days,
        ).state
        Task.objects.filter(pk=locked.pk).update(schedule_state=state)
    if role == Actor.LEAD:
        for answering in (agency, group):
            if answering is not None:
                supervision.notices_answer(task_id=locked.pk, agency_id=answering.pk)
    event_record(
        task=locked,
        kind=TaskEvent.Kind.REPORT if role == Actor.LEAD else TaskEvent.Kind.CONTRIBUTION,
        actor=user,
        agency=agency,
        comment=text,
        report_id=report.pk,
        percent=percent,
    )
    if role == Actor.LEAD and locked.status in (Task.Status.NOT_STARTED, Task.Status.RETURNED):
        previous, locked.status = locked.status, Task.Status.IN_PROGRESS
        _save(locked, "status")
        event_record(
            task=locked,
            kind=TaskEvent.Kind.STATUS,
            actor=user,
            from_status=previous,
            to_status=locked.status,
            action="start",
        )
    return report


def _unreceived_mine(user, task: Task):
    return Assignment.objects.select_for_update().filter(
        task=task, agency_id__in=user_agency_ids(user), received_at__isnull=True
    )


@transaction.atomic
def assignment_receive(*, task: Task, user) -> int:
    """签收: the user's agency (or its group) acknowledges the task handed to it. Returns how many
    of its assignments on the task were signed for; signing twice signs nothing more."""
    roles = task_roles(user, task)
    if not roles & {Actor.LEAD, Actor.SUPPORT}:
        raise PermissionDenied(_("您无权执行此操作"))
    pending = list(_unreceived_mine(user, task).select_related("agency"))
    if not pending:
        raise WorkflowError(_("本单位已签收该任务"))
    now = timezone.now()
    for assignment in pending:
        assignment.received_at, assignment.received_by = now, user
        assignment.save(update_fields=["received_at", "received_by"])
        event_record(task=task, kind=TaskEvent.Kind.RECEIVED, actor=user, agency=assignment.agency)
    return len(pending)


@transaction.atomic
def report_return(*, report: ProgressReport, user, reason: str) -> ProgressReport:
    """Send one progress report back to be filed again (退回重报), with the reason. It stays in the
    timeline, marked returned; in its round the agency counts as not having filed."""
    locked = ProgressReport.objects.select_for_update().select_related("task__document", "agency").get(pk=report.pk)
    task = Task.objects.select_related("document").get(pk=locked.task_id)
    if Actor.COORDINATOR not in task_roles(user, task):
        raise PermissionDenied(_("您无权执行此操作"))
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("请填写退回理由"))
    if locked.returned_at is not None:
        raise WorkflowError(_("该报告已退回"))
    locked.returned_at, locked.return_reason = timezone.now(), reason
    locked.save(update_fields=["returned_at", "return_reason"])
    RoundEntry.objects.filter(report=locked).update(report=None)
    event_record(
        task=task,
        kind=TaskEvent.Kind.REPORT_RETURNED,
        actor=user,
        agency=locked.agency,
        comment=reason,
        report_id=locked.pk,
    )
    return locked


# @username in a comment; the name ends at whitespace or punctuation (Chinese included).
MENTION = re.compile(r"@([A-Za-z0-9_.\-]+)")


def _mentioned(task: Task, text: str, author) -> list[int]:
    """Users named with @username who may see the task (nobody learns of a task they cannot open)."""
    names = set(MENTION.findall(text))
    if not names:
        return []
    users = User.objects.filter(username__in=names, is_active=True).exclude(pk=author.pk)
    return sorted(u.pk for u in users if Task.objects.visible_to(u).filter(pk=task.pk).exists())


@transaction.atomic
def task_comment(*, task: Task, user, text: str) -> TaskEvent:
    """意见 on a task; a leader's stands marked as a leader's remark; @username tells that person."""
    _require(user, "tracker.comment_task", task)
    text = text.strip()
    if not text:
        raise ValidationError(_("意见不能为空"))
    roles = task_roles(user, task)
    data = {"mentions": _mentioned(task, text, user)}
    if Actor.LEADER in roles and not roles & {Actor.LEAD, Actor.SUPPORT, Actor.COORDINATOR}:
        data["leader"] = True
    return event_record(task=task, kind=TaskEvent.Kind.COMMENT, actor=user, comment=text, **data)


@transaction.atomic
def task_instruct(*, task: Task, user, text: str) -> TaskEvent:
    """领导批示: a leader's instruction on a task; it stands on the timeline and reaches its agencies."""
    _require(user, "tracker.instruct_task", task)
    if not text.strip():
        raise ValidationError(_("批示内容不能为空"))
    return event_record(task=task, kind=TaskEvent.Kind.INSTRUCTION, actor=user, comment=text.strip())


@transaction.atomic
def document_instruct(*, document: PolicyDocument, user, text: str) -> DocumentInstruction:
    """领导批示 on a document: a leader of it (granted, or of its jurisdiction) writes it once; it stands
    on the timeline of every open task and reaches the agencies with open work in it."""
    if not can_instruct_document(user, document):
        raise PermissionDenied(_("您无权执行此操作"))
    text = text.strip()
    if not text:
        raise ValidationError(_("批示内容不能为空"))
    instruction = DocumentInstruction.objects.create(document=document, author=user, text=text)
    task_ids = list(Task.objects.filter(document=document, status__in=OPEN).values_list("pk", flat=True))
    # In bulk, without a signal per event: the agencies hear of it once, not once per task.
    TaskEvent.objects.bulk_create(
        TaskEvent(
            task_id=task_id,
            kind=TaskEvent.Kind.INSTRUCTION,
            actor=user,
            comment=text,
            data={"document_instruction": instruction.pk},
        )
        for task_id in task_ids
    )
    document_instructed.send(sender=DocumentInstruction, instruction=instruction, task_ids=task_ids)
    return instruction


@transaction.atomic
def task_nudge(*, task: Task, user, comment: str = "", agency: Agency | None = None) -> TaskEvent:
    """催办 by hand: recorded on the task; the notifications app turns the event into messages."""
    _require(user, "tracker.nudge_task", task)
    if task.status not in OPEN:
        raise WorkflowError(_("任务已办结或暂停,无需催办"))
    if agency is not None and not task.assignments.filter(agency=agency).exists():
        raise ValidationError(_("%(a)s 不是本任务的责任单位") % {"a": agency})
    return event_record(
        task=task,
        kind=TaskEvent.Kind.NUDGE,
        actor=user,
        agency=agency,
        comment=comment.strip(),
    )


@transaction.atomic
def tasks_nudge_many(*, tasks: Sequence[Task], user, comment: str = "") -> int:
    """催办 many tasks in one go (a coordinator's selection, or an agency's overdue work on the board):
    all or none — a task the user may not nudge refuses the whole batch; finished ones are skipped."""
    count = 0
    for task in tasks:
        if task.status in OPEN:
            task_nudge(task=task, user=user, comment=comment)
            count += 1
    return count


@transaction.atomic
def tasks_due_date_many(*, tasks: Sequence[Task], user, due_date: datetime.date | None, comment: str = "") -> int:
    """One new due date for many tasks, each change on its timeline; all or none."""
    for task in tasks:
        task_set_due_date(task=task, user=user, expected_version=None, due_date=due_date, comment=comment)
    return len(tasks)


@transaction.atomic
def agency_overdue_nudge(*, agency: Agency, user, comment: str = "") -> int:
    """The board's "nudge all overdue of this agency": its overdue lead tasks in the documents the
    user coordinates."""
    tasks = (
        Task.objects.overdue(on=timezone.localdate())
        .filter(document__in=coordinated_documents(user), assignments__agency=agency, assignments__role="lead")
        .select_related("document")
        .distinct()
    )
    return tasks_nudge_many(tasks=list(tasks), user=user, comment=comment)


@transaction.atomic
def task_reassign(
    *,
    task: Task,
    user,
    expected_version: int | None,
    lead: Sequence[Agency],
    support: Sequence[Agency],
    comment: str = "",
) -> Task:
    locked = _locked(task, expected_version)
    _require(user, "tracker.reassign_task", locked)
    if not lead:
        raise ValidationError(_("至少需要一个牵头单位"))
    wanted = {a.pk: Assignment.Role.LEAD for a in lead} | {
        a.pk: Assignment.Role.SUPPORT for a in support if a.pk not in {x.pk for x in lead}
    }
    before = {a.agency_id: a.role for a in locked.assignments.all()}
    if before == wanted:
        return locked
    for assignment in locked.assignments.all():
        if assignment.agency_id not in wanted:
            assignment.delete()
    positions = {a.pk: i for i, a in enumerate(lead)} | {a.pk: i for i, a in enumerate(support)}
    for agency_id, role in wanted.items():
        Assignment.objects.update_or_create(
            task=locked, agency_id=agency_id, defaults={"role": role, "position": positions[agency_id]}
        )
    _save(locked)
    event_record(
        task=locked,
        kind=TaskEvent.Kind.ASSIGNMENT,
        actor=user,
        comment=comment.strip(),
        before={str(k): v for k, v in before.items()},
        after={str(k): v for k, v in wanted.items()},
        lead=[a.name for a in lead],
        support=[a.name for a in support],
    )
    return locked


@transaction.atomic
def task_set_due_date(
    *, task: Task, user, expected_version: int | None, due_date: datetime.date | None, comment: str = ""
) -> Task:
    locked = _locked(task, expected_version)
    _require(user, "tracker.set_due_date", locked)
    old, locked.due_date = locked.due_date, due_date
    if old == due_date:
        return locked
    fields = ["due_date"]
    if locked.original_due_date is None:
        # Ongoing work given its first deadline: nothing was extended.
        locked.original_due_date = due_date
        fields.append("original_due_date")
    _save(locked, *fields)
    event_record(
        task=locked,
        kind=TaskEvent.Kind.DUE_DATE,
        actor=user,
        comment=comment.strip(),
        old_due_date=old and old.isoformat(),
        new_due_date=due_date and due_date.isoformat(),
    )
    return locked


@transaction.atomic
def round_open(*, document: PolicyDocument, user, title: str, due_date: datetime.date) -> ReportingRound:
    """Open a dispatch round: every open task's lead owes a report and each supporter a contribution."""
    _require(user, "tracker.manage_rounds", document)
    if not title.strip():
        raise ValidationError(_("请填写轮次名称"))
    if due_date < timezone.localdate():
        raise ValidationError(_("报送截止日期不能早于今天"))
    return _round_create(document=document, title=title.strip(), due_date=due_date, opened_by=user)


def _round_create(
    *, document: PolicyDocument, title: str, due_date, opened_by=None, period: str = ""
) -> ReportingRound:
    round = ReportingRound.objects.create(
        document=document, title=title, due_date=due_date, opened_by=opened_by, period=period
    )
    assignments = Assignment.objects.filter(task__document=document, task__status__in=OPEN).values_list(
        "task_id", "agency_id", "role"
    )
    # A group (各区县人民政府) owes one report per member; a group with no members keeps its own
    # entry, so that it shows as missing rather than reaching nobody.
    members = group_members(
        Assignment.objects.filter(task__document=document, agency__kind=Agency.Kind.GROUP).values("agency_id")
    )
    RoundEntry.objects.bulk_create(
        (
            RoundEntry(round=round, task_id=t, agency_id=owner, role=r)
            for t, a, r in assignments.iterator()
            for owner in sorted(members.get(a, ())) or [a]
        ),
        batch_size=1000,
        ignore_conflicts=True,  # an agency both assigned itself and through its group owes one report
    )
    return round


# A recurring round stays open this many days past its due date for late reports, then closes itself.
RECURRING_CLOSE_AFTER_DAYS = 3


def _period_title(period: recurring.Period, every: str) -> str:
    if every == "month":
        return _("%(y)d年%(m)d月调度") % {"y": period.start.year, "m": period.start.month}
    if every == "quarter":
        return _("%(y)d年第%(q)d季度调度") % {"y": period.start.year, "q": (period.start.month - 1) // 3 + 1}
    return _("%(y)d年%(h)s调度") % {
        "y": period.start.year,
        "h": _("上半年") if period.start.month == 1 else _("下半年"),
    }


def recurring_rounds_run(*, today: datetime.date) -> tuple[int, int]:
    """定期调度 without a hand: each document with a cadence gets one round per period, opened on the
    period's first sweep and closed RECURRING_CLOSE_AFTER_DAYS after it is due. Safe to run any number
    of times, concurrently too (one round per document and period is a constraint). Returns
    (opened, closed)."""
    opened = 0
    documents = PolicyDocument.objects.exclude(round_every="").filter(tasks__status__in=OPEN).distinct()
    for document in documents.only("id", "round_every", "round_due_day").iterator():
        period = recurring.period_of(today, document.round_every)
        due = recurring.due_date(period, document.round_due_day)
        if due < today or ReportingRound.objects.filter(document=document, period=period.key).exists():
            continue
        try:
            with transaction.atomic():
                _round_create(
                    document=document,
                    title=_period_title(period, document.round_every),
                    due_date=due,
                    period=period.key,
                )
        except IntegrityError:  # another sweep opened it first
            continue
        opened += 1
    stale = today - datetime.timedelta(days=RECURRING_CLOSE_AFTER_DAYS)
    closed = (
        ReportingRound.objects.exclude(period="")
        .filter(closed_at__isnull=True, due_date__lt=stale)
        .update(closed_at=timezone.now())
    )
    return opened, closed


# The refs of hand-made tasks: 交办-1, 交办-2 … after the document's own numbering.
HAND_REF = "交办-"


@transaction.atomic
def task_create_by_hand(
    *,
    document: PolicyDocument,
    user,
    title: str,
    text: str = "",
    lead: Sequence[Agency],
    support: Sequence[Agency] = (),
    due_date: datetime.date | None = None,
    source: str = "",
) -> Task:
    """A task no imported text holds — a meeting decision, a leader's instruction, a sub-task —
    made by a coordinator inside a document, with the same workflow, receipt and reminders."""
    locked = PolicyDocument.objects.select_for_update().get(pk=document.pk)
    _require(user, "tracker.manage_rounds", locked)
    title = title.strip()
    if not title:
        raise ValidationError(_("请填写任务名称"))
    if not lead:
        raise ValidationError(_("至少需要一个牵头单位"))
    support = [a for a in support if a.pk not in {x.pk for x in lead}]
    if any(a.jurisdiction_id != locked.jurisdiction_id for a in [*lead, *support]):
        raise ValidationError(_("所选单位不属于%(j)s") % {"j": locked.jurisdiction})
    if due_date is not None and due_date < timezone.localdate():
        raise ValidationError(_("完成时限不能早于今天"))
    measures = Measure.objects.filter(document=locked)
    order = (measures.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    number = measures.filter(ref__startswith=HAND_REF).count() + 1
    measure = Measure.objects.create(
        document=locked, ref=f"{HAND_REF}{number}", title=title[:300], text=text.strip() or title, order=order
    )
    MeasureAgency.objects.bulk_create(
        MeasureAgency(measure=measure, name=a.name, role=role, position=i, agency=a, match=MeasureAgency.Match.MANUAL)
        for role, agencies in ((MeasureAgency.Role.LEAD, lead), (MeasureAgency.Role.SUPPORT, support))
        for i, a in enumerate(agencies)
    )
    task = Task.objects.create(measure=measure, document=locked, due_date=due_date, original_due_date=due_date)
    wanted = {a.pk: (Assignment.Role.LEAD, i) for i, a in enumerate(lead)} | {
        a.pk: (Assignment.Role.SUPPORT, i) for i, a in enumerate(support)
    }
    for agency_id, (role, position) in wanted.items():
        Assignment.objects.create(task=task, agency_id=agency_id, role=role, position=position)
    event_record(
        task=task, kind=TaskEvent.Kind.CREATED, actor=user, to_status=task.status, by_hand=True, source=source.strip()
    )
    # Told as any new assignment is: the agencies hear of their task.
    event_record(
        task=task,
        kind=TaskEvent.Kind.ASSIGNMENT,
        actor=user,
        comment=source.strip(),
        before={},
        after={str(k): v[0] for k, v in wanted.items()},
        lead=[a.name for a in lead],
        support=[a.name for a in support],
    )
    return task


# The standing register of a coordinating agency's tasks that no document holds.
REGISTER_HASH = "register:"


def hand_register(*, agency: Agency) -> PolicyDocument:
    """The agency's 交办事项: a document of its own, made on first use, that holds the tasks it
    hands over outside any imported plan (meeting decisions, leaders' instructions, sub-tasks)."""
    register, _created = PolicyDocument.objects.get_or_create(
        source_hash=f"{REGISTER_HASH}{agency.pk}",
        defaults={
            "title": _("%(agency)s交办事项") % {"agency": agency.name},
            "issuer": agency.name,
            "jurisdiction_id": agency.jurisdiction_id,
            "coordinator": agency,
            "source_name": "",
            "raw_text": "",
        },
    )
    return register


@transaction.atomic
def task_create_outside(*, user, **fields) -> Task:
    """A hand-made task outside any imported document: it goes into the register of the user's
    coordinating agency, with the same workflow as every other task."""
    if user.role != user.Role.COORDINATOR or user.agency_id is None:
        raise PermissionDenied(_("您无权执行此操作"))
    return task_create_by_hand(document=hand_register(agency=user.agency), user=user, **fields)


@transaction.atomic
def document_cadence_set(*, document: PolicyDocument, user, every: str, due_day: int | None) -> PolicyDocument:
    """The document's recurring rounds: every month, quarter or half year (or none), due on a day."""
    _require(user, "tracker.manage_rounds", document)
    if every not in PolicyDocument.Every.values:
        raise ValidationError(_("未知的调度周期"))
    if due_day is not None and not 1 <= due_day <= 28:
        raise ValidationError(_("报送日应在 1 到 28 之间"))
    PolicyDocument.objects.filter(pk=document.pk).update(round_every=every, round_due_day=due_day)
    document.round_every, document.round_due_day = every, due_day
    return document


@transaction.atomic
def document_working_days_set(*, document: PolicyDocument, user, working_days: bool) -> PolicyDocument:
    """Count the document's time limits and schedule in working days (official calendar) or in days."""
    _require(user, "tracker.manage_rounds", document)
    PolicyDocument.objects.filter(pk=document.pk).update(working_days=working_days)
    document.working_days = working_days
    return document


def document_supervision_set(
    *, document: PolicyDocument, user, assessed: bool, schedule_warnings: bool, bulletin_after_round: bool
) -> PolicyDocument:
    """The supervision switches the import read from the text, as the coordinator corrects them."""
    _require(user, "tracker.manage_rounds", document)
    values = {
        "assessed": assessed,
        "schedule_warnings": schedule_warnings,
        "bulletin_after_round": bulletin_after_round,
    }
    PolicyDocument.objects.filter(pk=document.pk).update(**values)
    for name, value in values.items():
        setattr(document, name, value)
    return document


@transaction.atomic
def round_chase(*, round: ReportingRound, user, comment: str = "") -> int:
    """Chase every agency that has not filed in an open round, in one action; returns how many."""
    locked = ReportingRound.objects.select_for_update().select_related("document").get(pk=round.pk)
    _require(user, "tracker.manage_rounds", locked.document)
    if not locked.is_open:
        raise WorkflowError(_("该调度轮次已关闭"))
    agencies = locked.entries.filter(report__isnull=True).values("agency_id").distinct().count()
    if not agencies:
        raise WorkflowError(_("各单位均已报送,无需催报"))
    locked.chased_at = timezone.now()
    locked.save(update_fields=["chased_at"])
    round_chased.send(sender=ReportingRound, round=locked, user=user, comment=comment.strip(), at=locked.chased_at)
    return agencies


@transaction.atomic
def round_close(*, round: ReportingRound, user) -> ReportingRound:
    """Freeze a round: its list of who filed and who did not stays as it is now."""
    locked = ReportingRound.objects.select_for_update().select_related("document").get(pk=round.pk)
    _require(user, "tracker.manage_rounds", locked.document)
    if not locked.is_open:
        raise WorkflowError(_("该调度轮次已关闭"))
    locked.closed_at = timezone.now()
    locked.save(update_fields=["closed_at"])
    return locked


def directory_alias_add(*, user, agency: Agency, name: str) -> AgencyAlias:
    """Record another way of writing an agency's name, by someone who may change its directory."""
    _require(user, "tracker.edit_directory", agency.jurisdiction)
    try:
        return alias_add(agency=agency, name=name)
    except DirectoryError as exc:
        raise ValidationError(_("“%(n)s”已是其他单位的别名") % {"n": name}) from exc


@transaction.atomic
def unknown_name_dismiss(*, user, jurisdiction: Jurisdiction, name: str) -> int:
    """Take a name that is no agency at all (持续推进, a phrase read as a name) out of the queue in
    the documents the user coordinates; the mentions stay, marked. Returns how many."""
    _require(user, "tracker.edit_directory", jurisdiction)
    return (
        MeasureAgency.objects.unresolved()
        .filter(
            name=name, measure__document__jurisdiction=jurisdiction, measure__document__in=coordinated_documents(user)
        )
        .update(match=MeasureAgency.Match.DISMISSED)
    )


@transaction.atomic
def unknown_name_map(
    *,
    user,
    jurisdiction: Jurisdiction,
    name: str,
    agency: Agency | None = None,
    new_name: str = "",
    kind: str = Agency.Kind.DEPARTMENT,
) -> tuple[Agency, int]:
    """Map an agency name the resolver did not know to an existing agency, or to a new one.

    The name is recorded as an alias so the next import resolves it; every queued mention of it in
    the documents the user coordinates gets the agency, its task an assignment in the mention's role
    (an agency already on the task keeps its role) and a timeline event. Returns (agency, tasks changed)."""
    _require(user, "tracker.edit_directory", jurisdiction)
    name = name.strip()
    if not name:
        raise ValidationError(_("请填写文中名称"))
    if agency is None:
        new_name = normalize_name(new_name or name)
        if Agency.objects.filter(jurisdiction=jurisdiction, name=new_name).exists():
            raise ValidationError(_("单位“%(n)s”已存在,请直接选择") % {"n": new_name})
        try:
            agency = agency_create(jurisdiction=jurisdiction, name=new_name, kind=kind)
        except DirectoryError as exc:
            raise ValidationError(str(exc)) from exc
    elif agency.jurisdiction_id != jurisdiction.pk:
        raise ValidationError(_("所选单位不属于%(j)s") % {"j": jurisdiction})
    if normalize_name(name) != normalize_name(agency.name):
        directory_alias_add(user=user, agency=agency, name=name)

    mentions = list(
        MeasureAgency.objects.select_for_update()
        .filter(
            agency__isnull=True,
            name=name,
            measure__document__jurisdiction=jurisdiction,
            measure__document__in=coordinated_documents(user),
        )
        .select_related("measure")
        .order_by("measure_id", "role", "position")
    )
    by_task = {
        t.measure_id: t
        for t in Task.objects.select_for_update().filter(measure_id__in={m.measure_id for m in mentions})
    }
    changed = 0
    for mention in mentions:
        mention.agency, mention.match = agency, MeasureAgency.Match.MANUAL
        mention.save(update_fields=["agency", "match"])
        task = by_task.get(mention.measure_id)
        if task is None:
            continue
        _assignment, created = Assignment.objects.get_or_create(
            task=task, agency=agency, defaults={"role": mention.role, "position": mention.position}
        )
        if not created:
            continue
        _save(task)
        event_record(
            task=task,
            kind=TaskEvent.Kind.ASSIGNMENT,
            actor=user,
            agency=agency,
            comment=_("文中名称“%(n)s”对应为%(a)s") % {"n": name, "a": agency.name},
            mapped_name=name,
            role=mention.role,
        )
        changed += 1
    return agency, changed


@transaction.atomic
def agency_duties_set(*, user, agency: Agency, liaison: User | None, leader: User | None) -> Agency:
    """Name an agency's liaison (联络员) and responsible leader (分管领导), people of that agency;
    reminders and 督办单 go to whoever holds the duty."""
    _require(user, "tracker.edit_directory", agency.jurisdiction)
    for person in (liaison, leader):
        if person is not None and person.agency_id != agency.pk:
            raise ValidationError(_("%(u)s不是%(a)s的人员") % {"u": person.get_full_name() or person.username,
                                                          "a": agency.name})  # fmt: skip
    agency.liaison, agency.responsible_leader = liaison, leader
    agency.save(update_fields=["liaison", "responsible_leader"])
    return agency


@transaction.atomic
def ladder_level_save(*, user, jurisdiction: Jurisdiction, colour: str, **values) -> SupervisionLevel:
    """Change one rung of a jurisdiction's 督办单 ladder. The first change copies the default ladder,
    so the jurisdiction's other rungs stay as they were."""
    _require(user, "tracker.edit_directory", jurisdiction)
    if not SupervisionLevel.objects.filter(jurisdiction=jurisdiction).exists():
        SupervisionLevel.objects.bulk_create(
            SupervisionLevel(
                jurisdiction=jurisdiction,
                colour=d.colour,
                trigger=d.trigger,
                days=d.days,
                repeat_days=d.repeat_days,
                answer_days=d.answer_days,
                asks=d.asks,
                copy_leader=d.copy_leader,
                copy_coordinator_leader=d.copy_coordinator_leader,
                is_active=d.is_active,
            )
            for d in SupervisionLevel.objects.filter(jurisdiction__isnull=True)
        )
    level, _created = SupervisionLevel.objects.update_or_create(
        jurisdiction=jurisdiction, colour=colour, defaults=values
    )
    return level


def _directory_place(user, jurisdiction: Jurisdiction) -> None:
    if not directory_jurisdictions(user).filter(pk=jurisdiction.pk).exists():
        raise PermissionDenied(_("您无权执行此操作"))


@transaction.atomic
def bulletin_template_set(*, user, jurisdiction: Jurisdiction, upload: UploadedFile) -> BulletinTemplate:
    """A coordinator of the jurisdiction replaces its bulletin layout; checked by rendering it first."""
    _directory_place(user, jurisdiction)
    content = upload.read()
    bulletin_template.template_check(content)
    template, _created = BulletinTemplate.objects.get_or_create(jurisdiction=jurisdiction)
    if template.file:
        template.file.delete(save=False)
    template.file.save(f"{jurisdiction.pk}.docx", ContentFile(content), save=False)
    template.name, template.uploaded_by = upload.name[:255], user
    template.save()
    return template


@transaction.atomic
def bulletin_template_clear(*, user, jurisdiction: Jurisdiction) -> bool:
    """Back to the built-in layout. Returns whether there was a template."""
    _directory_place(user, jurisdiction)
    template = BulletinTemplate.objects.filter(jurisdiction=jurisdiction).first()
    if template is None:
        return False
    template.file.delete(save=False)
    template.delete()
    return True


def saved_filter_save(*, user, name: str, page: str, query: str) -> SavedFilter:
    """Save (or overwrite, by name) a filter of a list page; the page's own paging is dropped."""
    name = name.strip()
    if not name:
        raise ValidationError(_("请填写名称"))
    if page not in SavedFilter.Page.values:
        raise ValidationError(_("该页面不能保存筛选"))
    params = QueryDict(query, mutable=True)
    params.pop("page", None)
    saved, _created = SavedFilter.objects.update_or_create(
        user=user, page=page, name=name[:60], defaults={"query": params.urlencode()[:1000]}
    )
    return saved


def saved_filter_delete(*, user, saved: SavedFilter) -> None:
    if saved.user_id != user.pk:
        raise PermissionDenied(_("您无权执行此操作"))
    saved.delete()
