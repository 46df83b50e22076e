"""Pages: the in-app list, the settings page (also reachable from a signed email link without
logging in), one-click unsubscribe, and the per-agency ICS feed."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from icalendar import Calendar, Event

from agencies.models import Agency
from tracker.selectors import coordinated_documents, directory_jurisdictions
from tracker.views.common import page, page_login_required

from . import emails, health, schedule, selectors
from . import preferences as prefs
from .forms import PreferenceForm, WebhookForm
from .models import Notification, Preference, Webhook, WebhookDelivery

PAGE_SIZE = 30


@require_http_methods(["GET", "HEAD"])
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitors: 200 when the database, the broker and the sweep are well,
    503 otherwise; no login, no session (it is polled every few seconds)."""
    healthy, body = health.health_report()
    response = JsonResponse(body, status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    return response


@require_safe
@page_login_required
def inbox(request: HttpRequest) -> HttpResponse:
    page_obj = Paginator(selectors.inbox(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    items = [(n, emails.headline(n)) for n in page_obj.object_list]
    return page(request, "notifications/inbox.html", {"page": page_obj, "items": items})


@require_safe
@page_login_required
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Open what a notification is about, marking it read on the way."""
    notification = get_object_or_404(Notification.objects.filter(recipient=request.user), pk=pk)
    prefs.notification_mark_read(user=request.user, ids=[notification.pk])
    if notification.task_id:
        return redirect("pages:task", pk=notification.task_id)
    # A round or a digest is about the agency's list of tasks.
    return redirect("pages:my-tasks" if request.user.agency_id else "notifications:inbox")


@page_login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    ids = request.POST.getlist("id")
    prefs.notification_mark_read(user=request.user, ids=[int(i) for i in ids if i.isdigit()] if ids else None)
    return redirect("notifications:inbox")


def _token_user(request: HttpRequest):
    """The user named by a signed settings token (?t=…), else the logged-in user, else None."""
    token = request.GET.get("t") or request.POST.get("t")
    if token:
        user_id = emails.user_id_from_token(token)
        if user_id is None:
            raise Http404(_("链接无效或已过期"))
        return get_object_or_404(get_user_model(), pk=user_id, is_active=True), token
    if request.user.is_authenticated:
        return request.user, ""
    return None, ""


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user, token = _token_user(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    preference = Preference.objects.filter(user=user).first() or Preference.defaults(user)
    form = PreferenceForm(request.POST or None, instance=preference)
    saved = False
    if request.method == "POST" and form.is_valid():
        prefs.preference_update(user=user, **form.cleaned_data)
        saved = True
    ics_url = ""
    if user.agency_id:
        ics_url = emails.absolute(
            reverse("notifications:ics", args=[emails.ics_token(user.pk, preference.ics_version)])
        )
    return page(
        request,
        "notifications/settings.html",
        {"form": form, "token": token, "saved": saved, "person": user, "ics_url": ics_url},
    )


@require_POST
def ics_reset(request: HttpRequest) -> HttpResponse:
    user, token = _token_user(request)
    if user is None:
        return redirect_to_login(reverse("notifications:settings"))
    prefs.ics_link_reset(user=user)
    messages.success(request, _("已生成新的日历订阅链接,原链接已失效"))
    return redirect(reverse("notifications:settings") + (f"?t={token}" if token else ""))


@csrf_exempt  # RFC 8058 one-click unsubscribe is a POST from the mail client, without a session
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    user_id = emails.user_id_from_token(token)
    if user_id is None:
        raise Http404(_("链接无效或已过期"))
    user = get_object_or_404(get_user_model(), pk=user_id, is_active=True)
    done = False
    if request.method == "POST":
        prefs.unsubscribe(user=user)
        done = True
    return page(request, "notifications/unsubscribe.html", {"token": token, "done": done, "person": user})


@require_safe
def calendar(request: HttpRequest, token: str) -> HttpResponse:
    parts = emails.ics_token_parts(token)
    if parts is None:
        raise Http404()
    user = get_object_or_404(get_user_model().objects.select_related("agency"), pk=parts[0], is_active=True)
    preference = Preference.objects.filter(user=user).first() or Preference.defaults(user)
    if preference.ics_version != parts[1] or user.agency is None:
        raise Http404()
    agency = user.agency
    today = schedule.local_date(timezone.now())
    tasks, rounds = selectors.agency_calendar(agency.pk, today=today, limit=settings.NOTIFY_ICS_MAX_EVENTS)
    cal = Calendar()
    cal.add("prodid", "-//policy-tracker//notifications//ZH")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", _("%(agency)s 任务时限") % {"agency": agency.name})
    cal.add("x-wr-timezone", "Asia/Shanghai")
    stamp = timezone.now()
    host = settings.NOTIFY_SITE_URL.split("://", 1)[-1].split("/", 1)[0]
    for task in tasks:
        event = Event()
        event.add("uid", f"task-{task['id']}@{host}")
        event.add("summary", _("【完成时限】%(ref)s %(title)s") % {"ref": task["ref"], "title": task["title"]})
        due = datetime.date.fromisoformat(task["due"])
        event.add("dtstart", due)
        event.add("dtend", due + datetime.timedelta(days=1))
        event.add("dtstamp", stamp)
        event.add("url", emails.task_url(task["id"]))
        cal.add_component(event)
    for round in rounds:
        event = Event()
        event.add("uid", f"round-{round['id']}@{host}")
        event.add("summary", _("【调度报送截止】%(title)s") % {"title": round["title"]})
        due = datetime.date.fromisoformat(round["due"])
        event.add("dtstart", due)
        event.add("dtend", due + datetime.timedelta(days=1))
        event.add("dtstamp", stamp)
        event.add("description", round["document"] or "")
        cal.add_component(event)
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="agency-{agency.pk}.ics"'
    return response


def _webhook_scope(user):
    """The agencies and documents whose robots the user manages: those they coordinate."""
    return (
        Agency.objects.filter(jurisdiction__in=directory_jurisdictions(user)).order_by("name"),
        coordinated_documents(user).defer("raw_text").order_by("-imported_at"),
    )


@page_login_required
def webhooks(request: HttpRequest) -> HttpResponse:
    """群机器人: coordinators connect an agency's or a document's 企业微信/钉钉 group to the reminders."""
    agencies, documents = _webhook_scope(request.user)
    if not agencies.exists() and not documents.exists():
        raise PermissionDenied
    form = WebhookForm(request.POST or None, agencies=agencies, documents=documents)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("已添加群机器人"))
        return redirect("notifications:webhooks")
    hooks = Webhook.objects.filter(Q(agency__in=agencies) | Q(document__in=documents)).select_related(
        "agency", "document"
    )
    return page(
        request,
        "notifications/webhooks.html",
        {
            "form": form,
            "hooks": hooks,
            "recent": WebhookDelivery.objects.filter(webhook__in=hooks).order_by("-id")[:20],
        },
        status=400 if form.errors else 200,
    )


@require_POST
@page_login_required
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    agencies, documents = _webhook_scope(request.user)
    hook = get_object_or_404(Webhook.objects.filter(Q(agency__in=agencies) | Q(document__in=documents)), pk=pk)
    hook.delete()
    messages.success(request, _("已删除群机器人"))
    return redirect("notifications:webhooks")
