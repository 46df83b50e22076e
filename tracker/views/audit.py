"""The audit trail as a page for superusers: sign-ins, refused sign-ins, lockouts, refused requests.
Superusers only: it shows every user's addresses, which no coordinator's scope covers."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from tracker.models import AuditEntry
from tracker.selectors import audit_entries

from .common import page, page_login_required

PAGE_SIZE = 100


@require_safe
@page_login_required
def audit(request: HttpRequest) -> HttpResponse:
    if not request.user.is_superuser:
        raise PermissionDenied
    kind = request.GET.get("kind", "")
    username = request.GET.get("username", "").strip()
    page_obj = Paginator(audit_entries(kind=kind, username=username), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page(
        request,
        "tracker/audit.html",
        {
            "page_obj": page_obj,
            "kinds": AuditEntry.Kind.choices,
            "kind": kind,
            "username": username,
            "query": query.urlencode(),
        },
    )
