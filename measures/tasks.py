"""Celery entry points for importing: the parse of an upload, outside the web request."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils.translation import gettext as _

from . import services

log = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    # The parse itself is bounded by POLICY_PARSE_SECONDS in its own process; these bound the rest
    # (resolving the names against the directory) and catch a parse that outlives its process.
    soft_time_limit=settings.POLICY_PARSE_SECONDS + 30,
    time_limit=settings.POLICY_PARSE_SECONDS + 60,
)
def import_draft_parse(draft_id: int) -> None:
    try:
        services.import_draft_parse_run(draft_id=draft_id)
    except SoftTimeLimitExceeded:
        services.import_draft_fail(draft_id=draft_id, reason=_("解析超过时限,已停止"))
    except Exception:
        # Left as it was, the draft would wait for ever: say so on it, keep the trace in the log.
        log.exception("parse of import draft %d failed", draft_id)
        services.import_draft_fail(draft_id=draft_id, reason=_("解析时出错,请检查文件后重新上传"))
        raise


def import_draft_enqueue(draft_id: int) -> None:
    """Called once the upload is committed. With the broker down the draft says so at once rather
    than waiting for a parse that will never run."""
    try:
        import_draft_parse.delay(draft_id)
    except Exception:
        log.warning("could not enqueue the parse of import draft %d", draft_id, exc_info=True)
        services.import_draft_fail(draft_id=draft_id, reason=_("任务队列暂不可用,请稍后重新上传"))
