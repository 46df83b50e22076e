"""Posts to the messengers offices read (企业微信 and 钉钉 group robots), beside the email.

A channel is anything with `post(webhook, text)` that raises ChannelError on refusal: CHANNELS maps
a webhook's service to one, so SMS or an office's own system is one more class here, and the sweep
and the ledger stay as they are. A post is a WebhookDelivery row recorded in the transaction of the
notifications it echoes (one per robot and key, whatever the number of recipients), then claimed,
posted and marked like an email: a second sweep or a dead worker neither loses nor doubles it,
but for a worker killed between the service's answer and the mark (the same window as SMTP's)."""

import base64
import datetime
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Protocol

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone, translation

from . import emails
from .models import Notification, Webhook, WebhookDelivery

log = logging.getLogger(__name__)
K = Notification.Kind
S = Notification.Status

# What reaches a group: the reminders, nudges, escalations and round openings of the issue; not
# the personal ones (digests, decisions on one's own request, mentions).
POSTED = frozenset(
    {K.REMINDER, K.NUDGE, K.YELLOW, K.RED, K.MANUAL_NUDGE, K.ROUND_OPENED, K.ROUND_CHASED, K.SUPERVISION}
)
MAX_ATTEMPTS = 6


class ChannelError(Exception):
    """The service refused or could not be reached; `permanent` when retrying cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Channel(Protocol):
    def post(self, webhook: Webhook, text: str) -> None: ...


def _post_json(url: str, body: dict) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.NOTIFY_WEBHOOK_TIMEOUT) as response:
            answer = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raise ChannelError(f"HTTP {exc.code}", permanent=400 <= exc.code < 500 and exc.code != 429) from exc
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise ChannelError(str(exc)) from exc
    if answer.get("errcode", 0) != 0:
        raise ChannelError(f"errcode {answer.get('errcode')}: {answer.get('errmsg', '')}")
    return answer


class WeCom:
    """企业微信群机器人: a JSON text message to the robot's key URL."""

    def post(self, webhook: Webhook, text: str) -> None:
        _post_json(webhook.url, {"msgtype": "text", "text": {"content": text}})


class DingTalk:
    """钉钉群机器人 with 加签: timestamp and HMAC-SHA256 signature of "timestamp\\nsecret" in the URL."""

    def signed_url(self, webhook: Webhook, now_ms: int | None = None) -> str:
        if not webhook.secret:
            return webhook.url
        timestamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
        digest = hmac.new(webhook.secret.encode(), f"{timestamp}\n{webhook.secret}".encode(), hashlib.sha256).digest()
        sign = urllib.parse.quote_plus(base64.b64encode(digest))
        joiner = "&" if "?" in webhook.url else "?"
        return f"{webhook.url}{joiner}timestamp={timestamp}&sign={sign}"

    def post(self, webhook: Webhook, text: str) -> None:
        _post_json(self.signed_url(webhook), {"msgtype": "text", "text": {"content": text}})


CHANNELS: dict[str, Channel] = {Webhook.Service.WECOM: WeCom(), Webhook.Service.DINGTALK: DingTalk()}


def _text(notification: Notification) -> str:
    """The headline and the link, in Chinese: a group is an office's, not one person's."""
    with translation.override("zh-hans"):
        headline = emails.headline(notification)
    link = emails.task_url(notification.task_id) if notification.task_id else emails.absolute("/tasks/")
    return f"{headline}\n{link}"


def deliveries_record(notification_ids: Sequence[int]) -> list[int]:
    """In the notifications' transaction: a delivery per robot of the recipients' agencies and of the
    task's or round's document, per key. Returns the ids of the new deliveries."""
    if not notification_ids:
        return []
    rows = (
        Notification.objects.filter(pk__in=notification_ids, kind__in=POSTED)
        .select_related("task__measure", "round")
        .annotate(agency=F("recipient__agency_id"))
        .order_by("pk")
    )
    keyed: dict[tuple, Notification] = {}
    agencies: dict[tuple, set[int]] = {}
    documents: dict[tuple, set[int]] = {}
    for n in rows:
        key = (n.kind, n.target, n.period)
        keyed.setdefault(key, n)
        if n.agency:
            agencies.setdefault(key, set()).add(n.agency)
        document = n.task.document_id if n.task_id else n.round.document_id if n.round_id else None
        if document:
            documents.setdefault(key, set()).add(document)
    if not keyed:
        return []
    all_agencies = set().union(*agencies.values()) if agencies else set()
    all_documents = set().union(*documents.values()) if documents else set()
    hooks = list(
        Webhook.objects.filter(is_active=True).filter(Q(agency_id__in=all_agencies) | Q(document_id__in=all_documents))
    )
    if not hooks:
        return []
    targets = {key[1] for key in keyed}
    existing = set(
        WebhookDelivery.objects.filter(webhook__in=hooks, target__in=targets).values_list(
            "webhook_id", "kind", "target", "period"
        )
    )
    new = []
    for key, notification in keyed.items():
        text = None
        for hook in hooks:
            wanted = hook.agency_id in agencies.get(key, ()) or hook.document_id in documents.get(key, ())
            if wanted and (hook.pk, *key) not in existing:
                text = text or _text(notification)
                new.append(WebhookDelivery(webhook=hook, kind=key[0], target=key[1], period=key[2], text=text))
    if not new:
        return []
    # A key another transaction recorded meanwhile is skipped here; reading it back as well only
    # enqueues it twice, and the claim lets one worker post it.
    WebhookDelivery.objects.bulk_create(new, ignore_conflicts=True)
    keys = Q()
    for d in new:
        keys |= Q(webhook_id=d.webhook.pk, kind=d.kind, target=d.target, period=d.period)
    return sorted(WebhookDelivery.objects.filter(keys, status=S.PENDING).values_list("pk", flat=True))


def deliveries_send(delivery_ids: Sequence[int]) -> dict[str, int]:
    """Claim, post, mark; a row another worker holds is left to it."""
    counts = {"sent": 0, "failed": 0, "retry": 0}
    lease = timezone.now() + datetime.timedelta(seconds=settings.NOTIFY_LEASE_SECONDS)
    for delivery_id in delivery_ids:
        claimed = WebhookDelivery.objects.filter(
            pk=delivery_id, status=S.PENDING, next_attempt_at__lte=timezone.now()
        ).update(status=S.SENDING, next_attempt_at=lease, attempts=F("attempts") + 1)
        if not claimed:
            continue
        delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
        channel = CHANNELS.get(delivery.webhook.service)
        try:
            if channel is None:
                raise ChannelError(f"no channel for {delivery.webhook.service}", permanent=True)
            channel.post(delivery.webhook, delivery.text)
        except ChannelError as exc:
            permanent = exc.permanent or delivery.attempts >= MAX_ATTEMPTS
            delay = settings.NOTIFY_RETRY_BASE_SECONDS * 2 ** (delivery.attempts - 1)
            WebhookDelivery.objects.filter(pk=delivery_id, status=S.SENDING).update(
                status=S.FAILED if permanent else S.PENDING,
                last_error=str(exc)[:1000],
                next_attempt_at=timezone.now() + datetime.timedelta(seconds=delay),
            )
            counts["failed" if permanent else "retry"] += 1
            log.warning("webhook delivery %d: %s", delivery_id, exc)
            continue
        WebhookDelivery.objects.filter(pk=delivery_id, status=S.SENDING).update(
            status=S.SENT, sent_at=timezone.now(), last_error=""
        )
        counts["sent"] += 1
    return counts


def deliveries_due(*, now: datetime.datetime, limit: int = 10_000) -> list[int]:
    """For the sweep: deliveries whose retry time has come, and claims whose worker was lost."""
    WebhookDelivery.objects.filter(status=S.SENDING, next_attempt_at__lte=now).update(
        status=S.PENDING, next_attempt_at=now, last_error="lease expired: worker lost"
    )
    return list(
        WebhookDelivery.objects.filter(status=S.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
