from django.core.management.base import BaseCommand

from notifications import services

from ._common import parse_at


class Command(BaseCommand):
    help = "Run one reminder-and-escalation sweep now (or --at a moment) and send its mail inline."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--at", help="the moment to sweep as, e.g. '2026-03-02 08:00' (Asia/Shanghai)")

    def handle(self, *args, at=None, **options) -> None:
        sender = services.InlineSender()
        try:
            result = services.sweep_run(at=parse_at(at), on_recorded=sender)
        finally:
            sender.close()
        self.stdout.write(
            f"recorded {result.recorded}, sent {sender.result.sent}, failed {sender.result.failed}, "
            f"re-queued {result.requeued}"
        )
