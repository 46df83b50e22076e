from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Agency, AgencyAlias, Jurisdiction, User


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "prefix", "parent"]
    list_filter = ["level"]
    search_fields = ["name"]


class AliasInline(admin.TabularInline):
    model = AgencyAlias
    extra = 0
    fields = ["name", "kind", "jurisdiction"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "full_name", "jurisdiction", "kind", "is_active"]
    list_filter = ["jurisdiction", "kind", "is_active"]
    search_fields = ["name", "full_name", "aliases__name"]
    list_select_related = ["jurisdiction"]
    autocomplete_fields = ["members"]
    raw_id_fields = ["liaison", "responsible_leader"]
    inlines = [AliasInline]


@admin.register(AgencyAlias)
class AgencyAliasAdmin(admin.ModelAdmin):
    list_display = ["name", "agency", "kind", "jurisdiction"]
    list_filter = ["jurisdiction", "kind"]
    search_fields = ["name", "agency__name"]
    list_select_related = ["agency", "jurisdiction"]
    autocomplete_fields = ["agency"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "agency", "role", "is_active"]
    list_filter = ["role", "is_active", "is_superuser"]
    list_select_related = ["agency"]
    autocomplete_fields = ["agency"]
    fieldsets = (*BaseUserAdmin.fieldsets, (_("单位与角色"), {"fields": ("agency", "role")}))
