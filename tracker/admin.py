from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Assignment, DocumentAccess, Task


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    autocomplete_fields = ["agency"]


@admin.register(Task)
class TaskAdmin(SimpleHistoryAdmin):
    list_display = ["measure", "document", "status", "due_date", "updated_at"]
    list_filter = ["status", "document"]
    search_fields = ["measure__title", "measure__ref"]
    list_select_related = ["measure", "document"]
    raw_id_fields = ["measure"]
    # Status changes go through the workflow service, never a free edit here.
    readonly_fields = ["status", "version"]
    inlines = [AssignmentInline]


@admin.register(DocumentAccess)
class DocumentAccessAdmin(admin.ModelAdmin):
    list_display = ["user", "document", "role"]
    list_filter = ["role"]
    autocomplete_fields = ["user", "document"]
