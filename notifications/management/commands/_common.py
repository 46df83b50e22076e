import datetime

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.schedule import TZ


def parse_at(value: str | None) -> datetime.datetime:
    """--at '2026-03-02 08:00' (Asia/Shanghai unless an offset is given) or an ISO datetime."""
    if not value:
        return timezone.now()
    try:
        at = datetime.datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(_("--at:不是 ISO 格式的日期时间:%(value)s") % {"value": repr(value)}) from exc
    if at.tzinfo is None:
        at = at.replace(tzinfo=TZ)
    return at
