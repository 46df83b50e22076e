from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, Jurisdiction


class PolicyDocument(models.Model):
    title = models.CharField(_("标题"), max_length=300, blank=True)
    issuer = models.CharField(_("发文机关"), max_length=200, blank=True)
    doc_number = models.CharField(_("文号"), max_length=100, blank=True)
    issued = models.DateField(_("发文日期"), null=True, blank=True)
    effective = models.DateField(_("施行日期"), null=True, blank=True)
    horizon = models.PositiveSmallIntegerField(_("目标年份"), null=True, blank=True)
    is_draft = models.BooleanField(_("草案"), default=False)
    # The final text that replaced this draft; its matching tasks moved there with their history.
    replaced_by = models.ForeignKey(
        "self", verbose_name=_("被终稿替换"), null=True, blank=True, on_delete=models.SET_NULL, related_name="drafts"
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("行政区"), on_delete=models.PROTECT, related_name="documents"
    )
    coordinator = models.ForeignKey(
        Agency,
        verbose_name=_("牵头督办单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="coordinated_documents",
    )
    coordinator_names = models.JSONField(_("文中的统筹单位"), default=list, blank=True)
    # Time limits and schedule counted in working days (holidays and 调休 included) rather than days.
    working_days = models.BooleanField(_("按工作日计算"), default=False)

    class Every(models.TextChoices):
        NONE = "", _("不定期")
        MONTH = "month", _("每月")
        QUARTER = "quarter", _("每季度")
        HALF_YEAR = "half_year", _("每半年")

    # Recurring rounds (定期调度): one per period, opened and closed by the sweep; due on this day of
    # the period's last month, or on its last day.
    round_every = models.CharField(_("调度周期"), max_length=12, choices=Every.choices, blank=True)
    round_due_day = models.PositiveSmallIntegerField(_("报送日"), null=True, blank=True)
    # The mechanisms the text sets up, made switches at import (editable on the document's page):
    # 考核 → its agencies are ranked; 监测预警 → falling behind schedule raises a yellow 督办单;
    # 向政府报告 → a bulletin (通报) is due once each round closes.
    assessed = models.BooleanField(_("纳入考核"), default=False)
    schedule_warnings = models.BooleanField(_("序时进度预警"), default=False)
    bulletin_after_round = models.BooleanField(_("每轮调度后通报"), default=False)
    # What the coordinator corrected in the preview before confirming: [{ref, field, before, after}].
    corrections = models.JSONField(_("导入前的更正"), default=list, blank=True)
    mechanisms = models.JSONField(_("工作机制"), default=list, blank=True)
    source_name = models.CharField(_("源文件"), max_length=255)
    # sha256 of the normalised text: the same content imported twice is recognised whatever the file's name.
    source_hash = models.CharField(_("内容摘要"), max_length=64, unique=True)
    raw_text = models.TextField(_("原文"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    imported_at = models.DateTimeField(_("导入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("政策文件")
        verbose_name_plural = _("政策文件")
        ordering = ["-imported_at"]
        indexes = [models.Index(fields=["coordinator"], name="document_coordinator_idx")]

    def __str__(self) -> str:
        return self.label(self.title, self.issuer, self.doc_number, self.issued, self.source_name)

    # The fields label() reads, for lists that fetch values rather than rows.
    LABEL_FIELDS = ("title", "issuer", "doc_number", "issued", "source_name")

    @staticmethod
    def label(title: str, issuer: str, doc_number: str, issued, source_name: str) -> str:
        """Many notices carry no title line of their own: name them the way a clerk would, by
        issuer, number and date; the file name only when the text says none of these."""
        if title:
            # The 文号 is how an office cites a document: shown with the title where there is one.
            return f"{title}（{doc_number}）" if doc_number else title
        parts = [issuer, doc_number, issued.isoformat() if issued else ""]
        return " ".join(p for p in parts if p) or source_name


class Measure(models.Model):
    document = models.ForeignKey(
        PolicyDocument, verbose_name=_("政策文件"), on_delete=models.CASCADE, related_name="measures"
    )
    ref = models.CharField(_("编号"), max_length=32)
    title = models.CharField(_("标题"), max_length=300, blank=True)
    text = models.TextField(_("内容"))
    order = models.PositiveIntegerField(_("顺序"))
    deadlines = models.JSONField(_("文中时限"), default=list, blank=True)
    others = models.BooleanField(_("另有相关单位"), default=False)
    lead_inferred = models.BooleanField(_("牵头单位按排序推定"), default=False)
    confidence = models.FloatField(_("解析把握"), default=1.0)
    doubts = models.JSONField(_("存疑之处"), default=list, blank=True)

    class Doubt(models.TextChoices):
        """Why the parser is unsure (the codes of measures.parsing.doubts)."""

        NOT_A_NAME = "not_a_name", _("有名称不像单位名")
        NO_LEAD = "no_lead", _("未识别出牵头单位")
        RULE_UNREAD = "rule_unread", _("前文似有统一分工规定,未能识别")
        DUPLICATE_REF = "duplicate_ref", _("编号与其他措施重复")
        NO_HEADING = "no_heading", _("不在任何编号条目下")
        LONG_NAME = "long_name", _("单位名称过长,可能夹带了句子")
        RESTORED_PREFIX = "restored_prefix", _("补全了单位名称的前缀")
        REMARK_DROPPED = "remark_dropped", _("条款中有文字按说明处理,未作单位")
        INFERRED_LEAD = "inferred_lead", _("未标明牵头,按排序推定")
        RULE_APPLIED = "rule_applied", _("按文件的统一分工规定调整了单位")
        SHARED_ITEM = "shared_item", _("同一条目含多个分工条款")

    class Meta:
        verbose_name = _("措施")
        verbose_name_plural = _("措施")
        ordering = ["document_id", "order"]
        constraints = [
            models.UniqueConstraint(fields=["document", "ref"], name="measure_unique_ref"),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"


class MeasureTarget(models.Model):
    measure = models.ForeignKey(Measure, verbose_name=_("措施"), on_delete=models.CASCADE, related_name="targets")
    text = models.CharField(_("目标"), max_length=300)
    value = models.DecimalField(_("目标值"), max_digits=20, decimal_places=4)
    unit = models.CharField(_("单位"), max_length=32, blank=True)
    by = models.CharField(_("期限"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("量化目标")
        verbose_name_plural = _("量化目标")
        ordering = ["measure_id", "id"]

    def __str__(self) -> str:
        return self.text


# A mention waiting in the queue: matched to no agency, and not dismissed as no agency at all.
UNRESOLVED = models.Q(agency__isnull=True) & ~models.Q(match="dismissed")


class MeasureAgencyQuerySet(models.QuerySet):
    def unresolved(self) -> "MeasureAgencyQuerySet":
        return self.filter(UNRESOLVED)


class MeasureAgency(models.Model):
    """An agency name as the document wrote it in a measure's clause, and what it resolved to.

    Rows with no agency are the review queue of unknown names: kept with their measure until a
    coordinator maps them to an agency or creates one."""

    class Role(models.TextChoices):
        LEAD = "lead", _("牵头")
        SUPPORT = "support", _("配合")

    class Match(models.TextChoices):
        EXACT = "exact", _("精确")
        ALIAS = "alias", _("别名")
        PREFIX = "prefix", _("补全前缀")
        FUZZY = "fuzzy", _("模糊")
        UNKNOWN = "unknown", _("未识别")
        MANUAL = "manual", _("人工指定")
        # A coordinator said the words are no agency (a phrase the parser took for one).
        DISMISSED = "dismissed", _("不是单位")

    measure = models.ForeignKey(Measure, verbose_name=_("措施"), on_delete=models.CASCADE, related_name="agencies")
    name = models.CharField(_("文中名称"), max_length=128)
    role = models.CharField(_("角色"), max_length=8, choices=Role.choices)
    position = models.PositiveSmallIntegerField(_("排序"))
    agency = models.ForeignKey(
        Agency, verbose_name=_("匹配单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="mentions"
    )
    match = models.CharField(_("匹配方式"), max_length=12, choices=Match.choices)
    score = models.FloatField(_("匹配分数"), null=True, blank=True)

    objects = MeasureAgencyQuerySet.as_manager()

    class Meta:
        verbose_name = _("文中单位")
        verbose_name_plural = _("文中单位")
        ordering = ["measure_id", "role", "position"]
        constraints = [
            models.UniqueConstraint(fields=["measure", "role", "position"], name="measure_agency_unique_slot"),
        ]
        indexes = [
            models.Index(fields=["name"], name="unresolved_name_idx", condition=UNRESOLVED),
        ]

    def __str__(self) -> str:
        return self.name


class ImportDraft(models.Model):
    """An uploaded document between its upload and its import. The upload is read and parsed by a
    Celery task (never inside the web request); the parse is kept here, and the preview resolves
    it against the directory as it is now on every view, so mapping an unknown name (which
    records an alias) shows up at once. Nothing else is written until confirm."""

    class Status(models.TextChoices):
        PARSING = "parsing", _("解析中")
        READY = "ready", _("待确认")
        FAILED = "failed", _("解析失败")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.CASCADE, related_name="+"
    )
    source_name = models.CharField(_("源文件"), max_length=255)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PARSING)
    # The uploaded bytes, until the parse has read them.
    upload = models.BinaryField(_("上传内容"), null=True, blank=True)
    error = models.TextField(_("解析失败原因"), blank=True)
    text = models.TextField(_("原文"), blank=True)
    parsed = models.JSONField(_("解析结果"), null=True, blank=True)
    corrections = models.JSONField(_("更正记录"), default=list, blank=True)
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("行政区"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    coordinator = models.ForeignKey(
        Agency, verbose_name=_("牵头督办单位"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("待导入文件")
        verbose_name_plural = _("待导入文件")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "created_at"], name="importdraft_user_created_idx")]

    def __str__(self) -> str:
        return self.source_name
