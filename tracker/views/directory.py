"""The agency directory pages: agencies with their aliases and groups, and the queue of names the
resolver did not know. The directory is not secret (every signed-in user may look agencies up);
changing it is for coordinators. Views are edges, so this one may call tracker's services, which
fill in the tasks of a mapped name."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from agencies.models import Agency, AgencyAlias, Jurisdiction, User
from measures.models import MeasureAgency
from tracker import services as tracker_services
from tracker.forms import AliasForm, DutiesForm, NameMapForm, agency_choices
from tracker.selectors import coordinated_documents, directory_jurisdictions

from .common import coordinator_required, page, page_login_required, see_other

PAGE_SIZE = 50
# The queue shows this many distinct names at once; mapping them makes room for the next ones.
QUEUE_LIMIT = 100


@require_safe
@page_login_required
def directory(request: HttpRequest) -> HttpResponse:
    agencies = Agency.objects.filter(is_active=True).select_related("jurisdiction")
    jurisdictions = list(Jurisdiction.objects.order_by("name"))
    jurisdiction_id = request.GET.get("jurisdiction") or ""
    if jurisdiction_id.isdigit():
        agencies = agencies.filter(jurisdiction_id=int(jurisdiction_id))
    if kind := request.GET.get("kind"):
        agencies = agencies.filter(kind=kind)
    if q := request.GET.get("q", "").strip():
        agencies = agencies.filter(Q(name__contains=q) | Q(full_name__contains=q) | Q(aliases__name__contains=q))
        agencies = agencies.distinct()
    agencies = (
        agencies.prefetch_related(
            Prefetch("aliases", queryset=AgencyAlias.objects.order_by("name")),
            Prefetch("members", queryset=Agency.objects.order_by("name").only("id", "name")),
            Prefetch("groups", queryset=Agency.objects.order_by("name").only("id", "name")),
            Prefetch("users", queryset=User.objects.filter(is_active=True).order_by("username")),
        )
        .select_related("liaison", "responsible_leader")
        .order_by("jurisdiction__name", "kind", "name")
    )
    page_obj = Paginator(agencies, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page(
        request,
        "agencies/directory.html",
        {
            "page_obj": page_obj,
            "jurisdictions": jurisdictions,
            "jurisdiction_id": jurisdiction_id,
            "kinds": Agency.Kind.choices,
            "kind": request.GET.get("kind", ""),
            "q": q,
            "query": query.urlencode(),
            "editable": set(directory_jurisdictions(request.user).values_list("pk", flat=True)),
            "alias_form": AliasForm(),
        },
    )


@require_POST
@coordinator_required
def alias_create(request: HttpRequest, pk: int) -> HttpResponse:
    # Another jurisdiction's agencies are not there for this user to change: 404, as for tasks.
    agency = get_object_or_404(Agency, pk=pk, jurisdiction__in=directory_jurisdictions(request.user))
    form = AliasForm(request.POST)
    if form.is_valid():
        try:
            tracker_services.directory_alias_add(user=request.user, agency=agency, name=form.cleaned_data["name"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, _("已为%(a)s添加别名“%(n)s”") % {"a": agency.name, "n": form.cleaned_data["name"]}
            )
    else:
        messages.error(request, _("请填写别名"))
    back = request.POST.get("back")
    return redirect(back if _local(back) else "pages:agencies")


@require_POST
@coordinator_required
def duties_set(request: HttpRequest, pk: int) -> HttpResponse:
    agency = get_object_or_404(Agency, pk=pk, jurisdiction__in=directory_jurisdictions(request.user))
    form = DutiesForm(request.POST, agency=agency)
    if form.is_valid():
        try:
            tracker_services.agency_duties_set(
                user=request.user,
                agency=agency,
                liaison=form.cleaned_data["liaison"],
                leader=form.cleaned_data["leader"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("已保存%(a)s的联络员和分管领导") % {"a": agency.name})
    else:
        messages.error(request, _("请从本单位人员中选择"))
    back = request.POST.get("back")
    return redirect(back if _local(back) else "pages:agencies")


def _local(url: str | None) -> bool:
    return bool(url) and url.startswith("/") and not url.startswith("//")


def _queue(user):
    """Unknown names in the documents the user coordinates, one row per name and jurisdiction."""
    return (
        MeasureAgency.objects.unresolved()
        .filter(measure__document__in=coordinated_documents(user))
        .values("name", "measure__document__jurisdiction_id", "measure__document__jurisdiction__name")
        .annotate(mentions=Count("id"), documents=Count("measure__document", distinct=True))
        .order_by("measure__document__jurisdiction__name", "name")
    )


@require_safe
@coordinator_required
def unknown_queue(request: HttpRequest) -> HttpResponse:
    rows = list(_queue(request.user)[:QUEUE_LIMIT])
    jurisdictions = Jurisdiction.objects.in_bulk({r["measure__document__jurisdiction_id"] for r in rows})
    choices = {pk: agency_choices(j) for pk, j in jurisdictions.items()}
    items = []
    for i, row in enumerate(rows):
        jurisdiction = jurisdictions[row["measure__document__jurisdiction_id"]]
        form = NameMapForm(
            initial={"name": row["name"], "new_name": row["name"]},
            jurisdiction=jurisdiction,
            choices=choices[jurisdiction.pk],
            auto_id=f"id_q{i}_%s",
        )
        items.append((row, jurisdiction, form))
    return page(request, "agencies/queue.html", {"items": items, "limit": QUEUE_LIMIT})


@require_POST
@coordinator_required
def unknown_map(request: HttpRequest, jurisdiction: int) -> HttpResponse:
    jurisdiction_obj = get_object_or_404(directory_jurisdictions(request.user), pk=jurisdiction)
    form = NameMapForm(request.POST, jurisdiction=jurisdiction_obj)
    if not form.is_valid():
        messages.error(request, _("请选择对应单位或填写新建单位名称"))
        return redirect("pages:unknown-names")
    try:
        agency, changed = tracker_services.unknown_name_map(
            user=request.user,
            jurisdiction=jurisdiction_obj,
            name=form.cleaned_data["name"],
            agency=form.cleaned_data["agency"],
            new_name=form.cleaned_data["new_name"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("“%(n)s”已对应为%(a)s,%(c)d 项任务已补充责任单位")
            % {"n": form.cleaned_data["name"], "a": agency.name, "c": changed},
        )
    return see_other("pages:unknown-names")


@require_POST
@coordinator_required
def unknown_dismiss(request: HttpRequest, jurisdiction: int) -> HttpResponse:
    jurisdiction_obj = get_object_or_404(directory_jurisdictions(request.user), pk=jurisdiction)
    name = request.POST.get("name", "").strip()
    count = tracker_services.unknown_name_dismiss(user=request.user, jurisdiction=jurisdiction_obj, name=name)
    if count:
        messages.success(request, _("“%(n)s”已标为不是单位,移出待确认队列") % {"n": name})
    else:
        messages.error(request, _("队列中没有“%(n)s”") % {"n": name})
    return see_other("pages:unknown-names")
