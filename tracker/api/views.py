"""REST API: thin edges over tracker.services and the scoped querysets.

Scoping is in the queryset (Task.objects.visible_to), so a task a user may not see is a 404."""

import datetime
from urllib.parse import quote

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from agencies.models import Agency
from measures.models import PolicyDocument
from tracker import assessment, services
from tracker.bulletin import bulletin_write, round_bulletin
from tracker.bulletin_docx import bulletin_docx
from tracker.bulletin_template import bulletin_context
from tracker.ledger import ledger_filename, ledger_queryset, ledger_write
from tracker.models import Assignment, ProgressReport, ReportingRound, RoundEntry, SavedFilter, Task, TaskEvent
from tracker.roles import coordinates, task_roles
from tracker.selectors import (
    dashboard_figures,
    is_coordinator,
    is_leader,
    notices_visible,
    overseen_documents,
    ranking_jurisdictions,
    visible_documents,
)
from tracker.workflow import allowed

from . import serializers as s
from .filters import TaskFilter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description=_("任务的 ETag(版本),防止覆盖他人的修改"),
)


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_code = "precondition_required"
    default_detail = _("修改任务须携带 If-Match 头(任务的 ETag)")


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def expected_version(request) -> int:
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise PreconditionRequired()
    try:
        return int(header.removeprefix("W/").strip('"'))
    except ValueError as exc:
        raise PreconditionFailed(_("If-Match 格式不正确")) from exc


class TaskPagination(CursorPagination):
    ordering = ("-id",)
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class TaskViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Task.objects.none()  # for the schema generator; requests use get_queryset()
    filterset_class = TaskFilter
    pagination_class = TaskPagination
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        assignments = Assignment.objects.select_related("agency").order_by("role", "position")
        return (
            Task.objects.visible_to(self.request.user)
            .select_related("measure", "document", "document__coordinator")
            .defer("document__raw_text")
            .prefetch_related(Prefetch("assignments", queryset=assignments))
        )

    @extend_schema(responses=s.TaskSerializer(many=True))
    def list(self, request, *args, **kwargs):
        """The list as rows of values, not model instances (s.task_rows; same output as
        TaskSerializer): what a user waits for most, so it skips what it does not need."""
        tasks = self.filter_queryset(Task.objects.visible_to(request.user)).values(*s.TASK_ROW_FIELDS)
        page = self.paginate_queryset(tasks)
        return self.get_paginated_response(s.task_rows(page))

    def get_serializer_class(self):
        return s.TaskDetailSerializer if self.action == "retrieve" else s.TaskSerializer

    def _task(self) -> Task:
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def _respond(self, task: Task | None = None) -> Response:
        """The task as it is now, with its new ETag and the actions the user may take next. After a
        write it is read again; a plain GET passes the task it has just read."""
        task = task or self._task()
        roles = task_roles(self.request.user, task)
        context = {**self.get_serializer_context(), "allowed_actions": [t.name for t in allowed(task.status, roles)]}
        response = Response(s.TaskDetailSerializer(task, context=context).data)
        response["ETag"] = task.etag
        return response

    def retrieve(self, request, *args, **kwargs):
        task = self._task()
        if request.headers.get("If-None-Match") == task.etag:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": task.etag})
        return self._respond(task)

    def _run(self, fn, **kwargs):
        try:
            return fn(**kwargs)
        except services.StaleVersion as exc:
            raise PreconditionFailed(str(exc)) from exc
        except services.WorkflowError as exc:
            raise Conflict(str(exc)) from exc
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(exc.messages) from exc

    @extend_schema(request=s.TransitionSerializer, responses=s.TaskDetailSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Change the task's status: request/accept/return closure, request/approve/refuse extension,
        suspend, resume, cancel. Who may do which is the workflow table's business."""
        task = self._task()
        body = s.TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = expected_version(request)
        self._run(
            services.task_transition, task=task, user=request.user, expected_version=version, **body.validated_data
        )
        return self._respond()

    @extend_schema(request=s.ReassignSerializer, responses=s.TaskDetailSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["put"])
    def assignments(self, request, pk=None):
        task = self._task()
        body = s.ReassignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = expected_version(request)
        ids = [*body.validated_data["lead"], *body.validated_data["support"]]
        agencies = Agency.objects.in_bulk(ids)
        if missing := set(ids) - set(agencies):
            raise exceptions.ValidationError({"agencies": _("单位不存在:%(ids)s") % {"ids": sorted(missing)}})
        self._run(
            services.task_reassign,
            task=task,
            user=request.user,
            expected_version=version,
            lead=[agencies[i] for i in body.validated_data["lead"]],
            support=[agencies[i] for i in body.validated_data["support"]],
            comment=body.validated_data["comment"],
        )
        return self._respond()

    @extend_schema(request=s.DueDateSerializer, responses=s.TaskDetailSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["put"], url_path="due-date")
    def due_date(self, request, pk=None):
        task = self._task()
        body = s.DueDateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = expected_version(request)
        self._run(
            services.task_set_due_date, task=task, user=request.user, expected_version=version, **body.validated_data
        )
        return self._respond()

    @extend_schema(methods=["get"], responses=s.ReportSerializer(many=True))
    @extend_schema(methods=["post"], request=s.ReportSerializer, responses={201: s.ReportSerializer})
    @action(detail=True, methods=["get", "post"])
    def reports(self, request, pk=None):
        task = self._task()
        if request.method == "GET":
            reports = (
                ProgressReport.objects.filter(task=task)
                .select_related("agency", "author")
                .prefetch_related("values", "attachments")
            )
            return Response(s.ReportSerializer(reports, many=True).data)
        body = s.ReportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        round_ = None
        if data.get("round") is not None:
            round_ = data["round"]
        # The answer is built inside the report's transaction: if it cannot be, nothing was filed,
        # and a client that retries does not file twice.
        with transaction.atomic():
            report = self._run(
                services.report_submit,
                task=task,
                user=request.user,
                text=data["text"],
                percent=data.get("percent"),
                values={v["target"]: v["value"] for v in data.get("values", [])},
                attachments=request.FILES.getlist("attachments"),
                round=round_,
            )
            answer = s.ReportSerializer(report).data
        return Response(answer, status=status.HTTP_201_CREATED)

    @extend_schema(responses=s.EventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def events(self, request, pk=None):
        """The task's full timeline: status changes, reports, contributions, assignments, comments, nudges."""
        task = self._task()
        events = TaskEvent.objects.filter(task=task).select_related("actor", "agency")
        return Response(s.EventSerializer(events, many=True).data)

    @extend_schema(responses=s.HistorySerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        task = self._task()
        records = list(task.history.select_related("history_user").order_by("-history_date", "-history_id"))
        rows = []
        for newer, older in zip(records, [*records[1:], None], strict=True):
            changes = []
            if older is not None:
                delta = newer.diff_against(older)
                changes = [{"field": c.field, "old": str(c.old), "new": str(c.new)} for c in delta.changes]
            rows.append(
                {
                    "history_date": newer.history_date,
                    "history_user": newer.history_user.username if newer.history_user else None,
                    "changes": changes,
                }
            )
        return Response(s.HistorySerializer(rows, many=True).data)

    @extend_schema(request=s.CommentSerializer, responses={201: s.EventSerializer})
    @action(detail=True, methods=["post"])
    def comments(self, request, pk=None):
        task = self._task()
        body = s.CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        event = self._run(services.task_comment, task=task, user=request.user, text=body.validated_data["text"])
        return Response(s.EventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.CommentSerializer, responses={201: s.EventSerializer})
    @action(detail=True, methods=["post"])
    def instructions(self, request, pk=None):
        """领导批示: a leader of the task's document writes an instruction; its agencies are told."""
        task = self._task()
        body = s.CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        event = self._run(services.task_instruct, task=task, user=request.user, text=body.validated_data["text"])
        return Response(s.EventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.ReceiptSerializer})
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        """签收: the user's agency acknowledges the task; 409 if it already has."""
        task = self._task()
        count = self._run(services.assignment_receive, task=task, user=request.user)
        return Response(s.ReceiptSerializer({"received": count}).data)

    @extend_schema(request=s.NudgeSerializer, responses={201: s.EventSerializer})
    @action(detail=True, methods=["post"])
    def nudge(self, request, pk=None):
        task = self._task()
        body = s.NudgeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        agency = None
        if body.validated_data["agency"] is not None:
            agency = Agency.objects.filter(pk=body.validated_data["agency"]).first()
            if agency is None:
                raise exceptions.ValidationError({"agency": _("单位不存在")})
        event = self._run(
            services.task_nudge, task=task, user=request.user, agency=agency, comment=body.validated_data["comment"]
        )
        return Response(s.EventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): bytes})
    @action(detail=False, methods=["get"], pagination_class=None)
    def ledger(self, request):
        """The 台账 of the filtered task list as an Excel file."""
        tasks = ledger_queryset(self.filter_queryset(self.get_queryset()).order_by("document_id", "measure__order"))
        today = timezone.localdate()
        response = HttpResponse(content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{ledger_filename(today)}"
        ledger_write(tasks, response, today=today)
        return response


class DocumentViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = PolicyDocument.objects.none()
    serializer_class = s.DocumentSerializer

    def get_queryset(self):
        return visible_documents(self.request.user).select_related("coordinator", "jurisdiction").order_by("-id")

    @extend_schema(request=s.CommentSerializer, responses={201: s.DocumentInstructionSerializer})
    @action(detail=True, methods=["post"])
    def instructions(self, request, pk=None):
        """领导批示 on the whole document: on every open task's timeline, told once to each agency."""
        document = self.get_object()
        body = s.CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            instruction = services.document_instruct(
                document=document, user=request.user, text=body.validated_data["text"]
            )
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(exc.messages) from exc
        return Response(s.DocumentInstructionSerializer(instruction).data, status=status.HTTP_201_CREATED)


class RoundViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = ReportingRound.objects.none()
    filterset_fields = ["document"]

    def get_queryset(self):
        rounds = ReportingRound.objects.filter(document__in=visible_documents(self.request.user)).order_by("-id")
        if self.action == "retrieve":
            entries = RoundEntry.objects.select_related("agency", "task__measure").order_by(
                "task__measure__order", "role"
            )
            user = self.request.user
            rounds = rounds.select_related("document")
            # Agency staff see their own entries only; coordinators and leaders see the whole round.
            if not user.is_superuser and getattr(user, "role", None) == "staff":
                entries = entries.filter(task__in=Task.objects.visible_to(user))
            rounds = rounds.prefetch_related(Prefetch("entries", queryset=entries))
        return rounds

    def get_serializer_class(self):
        return s.RoundDetailSerializer if self.action == "retrieve" else s.RoundSerializer

    def create(self, request, *args, **kwargs):
        body = s.RoundSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        document = get_object_or_404(visible_documents(request.user), pk=body.validated_data["document"].pk)
        if not coordinates(request.user, document.pk, document.coordinator_id):
            raise exceptions.PermissionDenied(_("只有督办员可以发起调度"))
        try:
            round_ = services.round_open(
                document=document,
                user=request.user,
                title=body.validated_data["title"],
                due_date=body.validated_data["due_date"],
            )
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(exc.messages) from exc
        return Response(s.RoundSerializer(round_).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.RoundSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        round_ = get_object_or_404(self.get_queryset(), pk=pk)
        try:
            round_ = services.round_close(round=round_, user=request.user)
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        except services.WorkflowError as exc:
            raise Conflict(str(exc)) from exc
        return Response(s.RoundSerializer(round_).data)

    def _bulletin(self, pk):
        rounds = ReportingRound.objects.filter(document__in=overseen_documents(self.request.user))
        round_ = get_object_or_404(rounds.select_related("document"), pk=pk)
        return round_bulletin(round_, today=timezone.localdate())

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def bulletin(self, request, pk=None):
        """通报 of the round as data (the figures the Word template receives): for the coordinators
        and leaders of its document."""
        return Response(bulletin_context(self._bulletin(pk)))

    @extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="bulletin/xlsx")
    def bulletin_xlsx(self, request, pk=None):
        return self._bulletin_file(pk, bulletin_write, "xlsx", XLSX)

    @extend_schema(responses={(200, DOCX): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="bulletin/docx")
    def bulletin_docx(self, request, pk=None):
        return self._bulletin_file(pk, bulletin_docx, "docx", DOCX)

    def _bulletin_file(self, pk, write, extension: str, content_type: str) -> HttpResponse:
        report = self._bulletin(pk)
        response = HttpResponse(content_type=content_type)
        filename = quote(f"{report.title}-{report.today:%Y-%m-%d}.{extension}")
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
        write(report, response)
        return response


class DashboardViewSet(viewsets.ViewSet):
    """The dashboard's figures for leaders and coordinators, over the tasks they may see, filtered
    like the task list; `as_of` a past day rebuilds the totals and per-document figures from history."""

    @extend_schema(
        parameters=[
            OpenApiParameter("document", int),
            OpenApiParameter("as_of", OpenApiTypes.DATE, description=_("查看某一历史日期的情况")),
        ],
        responses=s.DashboardSerializer,
    )
    def list(self, request):
        user = request.user
        if not (is_leader(user) or is_coordinator(user)):
            raise exceptions.PermissionDenied(_("您无权执行此操作"))
        tasks = Task.objects.visible_to(user)
        if request.query_params.get("document", "").isdigit():
            tasks = tasks.filter(document_id=int(request.query_params["document"]))
        today = timezone.localdate()
        as_of = None
        if request.query_params.get("as_of"):
            try:
                as_of = datetime.date.fromisoformat(request.query_params["as_of"])
            except ValueError:
                raise exceptions.ValidationError({"as_of": _("日期格式应为 YYYY-MM-DD")}) from None
            if as_of >= today:
                as_of = None
        data = dashboard_figures(tasks, today=today, as_of=as_of)
        return Response(s.DashboardSerializer(data).data)


class AgencyViewSet(viewsets.ReadOnlyModelViewSet):
    """The directory is not secret: every signed-in user can look agencies up (for reassignment, pickers)."""

    serializer_class = s.AgencySerializer

    def get_queryset(self):
        agencies = (
            Agency.objects.filter(is_active=True).select_related("jurisdiction").order_by("jurisdiction_id", "name")
        )
        if q := self.request.query_params.get("q"):
            agencies = agencies.filter(Q(name__contains=q) | Q(aliases__name__contains=q)).distinct()
        if jurisdiction := self.request.query_params.get("jurisdiction"):
            agencies = agencies.filter(jurisdiction__name=jurisdiction)
        return agencies


class NoticePagination(CursorPagination):
    ordering = ("-issued_on", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class NoticeViewSet(viewsets.ReadOnlyModelViewSet):
    """督办单 on the tasks the user may see; filters: task, colour, answered (true/false)."""

    serializer_class = s.NoticeSerializer
    pagination_class = NoticePagination
    filterset_fields = ["task", "colour", "agency"]

    def get_queryset(self):
        notices = notices_visible(self.request.user)
        answered = self.request.query_params.get("answered")
        if answered in ("true", "false"):
            notices = notices.filter(answered_at__isnull=answered == "false")
        return notices


class RankingViewSet(viewsets.ViewSet):
    """考核排名: a jurisdiction's agencies for a period (stored snapshot, or `as_of` a past day), and one
    agency's history. For the leaders and coordinators of the jurisdiction's documents; 404 otherwise."""

    @extend_schema(
        parameters=[
            OpenApiParameter("jurisdiction", int, description=_("行政区 id;缺省为第一个可查看的")),
            OpenApiParameter("period", str, description="2026-03, 2026-Q1, 2026-H1, 2026"),
            OpenApiParameter("as_of", OpenApiTypes.DATE, description=_("查看某一历史日期的情况")),
        ],
        responses=s.RankingSerializer,
    )
    def list(self, request):
        params = request.query_params
        _places, place, period, as_of, today = assessment.ranking_scope(
            request.user,
            jurisdiction=params.get("jurisdiction"),
            period=params.get("period"),
            as_of=params.get("as_of"),
        )
        result = assessment.ranking(jurisdiction=place, period=period, today=today, as_of=as_of)
        return Response(s.RankingSerializer(result).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("id", int, OpenApiParameter.PATH, description=_("单位 id")),
            OpenApiParameter("kind", str, enum=[*assessment.PERIOD_KINDS]),
        ],
        responses=s.AgencyScoreSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        readable = Agency.objects.filter(jurisdiction__in=ranking_jurisdictions(request.user))
        agency = get_object_or_404(readable, pk=pk if str(pk).isdigit() else 0)
        kind = request.query_params.get("kind", "month")
        if kind not in assessment.PERIOD_KINDS:
            raise exceptions.ValidationError({"kind": _("未知的考核周期类型")})
        return Response(s.AgencyScoreSerializer(assessment.agency_history(agency, kind=kind), many=True).data)


class SavedFilterViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """The caller's saved filters (常用筛选); another user's is a 404."""

    serializer_class = s.SavedFilterSerializer
    queryset = SavedFilter.objects.none()

    def get_queryset(self):
        return SavedFilter.objects.filter(user=self.request.user)

    def perform_create(self, serializer):
        try:
            serializer.instance = services.saved_filter_save(user=self.request.user, **serializer.validated_data)
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(exc.messages) from exc

    def perform_destroy(self, instance):
        services.saved_filter_delete(user=self.request.user, saved=instance)
