"""督办单: the notices issued to agencies (a list, each notice as the paper it stands for) and the
ladder a coordinator edits."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from agencies.models import Jurisdiction
from tracker import services
from tracker.forms import LadderLevelForm
from tracker.models import SupervisionLevel
from tracker.selectors import directory_jurisdictions, notices_visible
from tracker.supervision import ladder

from .common import coordinator_required, page, page_login_required, see_other
from .filters import saved_filters

PAGE_SIZE = 50


@require_safe
@page_login_required
def notices(request: HttpRequest) -> HttpResponse:
    rows = notices_visible(request.user)
    colour = request.GET.get("colour", "")
    if colour in SupervisionLevel.Colour.values:
        rows = rows.filter(colour=colour)
    state = request.GET.get("state", "")
    if state == "open":
        rows = rows.filter(answered_at__isnull=True)
    elif state == "answered":
        rows = rows.filter(answered_at__isnull=False)
    page_obj = Paginator(rows.order_by("-issued_on", "-seq"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page(
        request,
        "tracker/notices.html",
        {
            "page_obj": page_obj,
            "colours": SupervisionLevel.Colour.choices,
            "colour": colour,
            "state": state,
            "query": query.urlencode(),
            **saved_filters(request, "pages:notices"),
        },
    )


@require_safe
@page_login_required
def notice_page(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(notices_visible(request.user).select_related("jurisdiction"), pk=pk)
    return page(request, "tracker/notice.html", {"notice": notice})


@require_http_methods(["GET", "POST"])
@coordinator_required
def ladder_page(request: HttpRequest) -> HttpResponse:
    places = list(directory_jurisdictions(request.user).order_by("name"))
    if not places:
        return page(request, "tracker/ladder.html", {"places": []})
    chosen = request.GET.get("jurisdiction") or request.POST.get("jurisdiction") or str(places[0].pk)
    place = get_object_or_404(directory_jurisdictions(request.user), pk=int(chosen) if chosen.isdigit() else 0)
    status = 200
    forms = {}
    if request.method == "POST":
        colour = request.POST.get("colour", "")
        if colour not in SupervisionLevel.Colour.values:
            return HttpResponseBadRequest(_("未知的督办等级"))
        form = LadderLevelForm(request.POST, prefix=colour)
        if form.is_valid():
            services.ladder_level_save(user=request.user, jurisdiction=place, colour=colour, **form.cleaned_data)
            messages.success(request, _("已保存"))
            return see_other(f"{request.path}?jurisdiction={place.pk}")
        forms[colour] = form
        status = 400
    rungs = {lv.colour: lv for lv in ladder(place.pk, SupervisionLevel.objects.filter(jurisdiction__in=[place, None]))}
    own = SupervisionLevel.objects.filter(jurisdiction=place).exists()
    levels = []
    for colour, label in SupervisionLevel.Colour.choices:
        level = rungs.get(colour) or _inactive(place, colour, own)
        form = forms.get(colour) or LadderLevelForm(instance=level, prefix=colour)
        levels.append((colour, label, form))
    return page(
        request,
        "tracker/ladder.html",
        {"places": places, "place": place, "levels": levels, "own": own},
        status=status,
    )


def _inactive(place: Jurisdiction, colour: str, own: bool) -> SupervisionLevel:
    """A rung switched off (or never defined): shown with its stored values, or empty ones."""
    stored = SupervisionLevel.objects.filter(jurisdiction=place if own else None, colour=colour).first()
    return stored or SupervisionLevel(colour=colour, trigger=SupervisionLevel.Trigger.OVERDUE, is_active=False)
