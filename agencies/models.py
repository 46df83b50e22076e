from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Jurisdiction(models.Model):
    """A government level whose documents name agencies relative to it (市商务局 in 济南市)."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("省级")
        CITY = "city", _("市级")
        COUNTY = "county", _("县区级")

    name = models.CharField(_("名称"), max_length=64, unique=True)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    # The one-character prefix local documents put before agency names: 市商务局, 省商务厅.
    prefix = models.CharField(_("简称前缀"), max_length=4)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        verbose_name = _("行政区")
        verbose_name_plural = _("行政区")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Agency(models.Model):
    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("人民政府")
        DEPARTMENT = "department", _("政府部门")
        PARTY = "party", _("党委部门")
        VERTICAL = "vertical", _("垂直管理单位")
        INSTITUTION = "institution", _("事业单位")
        ENTERPRISE = "enterprise", _("企业")
        GROUP = "group", _("集合名称")
        OTHER = "other", _("其他")

    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("行政区"), on_delete=models.PROTECT, related_name="agencies"
    )
    # The name as the jurisdiction's own documents write it (市商务局); full_name adds the place.
    name = models.CharField(_("规范名称"), max_length=128)
    full_name = models.CharField(_("全称"), max_length=160, blank=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.DEPARTMENT)
    # Only for kind=GROUP: the agencies a collective name (各区县人民政府) stands for.
    members = models.ManyToManyField(
        "self", verbose_name=_("成员单位"), symmetrical=False, blank=True, related_name="groups"
    )
    is_active = models.BooleanField(_("有效"), default=True)
    # Duties, not people: reminders and 督办单 go to whoever holds them today, so they survive
    # staff turnover. An agency with tasks and no liaison is listed as a gap on the board.
    liaison = models.ForeignKey(
        "User", verbose_name=_("联络员"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responsible_leader = models.ForeignKey(
        "User", verbose_name=_("分管领导"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["jurisdiction_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "name"], name="agency_unique_name_per_jurisdiction")
        ]
        indexes = [models.Index(fields=["name"], name="agency_name_idx")]

    def __str__(self) -> str:
        return self.name


class AgencyAlias(models.Model):
    class Kind(models.TextChoices):
        ABBREVIATION = "abbreviation", _("简称")
        FORMER = "former", _("曾用名")
        VARIANT = "variant", _("其他写法")

    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("行政区"), on_delete=models.PROTECT, related_name="aliases"
    )
    agency = models.ForeignKey(Agency, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(_("别名"), max_length=128)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.ABBREVIATION)

    class Meta:
        verbose_name = _("单位别名")
        verbose_name_plural = _("单位别名")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "name"], name="alias_unique_name_per_jurisdiction")
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.agency.name}"


class User(AbstractUser):
    class Role(models.TextChoices):
        STAFF = "staff", _("经办人")
        COORDINATOR = "coordinator", _("督办员")
        LEADER = "leader", _("领导")

    agency = models.ForeignKey(
        Agency, verbose_name=_("所属单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.STAFF)

    class Meta(AbstractUser.Meta):
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        indexes = [models.Index(fields=["agency", "role"], name="user_agency_role_idx")]
