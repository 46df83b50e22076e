"""台账回传 for agency staff: download their ledger, upload it filled in, preview, confirm."""

import io

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from tracker.forms import LedgerUploadForm
from tracker.ledger import ledger_filename, ledger_write
from tracker.ledger_import import LedgerError, ledger_check, ledger_upload_confirm, ledger_upload_create
from tracker.models import LedgerUpload
from tracker.selectors import my_tasks

from .common import page, page_login_required, see_other

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@require_safe
@page_login_required
def my_ledger(request: HttpRequest) -> FileResponse:
    """The ledger of the user's own tasks, to fill in and send back."""
    today = timezone.localdate()
    stream = io.BytesIO()
    tasks = my_tasks(request.user).order_by("document_id", "measure__order")
    ledger_write(tasks, stream, today=today, title=_("本单位任务台账(填写进展情况和完成比例后可回传)"))
    stream.seek(0)
    return FileResponse(stream, as_attachment=True, filename=ledger_filename(today), content_type=XLSX)


@page_login_required
def upload(request: HttpRequest) -> HttpResponse:
    form = LedgerUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        try:
            kept = ledger_upload_create(user=request.user, name=file.name, content=file.read())
        except LedgerError as exc:
            form.add_error("file", str(exc))
        else:
            return see_other("pages:ledger-upload-preview", pk=kept.pk)
    return page(request, "tracker/ledger_upload.html", {"form": form}, status=400 if form.errors else 200)


def _mine(request: HttpRequest, pk: int) -> LedgerUpload:
    return get_object_or_404(LedgerUpload, pk=pk, user=request.user)


@require_safe
@page_login_required
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    kept = _mine(request, pk)
    checked = ledger_check(user=request.user, content=bytes(kept.content), name=kept.name)
    return page(request, "tracker/ledger_upload_preview.html", {"upload": kept, "checked": checked})


@require_POST
@page_login_required
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    kept = _mine(request, pk)
    try:
        n = ledger_upload_confirm(upload=kept, user=request.user)
    except LedgerError as exc:
        messages.error(request, str(exc))
        return see_other("pages:ledger-upload-preview", pk=pk)
    messages.success(request, _("已按回传的台账报送 %(n)d 项任务的进展") % {"n": n})
    return see_other("pages:my-tasks")
