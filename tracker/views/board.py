"""督办台: overdue work by agency, requests waiting for a decision, reporting rounds."""

from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from agencies.models import Agency
from tracker import services
from tracker.bulletin import bulletin_write, round_bulletin
from tracker.bulletin_docx import bulletin_docx
from tracker.forms import NudgeForm, RoundOpenForm
from tracker.models import ReportingRound, SupervisionLevel
from tracker.selectors import (
    BOARD_LIMIT,
    board_behind,
    board_duty_gaps,
    board_empty_groups,
    board_notices,
    board_overdue,
    board_requests,
    board_unreceived,
    coordinated_documents,
    directory_jurisdictions,
    escalation_thresholds,
    overseen_documents,
    round_entries,
    rounds_for,
)

from .common import coordinator_required, overview_required, page, past_day, see_other


@require_safe
@coordinator_required
def board(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    as_of = past_day(request, today)
    groups, total = board_overdue(request.user, today=as_of or today, as_of=as_of is not None)
    yellow, red = escalation_thresholds()
    notices, notice_counts = board_notices(request.user)
    return page(
        request,
        "tracker/board.html",
        {
            "groups": groups,
            "overdue_total": total,
            "shown": sum(len(g.rows) for g in groups),
            "limit": BOARD_LIMIT,
            "requests": board_requests(request.user),
            "open_rounds": list(rounds_for(request.user).filter(closed_at__isnull=True)[:10]),
            "unreceived": board_unreceived(request.user),
            "notices": notices,
            "notice_summary": [(c, label, notice_counts.get(c, 0)) for c, label in SupervisionLevel.Colour.choices],
            "duty_gaps": board_duty_gaps(request.user),
            "empty_groups": board_empty_groups(request.user),
            "behind": board_behind(request.user),
            "yellow": yellow,
            "red": red,
            "nudge_form": NudgeForm(),
            "today": today,
            "as_of": as_of,
        },
    )


@require_http_methods(["GET", "POST"])
@coordinator_required
def rounds(request: HttpRequest) -> HttpResponse:
    documents = coordinated_documents(request.user).defer("raw_text").order_by("-imported_at")
    form = RoundOpenForm(request.POST or None, documents=documents)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                round_ = services.round_open(user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, _("已发起调度:%(t)s") % {"t": round_.title})
                return redirect("pages:round", pk=round_.pk)
        status = 400
    return page(
        request,
        "tracker/rounds.html",
        {"rounds": list(rounds_for(request.user)[:100]), "form": form},
        status=status,
    )


@require_safe
@coordinator_required
def round_page(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = get_object_or_404(
        ReportingRound.objects.filter(document__in=coordinated_documents(request.user)).select_related("document"),
        pk=pk,
    )
    entries = list(round_entries(round_))
    missing = [e for e in entries if e.report_id is None]
    filed = [e for e in entries if e.report_id is not None]
    by_agency = (
        round_.entries.values("agency__name")
        .annotate(expected=Count("id"), filed=Count("id", filter=Q(report__isnull=False)))
        .order_by("-expected", "agency__name")
    )
    return page(
        request,
        "tracker/round.html",
        {"round": round_, "missing": missing, "filed": filed, "by_agency": by_agency, "today": timezone.localdate()},
    )


@require_POST
@coordinator_required
def round_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Closing freezes who filed: the first post asks to confirm (saying so when the deadline has
    not come, and how many have not filed); the confirmed one closes."""
    round_ = get_object_or_404(ReportingRound.objects.filter(document__in=coordinated_documents(request.user)), pk=pk)
    if request.POST.get("confirm") != "1":
        today = timezone.localdate()
        missing = round_.entries.filter(report__isnull=True).count()
        return page(
            request,
            "tracker/round_close.html",
            {"round": round_, "missing": missing, "early": round_.due_date >= today, "today": today},
        )
    try:
        services.round_close(round=round_, user=request.user)
    except services.WorkflowError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("调度轮次已关闭,报送情况已固定"))
    return redirect("pages:round", pk=pk)


@require_POST
@coordinator_required
def round_chase(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = get_object_or_404(ReportingRound.objects.filter(document__in=coordinated_documents(request.user)), pk=pk)
    try:
        n = services.round_chase(round=round_, user=request.user, comment=request.POST.get("comment", ""))
    except services.WorkflowError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已向 %(n)d 个未报送单位催报") % {"n": n})
    return see_other("pages:round", pk=pk)


def _overseen_round(request: HttpRequest, pk: int) -> ReportingRound:
    """A round whose bulletin the user may read: coordinators of its document and its leaders."""
    rounds = ReportingRound.objects.filter(document__in=overseen_documents(request.user)).select_related("document")
    return get_object_or_404(rounds, pk=pk)


@require_safe
@overview_required
def bulletin(request: HttpRequest, pk: int) -> HttpResponse:
    """通报 of a round, laid out to print."""
    round_ = _overseen_round(request, pk)
    report = round_bulletin(round_, today=timezone.localdate())
    coordinating = coordinated_documents(request.user).filter(pk=round_.document_id).exists()
    return page(request, "tracker/bulletin.html", {"bulletin": report, "coordinating": coordinating})


def _bulletin_file(request: HttpRequest, pk: int, write, extension: str, content_type: str) -> HttpResponse:
    report = round_bulletin(_overseen_round(request, pk), today=timezone.localdate())
    response = HttpResponse(content_type=content_type)
    filename = quote(f"{report.title}-{report.today:%Y-%m-%d}.{extension}")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    write(report, response)
    return response


@require_safe
@overview_required
def bulletin_docx_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The bulletin as a Word document (通报), for the coordinators and the leaders of its document."""
    return _bulletin_file(
        request, pk, bulletin_docx, "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )


@require_safe
@overview_required
def bulletin_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    return _bulletin_file(
        request, pk, bulletin_write, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


@require_POST
@coordinator_required
def agency_nudge(request: HttpRequest, pk: int) -> HttpResponse:
    """催办 every overdue lead task of one agency in the user's documents, from the board."""
    agency = get_object_or_404(Agency.objects.filter(jurisdiction__in=directory_jurisdictions(request.user)), pk=pk)
    n = services.agency_overdue_nudge(agency=agency, user=request.user, comment=request.POST.get("comment", ""))
    messages.success(request, _("已催办%(a)s的 %(n)d 项逾期任务") % {"a": agency.name, "n": n})
    return see_other("pages:board")
