"""The one email builder, and the signed links every email carries.

Each kind of notification has three templates, `emails/<name>-subject.txt`, `-body.txt` and
`-body.html`; the builder renders them in the recipient's language, inlines the HTML's CSS (mail
clients drop <style> blocks) and adds List-Unsubscribe with a signed token. The in-app list shows
the same subject line, rendered in the viewer's language.

Rendering (three templates and the CSS inliner) is most of the cost of a mail, and the staff of one
agency get the same reminder word for word: `build` can take a per-batch cache, keyed by what the
templates read, and renders each distinct message once. The only per-recipient values — the
settings and unsubscribe links — go in as marker strings and are substituted afterwards."""

import json
import secrets
from dataclasses import dataclass

import css_inline
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from tracker.models import SupervisionLevel, SupervisionNotice, TaskEvent
from tracker.workflow import TRANSITIONS

from .models import Notification, Preference

K = Notification.Kind
TEMPLATE_NAMES = {
    K.REMINDER: "reminder",
    K.NUDGE: "nudge",
    K.YELLOW: "escalation",
    K.RED: "escalation",
    K.ROUND_REMINDER: "round-reminder",
    K.ROUND_MISSED: "round-missed",
    K.MANUAL_NUDGE: "manual-nudge",
    K.DIGEST: "digest",
    K.DECISION: "decision",
    K.REQUEST: "request",
    K.ASSIGNED: "assigned",
    K.ROUND_OPENED: "round-opened",
    K.ROUND_CHASED: "round-chased",
    K.RECEIPT: "receipt",
    K.RECEIPT_LATE: "receipt-late",
    K.INSTRUCTION: "instruction",
    K.SUPERVISION: "supervision",
    K.MENTION: "mention",
}

SETTINGS_SALT = "notifications.settings"
ICS_SALT = "notifications.ics"
# Unsubscribe and settings links keep working for a year: people act on old mail.
SETTINGS_TOKEN_MAX_AGE = 365 * 24 * 3600

_inliner = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


def settings_token(user_id: int) -> str:
    return signing.TimestampSigner(salt=SETTINGS_SALT).sign(str(user_id))


def user_id_from_token(token: str) -> int | None:
    """The user a settings/unsubscribe token was made for; None if forged, altered or expired."""
    try:
        return int(signing.TimestampSigner(salt=SETTINGS_SALT).unsign(token, max_age=SETTINGS_TOKEN_MAX_AGE))
    except (signing.BadSignature, ValueError):
        return None


def ics_token(user_id: int, version: int) -> str:
    """The user's own link to their agency's feed. No expiry (calendar apps keep a subscription
    for years); the user revokes it by resetting, which raises `version`."""
    return signing.Signer(salt=ICS_SALT).sign(f"{user_id}.{version}")


def ics_token_parts(token: str) -> tuple[int, int] | None:
    """(user id, version) of a well-signed token, else None."""
    try:
        user_id, version = signing.Signer(salt=ICS_SALT).unsign(token).split(".")
        return int(user_id), int(version)
    except (signing.BadSignature, ValueError):
        return None


def absolute(path: str) -> str:
    return f"{settings.NOTIFY_SITE_URL}{path}"


def task_url(task_id: int) -> str:
    # The task page belongs to the tracker app's pages; its address is fixed by the product.
    return absolute(f"/tasks/{task_id}/")


def settings_url(user_id: int) -> str:
    return absolute(reverse("notifications:settings") + f"?t={settings_token(user_id)}")


def unsubscribe_url(user_id: int) -> str:
    return absolute(reverse("notifications:unsubscribe", args=[settings_token(user_id)]))


def template_name(notification: Notification) -> str:
    return TEMPLATE_NAMES[notification.kind]


def context(notification: Notification) -> dict:
    """What every template may use. Reads only rows joined by the caller (task__measure, round)."""
    data = notification.data or {}
    ctx: dict = {
        "n": notification,
        "data": data,
        "kind": notification.kind,
        "kind_label": notification.get_kind_display(),
        "days": abs(data.get("days", 0)),
        "due": data.get("due"),
        "inbox_url": absolute(reverse("notifications:inbox")),
        "site_url": settings.NOTIFY_SITE_URL,
    }
    if notification.task_id:
        measure = notification.task.measure
        ctx.update(
            task_id=notification.task_id,
            task_ref=measure.ref,
            task_title=measure.title or measure.text[:60],
            task_url=task_url(notification.task_id),
        )
    if notification.round_id:
        ctx.update(round_title=notification.round.title, round_due=notification.round.due_date)
    if data.get("action") in TRANSITIONS:
        ctx["action_label"] = TRANSITIONS[data["action"]].label
    elif data.get("action") == TaskEvent.Kind.REPORT_RETURNED:
        ctx["action_label"] = TaskEvent.Kind.REPORT_RETURNED.label
    if notification.kind == K.SUPERVISION:
        notice = SupervisionNotice(reason=data.get("reason", ""), reason_days=data.get("days", 0))
        ctx.update(reason_text=notice.reason_text, colour_label=SupervisionLevel.Colour(data["colour"]).label)
    if notification.kind == K.DIGEST:
        for key in ("overdue", "due_soon", "requests"):
            for row in data.get(key, []):
                row["url"] = task_url(row["id"])
    return ctx


def _one_line(text: str) -> str:
    return " ".join(text.split())[:255]


def headline(notification: Notification) -> str:
    """The subject line in the active language; the in-app list's title."""
    return _one_line(render_to_string(f"emails/{template_name(notification)}-subject.txt", context(notification)))


# Stand-ins for the per-recipient links while rendering: plain ASCII, so neither autoescaping nor the
# CSS inliner changes them; random, so no task title can contain one.
_SETTINGS_MARK = f"notify-settings-url-{secrets.token_hex(8)}"
_UNSUBSCRIBE_MARK = f"notify-unsubscribe-url-{secrets.token_hex(8)}"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(notification: Notification, *, language: str) -> Rendered:
    """Subject, text and inlined HTML of a row in `language`, with markers for the recipient's links.

    The templates see the row, its data and joined task/round, never the recipient: that is what
    makes one rendering valid for everyone receiving the same row content."""
    with translation.override(language):
        ctx = context(notification)
        ctx.update(language=language, settings_url=_SETTINGS_MARK, unsubscribe_url=_UNSUBSCRIBE_MARK)
        name = template_name(notification)
        subject = _one_line(render_to_string(f"emails/{name}-subject.txt", ctx))
        text = render_to_string(f"emails/{name}-body.txt", ctx)
        html = _with_shared_style(_inliner.inline(render_to_string(f"emails/{name}-body.html", ctx)))
    return Rendered(subject=subject, text=text, html=html)


def _with_shared_style(html: str) -> str:
    """The table rules as one <style> in the head instead of inlined on every cell: a digest's
    tables repeated them on each of its ~100 cells, half of the HTML. Gmail, Outlook (desktop and
    web), Apple Mail and the Chinese webmails read a head <style> with element selectors; where
    one does not, the tables lose only their borders and padding."""
    return html.replace("</head>", render_to_string("emails/shared-style.html") + "</head>", 1)


def _link_paths(cache: dict | None) -> tuple[str, str]:
    """The settings path and the unsubscribe path with a "{}" for the token, reversed once per
    batch: reverse() costs more than the rest of the per-recipient work together."""
    if cache is not None and "link_paths" in cache:
        return cache["link_paths"]
    marker = "0TOKEN0"  # survives reverse()'s quoting unchanged, as the signer's tokens do
    paths = (reverse("notifications:settings"), reverse("notifications:unsubscribe", args=[marker]))
    paths = (paths[0], paths[1].replace("{", "{{").replace("}", "}}").replace(marker, "{}"))
    if cache is not None:
        cache["link_paths"] = paths
    return paths


def _render_key(notification: Notification, language: str) -> tuple:
    data = json.dumps(notification.data or {}, sort_keys=True, ensure_ascii=False)
    return (notification.kind, language, notification.task_id, notification.round_id, data)


def build(
    notification: Notification, *, preference: Preference, connection=None, cache: dict | None = None
) -> EmailMultiAlternatives:
    """The email for one ledger row, in the recipient's language, text and HTML parts.

    `cache`: a dict the caller keeps for one batch (rows read together, so the joined task and round
    are the same); rows with the same kind, language, target and data are rendered once."""
    user = notification.recipient
    if cache is None:
        rendered = render(notification, language=preference.language)
    else:
        key = _render_key(notification, preference.language)
        rendered = cache.get(key)
        if rendered is None:
            rendered = cache[key] = render(notification, language=preference.language)
    # One token serves both links, as settings_url() and unsubscribe_url() would each make it.
    token = settings_token(user.pk)
    settings_path, unsubscribe_path = _link_paths(cache)
    links = {
        _SETTINGS_MARK: absolute(f"{settings_path}?t={token}"),
        _UNSUBSCRIBE_MARK: absolute(unsubscribe_path.format(token)),
    }
    subject, text, html = rendered.subject, rendered.text, rendered.html
    for mark, url in links.items():
        text = text.replace(mark, url)
        # What autoescaping would have written into the attribute.
        html = html.replace(mark, escape(url))
    domain = settings.NOTIFY_SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "localhost"
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[user.email],
        connection=connection,
        headers={
            "List-Unsubscribe": f"<{links[_UNSUBSCRIBE_MARK]}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            # Stable per ledger row: if a send is ever repeated (see sending.notification_send),
            # mail systems that de-duplicate by Message-ID show it once.
            "Message-ID": f"<notification-{notification.pk}@{domain}>",
            "X-Notification-Id": str(notification.pk),
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(html, "text/html")
    return message
