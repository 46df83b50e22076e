"""The leaders' and coordinators' dashboard, and the ledger (台账) export of the same filters."""

import hashlib
import tempfile
from urllib.parse import quote

from django.conf import settings
from django.core.cache import cache
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from measures.models import PolicyDocument
from tracker.forms import TaskPageFilter
from tracker.ledger import ledger_csv_lines, ledger_filename, ledger_write
from tracker.models import Task
from tracker.selectors import dashboard_figures, visible_documents

from .common import overview_required, page, past_day
from .filters import saved_filters

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The ledger is built in a temporary file that spills to disk past this size, then streamed out
# in chunks: a province-wide ledger never sits whole in the worker's memory.
_SPOOL_BYTES = 8 * 1024 * 1024


def _filtered(request: HttpRequest) -> tuple[TaskPageFilter, object]:
    tasks = Task.objects.visible_to(request.user, whole=True)
    documents = visible_documents(request.user).only("id", *PolicyDocument.LABEL_FIELDS)
    filters = TaskPageFilter(request.GET or None, queryset=tasks, request=request, documents=documents)
    return filters, (filters.qs if filters.is_bound else tasks)


def _stats(request: HttpRequest, tasks, today, as_of) -> dict:
    """The aggregates of the page, cached per user, filter and day for DASHBOARD_CACHE_SECONDS:
    they read every visible task, which for a province's leader takes seconds, and a dashboard a
    few minutes old serves its purpose (the page shows the moment it was computed)."""

    def compute() -> dict:
        return {**dashboard_figures(tasks, today=today, as_of=as_of), "computed_at": timezone.now()}

    seconds = settings.DASHBOARD_CACHE_SECONDS
    if not seconds:
        return compute()
    query = hashlib.sha256(request.GET.urlencode().encode()).hexdigest()[:16]
    key = f"dashboard:{request.user.pk}:{today.isoformat()}:{request.LANGUAGE_CODE}:{query}"
    return cache.get_or_set(key, compute, seconds)


@require_safe
@overview_required
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    filters, tasks = _filtered(request)
    as_of = past_day(request, today)
    stats = _stats(request, tasks, today, as_of)
    by_agency, by_document, trend = stats["by_agency"], stats["by_document"], stats["trend"]

    def series(rows):
        return {
            "labels": [r.label for r in rows],
            "completion": [r.completion for r in rows],
            "overdue": [r.overdue for r in rows],
            "on_time": [r.on_time_rate for r in rows],
        }

    charts = {
        "agency": series(by_agency),
        "document": series(by_document),
        "trend": {
            "labels": [m.month.strftime("%Y-%m") for m in trend],
            "closed": [m.closed for m in trend],
            "reports": [m.reports for m in trend],
        },
        # Chart labels go through i18n here, since the script only draws.
        "text": {
            "completion": _("完成率(%)"),
            "on_time": _("按时完成率(%)"),
            "overdue": _("逾期任务数"),
            "closed": _("销号数"),
            "reports": _("进展报告数"),
        },
    }
    query = request.GET.urlencode()
    return page(
        request,
        "tracker/dashboard.html",
        {
            "filters": filters,
            "totals": stats["totals"],
            "computed_at": stats["computed_at"],
            "cache_minutes": settings.DASHBOARD_CACHE_SECONDS // 60,
            "as_of": as_of,
            **saved_filters(request, "pages:dashboard"),
            "by_agency": by_agency,
            "by_document": by_document,
            "trend": trend,
            "charts": charts,
            "query": query,
        },
    )


@require_safe
@overview_required
def ledger_export(request: HttpRequest) -> FileResponse:
    today = timezone.localdate()
    _filters, tasks = _filtered(request)
    as_of = past_day(request, today)
    title = _("政策措施落实台账")
    if as_of is not None:
        today, title = as_of, _("政策措施落实台账(截至 %(d)s)") % {"d": as_of.isoformat()}
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 - FileResponse closes it
    ledger_write(tasks.order_by("document_id", "measure__order"), spool, today=today, title=title, as_of=as_of)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=ledger_filename(today), content_type=XLSX)


@require_safe
@overview_required
def ledger_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The ledger as CSV (UTF-8 with BOM), streamed row by row; same filters and as-of as the Excel."""
    today = timezone.localdate()
    _filters, tasks = _filtered(request)
    as_of = past_day(request, today)
    lines = ledger_csv_lines(tasks.order_by("document_id", "measure__order"), today=as_of or today, as_of=as_of)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    name = quote(ledger_filename(as_of or today).replace(".xlsx", ".csv"))
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    return response
