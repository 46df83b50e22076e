"""A policy document's page: what it asks, who coordinates, its tasks and rounds."""

import io
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from measures.models import MeasureAgency, PolicyDocument
from measures.services import document_gold
from tracker import recurring, services
from tracker.forms import BulkForm, HandTaskForm
from tracker.ledger import ledger_filename, ledger_write
from tracker.models import Task
from tracker.period_bulletin import PeriodBulletin, period_bulletin, period_bulletin_docx, period_bulletin_xlsx
from tracker.selectors import (
    can_instruct_document,
    coordinated_documents,
    overseen_documents,
    task_list,
    visible_documents,
)
from tracker.workflow import OPEN

from .common import json_download, overview_required, page, page_login_required, see_other

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# A document page lists its tasks; big documents have a few hundred measures at most.
TASK_LIMIT = 500


@require_safe
@page_login_required
def document_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    document = get_object_or_404(
        visible_documents(user).select_related("coordinator", "jurisdiction").defer("raw_text"), pk=pk
    )
    today = timezone.localdate()
    tasks = Task.objects.visible_to(user).filter(document=document)
    counts = tasks.aggregate(
        total=Count("pk"),
        closed=Count("pk", filter=Q(status=Task.Status.CLOSED)),
        overdue=Count("pk", filter=Q(status__in=OPEN, due_date__lt=today)),
    )
    coordinating = coordinated_documents(user).filter(pk=document.pk).exists()
    unknown = (
        MeasureAgency.objects.unresolved()
        .filter(measure__document=document)
        .values("name")
        .annotate(n=Count("id"))
        .order_by("name")
        if coordinating
        else []
    )
    return page(
        request,
        "tracker/document.html",
        {
            "document": document,
            "tasks": list(task_list(tasks).order_by("measure__order")[:TASK_LIMIT]),
            "counts": counts,
            "today": today,
            "coordinating": coordinating,
            "unknown": list(unknown),
            "rounds": document.rounds.order_by("-opened_at")[:20] if coordinating else [],
            "every_choices": PolicyDocument.Every.choices,
            "hand_form": HandTaskForm(jurisdiction_id=document.jurisdiction_id) if coordinating else None,
            "can_instruct": can_instruct_document(request.user, document),
            "bulk_form": BulkForm(tasks=Task.objects.none()) if coordinating else None,
            "instructions": document.instructions.select_related("author")[:20],
        },
    )


@require_POST
@page_login_required
def document_instruct(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(visible_documents(request.user).defer("raw_text"), pk=pk)
    try:
        services.document_instruct(document=document, user=request.user, text=request.POST.get("text", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("批示已下达各责任单位"))
    return see_other("pages:document", pk=pk)


@require_safe
@page_login_required
def document_gold_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The document's measures as the extraction contract's JSON, for its coordinators."""
    document = get_object_or_404(coordinated_documents(request.user).defer("raw_text"), pk=pk)
    return json_download(document_gold(document=document), document.source_name)


@require_POST
@page_login_required
def document_working_days(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(coordinated_documents(request.user).defer("raw_text"), pk=pk)
    services.document_working_days_set(
        document=document, user=request.user, working_days=request.POST.get("working_days") == "1"
    )
    messages.success(request, _("已保存"))
    return see_other("pages:document", pk=pk)


@require_POST
@page_login_required
def document_supervision(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(coordinated_documents(request.user).defer("raw_text"), pk=pk)
    services.document_supervision_set(
        document=document,
        user=request.user,
        **{name: request.POST.get(name) == "on" for name in ("assessed", "schedule_warnings", "bulletin_after_round")},
    )
    messages.success(request, _("已保存"))
    return see_other("pages:document", pk=pk)


@require_POST
@page_login_required
def document_cadence(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(coordinated_documents(request.user).defer("raw_text"), pk=pk)
    day = request.POST.get("round_due_day", "").strip()
    try:
        services.document_cadence_set(
            document=document,
            user=request.user,
            every=request.POST.get("round_every", ""),
            due_day=int(day) if day.isdigit() else None,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已保存"))
    return see_other("pages:document", pk=pk)


@require_POST
@page_login_required
def document_hand_task(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(coordinated_documents(request.user).defer("raw_text"), pk=pk)
    form = HandTaskForm(request.POST, jurisdiction_id=document.jurisdiction_id)
    if form.is_valid():
        try:
            task = services.task_create_by_hand(document=document, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, _("已交办:%(ref)s %(title)s") % {"ref": task.measure.ref, "title": task.measure.title}
            )
            return see_other("pages:task", pk=task.pk)
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return see_other("pages:document", pk=pk)


@require_POST
@page_login_required
def document_bulk(request: HttpRequest, pk: int) -> HttpResponse:
    """The coordinator's batch on ticked tasks of one document: nudge, set a due date, or export."""
    document = get_object_or_404(coordinated_documents(request.user).defer("raw_text"), pk=pk)
    form = BulkForm(request.POST, tasks=Task.objects.filter(document=document))
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return see_other("pages:document", pk=pk)
    tasks, action, comment = list(form.cleaned_data["tasks"]), form.cleaned_data["action"], form.cleaned_data["comment"]
    if action == BulkForm.Action.EXPORT:
        stream = io.BytesIO()
        today = timezone.localdate()
        chosen = Task.objects.filter(pk__in=[t.pk for t in tasks]).order_by("measure__order")
        ledger_write(chosen, stream, today=today, title=str(document))
        stream.seek(0)
        return FileResponse(stream, as_attachment=True, filename=ledger_filename(today), content_type=XLSX)
    try:
        if action == BulkForm.Action.NUDGE:
            n = services.tasks_nudge_many(tasks=tasks, user=request.user, comment=comment)
            messages.success(request, _("已催办 %(n)d 项任务") % {"n": n})
        else:
            n = services.tasks_due_date_many(
                tasks=tasks, user=request.user, due_date=form.cleaned_data["due_date"], comment=comment
            )
            messages.success(request, _("已调整 %(n)d 项任务的完成时限") % {"n": n})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return see_other("pages:document", pk=pk)


def _period_bulletin(request: HttpRequest, pk: int) -> PeriodBulletin:
    """For the document's coordinators and leaders; ?period=2026-11 (this month by default)."""
    document = get_object_or_404(overseen_documents(request.user).defer("raw_text"), pk=pk)
    today = timezone.localdate()
    try:
        period = recurring.period_from_key(request.GET.get("period") or recurring.period_of(today, "month").key)
    except ValueError:
        raise Http404 from None
    return period_bulletin(document=document, period=period, today=today)


@require_safe
@overview_required
def document_period_bulletin(request: HttpRequest, pk: int) -> HttpResponse:
    report = _period_bulletin(request, pk)
    return page(request, "tracker/period_bulletin.html", {"bulletin": report})


@require_safe
@overview_required
def document_period_bulletin_file(request: HttpRequest, pk: int, extension: str) -> HttpResponse:
    formats = {"xlsx": (period_bulletin_xlsx, XLSX), "docx": (period_bulletin_docx, DOCX)}
    if extension not in formats:
        raise Http404
    report = _period_bulletin(request, pk)
    write, content_type = formats[extension]
    response = HttpResponse(content_type=content_type)
    filename = quote(f"{report.title}.{extension}")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    write(report, response)
    return response
