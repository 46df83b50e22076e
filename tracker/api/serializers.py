import json

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agencies.models import Agency
from measures.models import MeasureTarget, PolicyDocument
from tracker.models import (
    Assignment,
    DocumentInstruction,
    ProgressReport,
    ReportingRound,
    RoundEntry,
    SavedFilter,
    SupervisionNotice,
    Task,
    TaskEvent,
)
from tracker.workflow import OPEN, TRANSITIONS


class AgencySerializer(serializers.ModelSerializer):
    jurisdiction = serializers.CharField(source="jurisdiction.name", read_only=True)

    class Meta:
        model = Agency
        fields = ["id", "name", "full_name", "kind", "jurisdiction"]


class AssignmentSerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.name")
    agency_id = serializers.IntegerField()

    class Meta:
        model = Assignment
        fields = ["agency_id", "agency", "role"]


class TargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = MeasureTarget
        fields = ["id", "text", "value", "unit", "by"]


class TaskSerializer(serializers.ModelSerializer):
    ref = serializers.CharField(source="measure.ref")
    title = serializers.CharField(source="measure.title")
    # Method fields, not `source="get_status_display"`: DRF inspects the signature of a callable
    # source on every row (a tenth of a 50-row list's time).
    document_title = serializers.SerializerMethodField()
    status_label = serializers.SerializerMethodField()
    draft = serializers.BooleanField(source="document.is_draft")
    assignments = AssignmentSerializer(many=True)
    overdue_days = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id",
            "ref",
            "title",
            "document",
            "document_title",
            "draft",
            "status",
            "status_label",
            "due_date",
            "original_due_date",
            "overdue_days",
            "version",
            "assignments",
            "updated_at",
        ]

    @extend_schema_field(serializers.CharField())
    def get_document_title(self, task: Task) -> str:
        return str(task.document)

    @extend_schema_field(serializers.CharField())
    def get_status_label(self, task: Task) -> str:
        return task.get_status_display()

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_overdue_days(self, task: Task) -> int | None:
        if task.due_date is None or task.status not in OPEN:
            return None
        days = (timezone.localdate() - task.due_date).days
        return days if days > 0 else None


# The columns task_rows() reads: a list row, as TaskSerializer shows it.
TASK_ROW_FIELDS = (
    "id", "status", "due_date", "original_due_date", "version", "updated_at", "document_id", "measure__ref",
    "measure__title", "document__is_draft", *(f"document__{f}" for f in PolicyDocument.LABEL_FIELDS),
)  # fmt: skip


def task_rows(rows: list[dict]) -> list[dict]:
    """TaskSerializer's output for a page of `.values(*TASK_ROW_FIELDS)` rows, built directly: the
    same keys and values (tests/tracker/test_api_task_rows.py holds them equal) at a fraction of the
    cost, since a 50-row list through model instances and DRF fields spent most of its time above
    the database. One more query: the page's assignments."""
    ids = [r["id"] for r in rows]
    assignments: dict[int, list[dict]] = {i: [] for i in ids}
    for a in (
        Assignment.objects.filter(task_id__in=ids)
        .order_by("task_id", "role", "position")
        .values("task_id", "agency_id", "agency__name", "role")
    ):
        assignments[a["task_id"]].append({"agency_id": a["agency_id"], "agency": a["agency__name"], "role": a["role"]})
    today = timezone.localdate()
    moment = serializers.DateTimeField()
    labels = dict(Task.Status.choices)
    out = []
    for r in rows:
        due = r["due_date"]
        overdue = (today - due).days if due is not None and r["status"] in OPEN else None
        out.append({
            "id": r["id"],
            "ref": r["measure__ref"],
            "title": r["measure__title"],
            "document": r["document_id"],
            "document_title": PolicyDocument.label(*(r[f"document__{f}"] for f in PolicyDocument.LABEL_FIELDS)),
            "draft": r["document__is_draft"],
            "status": r["status"],
            "status_label": str(labels[r["status"]]),
            "due_date": due.isoformat() if due is not None else None,
            "original_due_date": r["original_due_date"].isoformat() if r["original_due_date"] else None,
            "overdue_days": overdue if overdue and overdue > 0 else None,
            "version": r["version"],
            "assignments": assignments[r["id"]],
            "updated_at": moment.to_representation(r["updated_at"]),
        })  # fmt: skip
    return out


class TaskDetailSerializer(TaskSerializer):
    text = serializers.CharField(source="measure.text")
    targets = TargetSerializer(source="measure.targets", many=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta(TaskSerializer.Meta):
        fields = [*TaskSerializer.Meta.fields, "text", "targets", "allowed_actions"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, task: Task) -> list[str]:
        return self.context.get("allowed_actions", [])


class TransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=list(TRANSITIONS))
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    due_date = serializers.DateField(required=False, allow_null=True, default=None)


class ReportValueSerializer(serializers.Serializer):
    target = serializers.IntegerField(source="target_id")
    value = serializers.DecimalField(max_digits=20, decimal_places=4)


@extend_schema_field(ReportValueSerializer(many=True))
class ReportValuesField(serializers.Field):
    """[{target, value}, …]: a JSON array in a JSON body; in a multipart form (a report with
    attachments), the same array as a JSON string in one `values` field."""

    # Braces doubled: DRF formats its error messages.
    default_error_messages = {"json": _('values 应为 JSON 数组,如 [{{"target": 1, "value": "12.5"}}]')}

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                self.fail("json")
        if not isinstance(data, list):
            self.fail("json")
        rows = ReportValueSerializer(data=data, many=True)
        rows.is_valid(raise_exception=True)
        return [{"target": row["target_id"], "value": row["value"]} for row in rows.validated_data]

    def to_representation(self, values):
        return ReportValueSerializer(values.all(), many=True).data


class ReportSerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.name", read_only=True)
    author = serializers.CharField(source="author.username", read_only=True, default=None)
    values = ReportValuesField(required=False)
    attachments = serializers.ListField(child=serializers.FileField(), required=False, write_only=True)

    def to_internal_value(self, data):
        # values[0]target=… (a form's way of nesting) would be silently ignored: say so instead.
        if hasattr(data, "keys") and any(k.startswith("values") and k != "values" for k in data):
            message = self.fields["values"].error_messages["json"].format()
            raise serializers.ValidationError({"values": [message]})
        return super().to_internal_value(data)

    files = serializers.SerializerMethodField()

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "kind",
            "agency",
            "author",
            "round",
            "text",
            "percent",
            "values",
            "attachments",
            "files",
            "created_at",
        ]
        read_only_fields = ["kind", "created_at"]

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_files(self, report: ProgressReport) -> list[dict]:
        return [
            {"name": a.name, "size": a.size, "url": reverse("pages:attachment", args=[a.pk])}
            for a in report.attachments.all()
        ]

    def to_representation(self, report):
        data = super().to_representation(report)
        data["values"] = [{"target": v.target_id, "value": str(v.value)} for v in report.values.all()]
        return data


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None)
    agency = serializers.CharField(source="agency.name", default=None)
    kind_label = serializers.CharField(source="get_kind_display")

    class Meta:
        model = TaskEvent
        fields = [
            "id",
            "kind",
            "kind_label",
            "actor",
            "agency",
            "from_status",
            "to_status",
            "comment",
            "data",
            "created_at",
        ]


class HistorySerializer(serializers.Serializer):
    """Field-level diffs of the task row (django-simple-history), beside the business timeline."""

    history_date = serializers.DateTimeField()
    history_user = serializers.CharField(allow_null=True)
    changes = serializers.ListField(child=serializers.DictField())


class CommentSerializer(serializers.Serializer):
    text = serializers.CharField()


class NudgeSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    agency = serializers.IntegerField(required=False, allow_null=True, default=None)


class ReassignSerializer(serializers.Serializer):
    lead = serializers.ListField(child=serializers.IntegerField(), min_length=1)
    support = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class DueDateSerializer(serializers.Serializer):
    due_date = serializers.DateField(allow_null=True)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class DocumentSerializer(serializers.ModelSerializer):
    coordinator = serializers.CharField(source="coordinator.name", default=None)
    jurisdiction = serializers.CharField(source="jurisdiction.name")

    class Meta:
        model = PolicyDocument
        fields = [
            "id",
            "title",
            "issuer",
            "doc_number",
            "issued",
            "effective",
            "horizon",
            "is_draft",
            "replaced_by",
            "jurisdiction",
            "coordinator",
            "mechanisms",
            "source_name",
            "imported_at",
        ]


class RoundEntrySerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.name")
    ref = serializers.CharField(source="task.measure.ref")
    filed = serializers.SerializerMethodField()

    class Meta:
        model = RoundEntry
        fields = ["task", "ref", "agency_id", "agency", "role", "filed", "report"]

    def get_filed(self, entry: RoundEntry) -> bool:
        return entry.report_id is not None


class RoundSerializer(serializers.ModelSerializer):
    is_open = serializers.BooleanField(read_only=True)

    class Meta:
        model = ReportingRound
        fields = ["id", "document", "title", "due_date", "opened_at", "closed_at", "is_open"]
        read_only_fields = ["opened_at", "closed_at"]


class RoundDetailSerializer(RoundSerializer):
    entries = RoundEntrySerializer(many=True, read_only=True)

    class Meta(RoundSerializer.Meta):
        fields = [*RoundSerializer.Meta.fields, "entries"]


class ReceiptSerializer(serializers.Serializer):
    received = serializers.IntegerField(help_text="assignments of the user's agency signed for")


class NoticeSerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.name")
    task_ref = serializers.CharField(source="task.measure.ref")
    reason_text = serializers.CharField()

    class Meta:
        model = SupervisionNotice
        fields = ["id", "number", "colour", "task", "task_ref", "agency", "reason", "reason_days", "reason_text",
                  "asks", "issued_on", "answer_due", "answered_at"]  # fmt: skip


class AssessmentFiguresSerializer(serializers.Serializer):
    due = serializers.IntegerField()
    on_time = serializers.IntegerField()
    on_time_rate = serializers.FloatField(allow_null=True)
    extended = serializers.IntegerField()
    overdue = serializers.IntegerField()
    overdue_days = serializers.IntegerField()
    carried = serializers.IntegerField()
    rounds_expected = serializers.IntegerField()
    rounds_on_time = serializers.IntegerField()
    rounds_rate = serializers.FloatField(allow_null=True)
    returned = serializers.IntegerField()
    received = serializers.IntegerField()
    receipt_late = serializers.IntegerField()
    receipt_rate = serializers.FloatField(allow_null=True)


class RankingRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    agency_id = serializers.IntegerField()
    agency = serializers.CharField()
    score = serializers.DecimalField(max_digits=5, decimal_places=1)
    listed = serializers.CharField()
    figures = AssessmentFiguresSerializer()


class RankingSerializer(serializers.Serializer):
    jurisdiction = serializers.IntegerField(source="jurisdiction.pk")
    period = serializers.CharField(source="period.key")
    start = serializers.DateField(source="period.start")
    end = serializers.DateField(source="period.end")
    cutoff = serializers.DateField()
    computed_at = serializers.DateTimeField(source="snapshot.computed_at", allow_null=True, default=None)
    final = serializers.BooleanField(source="snapshot.final", default=False)
    rows = RankingRowSerializer(many=True)


class AgencyScoreSerializer(serializers.Serializer):
    period = serializers.CharField(source="snapshot.period")
    cutoff = serializers.DateField(source="snapshot.cutoff")
    final = serializers.BooleanField(source="snapshot.final")
    rank = serializers.IntegerField()
    score = serializers.DecimalField(max_digits=5, decimal_places=1)
    listed = serializers.CharField()
    figures = serializers.JSONField()


class DocumentInstructionSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.get_username", default=None)

    class Meta:
        model = DocumentInstruction
        fields = ["id", "document", "author", "text", "created_at"]


class RateSerializer(serializers.Serializer):
    key = serializers.IntegerField()
    label = serializers.CharField()
    total = serializers.IntegerField()
    closed = serializers.IntegerField()
    overdue = serializers.IntegerField()
    behind = serializers.IntegerField()
    completion = serializers.FloatField()
    on_time_rate = serializers.FloatField(allow_null=True)


class MonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    closed = serializers.IntegerField()
    reports = serializers.IntegerField()


class DashboardSerializer(serializers.Serializer):
    as_of = serializers.DateField(allow_null=True)
    totals = serializers.DictField(child=serializers.IntegerField())
    by_agency = RateSerializer(many=True)
    by_document = RateSerializer(many=True)
    trend = MonthSerializer(many=True)


class SavedFilterSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = SavedFilter
        fields = ["id", "name", "page", "query", "url", "created_at"]
        read_only_fields = ["id", "url", "created_at"]

    def get_url(self, obj: SavedFilter) -> str:
        return f"{reverse(obj.page)}?{obj.query}" if obj.query else reverse(obj.page)
