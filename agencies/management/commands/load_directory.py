from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.management.base import TranslatedHelpCommand
from agencies.services import DirectoryError, directory_load_file

DEFAULT_DIRECTORY = Path(settings.BASE_DIR) / "fixtures" / "directory"


class Command(TranslatedHelpCommand):
    help = gettext_lazy("载入单位名录(行政区、单位、别名、集合名称);可重复运行")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="*", type=Path)

    def handle(self, *args, files: list[Path], **options) -> None:
        for path in files or sorted(DEFAULT_DIRECTORY.glob("*.json")):
            try:
                result = directory_load_file(path=path)
            except DirectoryError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                _("%(name)s:新增单位 %(agencies)d 个,新增别名 %(aliases)d 个")
                % {
                    "name": result.jurisdiction.name,
                    "agencies": result.agencies_created,
                    "aliases": result.aliases_created,
                }
            )
