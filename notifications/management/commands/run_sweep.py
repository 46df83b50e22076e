from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.management.base import TranslatedHelpCommand
from notifications import recording, sending

from ._common import parse_at


class Command(TranslatedHelpCommand):
    help = gettext_lazy("立即(或按 --at 指定的时刻)执行一次到期提醒与督办扫描,并直接发送邮件")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--at", help=gettext_lazy("按此时刻扫描,例如 '2026-03-02 08:00'(北京时间)"))

    def handle(self, *args, at=None, **options) -> None:
        sender = sending.InlineSender()
        try:
            result = recording.sweep_run(at=parse_at(at), on_recorded=sender)
        finally:
            sender.close()
        self.stdout.write(
            _("已记录 %(recorded)d 条,已发送 %(sent)d 条,失败 %(failed)d 条,重新排队 %(requeued)d 条")
            % {
                "recorded": result.recorded,
                "sent": sender.result.sent,
                "failed": sender.result.failed,
                "requeued": result.requeued,
            }
        )
