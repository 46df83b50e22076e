"""The access walk: every route the project serves, found by itself, asked by every kind of user
who must not reach what it names.

Routes come from the OpenAPI schema (drf-spectacular's generator) and from the URL resolver
(recursively, so the admin, the pages, the notification pages and the API's own patterns). Path
parameters are filled by name with objects of a foreign world (another jurisdiction's document, its
task, report, attachment, round, bulletin, notice, import draft, notifications, its agencies and
signed links with a broken signature); a parameter name the walk does not know fails the test, so
a new route cannot slip past. Every method is tried (the schema's for the API; for pages GET, POST,
PUT, PATCH, DELETE, since a function view without a method guard answers them all).

An answer counts as refused when it is 401, 403, 404, a redirect to a sign-in page, or 405 (the
route does not take that method). Anything else on a route naming a foreign object is an offender.
Routes without parameters (lists, the board, the ledger, the dashboard) answer the walker's own
data: there an offender is an answer that carries the foreign world's marker text, asked with
filters pointing at the foreign objects. Last, nothing in the foreign world may have changed.

The figures of a run go to docs/reliability.md ("Access and accounts")."""

import datetime
import io
import json
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token

from agencies.models import Agency, AgencyAlias, Jurisdiction, User
from measures.models import ImportDraft, Measure, MeasureAgency, PolicyDocument
from measures.services import import_draft_create, import_draft_parse_run
from notifications import emails
from notifications.models import Notification, Preference, Webhook
from tests.conftest import SEEDS
from tests.factories import AgencyFactory, AssignmentFactory, DocumentFactory, MeasureFactory, TaskFactory, UserFactory
from tracker import services
from tracker.models import (
    Assignment,
    DocumentAccess,
    LedgerUpload,
    ProgressReport,
    ReportAttachment,
    ReportingRound,
    RoundEntry,
    SavedFilter,
    SupervisionNotice,
    Task,
    TaskEvent,
)
from tracker.workflow import TRANSITIONS

pytestmark = pytest.mark.django_db

# In the foreign task's title and text, its report, attachment, comment, notice and notification;
# never in agency or jurisdiction names, which the directory shows every signed-in user on purpose.
MARK = "外域机密标记"
# In the foreign document's title, its round's and the draft's name: a supporter of another task
# of the same document reads the document and the round (their own part of it), not the task.
DOC_MARK = "外域文件标记"
SAME_DOCUMENT = "supporter in the same document"
# What each walker may read of the foreign world (GET only; every write stays refused).
READS = {SAME_DOCUMENT: {"document", "round"}}
# What the walk writes; found anywhere in the foreign world afterwards, a write got through.
WRITE = "walk-write"

# Public routes (URL names): answered to anyone, by design. Each says why.
PUBLIC = {
    "pages:login": "the sign-in form",
    "pages:logout": "signing out ends one's own session, if any",
    "pages:password-reset": "asking for a reset mail; the answer is the same for every address",
    "pages:password-reset-done": "a static 'mail sent' page",
    "pages:password-reset-confirm": "with a broken token it shows 'invalid link' and sets nothing",
    "pages:password-reset-complete": "a static 'password reset' page",
    "set_language": "Django's i18n switch: sets the language cookie",
    "admin:login": "the admin's sign-in form",
    "schema": "the OpenAPI description of the API: public documentation, no data",
    "api-docs": "Swagger UI over that description",
    "swagger-ui-init": "Swagger UI's start-up script (SpectacularSwaggerSplitView)",
}
# Routes whose object every signed-in user may read on purpose: walked like the lists (the answer
# must not carry the marker), not counted as offenders for answering.
SHARED = {
    "/api/agencies/{id}/": "the agency directory is not secret (pickers, reassignment); it is read-only",
}

METHODS = ("get", "post", "put", "patch", "delete")
FORM = "application/x-www-form-urlencoded"
# The admin is one Django app behind one permission check (superusers only, tracker/admin.py); its
# views take GET and POST, so the walk does not multiply its ~200 routes by five methods.
ADMIN_METHODS = ("get", "post")


@dataclass
class Foreign:
    jurisdiction: Jurisdiction
    document: PolicyDocument
    task: Task
    report: ProgressReport
    attachment: ReportAttachment
    round: ReportingRound
    notice: SupervisionNotice
    draft: ImportDraft
    notification: Notification
    saved_filter: SavedFilter
    ledger_upload: LedgerUpload
    webhook: Webhook
    lead_agency: Agency
    support_agency: Agency
    lead: User


@pytest.fixture
def foreign(db, settings, tmp_path) -> Foreign:
    """甲市's document, coordinated by its own office, with one of everything a route can name."""
    settings.MEDIA_ROOT = tmp_path
    coordinating = AgencyFactory(name="甲市发展改革委", jurisdiction__name="甲市")
    jurisdiction = coordinating.jurisdiction
    lead_agency = AgencyFactory(name="甲市商务局", jurisdiction=jurisdiction)
    support_agency = AgencyFactory(name="甲市工信局", jurisdiction=jurisdiction)
    document = DocumentFactory(title=f"{DOC_MARK}实施意见", jurisdiction=jurisdiction, coordinator=coordinating)
    task = TaskFactory(measure=MeasureFactory(document=document, title=f"{MARK}措施", text=f"{MARK}正文"))
    AssignmentFactory(task=task, agency=lead_agency, role="lead")
    AssignmentFactory(task=task, agency=support_agency, role="support")
    lead = UserFactory(username="jia-lead", agency=lead_agency)
    coordinator = UserFactory(username="jia-coord", agency=coordinating, role=User.Role.COORDINATOR)
    UserFactory(username="jia-support", agency=support_agency)
    round_ = services.round_open(
        document=document,
        user=coordinator,
        title=f"{DOC_MARK}调度",
        due_date=timezone.localdate() + datetime.timedelta(7),
    )
    report = services.report_submit(
        task=task,
        user=lead,
        text=f"{MARK}进展",
        percent=40,
        attachments=[SimpleUploadedFile(f"{MARK}.txt", f"{MARK}附件".encode())],
    )
    task.refresh_from_db()
    services.task_comment(task=task, user=coordinator, text=f"{MARK}意见")
    notice = SupervisionNotice.objects.create(
        number=f"{MARK}督〔2026〕1号",
        jurisdiction=jurisdiction,
        year=2026,
        seq=1,
        task=task,
        agency=lead_agency,
        colour="yellow",
        cycle="walk",
        issued_on=timezone.localdate(),
        reason=SupervisionNotice.Reason.BEHIND,
        asks=f"{MARK}要求",
        answer_due=timezone.localdate() + datetime.timedelta(3),
    )
    notification = Notification.objects.create(
        recipient=lead, kind=Notification.Kind.ASSIGNED, target=f"task:{task.pk}", period="walk", task=task
    )
    webhook = Webhook.objects.create(agency=lead_agency, service="wecom", url="http://127.0.0.1:9/walk")
    ledger_upload = LedgerUpload.objects.create(user=lead, name=f"{MARK}.csv", content=b"")
    saved_filter = SavedFilter.objects.create(user=lead, name=f"{MARK}筛选", page="pages:my-tasks", query="q=x")
    draft = import_draft_create(
        user=coordinator, data=SEEDS[0].read_bytes(), name=f"{DOC_MARK}.txt", jurisdiction=jurisdiction
    )
    draft = import_draft_parse_run(draft_id=draft.pk)
    assert draft.status == ImportDraft.Status.READY, draft.error
    task.refresh_from_db()
    return Foreign(
        jurisdiction=jurisdiction,
        document=document,
        task=task,
        report=report,
        attachment=report.attachments.get(),
        round=round_,
        notice=notice,
        draft=draft,
        notification=notification,
        saved_filter=saved_filter,
        ledger_upload=ledger_upload,
        webhook=webhook,
        lead_agency=lead_agency,
        support_agency=support_agency,
        lead=lead,
    )


@pytest.fixture
def walkers(foreign) -> dict[str, User | None]:
    """乙市, with a document of its own: each walker has work there and none in 甲市; and a supporter
    of another task of the foreign document."""
    side_agency = AgencyFactory(name="甲市财政局", jurisdiction=foreign.jurisdiction)
    side = TaskFactory(measure=MeasureFactory(document=foreign.document, title="甲市另一措施"))
    AssignmentFactory(task=side, agency=AgencyFactory(name="甲市民政局", jurisdiction=foreign.jurisdiction))
    AssignmentFactory(task=side, agency=side_agency, role="support")
    coordinating = AgencyFactory(name="乙市发展改革委", jurisdiction__name="乙市")
    jurisdiction = coordinating.jurisdiction
    staff_agency = AgencyFactory(name="乙市教育局", jurisdiction=jurisdiction)
    support_agency = AgencyFactory(name="乙市财政局", jurisdiction=jurisdiction)
    office = AgencyFactory(name="乙市政府办公室", jurisdiction=jurisdiction)
    document = DocumentFactory(title="乙市实施意见", jurisdiction=jurisdiction, coordinator=coordinating)
    task = TaskFactory(measure=MeasureFactory(document=document, title="乙市措施"))
    AssignmentFactory(task=task, agency=staff_agency, role="lead")
    AssignmentFactory(task=task, agency=support_agency, role="support")
    return {
        "staff of another agency": UserFactory(username="yi-staff", agency=staff_agency),
        "support staff": UserFactory(username="yi-support", agency=support_agency),
        "coordinator of another document": UserFactory(
            username="yi-coord", agency=coordinating, role=User.Role.COORDINATOR
        ),
        "leader of another jurisdiction": UserFactory(username="yi-leader", agency=office, role=User.Role.LEADER),
        SAME_DOCUMENT: UserFactory(username="jia-side", agency=side_agency),
        "anonymous": None,
    }


# ---- discovery -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    template: str  # "/tasks/{pk}/report/"
    name: str  # "pages:task-report", or the schema's operation path for the API
    methods: tuple[str, ...]
    source: str  # "schema" or "resolver"


PARAM = re.compile(r"\{(\w+)\}")


def schema_routes() -> list[Route]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    routes = []
    for path, operations in schema["paths"].items():
        methods = tuple(m for m in METHODS if m in operations)
        routes.append(Route(template=path, name=path, methods=methods, source="schema"))
    return routes


def _regex_to_template(regex: str) -> str:
    text = regex.lstrip("^").rstrip("$").replace(r"\Z", "")
    text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", text)
    return text.replace("\\", "")


def _route_to_template(route: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def resolver_routes() -> list[Route]:
    routes: list[Route] = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for entry in patterns:
            raw = str(entry.pattern)
            part = _regex_to_template(raw) if raw.startswith("^") or "(?P<" in raw else _route_to_template(raw)
            if isinstance(entry, URLResolver):
                inner = ":".join(n for n in (namespace, entry.namespace) if n)
                walk(entry.url_patterns, prefix + part, inner)
            elif isinstance(entry, URLPattern):
                template = "/" + prefix + part
                # DRF's format-suffix twins (tasks.json, tasks/{pk}.json) serve the same views.
                if "{format}" in template:
                    continue
                name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or template
                methods = ADMIN_METHODS if template.startswith("/admin/") else METHODS
                routes.append(Route(template=template, name=name, methods=methods, source="resolver"))

    walk(get_resolver().url_patterns, "", "")
    return routes


def all_routes() -> list[Route]:
    """The schema's routes, plus every resolver route the schema does not describe (pages, admin,
    and any API view left out of the schema)."""
    routes = schema_routes()
    known = {_shape(r.template) for r in routes}
    for route in resolver_routes():
        if _shape(route.template) not in known:
            known.add(_shape(route.template))
            routes.append(route)
    return routes


def _shape(template: str) -> str:
    return PARAM.sub("{}", template)


# ---- parameters ----------------------------------------------------------------------------------

# The model a "pk" / "id" names, by the first literal segment of its path (API paths without "api/").
PK_MODELS = {
    "tasks": "task",
    "documents": "document",
    "rounds": "round",
    "notices": "notice",
    "import": "draft",
    "imports": "draft",  # the import API
    "attachments": "attachment",
    "agencies": "agency",
    "notifications": "notification",
    "ranking": "agency",  # an agency's assessment history
    "filters": "saved_filter",
    "board": "agency",  # nudge all overdue work of one agency
    "ledger": "ledger_upload",
    "notifications/webhooks": "webhook",  # a group robot, under the notifications pages
}


def _tampered(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def route_model(route: Route) -> str | None:
    """The model the route's pk/id names, None for other parameters."""
    names = PARAM.findall(route.template)
    if not names or names[0] not in ("pk", "id") or route.template.startswith("/admin/"):
        return None
    segments = [s for s in route.template.strip("/").split("/") if s != "api"]
    return PK_MODELS.get("/".join(segments[:2])) or PK_MODELS.get(segments[0])


def fill(route: Route, world: Foreign) -> list[str]:
    """The concrete URLs of a route, every parameter filled with a foreign object (one URL per
    transition action). Fails on a parameter name or a path it does not know."""
    names = PARAM.findall(route.template)
    if not names:
        return [route.template]
    objects = {
        "task": world.task.pk,
        "document": world.document.pk,
        "round": world.round.pk,
        "notice": world.notice.pk,
        "draft": world.draft.pk,
        "attachment": world.attachment.pk,
        "agency": world.lead_agency.pk,
        "notification": world.notification.pk,
        "saved_filter": world.saved_filter.pk,
        "ledger_upload": world.ledger_upload.pk,
        "webhook": world.webhook.pk,
    }
    choices: dict[str, list[str]] = {}
    for name in names:
        if route.template.startswith("/admin/"):
            values = {
                "app_label": ["tracker"],
                "object_id": [str(world.task.pk)],
                "id": [str(world.lead.pk)],  # the user admin's password form
                "content_type_id": [str(_content_type(Task))],
                "url": ["tracker/task/"],
            }.get(name)
        elif name in ("pk", "id"):
            model = route_model(route)
            assert model, f"{route.template}: which model does {name} name? Add its path to PK_MODELS"
            values = [str(objects[model])]
        else:
            values = {
                "task_pk": [str(world.task.pk)],
                "report_pk": [str(world.report.pk)],
                "order": ["0"],
                "extension": ["xlsx", "docx"],
                "jurisdiction": [str(world.jurisdiction.pk)],
                "action": list(TRANSITIONS),
                # Signed links with a broken signature: the settings/unsubscribe token of the
                # foreign lead, the ICS token of the foreign lead agency.
                "token": [
                    _tampered(emails.ics_token(world.lead.pk, 0))
                    if route.template.endswith(".ics")
                    else _tampered(emails.settings_token(world.lead.pk))
                ],
                "uidb64": ["MQ"],
            }.get(name)
            if name == "token" and "password/reset" in route.template:
                values = ["set-password"]
        assert values, f"{route.template}: the walk does not know the parameter {name!r}; map it in fill()"
        choices[name] = values
    urls = [route.template]
    for name, values in choices.items():
        urls = [u.replace("{" + name + "}", v, 1) for u in urls for v in values]
    return urls


def _content_type(model) -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(model).pk


def queries(world: Foreign) -> str:
    """Filters on list routes, pointing at the foreign world."""
    return (
        f"?document={world.document.pk}&task={world.task.pk}&round={world.round.pk}"
        f"&agency={world.lead_agency.pk}&jurisdiction={world.jurisdiction.name}"
    )


def body(world: Foreign) -> dict:
    """One body for every write: each field some route reads, each naming the foreign world."""
    return {
        "text": WRITE,
        "comment": WRITE,
        "title": WRITE,
        "name": WRITE,
        "reason": WRITE,
        "percent": 50,
        "due_date": "2030-01-01",
        "action": "request_closure",
        "document": world.document.pk,
        "round": world.round.pk,
        "task": world.task.pk,
        "agency": world.lead_agency.pk,
        "jurisdiction": world.jurisdiction.pk,
        "version": world.task.version,
        "lead": [world.lead_agency.pk],
        "support": [world.support_agency.pk],
        "ids": [world.notification.pk],
        "id": [world.notification.pk],
    }


# ---- answers -------------------------------------------------------------------------------------


def refused(response) -> bool:
    if response.status_code in (401, 403, 404, 405):
        return True
    if response.status_code in (301, 302, 303, 307):
        target = response.headers.get("Location", "")
        return target.startswith(("/login/", "/admin/login/"))
    return False


def carries_mark(response, marks: tuple[str, ...] = (MARK, DOC_MARK)) -> bool:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":  # xlsx, docx: the text is in the zip's XML parts
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            content = b"".join(archive.read(n) for n in archive.namelist())
    return any(m.encode() in content or json.dumps(m)[1:-1].encode() in content for m in marks)


def fingerprint(world: Foreign, walkers: dict[str, User | None]) -> list:
    """Everything of the foreign world a write could touch, but the walkers' own settings: those are
    theirs to change (resetting one's calendar link writes one's own preference)."""
    own = [u.pk for u in walkers.values() if u is not None]
    document, jurisdiction = world.document, world.jurisdiction
    tasks = Task.objects.filter(document=document)
    parts = [
        PolicyDocument.objects.filter(pk=document.pk).values(),
        Measure.objects.filter(document=document).values(),
        MeasureAgency.objects.filter(measure__document=document).values(),
        tasks.values(),
        Assignment.objects.filter(task__in=tasks).values(),
        TaskEvent.objects.filter(task__in=tasks).values(),
        ProgressReport.objects.filter(task__in=tasks).values(),
        ReportAttachment.objects.filter(report__task__in=tasks).values(),
        ReportingRound.objects.filter(document=document).values(),
        RoundEntry.objects.filter(round__document=document).values(),
        SupervisionNotice.objects.filter(task__in=tasks).values(),
        ImportDraft.objects.filter(pk=world.draft.pk).values("status", "corrections", "jurisdiction", "coordinator"),
        Agency.objects.filter(jurisdiction=jurisdiction).values(),
        AgencyAlias.objects.filter(jurisdiction=jurisdiction).values(),
        DocumentAccess.objects.filter(document=document).values(),
        Notification.objects.filter(recipient__agency__jurisdiction=jurisdiction).values(),
        Preference.objects.filter(user__agency__jurisdiction=jurisdiction).exclude(user__in=own).values(),
        SavedFilter.objects.filter(user__agency__jurisdiction=jurisdiction).exclude(user__in=own).values(),
        Webhook.objects.filter(agency__jurisdiction=jurisdiction).values(),
        User.objects.filter(agency__jurisdiction=jurisdiction).values("password", "email", "is_active", "role"),
    ]
    return [sorted(map(repr, p)) for p in parts]


@dataclass
class Walk:
    routes: list[Route]
    requests: Counter
    refusals: Counter
    statuses: dict[str, Counter]  # role → status → count, on routes naming a foreign object
    offenders: list[str]


def ask(client: Client, method: str, url: str, world: Foreign, *, api: bool, token: str | None):
    """One request. The API is asked with the walker's token (as clients do; no session, no CSRF
    question), the pages with the session. A write carries the body naming the foreign world: JSON
    and If-Match for the API, a form for the pages."""
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if api and token else {}
    if method == "get":
        return client.get(url, **headers)
    data = body(world)
    if api:
        return getattr(client, method)(
            url, data=json.dumps(data), content_type="application/json", HTTP_IF_MATCH=world.task.etag, **headers
        )
    # Django's test client encodes only POST as a form by itself.
    return getattr(client, method)(url, data=urlencode(data, doseq=True), content_type=FORM)


def walk(world: Foreign, walkers: dict[str, User | None], routes: list[Route] | None = None) -> Walk:
    routes = all_routes() if routes is None else routes
    requests, refusals, offenders = Counter(), Counter(), []
    statuses: dict[str, Counter] = {role: Counter() for role in walkers}
    for role, user in walkers.items():
        client, api_client, token = Client(), Client(), None
        if user is not None:
            client.force_login(user)
            token = Token.objects.get_or_create(user=user)[0].key
        marks = (MARK,) if role == SAME_DOCUMENT else (MARK, DOC_MARK)
        for route in routes:
            if route.name in PUBLIC:
                continue
            api = route.source == "schema" or route.template.startswith("/api/")
            for url, method in ((u, m) for u in fill(route, world) for m in route.methods):
                names_object = bool(PARAM.search(route.template)) and route.template not in SHARED
                if method == "get" and route_model(route) in READS.get(role, ()):
                    names_object = False
                asked = url if names_object or method != "get" else url + queries(world)
                response = ask(api_client if api else client, method, asked, world, api=api, token=token)
                requests[role] += 1
                if names_object:
                    statuses[role][response.status_code] += 1
                if names_object and not refused(response):
                    offenders.append(f"{role}: {method.upper()} {asked} → {response.status_code}")
                elif not names_object and carries_mark(response, marks):
                    offenders.append(f"{role}: {method.upper()} {asked} → {response.status_code} shows the marker")
                elif refused(response):
                    refusals[role] += 1
    return Walk(routes=routes, requests=requests, refusals=refusals, statuses=statuses, offenders=offenders)


def test_no_role_reaches_another_world(foreign, walkers):
    before = fingerprint(foreign, walkers)
    result = walk(foreign, walkers)
    after = fingerprint(foreign, walkers)

    named = [r for r in result.routes if PARAM.search(r.template)]
    print(
        f"\nroutes: {len(result.routes)} ({sum(r.source == 'schema' for r in result.routes)} from the schema,"
        f" {len(named)} naming an object)"
    )
    for role in walkers:
        answers = ", ".join(f"{code}: {n}" for code, n in sorted(result.statuses[role].items()))
        print(f"  {role}: {result.requests[role]} requests, {result.refusals[role]} refused; on objects {answers}")
    print(f"offenders: {len(result.offenders)}")
    for line in result.offenders:
        print("  " + line)
    assert result.offenders == []
    assert before == after, "a write reached the foreign world"


def test_the_walk_finds_every_route_and_knows_every_parameter(foreign):
    routes = all_routes()
    templates = {r.template for r in routes}
    # A sample of each source: the schema's API, the pages, the notification pages, the admin.
    assert {"/api/tasks/{id}/reports/", "/api/notifications/{id}/read/", "/api/rounds/{id}/close/"} <= templates
    assert {"/tasks/{pk}/reports/{report_pk}/return/", "/notifications/ics/{token}.ics", "/import/{pk}/gold.json"} <= {
        r.template for r in routes
    }
    assert any(t.startswith("/admin/tracker/task/") for t in templates)
    assert len(admin.site._registry) > 10
    for route in routes:
        assert fill(route, foreign)


def test_an_unknown_parameter_fails_the_walk(foreign):
    with pytest.raises(AssertionError, match="does not know the parameter 'widget'"):
        fill(Route("/tasks/{pk}/widgets/{widget}/", "new", ("get",), "resolver"), foreign)
    with pytest.raises(AssertionError, match="which model"):
        fill(Route("/reports/{pk}/", "new", ("get",), "resolver"), foreign)


def test_a_hole_is_caught(foreign, walkers, monkeypatch):
    """The walk can fail: with the task pages' scoping removed, every signed-in walker offends."""
    from tracker.views import tasks as task_views

    monkeypatch.setattr(
        task_views, "_visible_task", lambda request, pk: task_views.task_detail(Task.objects.all()).get(pk=pk)
    )
    routes = [r for r in all_routes() if r.name == "pages:task"]
    result = walk(foreign, walkers, routes)
    assert {line.split(":")[0] for line in result.offenders} == set(walkers) - {"anonymous"}


def test_a_hole_in_the_api_is_caught(foreign, walkers, monkeypatch):
    """The same for the API: the task endpoints unscoped, every signed-in walker reads the task."""
    from tracker.api.views import TaskViewSet

    monkeypatch.setattr(TaskViewSet, "get_queryset", lambda self: Task.objects.all())
    routes = [r for r in all_routes() if r.template in ("/api/tasks/{id}/", "/api/tasks/{id}/events/")]
    result = walk(foreign, walkers, routes)
    assert {line.split(":")[0] for line in result.offenders} == set(walkers) - {"anonymous"}
