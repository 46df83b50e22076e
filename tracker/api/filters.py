import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.models import Assignment, Task
from tracker.selectors import search_tasks


class TaskFilter(django_filters.FilterSet):
    document = django_filters.NumberFilter(field_name="document_id", label=_("政策文件"))
    # distinct=False: a status is a column of the task itself, so no join can repeat a row; the
    # default DISTINCT made PostgreSQL sort every candidate row over all its columns.
    status = django_filters.MultipleChoiceFilter(choices=Task.Status.choices, distinct=False, label=_("状态"))
    agency = django_filters.NumberFilter(method="filter_agency", label=_("单位"))
    role = django_filters.ChoiceFilter(choices=Assignment.Role.choices, method="filter_role", label=_("角色"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("逾期"))
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte", label=_("完成时限不晚于"))
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte", label=_("完成时限不早于"))
    round = django_filters.NumberFilter(field_name="round_entries__round", distinct=True, label=_("调度轮次"))
    q = django_filters.CharFilter(method="filter_q", label=_("搜索(任务名称、措施内容、单位名称)"))

    class Meta:
        model = Task
        fields = ["document", "status", "agency", "role", "overdue", "due_before", "due_after", "round", "q"]

    def filter_q(self, queryset, name, value):
        return search_tasks(queryset, value)

    def filter_agency(self, queryset, name, value):
        return queryset.for_agencies([value], role=self.form.cleaned_data.get("role") or None)

    def filter_role(self, queryset, name, value):
        """Role alone means: the requesting user's agency in that role."""
        if self.form.cleaned_data.get("agency"):
            return queryset  # applied together with the agency
        user = self.request.user
        return queryset.for_agencies([user.agency_id], role=value) if user.agency_id else queryset.none()

    def filter_overdue(self, queryset, name, value):
        today = timezone.localdate()
        if value is None:
            return queryset
        overdue = queryset.overdue(on=today)
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))
