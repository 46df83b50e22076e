"""考核 and 红黑榜: the ranking of a jurisdiction's agencies for a period (stored, or as it stood on a
past day), its Excel download, the coordinator's recompute, and one agency's history."""

import datetime
import io

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_POST

from agencies.models import Agency
from tracker import assessment, recurring
from tracker.ranking_xlsx import ranking_filename, ranking_write
from tracker.selectors import directory_jurisdictions, ranking_jurisdictions

from .common import overview_required, page, see_other

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _chosen(request: HttpRequest):
    params = request.POST if request.method == "POST" else request.GET
    return assessment.ranking_scope(
        request.user,
        jurisdiction=params.get("jurisdiction"),
        period=params.get("period"),
        as_of=request.GET.get("as_of"),
    )


def _periods(today: datetime.date) -> list[tuple[str, str]]:
    """The choices of the period picker: (key, label), this and the previous periods of each kind."""
    choices = []
    for kind in assessment.PERIOD_KINDS:
        day = today
        for _n in range(12 if kind == "month" else 4):
            period = recurring.period_of(day, kind)
            choices.append((period.key, assessment.period_label(period)))
            day = period.start - datetime.timedelta(days=1)
    return choices


@overview_required
def ranking_page(request: HttpRequest) -> HttpResponse:
    places, place, period, as_of, today = _chosen(request)
    result = assessment.ranking(jurisdiction=place, period=period, today=today, as_of=as_of)
    return page(
        request,
        "tracker/ranking.html",
        {
            "places": places,
            "place": place,
            "period": period,
            "periods": _periods(today),
            "ranking": result,
            "as_of": as_of,
            "can_refresh": directory_jurisdictions(request.user).filter(pk=place.pk).exists(),
            "weights": settings.ASSESSMENT_WEIGHTS,
            "penalties": settings.ASSESSMENT_PENALTIES,
        },
    )


@overview_required
def ranking_xlsx(request: HttpRequest) -> FileResponse:
    _places, place, period, as_of, today = _chosen(request)
    result = assessment.ranking(jurisdiction=place, period=period, today=today, as_of=as_of)
    stream = io.BytesIO()
    ranking_write(result, stream)
    stream.seek(0)
    return FileResponse(stream, as_attachment=True, filename=ranking_filename(result), content_type=XLSX)


@require_POST
@overview_required
def ranking_refresh(request: HttpRequest) -> HttpResponse:
    _places, place, period, _as_of, today = _chosen(request)
    assessment.ranking_refresh(user=request.user, jurisdiction=place, period=period, today=today)
    return see_other(f"{reverse('pages:ranking')}?jurisdiction={place.pk}&period={period.key}")


@overview_required
def agency_history_page(request: HttpRequest, pk: int) -> HttpResponse:
    agency = get_object_or_404(Agency.objects.filter(jurisdiction__in=ranking_jurisdictions(request.user)), pk=pk)
    kind = request.GET.get("kind", "month")
    if kind not in assessment.PERIOD_KINDS:
        raise Http404
    return page(
        request,
        "tracker/ranking_agency.html",
        {"agency": agency, "kind": kind, "scores": assessment.agency_history(agency, kind=kind)},
    )
