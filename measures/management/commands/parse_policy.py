import json
from pathlib import Path

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext_lazy

from agencies.management.base import TranslatedHelpCommand
from measures.services import DocumentImportError, document_parse


class Command(TranslatedHelpCommand):
    help = gettext_lazy("解析政策文件并按抽取规范输出 JSON(不写数据库)")
    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options) -> None:
        try:
            _text, parsed = document_parse(source=file, name=file.name)
        except DocumentImportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(parsed.to_dict(), ensure_ascii=False, indent=2))
