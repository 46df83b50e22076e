"""What every page view shares: sign-in, role gates, htmx detection, the page context, downloads."""

import datetime
import json
from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django_htmx.middleware import HtmxDetails

from tracker.selectors import is_coordinator, is_leader

LOGIN_URL = "pages:login"


def page_login_required(view: Callable) -> Callable:
    # Named here rather than through settings.LOGIN_URL, which still points at the admin's sign-in.
    return login_required(view, login_url=LOGIN_URL)


def coordinator_required(view: Callable) -> Callable:
    @page_login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_coordinator(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def overview_required(view: Callable) -> Callable:
    """Leaders and coordinators: the dashboard and the ledger export."""

    @page_login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not (is_leader(request.user) or is_coordinator(request.user)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def htmx(request: HttpRequest) -> HtmxDetails:
    """django-htmx's request details; works whether or not HtmxMiddleware is installed."""
    details = getattr(request, "htmx", None)
    return details if isinstance(details, HtmxDetails) else HtmxDetails(request)


def page(request: HttpRequest, template: str, context: dict | None = None, *, status: int = 200) -> HttpResponse:
    """render() plus what the navigation needs to show each role its own pages."""
    user = request.user
    nav = {
        "coordinator": is_coordinator(user),
        "leader": is_leader(user),
        "staff": bool(getattr(user, "agency_id", None)),
    }
    return render(request, template, {"nav": nav, **(context or {})}, status=status)


def past_day(request: HttpRequest, today: datetime.date) -> datetime.date | None:
    """A past day asked for with ?as_of=YYYY-MM-DD; today or later, or nonsense, is the live view."""
    try:
        day = datetime.date.fromisoformat(request.GET.get("as_of", ""))
    except ValueError:
        return None
    return day if day < today else None


def safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


def json_download(data: dict, source_name: str) -> HttpResponse:
    """A document's parse as a JSON file named after its source file (gold for the corpus)."""
    stem = source_name.rsplit(".", 1)[0] or "document"
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(True, f"{stem}.json")
    return response


def see_other(to: str, *args, **kwargs) -> HttpResponse:
    """A redirect after a POST, as 303: a reload does not post again, and htmx follows it."""
    response = redirect(to, *args, **kwargs)
    response.status_code = 303
    return response
