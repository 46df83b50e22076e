import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext_lazy

from agencies.management.base import TranslatedHelpCommand
from measures.parsing import ParseError, parse_document
from measures.readers import ReadError, read_document
from measures.services import parse_error_reason


class Command(TranslatedHelpCommand):
    help = gettext_lazy("解析政策文件并按抽取规范输出 JSON(不写数据库)")
    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options) -> None:
        try:
            text = read_document(file, max_bytes=settings.POLICY_MAX_BYTES).text
            parsed = parse_document(text, file.name)
        except ReadError as exc:
            raise CommandError(str(exc)) from exc
        except ParseError as exc:
            raise CommandError(f"{file.name}: {parse_error_reason(exc)}") from exc
        self.stdout.write(json.dumps(parsed.to_dict(), ensure_ascii=False, indent=2))
