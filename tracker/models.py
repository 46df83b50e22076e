from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from agencies.models import Agency
from measures.models import Measure, PolicyDocument


class Task(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("未开始")
        IN_PROGRESS = "in_progress", _("推进中")
        CLOSURE_REQUESTED = "closure_requested", _("申请销号")
        CLOSED = "closed", _("已销号")
        EXTENSION_REQUESTED = "extension_requested", _("申请延期")
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


class Assignment(models.Model):
    class Role(models.TextChoices):
        LEAD = "lead", _("牵头")
        SUPPORT = "support", _("配合")

    task = models.ForeignKey(Task, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="assignments")
    agency = models.ForeignKey(Agency, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField(_("角色"), max_length=8, choices=Role.choices)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("责任分工")
        verbose_name_plural = _("责任分工")
        ordering = ["task_id", "role", "position"]
        constraints = [models.UniqueConstraint(fields=["task", "agency"], name="assignment_unique_agency")]
        indexes = [models.Index(fields=["agency", "role", "task"], name="assignment_agency_role_idx")]

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
