"""The home page sends each role where it works."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_safe

from tracker.selectors import is_coordinator, is_leader

from .common import page_login_required


@require_safe
@page_login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_superuser or user.role == user.Role.COORDINATOR:
        return redirect("pages:board")
    if user.role == user.Role.LEADER:
        return redirect("pages:dashboard")
    if user.agency_id:
        return redirect("pages:my-tasks")
    # Staff without an agency but granted documents by hand.
    if is_coordinator(user):
        return redirect("pages:board")
    if is_leader(user):
        return redirect("pages:dashboard")
    return redirect("pages:my-tasks")
