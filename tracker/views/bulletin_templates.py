"""通报模板: a coordinator replaces the Word layout of the bulletins of a jurisdiction, starting from
a sample; removing it brings back the built-in layout."""

import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tracker import services
from tracker.bulletin_template import SYNTAX_HELP, VARIABLES, sample_template
from tracker.forms import BulletinTemplateForm
from tracker.models import BulletinTemplate
from tracker.selectors import directory_jurisdictions

from .common import coordinator_required, page, see_other

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _place(request: HttpRequest):
    places = list(directory_jurisdictions(request.user).order_by("name"))
    chosen = request.GET.get("jurisdiction") or request.POST.get("jurisdiction")
    place = next((p for p in places if str(p.pk) == chosen), None) if chosen else (places[0] if places else None)
    if place is None:
        raise Http404
    return places, place


def _back(place) -> HttpResponse:
    return see_other(f"{reverse('pages:bulletin-template')}?jurisdiction={place.pk}")


@coordinator_required
def template_page(request: HttpRequest) -> HttpResponse:
    places, place = _place(request)
    form = BulletinTemplateForm()
    status = 200
    if request.method == "POST":
        form = BulletinTemplateForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.bulletin_template_set(user=request.user, jurisdiction=place, upload=form.cleaned_data["file"])
            except ValidationError as exc:
                form.add_error("file", exc.messages)
            else:
                messages.success(request, _("已启用新的通报模板"))
                return _back(place)
        status = 400
    return page(
        request,
        "tracker/bulletin_template.html",
        {
            "places": places,
            "place": place,
            "form": form,
            "template": BulletinTemplate.objects.filter(jurisdiction=place).first(),
            "variables": VARIABLES.items(),
            "syntax_help": SYNTAX_HELP,
        },
        status=status,
    )


@require_POST
@coordinator_required
def template_remove(request: HttpRequest) -> HttpResponse:
    _places, place = _place(request)
    if services.bulletin_template_clear(user=request.user, jurisdiction=place):
        messages.success(request, _("已恢复系统默认的通报版式"))
    return _back(place)


@coordinator_required
def template_download(request: HttpRequest) -> FileResponse:
    """The template in use, or the sample to start from when there is none."""
    _places, place = _place(request)
    template = BulletinTemplate.objects.filter(jurisdiction=place).first()
    if template is not None:
        return FileResponse(template.file.open("rb"), as_attachment=True, filename=template.name, content_type=DOCX)
    stream = io.BytesIO()
    sample_template(stream)
    stream.seek(0)
    return FileResponse(stream, as_attachment=True, filename=_("通报模板示例.docx"), content_type=DOCX)
