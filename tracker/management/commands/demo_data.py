import datetime
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.management.base import TranslatedHelpCommand
from agencies.models import Agency, Jurisdiction, User
from measures.models import MeasureTarget, PolicyDocument
from measures.services import DocumentImportError, document_preview_file
from tracker import services
from tracker.models import Task, TaskEvent

SEEDS = Path(settings.BASE_DIR) / "fixtures" / "seeds"
DEMO_PASSWORD = "demo12345"
DEMO_JURISDICTION = "济南市"
# The demo's own document: the Jinan seed (other plans of the city may be imported beside it).
DEMO_SEED = "000_0931c75b694a60a7.txt"
# The seeds are years old, so every deadline has long passed. The demo document's tasks get due
# dates around today instead (days from today, in measure order; None keeps it open-ended), so the
# board, reminders and digests have something to show.
DEMO_DUE_OFFSETS = [-40, -12, -3, 1, 6, 13, 25, 60, None]
# username → (agency name in the demo jurisdiction, role)
DEMO_USERS = {
    "demo-staff": ("市商务局", User.Role.STAFF),
    "demo-support": ("市工业和信息化局", User.Role.STAFF),
    "demo-coordinator": ("市发展改革委", User.Role.COORDINATOR),
    # A leader in the city government's office oversees every plan of the city.
    "demo-leader": ("市政府办公厅", User.Role.LEADER),
}


def _fallback_coordinator(jurisdiction: Jurisdiction) -> Agency | None:
    """A document naming no coordinator is supervised by its government's general office, as in practice."""
    names = [
        jurisdiction.prefix + suffix for suffix in ("政府办公室", "政府办公厅", "人民政府办公室", "人民政府办公厅")
    ]
    return Agency.objects.filter(jurisdiction=jurisdiction, name__in=names).first()


class Command(TranslatedHelpCommand):
    help = gettext_lazy("载入演示数据:单位名录、五份示例文件和演示用户;可重复运行")

    def handle(self, *args, **options) -> None:
        call_command("load_directory", stdout=self.stdout)
        documents = {path.name: self._import(path) for path in sorted(SEEDS.glob("*.txt"))}
        with transaction.atomic():
            self._users()
            self._bring_to_today(documents[DEMO_SEED])

    def _import(self, path: Path) -> PolicyDocument:
        try:
            preview = document_preview_file(path=path)
            if preview.coordinator is None:
                preview.coordinator = _fallback_coordinator(preview.jurisdiction)
            # The demo shows a draft too (the seeds hold a 征求意见稿), so it confirms drafts.
            document, created = services.document_import(preview=preview, draft_confirmed=True)
        except DocumentImportError as exc:
            raise CommandError(str(exc)) from exc
        verb = _("已导入") if created else _("已存在")
        self.stdout.write(f"{verb} #{document.pk} {path.name} {document}")
        return document

    def _users(self) -> None:
        jinan = Jurisdiction.objects.get(name=DEMO_JURISDICTION)
        for username, (agency_name, role) in DEMO_USERS.items():
            agency = Agency.objects.get(jurisdiction=jinan, name=agency_name) if agency_name else None
            user, created = User.objects.get_or_create(username=username, defaults={"agency": agency, "role": role})
            if created:
                user.set_password(DEMO_PASSWORD)
                user.email = f"{username}@example.org"
                user.save()
            elif (user.agency, user.role) != (agency, role):  # a demo database from an older version
                user.agency, user.role = agency, role
                user.save(update_fields=["agency", "role"])
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "admin@example.org", DEMO_PASSWORD)
        self.stdout.write(
            _("演示用户(密码 %(pw)s):%(users)s") % {"pw": DEMO_PASSWORD, "users": ", ".join([*DEMO_USERS, "admin"])}
        )

    def _bring_to_today(self, document: PolicyDocument) -> None:
        """Once: due dates around today, a report and a closure request, a round, all through the
        services; the sweep that follows (scripts/demo) issues the 督办单 and computes the ranking."""
        coordinator = User.objects.get(username="demo-coordinator")
        tasks = list(document.tasks.select_related("document").order_by("measure__order"))
        if TaskEvent.objects.filter(task__document=document, kind=TaskEvent.Kind.DUE_DATE).exists():
            return
        today = timezone.localdate()
        for task, offset in zip(tasks, DEMO_DUE_OFFSETS * len(tasks), strict=False):
            due = None if offset is None else today + datetime.timedelta(days=offset)
            services.task_set_due_date(
                task=task, user=coordinator, expected_version=None, due_date=due, comment=_("演示:按当前日期安排时限")
            )
        staff = User.objects.get(username="demo-staff")
        led = (
            Task.objects.visible_to(staff)
            .filter(document=document, assignments__agency=staff.agency, assignments__role="lead")
            .order_by("measure__order")
        )
        first, second, third = list(led[:3])
        services.report_submit(task=first, user=staff, text=_("已制定工作方案,正在推进平台建设。"), percent=40)
        # The Jinan seed sets no number for 市商务局's items: one is given a target, so the report
        # form's figures can be tried (a plan's targets are read from its text on import).
        MeasureTarget.objects.get_or_create(
            measure=third.measure,
            text=_("全市网络零售额增长10%(演示)"),
            defaults={"value": 10, "unit": "%", "by": str(today.year)},
        )
        services.report_submit(task=second, user=staff, text=_("各项工作已完成。"), percent=100)
        second.refresh_from_db()
        services.task_transition(
            task=second,
            user=staff,
            action="request_closure",
            expected_version=second.version,
            comment=_("任务已完成,申请销号。"),
        )
        # The Jinan plan is assessed in the demo, so that 考核排名 and the bulletin's ranking show.
        services.document_supervision_set(
            document=document,
            user=coordinator,
            assessed=True,
            schedule_warnings=True,
            bulletin_after_round=document.bulletin_after_round,
        )
        services.round_open(
            document=document,
            user=coordinator,
            title=_("演示:本月调度"),
            due_date=today + datetime.timedelta(days=5),
        )
