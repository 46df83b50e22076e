from django.core.management.base import BaseCommand

from notifications import services

from ._common import parse_at


class Command(BaseCommand):
    help = "Record and send the weekly digests due now (or --at a moment), inline."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--at", help="the moment to run as, e.g. '2026-03-02 08:00' (Asia/Shanghai)")

    def handle(self, *args, at=None, **options) -> None:
        sender = services.InlineSender()
        try:
            result = services.digests_run(at=parse_at(at), on_recorded=sender)
        finally:
            sender.close()
        self.stdout.write(f"recorded {result.recorded}, sent {sender.result.sent}, failed {sender.result.failed}")
