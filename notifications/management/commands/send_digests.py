from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.management.base import TranslatedHelpCommand
from notifications import recording, sending

from ._common import parse_at


class Command(TranslatedHelpCommand):
    help = gettext_lazy("立即(或按 --at 指定的时刻)记录并直接发送到期的每周摘要")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--at", help=gettext_lazy("按此时刻执行,例如 '2026-03-02 08:00'(北京时间)"))

    def handle(self, *args, at=None, **options) -> None:
        sender = sending.InlineSender()
        try:
            result = recording.digests_run(at=parse_at(at), on_recorded=sender)
        finally:
            sender.close()
        self.stdout.write(
            _("已记录 %(recorded)d 条,已发送 %(sent)d 条,失败 %(failed)d 条")
            % {"recorded": result.recorded, "sent": sender.result.sent, "failed": sender.result.failed}
        )
