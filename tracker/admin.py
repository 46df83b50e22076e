from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .models import (
    AssessmentScore,
    AssessmentSnapshot,
    Assignment,
    AuditEntry,
    DocumentAccess,
    ProgressReport,
    ReportingRound,
    RoundEntry,
    SupervisionLevel,
    SupervisionNotice,
    Task,
    TaskEvent,
)
from .workflow import TRANSITIONS

# The admin is the superuser's tool. Everyone else writes through the pages and the API, which scope
# every write to the documents and jurisdictions the user coordinates; the admin's model permissions
# know nothing of jurisdictions, so a staff flag with a permission must not open it.
admin.site.has_permission = lambda request: request.user.is_active and request.user.is_superuser


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    autocomplete_fields = ["agency"]
    # Reassignment is versioned and recorded by tracker.services.task_reassign (API and pages).
    readonly_fields = ["agency", "role", "position"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class EventInline(admin.TabularInline):
    model = TaskEvent
    extra = 0
    fields = ["created_at", "kind", "actor", "agency", "from_status", "to_status", "comment"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class TransitionForm(forms.Form):
    comment = forms.CharField(label=gettext_lazy("理由或意见"), required=False, widget=forms.Textarea)
    due_date = forms.DateField(label=gettext_lazy("新的完成时限"), required=False)


def _transition_action(name: str):
    """An admin action that runs one workflow transition through the service, with a form for the
    comment and due date the transition needs."""
    transition = TRANSITIONS[name]

    def action(modeladmin, request, queryset):
        form = TransitionForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return TemplateResponse(
                request,
                "admin/tracker/task/transition.html",
                {
                    **modeladmin.admin_site.each_context(request),
                    "title": transition.label,
                    "form": form,
                    "tasks": queryset,
                    "action": request.POST.get("action"),
                    "opts": modeladmin.model._meta,
                },
            )
        done = 0
        for task in queryset.select_related("document"):
            try:
                services.task_transition(
                    task=task, user=request.user, action=name, expected_version=None, **form.cleaned_data
                )
                done += 1
            except (PermissionDenied, ValidationError, services.WorkflowError) as exc:
                modeladmin.message_user(request, f"{task}: {exc}", messages.ERROR)
        if done:
            modeladmin.message_user(request, _("%(n)d 个任务已%(a)s") % {"n": done, "a": transition.label})
        return None

    action.__name__ = f"transition_{name}"
    action.short_description = transition.label
    return action


@admin.register(Task)
class TaskAdmin(SimpleHistoryAdmin):
    list_display = ["measure", "document", "status", "due_date", "updated_at"]
    list_filter = ["status", "document"]
    search_fields = ["measure__title", "measure__ref"]
    list_select_related = ["measure", "document"]
    raw_id_fields = ["measure", "document"]
    # Status, due date and assignments change only through the workflow services (actions below).
    readonly_fields = ["measure", "document", "status", "due_date", "version"]
    inlines = [AssignmentInline, EventInline]
    actions = [_transition_action(name) for name in TRANSITIONS if name != "start"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ReportingRound)
class ReportingRoundAdmin(admin.ModelAdmin):
    list_display = ["title", "document", "due_date", "opened_at", "closed_at"]
    list_filter = ["document"]
    readonly_fields = ["document", "title", "due_date", "opened_by", "opened_at", "closed_at"]

    def has_add_permission(self, request) -> bool:
        return False  # opened through tracker.services.round_open, which lists what each agency owes


@admin.register(RoundEntry)
class RoundEntryAdmin(admin.ModelAdmin):
    list_display = ["round", "task", "agency", "role", "report"]
    list_filter = ["round", "role"]
    list_select_related = ["round", "task__measure", "agency"]
    raw_id_fields = ["task", "report"]


@admin.register(ProgressReport)
class ProgressReportAdmin(admin.ModelAdmin):
    list_display = ["task", "agency", "kind", "percent", "round", "created_at"]
    list_filter = ["kind", "round"]
    list_select_related = ["task__measure", "agency", "round"]
    raw_id_fields = ["task"]
    readonly_fields = ["task", "agency", "author", "round", "kind", "text", "percent", "created_at"]


@admin.register(TaskEvent)
class TaskEventAdmin(admin.ModelAdmin):
    list_display = ["task", "kind", "actor", "from_status", "to_status", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["task__measure", "actor"]
    raw_id_fields = ["task"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # the timeline is append-only


@admin.register(DocumentAccess)
class DocumentAccessAdmin(admin.ModelAdmin):
    list_display = ["user", "document", "role"]
    list_filter = ["role"]
    autocomplete_fields = ["user", "document"]


@admin.register(SupervisionLevel)
class SupervisionLevelAdmin(admin.ModelAdmin):
    list_display = ["colour", "jurisdiction", "trigger", "days", "repeat_days", "answer_days", "is_active"]
    list_filter = ["colour", "jurisdiction", "is_active"]


@admin.register(SupervisionNotice)
class SupervisionNoticeAdmin(admin.ModelAdmin):
    """Issued by the sweep, answered by a report: read here, never written."""

    list_display = ["number", "colour", "agency", "task", "reason", "issued_on", "answer_due", "answered_at"]
    list_filter = ["colour", "reason", "issued_on"]
    search_fields = ["number", "agency__name"]
    list_select_related = ["agency", "task__measure"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class AssessmentScoreInline(admin.TabularInline):
    model = AssessmentScore
    fields = ["rank", "agency", "score", "listed", "figures"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(AssessmentSnapshot)
class AssessmentSnapshotAdmin(admin.ModelAdmin):
    """Computed by tracker.assessment (daily, or on a coordinator's request): read here, never written."""

    list_display = ["jurisdiction", "period", "cutoff", "final", "computed_at"]
    list_filter = ["final", "jurisdiction"]
    inlines = [AssessmentScoreInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Sign-ins, refused sign-ins, lockouts and refused requests: evidence, so read-only."""

    list_display = ["created_at", "kind", "username", "user", "ip_address", "method", "path"]
    list_filter = ["kind", "created_at"]
    search_fields = ["username", "ip_address", "path"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
