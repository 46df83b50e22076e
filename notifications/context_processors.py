"""The unread count in every page's header (one indexed count: notification_unread_idx)."""

from django.http import HttpRequest

from .models import Notification


def unread(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notify_unread": Notification.objects.filter(recipient=user, read_at__isnull=True).count()}
