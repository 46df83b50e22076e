# This command lives in tracker, not measures, because an import creates tasks and imports run
# one way (agencies ← measures ← tracker).
from pathlib import Path

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.management.base import TranslatedHelpCommand
from agencies.models import Agency, Jurisdiction
from agencies.resolve import Match
from measures.models import MeasureAgency
from measures.services import DocumentImportError, ImportPreview, document_preview_file, mention_match
from tracker.services import document_import


class Command(TranslatedHelpCommand):
    help = gettext_lazy("导入政策文件:解析、匹配单位,并在一个事务中创建文件、措施、任务和责任分工")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help=gettext_lazy("只显示预览,不写数据库"))
        parser.add_argument("--jurisdiction", help=gettext_lazy("行政区名称(默认按发文机关和正文判断)"))
        parser.add_argument("--coordinator", help=gettext_lazy("统筹督办单位(文件未指明时必须给出)"))
        parser.add_argument("--draft", action="store_true", help=gettext_lazy("确认按草案导入征求意见稿、送审稿"))

    def handle(
        self,
        *args,
        file: Path,
        dry_run: bool,
        jurisdiction: str | None,
        coordinator: str | None,
        draft: bool,
        **options,
    ) -> None:
        try:
            place = Jurisdiction.objects.get(name=jurisdiction) if jurisdiction else None
            chosen = Agency.objects.get(jurisdiction=place, name=coordinator) if coordinator and place else None
            if coordinator and chosen is None:
                chosen = Agency.objects.filter(name=coordinator).first()
                if chosen is None:
                    raise CommandError(
                        _("%(file)s:找不到统筹督办单位 %(name)s") % {"file": file.name, "name": coordinator}
                    )
            preview = document_preview_file(path=file, jurisdiction=place, coordinator=chosen)
        except Jurisdiction.DoesNotExist as exc:
            raise CommandError(_("%(file)s:找不到行政区 %(name)s") % {"file": file.name, "name": jurisdiction}) from exc
        except DocumentImportError as exc:
            raise CommandError(str(exc)) from exc
        if dry_run:
            self._print_preview(preview)
            return
        try:
            document, created = document_import(preview=preview, draft_confirmed=draft)
        except DocumentImportError as exc:
            raise CommandError(str(exc)) from exc
        if not created:
            self.stdout.write(
                _("%(file)s:内容与已导入的文件 #%(id)d 相同,未创建任何内容") % {"file": file.name, "id": document.pk}
            )
            return
        unknown = len(preview.unknown_names)
        self.stdout.write(
            _("已导入 #%(id)d %(title)s:措施 %(measures)d 条,未识别单位名称 %(unknown)d 个")
            % {"id": document.pk, "title": document, "measures": document.measures.count(), "unknown": unknown}
        )

    def _print_preview(self, preview: ImportPreview) -> None:
        parsed = preview.parsed
        out = self.stdout
        out.write(_("文件:%(title)s(%(source)s)") % {"title": parsed.title or "-", "source": preview.source_name})
        out.write(
            _("行政区:%(j)s  统筹督办单位:%(c)s")
            % {"j": preview.jurisdiction.name, "c": preview.coordinator.name if preview.coordinator else "-"}
        )
        if preview.existing is not None:
            out.write(_("注意:相同内容已导入为文件 #%(id)d,确认导入不会创建任何内容") % {"id": preview.existing.pk})
        for warning in preview.warnings:
            out.write(_("注意:%s") % warning)
        for measure in parsed.measures:
            out.write(f"\n{measure.ref} {measure.title}")
            for role, names in ((_("牵头"), measure.lead), (_("配合"), measure.support)):
                for name in names:
                    r = preview.resolutions[name]
                    how = MeasureAgency.Match(mention_match(measure, name, r)).label
                    if r.match == Match.FUZZY:
                        how = f"{how} {r.score:.0f}"
                    target = f" → {r.agency_name}" if r.resolved and r.agency_name != name else ""
                    out.write(f"  [{role}] {name}{target}  ({how})")
            if measure.others:
                out.write("  " + _("(另有相关单位)"))
        out.write(
            "\n"
            + _("共 %(n)d 条措施,未识别单位名称 %(u)d 个:%(names)s")
            % {
                "n": len(parsed.measures),
                "u": len(preview.unknown_names),
                "names": "、".join(preview.unknown_names) or "-",
            }
        )
