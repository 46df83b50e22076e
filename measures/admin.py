from django.contrib import admin

from .models import Measure, MeasureAgency, MeasureTarget, PolicyDocument


class MeasureInline(admin.TabularInline):
    model = Measure
    extra = 0
    fields = ["ref", "title", "deadlines", "others", "lead_inferred"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False


@admin.register(PolicyDocument)
class PolicyDocumentAdmin(admin.ModelAdmin):
    list_display = ["__str__", "issuer", "doc_number", "issued", "jurisdiction", "coordinator", "is_draft"]
    list_filter = ["jurisdiction", "is_draft"]
    search_fields = ["title", "issuer", "doc_number", "source_name"]
    list_select_related = ["jurisdiction", "coordinator"]
    autocomplete_fields = ["coordinator"]
    readonly_fields = ["source_name", "source_hash", "raw_text", "imported_by", "imported_at"]
    inlines = [MeasureInline]


class TargetInline(admin.TabularInline):
    model = MeasureTarget
    extra = 0


class MentionInline(admin.TabularInline):
    model = MeasureAgency
    extra = 0
    fields = ["role", "position", "name", "agency", "match", "score"]
    autocomplete_fields = ["agency"]


@admin.register(Measure)
class MeasureAdmin(admin.ModelAdmin):
    list_display = ["ref", "title", "document", "order"]
    list_filter = ["document"]
    search_fields = ["title", "text", "ref"]
    list_select_related = ["document"]
    inlines = [TargetInline, MentionInline]


@admin.register(MeasureAgency)
class MeasureAgencyAdmin(admin.ModelAdmin):
    """The review queue: filter on 匹配方式 = 未识别 to see the names waiting for a coordinator."""

    list_display = ["name", "role", "match", "score", "agency", "measure"]
    list_filter = ["match", "role", "measure__document"]
    search_fields = ["name", "agency__name"]
    list_select_related = ["agency", "measure", "measure__document"]
    autocomplete_fields = ["agency"]
    raw_id_fields = ["measure"]
