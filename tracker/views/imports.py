"""Import pages: upload → preview (every measure, every agency name and how it matched) → map
unknown names → choose the coordinator → confirm. Views are edges: the reading and parsing are
measures.services, the writes with tasks are tracker.services."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from measures.models import ImportDraft, Measure, MeasureAgency
from measures.parsing import ParsedMeasure
from measures.parsing.metadata import find_switches
from measures.services import (
    DocumentImportError,
    ImportPreview,
    draft_gold,
    import_draft_correct,
    import_draft_create,
    import_draft_preview,
    mention_match,
)
from tracker import services as tracker_services
from tracker.forms import CoordinatorForm, ImportUploadForm, MeasureCorrectionForm, NameMapForm, agency_choices
from tracker.imports import import_draft_confirm
from tracker.selectors import directory_jurisdictions, replaceable_drafts, visible_documents

from .common import coordinator_required, json_download, page, see_other

# The waiting page reloads itself this often until the parse is done.
PENDING_REFRESH_SECONDS = 2
# Measures shown per page of the preview; a plan of thousands of measures stays a small page.
PREVIEW_PAGE_SIZE = 100
# Names the coordinator should look at: never matched, or matched only by similarity.
REVIEW = (MeasureAgency.Match.UNKNOWN, MeasureAgency.Match.FUZZY)


@require_http_methods(["GET", "POST"])
@coordinator_required
def import_upload(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(
        request.POST or None, request.FILES or None, jurisdictions=directory_jurisdictions(request.user)
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > settings.POLICY_MAX_BYTES:
            limit = settings.POLICY_MAX_BYTES // (1024 * 1024)
            form.add_error("file", _("%(name)s:文件超过 %(mb)d MB,未读取") % {"name": upload.name, "mb": limit})
        else:
            try:
                draft = import_draft_create(
                    user=request.user,
                    data=upload.read(),
                    name=upload.name,
                    jurisdiction=form.cleaned_data["jurisdiction"],
                )
            except DocumentImportError as exc:
                form.add_error("file", str(exc))
            else:
                return redirect("pages:import-preview", pk=draft.pk)
    status = 400 if request.method == "POST" else 200
    return page(request, "measures/import_upload.html", {"form": form}, status=status)


@dataclass
class NameRow:
    name: str
    match: str
    label: str
    agency_name: str | None
    score: float | None


@dataclass
class MeasureRow:
    order: int
    measure: ParsedMeasure
    lead: list[NameRow]
    support: list[NameRow]
    doubts: list[str]  # labels: the parser's doubts, then the directory's
    attention: float  # lower is looked at first

    @property
    def doubtful(self) -> bool:
        return bool(self.doubts)


# What a name the directory does not know, or knows only by similarity, takes off a row's standing.
_MATCH_DOUBT = {MeasureAgency.Match.UNKNOWN: 0.3, MeasureAgency.Match.FUZZY: 0.15}


def _rows(preview: ImportPreview) -> list[MeasureRow]:
    """Every measure, the doubtful first (least sure first), the rest in document order."""
    labels = dict(MeasureAgency.Match.choices)
    doubt_labels = dict(Measure.Doubt.choices)

    def names(pm: ParsedMeasure, names: list[str]) -> list[NameRow]:
        out = []
        for name in names:
            r = preview.resolutions[name]
            match = mention_match(pm, name, r)
            out.append(NameRow(name, match, labels.get(match, match), r.agency_name, r.score))
        return out

    rows = []
    for order, pm in enumerate(preview.parsed.measures):
        lead, support = names(pm, pm.lead), names(pm, pm.support)
        matches = {n.match for n in lead + support} & _MATCH_DOUBT.keys()
        doubts = [str(doubt_labels.get(d, d)) for d in pm.doubts] + [
            _("单位“%(n)s”%(m)s") % {"n": n.name, "m": n.label} for n in lead + support if n.match in _MATCH_DOUBT
        ]
        attention = pm.confidence - sum(_MATCH_DOUBT[m] for m in matches)
        rows.append(MeasureRow(order, pm, lead, support, doubts, attention))
    return sorted(rows, key=lambda r: (not r.doubtful, r.attention if r.doubtful else 0, r.order))


def _draft(request: HttpRequest, pk: int) -> ImportDraft:
    return get_object_or_404(
        ImportDraft.objects.select_related("jurisdiction", "coordinator"), pk=pk, user=request.user
    )


def _writable_draft(request: HttpRequest, pk: int) -> ImportDraft:
    """A draft whose jurisdiction's directory the user may change: mapping and confirming write to it."""
    draft = _draft(request, pk)
    if draft.jurisdiction is not None and not request.user.has_perm("tracker.edit_directory", draft.jurisdiction):
        raise Http404
    return draft


def _preview_page(
    request: HttpRequest, draft: ImportDraft, *, bound_map: NameMapForm | None = None, coordinator_form=None, status=200
) -> HttpResponse:
    if draft.status != ImportDraft.Status.READY:
        # Still parsing (the page reloads itself until it is done), or failed with its reason.
        return page(request, "measures/import_pending.html", {"draft": draft, "refresh": PENDING_REFRESH_SECONDS})
    try:
        preview = import_draft_preview(draft=draft)
    except DocumentImportError as exc:
        messages.error(request, str(exc))
        return redirect("pages:import")
    if not request.user.has_perm("tracker.edit_directory", preview.jurisdiction):
        messages.error(
            request,
            _("%(f)s 属于%(j)s,您不是该行政区的督办员,不能导入") % {"f": draft.source_name, "j": preview.jurisdiction},
        )
        return redirect("pages:import")
    rows = _rows(preview)
    review = {}
    for row in rows:
        for n in (*row.lead, *row.support):
            if n.match in REVIEW:
                review.setdefault(n.name, n)
    map_forms = []
    choices = agency_choices(preview.jurisdiction) if review else []
    for i, (name, n) in enumerate(review.items()):
        if bound_map is not None and bound_map.data.get("name") == name:
            form = bound_map
        else:
            initial = {"name": name, "new_name": name}
            if n.match == MeasureAgency.Match.FUZZY:
                initial["agency"] = preview.resolutions[name].agency_id
            form = NameMapForm(
                initial=initial, jurisdiction=preview.jurisdiction, choices=choices, auto_id=f"id_map{i}_%s"
            )
        map_forms.append((n, form))
    coordinator_form = coordinator_form or CoordinatorForm(
        initial={"coordinator": _preselected_coordinator(request, preview)},
        jurisdiction=preview.jurisdiction,
        drafts=replaceable_drafts(request.user, preview.jurisdiction),
    )
    unknown = [n for n in review.values() if n.match == MeasureAgency.Match.UNKNOWN]
    return page(
        request,
        "measures/import_preview.html",
        {
            "draft": draft,
            "preview": preview,
            "page_obj": Paginator(rows, PREVIEW_PAGE_SIZE).get_page(request.GET.get("page")),
            "measure_count": len(rows),
            "doubtful_count": sum(1 for r in rows if r.doubtful),
            "map_forms": map_forms,
            "unknown_count": len(unknown),
            "coordinator_form": coordinator_form,
            "name_count": len(preview.resolutions),
            "switches": find_switches(preview.text, preview.parsed.mechanisms),
        },
        status=status,
    )


def _preselected_coordinator(request: HttpRequest, preview: ImportPreview) -> int | None:
    """The coordinator the document names, else the uploader's own agency when it is of the
    document's jurisdiction: whoever imports a plan usually supervises it."""
    if preview.coordinator is not None:
        return preview.coordinator.pk
    agency = request.user.agency
    if agency is not None and agency.jurisdiction_id == preview.jurisdiction.pk:
        return agency.pk
    return None


@require_safe
@coordinator_required
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    return _preview_page(request, _draft(request, pk))


@require_POST
@coordinator_required
def import_map(request: HttpRequest, pk: int) -> HttpResponse:
    """Map one name; recorded in the directory (alias or new agency), so the preview resolves it now
    and every later import does too."""
    draft = _writable_draft(request, pk)
    form = NameMapForm(request.POST, jurisdiction=draft.jurisdiction)
    if form.is_valid():
        try:
            agency, _changed = tracker_services.unknown_name_map(
                user=request.user,
                jurisdiction=draft.jurisdiction,
                name=form.cleaned_data["name"],
                agency=form.cleaned_data["agency"],
                new_name=form.cleaned_data["new_name"],
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("“%(n)s”已对应为%(a)s") % {"n": form.cleaned_data["name"], "a": agency.name})
            return see_other("pages:import-preview", pk=draft.pk)
    return _preview_page(request, draft, bound_map=form, status=400)


@require_POST
@coordinator_required
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    draft = _writable_draft(request, pk)
    form = CoordinatorForm(
        request.POST, jurisdiction=draft.jurisdiction, drafts=replaceable_drafts(request.user, draft.jurisdiction)
    )
    if not form.is_valid():
        return _preview_page(request, draft, coordinator_form=form, status=400)
    try:
        confirmed = import_draft_confirm(
            draft=draft,
            user=request.user,
            coordinator=form.cleaned_data["coordinator"],
            confirm_draft=form.cleaned_data["confirm_draft"],
            replaces=form.cleaned_data["replaces"],
        )
    except (DocumentImportError, ValidationError) as exc:
        form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))
        return _preview_page(request, draft, coordinator_form=form, status=400)
    document, created, replacement = confirmed.document, confirmed.created, confirmed.replacement
    if replacement is not None:
        messages.success(
            request,
            _("终稿已替换草案:沿用 %(c)d 项任务,新增 %(a)d 项,取消 %(d)d 项")
            % {"c": len(replacement.carried), "a": len(replacement.added), "d": len(replacement.dropped)},
        )
    elif created:
        messages.success(request, _("已导入,共 %(n)d 项任务") % {"n": document.tasks.count()})
    else:
        messages.info(request, _("该文件此前已导入,未创建任何内容"))
    if not visible_documents(request.user).filter(pk=document.pk).exists():
        # Imported for another coordinating agency: its coordinators take it from here.
        messages.info(request, _("该文件由%(a)s督办,您不是其督办员,因此无法查看其任务") % {"a": document.coordinator})
        return redirect("pages:import")
    return redirect("pages:document", pk=document.pk)


@require_POST
@coordinator_required
def import_correct(request: HttpRequest, pk: int, order: int) -> HttpResponse:
    """Correct one measure's ref, title, lead and support before confirming."""
    draft = _writable_draft(request, pk)
    form = MeasureCorrectionForm(request.POST)
    if form.is_valid():
        try:
            import_draft_correct(draft=draft, user=request.user, order=order, **form.cleaned_data)
        except DocumentImportError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("已更正措施 %(ref)s") % {"ref": form.cleaned_data["ref"]})
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return see_other(reverse("pages:import-preview", args=[draft.pk]) + f"?page={request.POST.get('page', 1)}")


@require_safe
@coordinator_required
def import_gold(request: HttpRequest, pk: int) -> HttpResponse:
    """The draft, corrections included, as the extraction contract's JSON: gold for the corpus."""
    draft = _draft(request, pk)
    if draft.status != ImportDraft.Status.READY:
        raise Http404
    return json_download(draft_gold(draft=draft), draft.source_name)
