"""The audit trail: a row for each sign-in, refused sign-in, lockout and refused request (403).

The writer is one service; the receivers (connected in TrackerConfig.ready) and the middleware
are its only callers. The rows are written outside any request transaction so that a refusal
that rolls the request back is still recorded."""

from collections.abc import Callable

from axes.helpers import get_client_ip_address, get_failure_limit
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.http import HttpRequest, HttpResponse

from .models import AuditEntry


def audit_record(*, kind: str, request: HttpRequest | None, user=None, username: str = "") -> AuditEntry:
    ip, method, path = None, "", ""
    if request is not None:
        ip = get_client_ip_address(request) or None
        method, path = request.method or "", request.path[:500]
        if user is None and getattr(request, "user", None) is not None and request.user.is_authenticated:
            user = request.user
    if user is not None and not username:
        username = user.get_username()
    return AuditEntry.objects.create(
        kind=kind, user=user, username=username[:150], ip_address=ip, method=method[:8], path=path
    )


def on_logged_in(sender, request, user, **kwargs) -> None:
    audit_record(kind=AuditEntry.Kind.LOGIN, request=request, user=user)


def on_login_failed(sender, credentials: dict, request=None, **kwargs) -> None:
    # Every refused attempt, wrong password or refused because the pair is locked.
    audit_record(kind=AuditEntry.Kind.LOGIN_FAILED, request=request, username=credentials.get("username") or "")


def on_locked_out(sender, request, username: str | None, ip_address: str | None, **kwargs) -> None:
    # axes signals on every attempt at or past the limit; the trail keeps the moment the lock begins.
    credentials = getattr(request, "axes_credentials", None) or {"username": username}
    if getattr(request, "axes_failures_since_start", None) == get_failure_limit(request, credentials):
        audit_record(kind=AuditEntry.Kind.LOCKOUT, request=request, username=username or "")


def connect() -> None:
    from axes.signals import user_locked_out

    user_logged_in.connect(on_logged_in, dispatch_uid="tracker.audit.login")
    user_login_failed.connect(on_login_failed, dispatch_uid="tracker.audit.login_failed")
    user_locked_out.connect(on_locked_out, dispatch_uid="tracker.audit.lockout")


class AuditMiddleware:
    """Records every 403 the pages and the API answer (PermissionDenied, DRF's refusals, CSRF).
    A 404 from a scoped queryset is not a refusal the user can see, and is not recorded."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # DRF authenticates a token inside the view and sets the user on this request too.
        if response.status_code == 403:
            audit_record(kind=AuditEntry.Kind.PERMISSION_DENIED, request=request)
        return response
