"""The notification ledger and per-user preferences.

Every message (email and in-app) is first a `Notification` row whose key — recipient, kind, target
(the task, round or user it is about) and period (which deadline stage or which ISO week) — is
unique. Whoever inserts the row first owns sending it; everyone else's insert does nothing. The
status column (pending → sending → sent / failed) is the send state machine."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    class Kind(models.TextChoices):
        REMINDER = "reminder_before", _("到期提醒")
        NUDGE = "nudge_overdue", _("逾期催办")
        YELLOW = "escalation_yellow", _("黄牌督办")
        RED = "escalation_red", _("红牌督办")
        ROUND_REMINDER = "round_reminder", _("调度报送提醒")
        ROUND_MISSED = "round_missed", _("调度逾期未报")
        MANUAL_NUDGE = "manual_nudge", _("催办")
        DIGEST = "digest", _("每周摘要")
        DECISION = "decision", _("审核结果")
        REQUEST = "request", _("待审核申请")
        ASSIGNED = "assigned", _("新分配任务")
        ROUND_OPENED = "round_opened", _("调度开始")
        ROUND_CHASED = "round_chased", _("催报")
        RECEIPT = "receipt", _("签收提醒")
        RECEIPT_LATE = "receipt_late", _("逾期未签收")
        INSTRUCTION = "instruction", _("领导批示")
        SUPERVISION = "supervision_notice", _("督办单")
        MENTION = "mention", _("@提及")

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")
        # The user turned email off (or has no address): the row still shows in the in-app list.
        IN_APP = "in_app", _("仅站内")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("类型"), max_length=24, choices=Kind.choices)
    # "task:12", "round:3", "user:7": one NOT NULL column for the subject so the unique key holds
    # (NULL foreign keys would be distinct from each other in a unique index).
    target = models.CharField(_("对象"), max_length=32)
    # Which stage: "<due date>:<offset days>" for deadlines (a new due date gives new keys),
    # "2026-W47" for digests, "event:<id>" for a hand nudge.
    period = models.CharField(_("周期"), max_length=32)
    task = models.ForeignKey(
        "tracker.Task", verbose_name=_("任务"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    round = models.ForeignKey(
        "tracker.ReportingRound",
        verbose_name=_("调度轮次"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # What the message says, fixed when it was recorded (digest content, days overdue, counts).
    data = models.JSONField(_("内容"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    # Pending: when it may be (re)sent. Sending: when the claim's lease runs out and a sweep may
    # take the row back from a worker that died.
    next_attempt_at = models.DateTimeField(_("下次尝试"), default=timezone.now)
    subject = models.CharField(_("邮件标题"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        constraints = [
            # target first: the sweep's "already recorded?" lookups by task or round use its prefix.
            models.UniqueConstraint(fields=["target", "kind", "period", "recipient"], name="notification_once"),
        ]
        indexes = [
            # The sweep's re-queue scan: only unfinished rows are indexed, so it stays small.
            models.Index(
                fields=["status", "next_attempt_at"],
                name="notification_unsent_idx",
                condition=models.Q(status__in=["pending", "sending"]),
            ),
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox_idx"),
            # The header's unread count, on every page: only unread rows are indexed.
            models.Index(
                fields=["recipient"], name="notification_unread_idx", condition=models.Q(read_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.target} · {self.period} → {self.recipient_id}"


class Preference(models.Model):
    class Language(models.TextChoices):
        ZH_HANS = "zh-hans", _("简体中文")
        EN = "en", _("English")

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("星期一")
        TUESDAY = 1, _("星期二")
        WEDNESDAY = 2, _("星期三")
        THURSDAY = 3, _("星期四")
        FRIDAY = 4, _("星期五")
        SATURDAY = 5, _("星期六")
        SUNDAY = 6, _("星期日")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_preference",
    )
    digest_enabled = models.BooleanField(_("接收每周摘要"), default=True)
    digest_weekday = models.PositiveSmallIntegerField(_("摘要发送日"), choices=Weekday.choices, default=Weekday.MONDAY)
    language = models.CharField(_("邮件语言"), max_length=8, choices=Language.choices, default=Language.ZH_HANS)
    email_reminders = models.BooleanField(_("接收提醒邮件"), default=True)
    # Part of the user's calendar-feed link: raising it (the "reset" button) kills the old link.
    ics_version = models.PositiveIntegerField(_("日历订阅链接版本"), default=0)

    class Meta:
        verbose_name = _("通知设置")
        verbose_name_plural = _("通知设置")
        indexes = [models.Index(fields=["digest_weekday", "digest_enabled"], name="preference_digest_day_idx")]

    def __str__(self) -> str:
        return str(self.user)

    @classmethod
    def defaults(cls, user) -> "Preference":
        """An unsaved preference with the defaults, for users who never opened the settings page."""
        return cls(user=user)


class SweepRun(models.Model):
    """The last run of each periodic job, one row per job: the health check reads its age (a beat
    that stopped, or workers that no longer take the queue, show as a stale sweep)."""

    class Job(models.TextChoices):
        SWEEP = "sweep", _("提醒巡查")
        DIGESTS = "digests", _("每周摘要")

    job = models.CharField(_("任务"), max_length=16, choices=Job.choices, unique=True)
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("完成时间"))
    recorded = models.PositiveIntegerField(_("记录数"), default=0)

    class Meta:
        verbose_name = _("巡查运行记录")
        verbose_name_plural = _("巡查运行记录")

    def __str__(self) -> str:
        return f"{self.get_job_display()} · {self.finished_at:%Y-%m-%d %H:%M}"


class Webhook(models.Model):
    """A group robot of an office messenger (企业微信, 钉钉) that an agency or a document posts to: the
    reminders, nudges, escalations and round openings its people receive by email go there too."""

    class Service(models.TextChoices):
        WECOM = "wecom", _("企业微信群机器人")
        DINGTALK = "dingtalk", _("钉钉群机器人")

    agency = models.ForeignKey(
        "agencies.Agency", verbose_name=_("单位"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    document = models.ForeignKey(
        "measures.PolicyDocument",
        verbose_name=_("政策文件"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    service = models.CharField(_("服务"), max_length=12, choices=Service.choices)
    url = models.URLField(_("Webhook 地址"), max_length=500)
    # DingTalk's 加签 secret (SEC…); the post is signed with it. Empty for WeCom.
    secret = models.CharField(_("加签密钥"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("群机器人")
        verbose_name_plural = _("群机器人")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(agency__isnull=False, document__isnull=True)
                | models.Q(agency__isnull=True, document__isnull=False),
                name="webhook_agency_or_document",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_service_display()} · {self.agency or self.document}"


class WebhookDelivery(models.Model):
    """One post to one robot, keyed like the ledger's rows (kind, target, period): recorded with the
    notifications it echoes, claimed, posted, marked — so it goes out once whatever the workers do."""

    webhook = models.ForeignKey(
        Webhook, verbose_name=_("群机器人"), on_delete=models.CASCADE, related_name="deliveries"
    )
    kind = models.CharField(_("类型"), max_length=24, choices=Notification.Kind.choices)
    target = models.CharField(_("对象"), max_length=32)
    period = models.CharField(_("周期"), max_length=32)
    text = models.TextField(_("内容"))
    status = models.CharField(
        _("状态"), max_length=8, choices=Notification.Status.choices, default=Notification.Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    next_attempt_at = models.DateTimeField(_("下次尝试"), default=timezone.now)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("群消息")
        verbose_name_plural = _("群消息")
        constraints = [
            models.UniqueConstraint(fields=["webhook", "kind", "target", "period"], name="webhook_delivery_once")
        ]
        indexes = [
            models.Index(
                fields=["status", "next_attempt_at"],
                name="webhook_unsent_idx",
                condition=models.Q(status__in=["pending", "sending"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.webhook_id} · {self.kind} · {self.target} · {self.period}"
