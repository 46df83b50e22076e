from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from agencies.models import Agency
from measures.models import Measure, MeasureTarget, PolicyDocument

from .querysets import TaskQuerySet


class Task(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("未开始")
        IN_PROGRESS = "in_progress", _("推进中")
        # The same words name the lead's action; as a status they read "closure requested".
        CLOSURE_REQUESTED = "closure_requested", pgettext_lazy("task status", "申请销号")
        CLOSED = "closed", _("已销号")
        RETURNED = "returned", _("已退回")
        EXTENSION_REQUESTED = "extension_requested", pgettext_lazy("task status", "申请延期")
        SUSPENDED = "suspended", _("已暂停")
        CANCELLED = "cancelled", _("已取消")

    measure = models.OneToOneField(Measure, verbose_name=_("措施"), on_delete=models.CASCADE, related_name="task")
    # Denormalised from measure.document so that every list filters and sorts on one table.
    document = models.ForeignKey(
        PolicyDocument, verbose_name=_("政策文件"), on_delete=models.CASCADE, related_name="tasks"
    )
    status = models.CharField(_("状态"), max_length=24, choices=Status.choices, default=Status.NOT_STARTED)
    due_date = models.DateField(_("完成时限"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    history = HistoricalRecords()

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("任务")
        verbose_name_plural = _("任务")
        ordering = ["document_id", "measure__order"]
        indexes = [
            models.Index(fields=["document", "status"], name="task_document_status_idx"),
            models.Index(fields=["status", "due_date"], name="task_status_due_idx"),
        ]

    def __str__(self) -> str:
        return str(self.measure)

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


class Assignment(models.Model):
    class Role(models.TextChoices):
        LEAD = "lead", _("牵头")
        SUPPORT = "support", _("配合")

    task = models.ForeignKey(Task, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="assignments")
    agency = models.ForeignKey(Agency, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField(_("角色"), max_length=8, choices=Role.choices)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    # 交办 → 签收: a task handed to an agency waits for the agency to acknowledge it.
    assigned_at = models.DateTimeField(_("交办时间"), default=timezone.now)
    received_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签收人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("责任分工")
        verbose_name_plural = _("责任分工")
        ordering = ["task_id", "role", "position"]
        constraints = [models.UniqueConstraint(fields=["task", "agency"], name="assignment_unique_agency")]
        indexes = [
            models.Index(fields=["agency", "role", "task"], name="assignment_agency_role_idx"),
            # The sweep's and the board's "not signed for yet": only those rows are indexed.
            models.Index(
                fields=["assigned_at"], name="assignment_unreceived_idx", condition=models.Q(received_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency} ({self.get_role_display()})"


class DocumentAccess(models.Model):
    """Leaders read the documents they are given; extra coordinators can be granted the same way."""

    class Role(models.TextChoices):
        COORDINATOR = "coordinator", _("督办员")
        LEADER = "leader", _("领导")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="document_access"
    )
    document = models.ForeignKey(
        PolicyDocument, verbose_name=_("政策文件"), on_delete=models.CASCADE, related_name="access"
    )
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices)

    class Meta:
        verbose_name = _("文件授权")
        verbose_name_plural = _("文件授权")
        constraints = [models.UniqueConstraint(fields=["user", "document"], name="document_access_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.document} · {self.get_role_display()}"


class TaskEvent(models.Model):
    """The business timeline of a task: one row per change, written in the change's transaction."""

    class Kind(models.TextChoices):
        CREATED = "created", _("创建")
        STATUS = "status", _("状态变更")
        REPORT = "report", _("进展报告")
        CONTRIBUTION = "contribution", _("配合单位报送")
        ASSIGNMENT = "assignment", _("调整责任单位")
        DUE_DATE = "due_date", _("调整完成时限")
        COMMENT = "comment", _("意见")
        NUDGE = "nudge", _("催办")
        REPORT_RETURNED = "report_returned", _("退回重报")
        RECEIVED = "received", _("签收")
        INSTRUCTION = "instruction", _("领导批示")

    task = models.ForeignKey(Task, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    agency = models.ForeignKey(
        Agency, verbose_name=_("单位"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(_("原状态"), max_length=24, choices=Task.Status.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=24, choices=Task.Status.choices, blank=True)
    comment = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("详情"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("任务动态")
        verbose_name_plural = _("任务动态")
        ordering = ["task_id", "created_at", "id"]
        indexes = [models.Index(fields=["task", "created_at"], name="event_task_time_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.created_at:%Y-%m-%d %H:%M}"


class ReportingRound(models.Model):
    """A dispatch round (调度): every open task's agencies file one report before the due date."""

    document = models.ForeignKey(
        PolicyDocument, verbose_name=_("政策文件"), on_delete=models.CASCADE, related_name="rounds"
    )
    title = models.CharField(_("名称"), max_length=200)
    due_date = models.DateField(_("报送截止日期"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    chased_at = models.DateTimeField(_("上次催报时间"), null=True, blank=True)
    # The period a recurring round covers ("2026-03", "2026-Q1", "2026-H1"); blank for one opened by hand.
    period = models.CharField(_("周期"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("调度轮次")
        verbose_name_plural = _("调度轮次")
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["document", "closed_at"], name="round_document_open_idx")]
        constraints = [
            # One recurring round per document and period, whoever runs the sweep and how often.
            models.UniqueConstraint(
                fields=["document", "period"], name="round_one_per_period", condition=~models.Q(period="")
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class ProgressReport(models.Model):
    """A lead agency's progress report, or a supporting agency's contribution, on one task."""

    class Kind(models.TextChoices):
        REPORT = "report", _("进展报告")
        CONTRIBUTION = "contribution", _("配合单位报送")

    task = models.ForeignKey(Task, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="reports")
    agency = models.ForeignKey(Agency, verbose_name=_("报送单位"), on_delete=models.PROTECT, related_name="reports")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("报送人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    round = models.ForeignKey(
        ReportingRound,
        verbose_name=_("调度轮次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
    )
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    text = models.TextField(_("进展情况"))
    percent = models.PositiveSmallIntegerField(
        _("完成比例"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    created_at = models.DateTimeField(_("报送时间"), auto_now_add=True)
    # A coordinator sent it back to be filed again (退回重报): it no longer counts for its round.
    returned_at = models.DateTimeField(_("退回时间"), null=True, blank=True)
    return_reason = models.TextField(_("退回理由"), blank=True)

    class Meta:
        verbose_name = _("进展报告")
        verbose_name_plural = _("进展报告")
        ordering = ["task_id", "-created_at"]
        indexes = [models.Index(fields=["task", "kind", "-created_at"], name="report_task_latest_idx")]

    def __str__(self) -> str:
        return f"{self.agency} · {self.created_at:%Y-%m-%d}"


class ReportedValue(models.Model):
    report = models.ForeignKey(
        ProgressReport, verbose_name=_("进展报告"), on_delete=models.CASCADE, related_name="values"
    )
    target = models.ForeignKey(MeasureTarget, verbose_name=_("量化目标"), on_delete=models.CASCADE, related_name="+")
    value = models.DecimalField(_("完成值"), max_digits=20, decimal_places=4)

    class Meta:
        verbose_name = _("目标完成值")
        verbose_name_plural = _("目标完成值")
        constraints = [models.UniqueConstraint(fields=["report", "target"], name="reported_value_unique")]

    def __str__(self) -> str:
        return f"{self.target_id}: {self.value}"


class ReportAttachment(models.Model):
    report = models.ForeignKey(
        ProgressReport, verbose_name=_("进展报告"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("附件"), upload_to="reports/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=255)
    size = models.PositiveIntegerField(_("大小"))

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self) -> str:
        return self.name


class RoundEntry(models.Model):
    """What a round expects: one report per open task's lead, one contribution per supporter.
    Fixed when the round opens, so a closed round keeps the list it was judged by."""

    round = models.ForeignKey(
        ReportingRound, verbose_name=_("调度轮次"), on_delete=models.CASCADE, related_name="entries"
    )
    task = models.ForeignKey(Task, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="round_entries")
    agency = models.ForeignKey(Agency, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="round_entries")
    role = models.CharField(_("角色"), max_length=8, choices=Assignment.Role.choices)
    report = models.ForeignKey(
        ProgressReport, verbose_name=_("报送"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("报送要求")
        verbose_name_plural = _("报送要求")
        constraints = [models.UniqueConstraint(fields=["round", "task", "agency"], name="round_entry_unique")]
        indexes = [
            models.Index(fields=["round", "agency"], name="round_entry_agency_idx"),
            models.Index(
                fields=["agency", "round"], name="round_entry_missing_idx", condition=models.Q(report__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round_id}/{self.task_id}/{self.agency_id}"
