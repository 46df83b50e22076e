"""常用筛选: save the current filter of a list page under a name, open it again, delete it."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tracker import services
from tracker.models import SavedFilter

from .common import page_login_required, see_other


def saved_filters(request: HttpRequest, page_name: str) -> dict:
    """What the list pages put in their context for the partial tracker/_saved_filters.html."""
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "saved_filters": list(SavedFilter.objects.filter(user=request.user, page=page_name)),
        "saved_page": page_name,
        "saved_query": query.urlencode(),
    }


@require_POST
@page_login_required
def filter_save(request: HttpRequest) -> HttpResponse:
    page_name, query = request.POST.get("page", ""), request.POST.get("query", "")
    try:
        saved = services.saved_filter_save(
            user=request.user, name=request.POST.get("name", ""), page=page_name, query=query
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        target = reverse(page_name) if page_name in SavedFilter.Page.values else reverse("pages:home")
        return see_other(f"{target}?{query}" if query else target)
    messages.success(request, _("已保存常用筛选“%(name)s”") % {"name": saved.name})
    return see_other(f"{reverse(saved.page)}?{saved.query}")


@page_login_required
def filter_open(request: HttpRequest, pk: int) -> HttpResponse:
    saved = get_object_or_404(SavedFilter, pk=pk, user=request.user)
    return redirect(f"{reverse(saved.page)}?{saved.query}")


@require_POST
@page_login_required
def filter_delete(request: HttpRequest, pk: int) -> HttpResponse:
    saved = get_object_or_404(SavedFilter, pk=pk, user=request.user)
    services.saved_filter_delete(user=request.user, saved=saved)
    messages.success(request, _("已删除常用筛选“%(name)s”") % {"name": saved.name})
    return see_other(reverse(saved.page))
