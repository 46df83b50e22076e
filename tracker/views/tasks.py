"""我的任务 and the task page with its action forms."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from agencies.models import Agency
from measures.models import PolicyDocument
from tracker import services
from tracker.forms import (
    CommentForm,
    DueDateForm,
    HandTaskForm,
    NudgeForm,
    ReassignForm,
    ReportForm,
    TaskPageFilter,
    TransitionForm,
)
from tracker.models import ProgressReport, ReportAttachment, Task
from tracker.roles import task_roles, user_agency_ids
from tracker.selectors import (
    BUCKET_KEYS,
    LIST_LIMIT,
    bucket_queryset,
    group_progress,
    latest_values,
    my_tasks,
    open_round_for,
    rounds_owed,
    task_buckets,
    task_detail,
    task_timeline,
    unreceived_for,
)
from tracker.workflow import OPEN, TRANSITIONS, Actor, allowed

from .common import coordinator_required, htmx, page, page_login_required, safe_next, see_other
from .filters import saved_filters


@require_safe
@page_login_required
def my_tasks_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    tasks = my_tasks(user)
    documents = PolicyDocument.objects.filter(pk__in=tasks.values("document_id"))
    documents = documents.only("id", *PolicyDocument.LABEL_FIELDS)
    filters = TaskPageFilter(request.GET or None, queryset=tasks, request=request, documents=documents)
    filtered = filters.qs if filters.is_bound else tasks
    bucket = request.GET.get("bucket")
    page_obj = None
    if bucket in BUCKET_KEYS:
        # Counts for the tabs, then the chosen bucket page by page.
        buckets = task_buckets(filtered, today=today, limit=0)
        rows = bucket_queryset(filtered, bucket, today=today)
        page_obj = Paginator(rows, LIST_LIMIT).get_page(request.GET.get("page"))
    else:
        bucket = None
        buckets = task_buckets(filtered, today=today)
    query = request.GET.copy()
    query.pop("bucket", None)
    query.pop("page", None)
    return page(
        request,
        "tracker/my_tasks.html",
        {
            "filters": filters,
            "buckets": buckets,
            "bucket": bucket,
            "page_obj": page_obj,
            "query": query.urlencode(),
            "today": today,
            "limit": LIST_LIMIT,
            "has_agency": bool(user.agency_id),
            "rounds_owed": rounds_owed(user),
            "unreceived": unreceived_for(user),
            **saved_filters(request, "pages:my-tasks"),
        },
    )


def _visible_task(request: HttpRequest, pk: int) -> Task:
    # Scoped in the queryset: another agency's task does not exist for this user (404, not 403).
    return get_object_or_404(task_detail(Task.objects.visible_to(request.user)), pk=pk)


def _task_context(request: HttpRequest, task: Task, bound: dict | None = None) -> dict:
    """Everything the task page shows; `bound` replaces the blank form of the action that failed."""
    user = request.user
    bound = bound or {}
    roles = task_roles(user, task)
    targets = list(task.measure.targets.all())
    values = latest_values(task) if targets else {}
    transitions = allowed(task.status, roles)
    can_report = task.status in OPEN and bool(roles & {Actor.LEAD, Actor.SUPPORT})
    coordinator = Actor.COORDINATOR in roles
    timeline = task_timeline(task)
    # Approving an extension grants the date the lead asked for, unless the coordinator changes it.
    requested = next(
        (e.data["requested_due_date"] for e in timeline if e.data.get("action") == "request_extension"),
        None,
    )

    def transition_initial(t) -> dict:
        initial = {"version": task.version}
        if t.name == "approve_extension" and requested:
            initial["due_date"] = requested
        return initial

    transition_forms = [
        bound.get(t.name) or TransitionForm(transition=t, initial=transition_initial(t)) for t in transitions
    ]
    today = timezone.localdate()
    return {
        "task": task,
        "measure": task.measure,
        "document": task.document,
        "roles": roles,
        "leads": [a for a in task.assignments.all() if a.role == "lead"],
        "supports": [a for a in task.assignments.all() if a.role == "support"],
        "targets": [(t, values.get(t.pk)) for t in targets],
        "timeline": timeline,
        "notices": list(task.notices.select_related("agency").order_by("-issued_on", "-seq")[:20]),
        "groups": group_progress(task),
        "today": today,
        "open_round": open_round_for(task) if can_report else None,
        "report_role": Actor.LEAD if Actor.LEAD in roles else Actor.SUPPORT,
        "report_form": (bound.get("report") or ReportForm(targets=targets)) if can_report else None,
        "transition_forms": transition_forms,
        "comment_form": (bound.get("comment") or CommentForm()) if roles else None,
        "nudge_form": (bound.get("nudge") or NudgeForm()) if coordinator and task.status in OPEN else None,
        "due_form": (
            bound.get("due") or DueDateForm(initial={"version": task.version, "due_date": task.due_date})
            if coordinator
            else None
        ),
        "assign_form": (
            bound.get("assign")
            or ReassignForm(
                jurisdiction_id=task.document.jurisdiction_id,
                initial={
                    "version": task.version,
                    "lead": [a.agency_id for a in task.assignments.all() if a.role == "lead"],
                    "support": [a.agency_id for a in task.assignments.all() if a.role == "support"],
                },
            )
            if coordinator
            else None
        ),
        "read_only": roles <= {Actor.LEADER},
        "can_return_reports": coordinator,
        "can_instruct": Actor.LEADER in roles,
        # 签收: the user's agency still has to acknowledge this task.
        "to_receive": task.status in OPEN
        and any(a.received_at is None and a.agency_id in user_agency_ids(user) for a in task.assignments.all()),
    }


@require_safe
@page_login_required
def task_page(request: HttpRequest, pk: int) -> HttpResponse:
    task = _visible_task(request, pk)
    return page(request, "tracker/task.html", _task_context(request, task))


def _failed(request: HttpRequest, pk: int, key: str, form, status: int) -> HttpResponse:
    """Show the task as it is now with the failed form as the user filled it in."""
    task = _visible_task(request, pk)
    return page(request, "tracker/task.html", _task_context(request, task, {key: form}), status=status)


def _done(request: HttpRequest, task: Task, message: str) -> HttpResponse:
    messages.success(request, message)
    return see_other(reverse("pages:task", args=[task.pk]))


def _attempt(request: HttpRequest, pk: int, key: str, form, call) -> HttpResponse | None:
    """Run one service call for a form. On a refusal, the task page again with the form as typed
    and the reason; on a stale version, also the current version so a deliberate resubmit works."""
    try:
        call()
    except services.StaleVersion as exc:
        form.refresh_version(exc.current)
        form.add_error(None, _("提交未生效:%(e)s。您填写的内容已保留,请核对任务最新情况后再次提交。") % {"e": exc})
        return _failed(request, pk, key, form, 409)
    except services.WorkflowError as exc:
        form.add_error(None, str(exc))
        return _failed(request, pk, key, form, 409)
    except ValidationError as exc:
        form.add_error(None, exc.messages)
        return _failed(request, pk, key, form, 400)
    return None


@require_POST
@page_login_required
def task_report(request: HttpRequest, pk: int) -> HttpResponse:
    task = _visible_task(request, pk)
    form = ReportForm(request.POST, request.FILES, targets=list(task.measure.targets.all()))
    if not form.is_valid():
        return _failed(request, pk, "report", form, 400)
    failed = _attempt(
        request,
        pk,
        "report",
        form,
        lambda: services.report_submit(
            task=task,
            user=request.user,
            text=form.cleaned_data["text"],
            percent=form.cleaned_data["percent"],
            values=form.values(),
            attachments=form.cleaned_data["attachments"],
        ),
    )
    return failed or _done(request, task, _("进展已报送"))


@require_POST
@page_login_required
def task_instruct(request: HttpRequest, pk: int) -> HttpResponse:
    task = _visible_task(request, pk)
    try:
        services.task_instruct(task=task, user=request.user, text=request.POST.get("text", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return see_other(reverse("pages:task", args=[task.pk]))
    return _done(request, task, _("批示已发出,已通知承办单位"))


@require_POST
@page_login_required
def task_receive(request: HttpRequest, pk: int) -> HttpResponse:
    task = _visible_task(request, pk)
    try:
        services.assignment_receive(task=task, user=request.user)
    except services.WorkflowError as exc:
        messages.info(request, str(exc))
        return see_other(reverse("pages:task", args=[task.pk]))
    return _done(request, task, _("已签收"))


@require_POST
@page_login_required
def report_return(request: HttpRequest, pk: int, report_pk: int) -> HttpResponse:
    """Send one report back to be filed again, with the reason (coordinators)."""
    task = _visible_task(request, pk)
    report = get_object_or_404(ProgressReport, pk=report_pk, task=task)
    try:
        services.report_return(report=report, user=request.user, reason=request.POST.get("reason", ""))
    except (ValidationError, services.WorkflowError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return see_other(reverse("pages:task", args=[task.pk]))
    return _done(request, task, _("已退回,请报送单位重新报送"))


@require_POST
@page_login_required
def task_transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise Http404
    task = _visible_task(request, pk)
    form = TransitionForm(request.POST, transition=transition)
    if not form.is_valid():
        return _failed(request, pk, action, form, 400)
    failed = _attempt(
        request,
        pk,
        action,
        form,
        lambda: services.task_transition(
            task=task,
            user=request.user,
            action=action,
            expected_version=form.cleaned_data["version"],
            comment=form.cleaned_data["comment"],
            due_date=form.cleaned_data.get("due_date"),
        ),
    )
    return failed or _done(request, task, _("已%(a)s") % {"a": transition.label})


@require_POST
@page_login_required
def task_comment(request: HttpRequest, pk: int) -> HttpResponse:
    task = _visible_task(request, pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _failed(request, pk, "comment", form, 400)
    failed = _attempt(
        request,
        pk,
        "comment",
        form,
        lambda: services.task_comment(task=task, user=request.user, text=form.cleaned_data["text"]),
    )
    return failed or _done(request, task, _("意见已发表"))


@require_POST
@page_login_required
def task_nudge(request: HttpRequest, pk: int) -> HttpResponse:
    """催办. From the board (htmx) the button is replaced in place; otherwise back where it was pressed."""
    task = _visible_task(request, pk)
    form = NudgeForm(request.POST)
    form.is_valid()
    agency = None
    if agency_id := request.POST.get("agency"):
        agency = Agency.objects.filter(pk=agency_id).first()
    error = None
    try:
        services.task_nudge(task=task, user=request.user, comment=form.cleaned_data.get("comment", ""), agency=agency)
    except (services.WorkflowError, ValidationError) as exc:
        error = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
    details = htmx(request)
    # The board swaps just the button; the task page swaps the whole page (target "main") after a redirect.
    if details and details.target != "main":
        return render(request, "tracker/_nudged.html", {"task": task, "error": error}, status=409 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("已催办:%(t)s") % {"t": task.measure})
    return see_other(safe_next(request, reverse("pages:task", args=[task.pk])))


@require_POST
@page_login_required
def task_due_date(request: HttpRequest, pk: int) -> HttpResponse:
    task = _visible_task(request, pk)
    form = DueDateForm(request.POST)
    if not form.is_valid():
        return _failed(request, pk, "due", form, 400)
    failed = _attempt(
        request,
        pk,
        "due",
        form,
        lambda: services.task_set_due_date(
            task=task,
            user=request.user,
            expected_version=form.cleaned_data["version"],
            due_date=form.cleaned_data["due_date"],
            comment=form.cleaned_data["comment"],
        ),
    )
    return failed or _done(request, task, _("完成时限已更新"))


@require_POST
@page_login_required
def task_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    task = _visible_task(request, pk)
    form = ReassignForm(request.POST, jurisdiction_id=task.document.jurisdiction_id)
    if not form.is_valid():
        return _failed(request, pk, "assign", form, 400)
    failed = _attempt(
        request,
        pk,
        "assign",
        form,
        lambda: services.task_reassign(
            task=task,
            user=request.user,
            expected_version=form.cleaned_data["version"],
            lead=list(form.cleaned_data["lead"]),
            support=list(form.cleaned_data["support"]),
            comment=form.cleaned_data["comment"],
        ),
    )
    return failed or _done(request, task, _("责任单位已调整"))


@require_safe
@page_login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Attachments are served only to those who may see their task (never from a public media URL)."""
    attachment = get_object_or_404(
        ReportAttachment.objects.filter(report__task__in=Task.objects.visible_to(request.user)), pk=pk
    )
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=attachment.name)


@coordinator_required
def task_new(request: HttpRequest) -> HttpResponse:
    """A task outside any document (交办事项 of the coordinator's agency)."""
    agency = request.user.agency
    if agency is None:
        raise PermissionDenied
    form = HandTaskForm(request.POST or None, jurisdiction_id=agency.jurisdiction_id)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                task = services.task_create_outside(user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(
                    request, _("已交办:%(ref)s %(title)s") % {"ref": task.measure.ref, "title": task.measure.title}
                )
                return see_other("pages:task", pk=task.pk)
        status = 400
    return page(request, "tracker/task_new.html", {"form": form, "agency": agency}, status=status)
