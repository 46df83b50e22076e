"""Forms of the pages. They parse input only; every write goes through tracker.services."""

import django_filters
from django import forms
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, Jurisdiction, User
from measures.models import MeasureTarget, PolicyDocument
from measures.services import correction_names

from .api.filters import TaskFilter
from .models import Assignment, SupervisionLevel, Task
from .roles import user_agency_ids
from .selectors import search_tasks
from .workflow import Transition

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class TaskPageFilter(TaskFilter):
    """The API's task filter with page-friendly widgets: one status at a time, the documents the
    user can see in a select, the role over the user's agency and its groups, and a text search."""

    q = django_filters.CharFilter(method="filter_q", label=_("搜索措施"))
    document = django_filters.ModelChoiceFilter(
        queryset=PolicyDocument.objects.none(), label=_("政策文件"), empty_label=_("全部文件")
    )
    status = django_filters.ChoiceFilter(choices=Task.Status.choices, label=_("状态"), empty_label=_("全部状态"))
    role = django_filters.ChoiceFilter(
        choices=Assignment.Role.choices, method="filter_role", label=_("角色"), empty_label=_("牵头和配合")
    )

    class Meta(TaskFilter.Meta):
        fields = ["q", "document", "status", "role"]

    def __init__(self, *args, documents=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if documents is not None:
            self.filters["document"].queryset = documents
            self.form.fields["document"].queryset = documents

    def filter_q(self, queryset, name, value):
        return search_tasks(queryset, value)

    def filter_role(self, queryset, name, value):
        ids = user_agency_ids(self.request.user)
        return queryset.for_agencies(list(ids), role=value) if ids else queryset.none()


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class ReportForm(forms.Form):
    """A progress report (lead) or contribution (supporter), with a value field per numeric target."""

    text = forms.CharField(label=_("进展情况"), widget=forms.Textarea(attrs={"rows": 5}))
    percent = forms.IntegerField(label=_("完成比例(%)"), required=False, min_value=0, max_value=100)
    attachments = MultipleFileField(label=_("附件"), required=False)

    def __init__(self, *args, targets: list[MeasureTarget] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.targets = list(targets)
        for target in self.targets:
            label = f"{target.text}({_('目标')} {target.value.normalize():f}{target.unit})"
            self.fields[f"value_{target.pk}"] = forms.DecimalField(
                label=label, required=False, max_digits=20, decimal_places=4
            )

    def target_fields(self) -> list[forms.BoundField]:
        return [self[f"value_{t.pk}"] for t in self.targets]

    def values(self) -> dict[int, object]:
        return {
            t.pk: self.cleaned_data[f"value_{t.pk}"]
            for t in self.targets
            if self.cleaned_data.get(f"value_{t.pk}") is not None
        }


class VersionedForm(forms.Form):
    """Carries the task version the user saw, so a write on a changed task is refused (no lost update)."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def refresh_version(self, current: int) -> None:
        """After a stale write: keep everything typed, but let a deliberate resubmit go through."""
        data = self.data.copy()
        data[self.add_prefix("version")] = current
        self.data = data


class TransitionForm(VersionedForm):
    comment = forms.CharField(label=_("理由"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    due_date = forms.DateField(label=_("新的完成时限"), required=False, widget=DATE_INPUT)

    def __init__(self, *args, transition: Transition, **kwargs) -> None:
        kwargs.setdefault("prefix", transition.name)
        super().__init__(*args, **kwargs)
        self.transition = transition
        if transition.needs_comment:
            self.fields["comment"].required = True
        if transition.needs_due_date:
            self.fields["due_date"].required = True
        else:
            del self.fields["due_date"]
        if transition.name in ("accept_closure", "approve_extension", "resume", "start"):
            self.fields["comment"].label = _("意见(可选)")


class CommentForm(forms.Form):
    text = forms.CharField(label=_("意见"), widget=forms.Textarea(attrs={"rows": 3}))

    prefix = "comment"


class NudgeForm(forms.Form):
    comment = forms.CharField(label=_("催办说明(可选)"), required=False, max_length=500)

    prefix = "nudge"


class DueDateForm(VersionedForm):
    due_date = forms.DateField(label=_("完成时限"), required=False, widget=DATE_INPUT)
    comment = forms.CharField(label=_("说明(可选)"), required=False)

    prefix = "due"


def searchable(field: forms.Field) -> forms.Field:
    """Mark an agency picker for tracker/static/tracker/picker.js, which puts a search box above it."""
    field.widget.attrs["data-searchable"] = _("输入名称查找")
    return field


class ReassignForm(VersionedForm):
    """Lead and supporting agencies, chosen among the document's jurisdiction (a few hundred names)."""

    lead = forms.ModelMultipleChoiceField(queryset=Agency.objects.none(), label=_("牵头单位"))
    support = forms.ModelMultipleChoiceField(queryset=Agency.objects.none(), label=_("配合单位"), required=False)
    comment = forms.CharField(label=_("说明(可选)"), required=False)

    prefix = "assign"

    def __init__(self, *args, jurisdiction_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        agencies = Agency.objects.filter(jurisdiction_id=jurisdiction_id, is_active=True).order_by("kind", "name")
        self.fields["lead"].queryset = agencies
        self.fields["support"].queryset = agencies
        searchable(self.fields["lead"])
        searchable(self.fields["support"])


class RoundOpenForm(forms.Form):
    document = forms.ModelChoiceField(queryset=PolicyDocument.objects.none(), label=_("政策文件"))
    title = forms.CharField(label=_("轮次名称"), max_length=200)
    due_date = forms.DateField(label=_("报送截止日期"), widget=DATE_INPUT)

    def __init__(self, *args, documents=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if documents is not None:
            self.fields["document"].queryset = documents


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("政策文件(.txt .docx .pdf .html)"))
    jurisdiction = forms.ModelChoiceField(
        queryset=Jurisdiction.objects.none(),
        label=_("行政区"),
        required=False,
        empty_label=_("自动识别"),
        help_text=_("留空时按发文机关和正文自动判断"),
    )

    def __init__(self, *args, jurisdictions: QuerySet[Jurisdiction], **kwargs):
        """`jurisdictions`: those whose directory the user may change; an import writes to it."""
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].queryset = jurisdictions.order_by("name")


def agency_choices(jurisdiction: Jurisdiction) -> list[tuple[int, str]]:
    """A jurisdiction's agencies for a picker, read once and shared by every picker on the page."""
    return list(
        Agency.objects.filter(jurisdiction=jurisdiction, is_active=True).order_by("name").values_list("id", "name")
    )


class NameMapForm(forms.Form):
    """Map one unknown agency name: pick an agency, or leave the picker empty to create one."""

    name = forms.CharField(widget=forms.HiddenInput)
    agency = forms.TypedChoiceField(label=_("对应单位"), required=False, coerce=int, empty_value=None)
    new_name = forms.CharField(label=_("新建单位名称"), required=False, max_length=128)

    def __init__(self, *args, jurisdiction: Jurisdiction, choices: list[tuple[int, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.jurisdiction = jurisdiction
        choices = agency_choices(jurisdiction) if choices is None else choices
        self.fields["agency"].choices = [("", _("(新建单位)")), *choices]
        searchable(self.fields["agency"])

    def clean_agency(self) -> Agency | None:
        agency_id = self.cleaned_data["agency"]
        if agency_id is None:
            return None
        agency = Agency.objects.filter(pk=agency_id, jurisdiction=self.jurisdiction).first()
        if agency is None:
            raise forms.ValidationError(_("请选择本行政区的单位"))
        return agency


class CoordinatorForm(forms.Form):
    coordinator = forms.ModelChoiceField(queryset=Agency.objects.none(), label=_("牵头督办单位"))
    confirm_draft = forms.BooleanField(label=_("确认按草案导入(任务标注为草案)"), required=False)
    replaces = forms.ModelChoiceField(
        queryset=PolicyDocument.objects.none(),
        label=_("替换草案(沿用相同措施的任务及其记录)"),
        required=False,
    )

    def __init__(self, *args, jurisdiction: Jurisdiction, drafts=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["coordinator"].queryset = Agency.objects.filter(jurisdiction=jurisdiction, is_active=True).order_by(
            "name"
        )
        searchable(self.fields["coordinator"])
        if drafts is not None:
            self.fields["replaces"].queryset = drafts


class AliasForm(forms.Form):
    name = forms.CharField(label=_("别名"), max_length=128)


class MeasureCorrectionForm(forms.Form):
    """One measure as the coordinator reads it, before import. Names are separated by 、 , ; or lines."""

    ref = forms.CharField(label=_("编号"), max_length=32)
    title = forms.CharField(label=_("标题"), max_length=300, required=False)
    lead = forms.CharField(label=_("牵头单位"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    support = forms.CharField(label=_("配合单位"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_lead(self) -> list[str]:
        return correction_names(self.cleaned_data["lead"])

    def clean_support(self) -> list[str]:
        return correction_names(self.cleaned_data["support"])


class HandTaskForm(forms.Form):
    """A task a coordinator adds by hand inside a document (a meeting decision, an instruction)."""

    title = forms.CharField(label=_("任务名称"), max_length=300)
    text = forms.CharField(label=_("任务内容(可选)"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    lead = forms.ModelMultipleChoiceField(queryset=Agency.objects.none(), label=_("牵头单位"))
    support = forms.ModelMultipleChoiceField(queryset=Agency.objects.none(), label=_("配合单位"), required=False)
    due_date = forms.DateField(label=_("完成时限"), required=False, widget=DATE_INPUT)
    source = forms.CharField(label=_("来源(如会议决定、领导批示,可选)"), required=False, max_length=200)

    prefix = "hand"

    def __init__(self, *args, jurisdiction_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        agencies = Agency.objects.filter(jurisdiction_id=jurisdiction_id, is_active=True).order_by("kind", "name")
        for name in ("lead", "support"):
            self.fields[name].queryset = agencies
            searchable(self.fields[name])


class LadderLevelForm(forms.ModelForm):
    """One rung of the 督办单 ladder as a coordinator edits it."""

    class Meta:
        model = SupervisionLevel
        fields = ["trigger", "days", "repeat_days", "answer_days", "asks", "copy_leader", "copy_coordinator_leader",
                  "is_active"]  # fmt: skip
        widgets = {"asks": forms.Textarea(attrs={"rows": 3})}


class DutiesForm(forms.Form):
    """An agency's liaison and responsible leader, chosen among its own people."""

    liaison = forms.ModelChoiceField(queryset=User.objects.none(), label=_("联络员"), required=False)
    leader = forms.ModelChoiceField(queryset=User.objects.none(), label=_("分管领导"), required=False)

    def __init__(self, *args, agency: Agency, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        people = User.objects.filter(agency=agency, is_active=True).order_by("username")
        self.fields["liaison"].queryset = people
        self.fields["leader"].queryset = people


class BulletinTemplateForm(forms.Form):
    file = forms.FileField(label=_("通报模板(.docx)"))


class BulkForm(forms.Form):
    """What a coordinator does to the tasks ticked on a document's page."""

    class Action(models.TextChoices):
        NUDGE = "nudge", _("催办")
        DUE_DATE = "due_date", _("调整完成时限")
        EXPORT = "export", _("导出台账")

    action = forms.ChoiceField(label=_("批量操作"), choices=Action.choices)
    tasks = forms.ModelMultipleChoiceField(queryset=Task.objects.none(), label=_("任务"))
    due_date = forms.DateField(label=_("新的完成时限"), required=False, widget=DATE_INPUT)
    comment = forms.CharField(label=_("说明(可选)"), required=False, max_length=500)

    def __init__(self, *args, tasks, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tasks"].queryset = tasks

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == self.Action.DUE_DATE and not cleaned.get("due_date"):
            self.add_error("due_date", _("请填写新的完成时限"))
        return cleaned


class LedgerUploadForm(forms.Form):
    file = forms.FileField(label=_("填好的台账(.xlsx 或 .csv)"))
