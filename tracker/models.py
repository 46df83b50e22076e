from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from agencies.models import Agency, Jurisdiction
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

    # Open work: reports are due, deadlines count, overdue can happen (tracker.workflow's table and
    # the querysets read these; they live here so that neither imports the other).
    OPEN = frozenset(
        {Status.NOT_STARTED, Status.IN_PROGRESS, Status.RETURNED, Status.CLOSURE_REQUESTED, Status.EXTENSION_REQUESTED}
    )
    ACTIVE = frozenset({Status.NOT_STARTED, Status.IN_PROGRESS, Status.RETURNED})
    FINISHED = frozenset({Status.CLOSED, Status.CANCELLED})

    measure = models.OneToOneField(Measure, verbose_name=_("措施"), on_delete=models.CASCADE, related_name="task")
    # Denormalised from measure.document so that every list filters and sorts on one table.
    document = models.ForeignKey(
        PolicyDocument, verbose_name=_("政策文件"), on_delete=models.CASCADE, related_name="tasks"
    )
    status = models.CharField(_("状态"), max_length=24, choices=Status.choices, default=Status.NOT_STARTED)
    due_date = models.DateField(_("完成时限"), null=True, blank=True)
    # The due date the task was handed over with: assessment (考核) judges against it, so that an
    # extension is counted and shown, never a way to turn a late task into an on-time one.
    original_due_date = models.DateField(_("原定完成时限"), null=True, blank=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    # 序时进度 as of the daily sweep (tracker.progress.schedule; the task page computes it live):
    # stored so that lists, the board, digests and counts per agency filter and group on it.
    schedule_state = models.CharField(_("序时进度"), max_length=12, blank=True)
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
            models.Index(fields=["original_due_date"], name="task_original_due_idx"),
            models.Index(
                fields=["document", "status"], name="task_behind_idx", condition=models.Q(schedule_state="behind")
            ),
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


class SupervisionLevel(models.Model):
    """One rung of the three-colour ladder (督办单): when it is issued, to whom, how often again.
    Data, not code: the rows are edited by coordinators; a jurisdiction without rows of its own uses
    the rows with no jurisdiction (seeded by a migration)."""

    class Colour(models.TextChoices):
        BLUE = "blue", _("蓝色")
        YELLOW = "yellow", _("黄色")
        RED = "red", _("红色")

    class Trigger(models.TextChoices):
        DUE_SOON = "due_soon", _("临近完成时限")
        BEHIND = "behind", _("进度滞后、报告退回或调度未报")
        OVERDUE = "overdue", _("超过完成时限")

    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("行政区"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="supervision_levels",
    )
    colour = models.CharField(_("颜色"), max_length=8, choices=Colour.choices)
    trigger = models.CharField(_("触发条件"), max_length=12, choices=Trigger.choices)
    # due_soon: this many days before the due date; overdue: this many days after it; behind: unused.
    days = models.PositiveSmallIntegerField(_("天数"), default=0)
    # Issued again every so many days while the condition holds; 0 issues it once per due date.
    repeat_days = models.PositiveSmallIntegerField(_("重复间隔（天）"), default=0)
    answer_days = models.PositiveSmallIntegerField(_("反馈期限（天）"), default=3)
    asks = models.TextField(_("督办要求"))
    copy_leader = models.BooleanField(_("抄送分管领导"), default=True)
    copy_coordinator_leader = models.BooleanField(_("抄送督办单位分管领导"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("督办等级")
        verbose_name_plural = _("督办等级")
        ordering = ["jurisdiction_id", "colour"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "colour"], name="supervision_level_unique"),
            models.UniqueConstraint(
                fields=["colour"], condition=models.Q(jurisdiction__isnull=True), name="supervision_level_default"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_colour_display()} · {self.get_trigger_display()}"


class NoticeCounter(models.Model):
    """The last 督办单 number of a jurisdiction in a year. Issuing locks the row, so two sweeps at
    once number without gaps or repeats."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "year"], name="notice_counter_unique")]

    def __str__(self) -> str:
        return f"{self.jurisdiction_id}/{self.year}: {self.last}"


class SupervisionNotice(models.Model):
    """A numbered 督办单 to one agency about one task: what is asked and by when it must answer."""

    number = models.CharField(_("编号"), max_length=40)
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("行政区"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    seq = models.PositiveIntegerField(_("序号"))
    task = models.ForeignKey(Task, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="notices")
    agency = models.ForeignKey(Agency, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="notices")
    colour = models.CharField(_("颜色"), max_length=8, choices=SupervisionLevel.Colour.choices)
    # Which issue of the level: "<due date>:<n>", n counting repeats; a new due date starts again.
    cycle = models.CharField(_("周期"), max_length=24)

    class Reason(models.TextChoices):
        DUE_SOON = "due_soon", _("临近完成时限")
        OVERDUE = "overdue", _("超过完成时限")
        BEHIND = "behind", _("序时进度滞后")
        ROUND_MISSED = "round_missed", _("调度未按时报送")
        REPORT_RETURNED = "report_returned", _("进展报告被退回")
        CLOSURE_RETURNED = "closure_returned", _("销号申请被退回")

    issued_on = models.DateField(_("下发日期"))
    reason = models.CharField(_("原因"), max_length=20, choices=Reason.choices)
    # Days late or left, or points behind schedule, as of the day it was issued.
    reason_days = models.PositiveIntegerField(_("天数"), default=0)
    asks = models.TextField(_("督办要求"))
    answer_due = models.DateField(_("反馈期限"))
    answered_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("督办单")
        verbose_name_plural = _("督办单")
        ordering = ["-issued_on", "-seq"]
        constraints = [
            # Exactly once per level and repeat, whatever the workers do.
            models.UniqueConstraint(fields=["task", "agency", "colour", "cycle"], name="notice_once"),
            models.UniqueConstraint(fields=["jurisdiction", "year", "seq"], name="notice_number_unique"),
        ]
        indexes = [
            models.Index(fields=["task", "-issued_on"], name="notice_task_idx"),
            models.Index(fields=["agency", "-issued_on"], name="notice_agency_idx"),
            models.Index(fields=["issued_on"], name="notice_issued_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def reason_text(self) -> str:
        if self.reason == self.Reason.OVERDUE:
            return _("已逾期%(n)d天") % {"n": self.reason_days}
        if self.reason == self.Reason.DUE_SOON:
            return _("距完成时限还有%(n)d天") % {"n": self.reason_days}
        if self.reason == self.Reason.BEHIND:
            return _("序时进度滞后%(n)d个百分点") % {"n": self.reason_days}
        return self.get_reason_display()


class SupervisionRun(models.Model):
    """One day's issuing of 督办单. The ladder is a daily matter while the sweep runs every quarter
    hour: the first sweep of a day claims the day (unique) and walks the open tasks; later sweeps skip
    it unless the claim is old and unfinished (its worker died), when issuing again is safe because
    each notice's key is unique."""

    day = models.DateField(_("日期"), unique=True)
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    issued = models.PositiveIntegerField(_("下发数"), default=0)

    class Meta:
        verbose_name = _("督办单下发记录")
        verbose_name_plural = _("督办单下发记录")

    def __str__(self) -> str:
        return self.day.isoformat()


class AssessmentSnapshot(models.Model):
    """The assessment (考核) of one jurisdiction's assessed documents for one period, as computed at
    `computed_at`. A period that had ended when it was computed is final; the current one is
    recomputed by the daily sweep and on a coordinator's request."""

    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("行政区"), on_delete=models.CASCADE, related_name="assessments"
    )
    period = models.CharField(_("考核周期"), max_length=10)
    cutoff = models.DateField(_("统计截至"))
    computed_at = models.DateTimeField(_("计算时间"))
    final = models.BooleanField(_("已定稿"), default=False)

    class Meta:
        verbose_name = _("考核结果")
        verbose_name_plural = _("考核结果")
        ordering = ["jurisdiction_id", "-period"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "period"], name="assessment_snapshot_unique")]

    def __str__(self) -> str:
        return f"{self.jurisdiction} · {self.period}"


class AssessmentScore(models.Model):
    """One agency's figures and score in one snapshot; the agency's rows across snapshots are its history."""

    class Listed(models.TextChoices):
        RED = "red", _("红榜")
        BLACK = "black", _("黑榜")

    snapshot = models.ForeignKey(
        AssessmentSnapshot, verbose_name=_("考核结果"), on_delete=models.CASCADE, related_name="scores"
    )
    agency = models.ForeignKey(Agency, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveIntegerField(_("名次"))
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=1)
    listed = models.CharField(_("榜单"), max_length=8, choices=Listed.choices, blank=True)
    figures = models.JSONField(_("指标"), default=dict)

    class Meta:
        verbose_name = _("考核得分")
        verbose_name_plural = _("考核得分")
        ordering = ["snapshot_id", "rank"]
        constraints = [models.UniqueConstraint(fields=["snapshot", "agency"], name="assessment_score_unique")]
        indexes = [models.Index(fields=["agency", "snapshot"], name="assessment_agency_idx")]

    def __str__(self) -> str:
        return f"{self.agency} · {self.score}"


class BulletinTemplate(models.Model):
    """A jurisdiction's own Word layout for the bulletin (通报): a .docx with docxtpl tags, rendered
    in a sandbox with the bulletin's figures. Without one the built-in layout is used."""

    jurisdiction = models.OneToOneField(
        Jurisdiction, verbose_name=_("行政区"), on_delete=models.CASCADE, related_name="bulletin_template"
    )
    file = models.FileField(_("模板文件"), upload_to="bulletin-templates/")
    name = models.CharField(_("文件名"), max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now=True)

    class Meta:
        verbose_name = _("通报模板")
        verbose_name_plural = _("通报模板")

    def __str__(self) -> str:
        return self.name


class DocumentInstruction(models.Model):
    """领导批示 on a whole document: on the timeline of each of its open tasks, told once to the staff
    of every agency with open work in it."""

    document = models.ForeignKey(
        PolicyDocument, verbose_name=_("政策文件"), on_delete=models.CASCADE, related_name="instructions"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("批示人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("批示内容"))
    created_at = models.DateTimeField(_("批示时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("文件批示")
        verbose_name_plural = _("文件批示")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["document", "-created_at"], name="document_instruction_idx")]

    def __str__(self) -> str:
        return f"{self.document_id} · {self.created_at:%Y-%m-%d}"


class AuditEntry(models.Model):
    """One sign-in, refused sign-in, lockout or refused request: who (or which name was tried), from
    where, on which path. Written by tracker.audit, never edited."""

    class Kind(models.TextChoices):
        LOGIN = "login", _("登录")
        LOGIN_FAILED = "login_failed", _("登录失败")
        LOCKOUT = "lockout", _("账号锁定")
        PERMISSION_DENIED = "permission_denied", _("拒绝访问")

    kind = models.CharField(_("类型"), max_length=24, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The name typed at the sign-in form, kept even when no such user exists.
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    method = models.CharField(_("请求方法"), max_length=8, blank=True)
    path = models.CharField(_("路径"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["kind", "-created_at"], name="audit_kind_time_idx"),
            models.Index(fields=["username", "-created_at"], name="audit_username_time_idx"),
            models.Index(fields=["ip_address", "-created_at"], name="audit_ip_time_idx"),
            models.Index(fields=["user", "-created_at"], name="audit_user_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.username} {self.created_at:%Y-%m-%d %H:%M:%S}"


class SavedFilter(models.Model):
    """A named filter of a list page ("my overdue", "due this month, lead only"): the page and its
    query string. Shared by sending its link — the scoping of whoever opens it applies."""

    class Page(models.TextChoices):
        MY_TASKS = "pages:my-tasks", _("我的任务")
        DASHBOARD = "pages:dashboard", _("统计看板")
        NOTICES = "pages:notices", _("督办单")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="saved_filters"
    )
    name = models.CharField(_("名称"), max_length=60)
    page = models.CharField(_("页面"), max_length=32, choices=Page.choices)
    query = models.CharField(_("筛选条件"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("常用筛选")
        verbose_name_plural = _("常用筛选")
        ordering = ["user_id", "page", "name"]
        constraints = [models.UniqueConstraint(fields=["user", "page", "name"], name="saved_filter_unique")]

    def __str__(self) -> str:
        return self.name


class LedgerUpload(models.Model):
    """A filled-in ledger an agency sent back, kept between its preview and the confirmation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("文件名"), max_length=255)
    content = models.BinaryField(_("内容"))
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("台账回传")
        verbose_name_plural = _("台账回传")

    def __str__(self) -> str:
        return self.name
