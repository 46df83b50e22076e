"""The user's side: marking notifications read, the notification settings, the calendar link, unsubscribing."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from agencies.models import User

from .models import Notification, Preference

# --- in-app --------------------------------------------------------------------------------


def notification_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's own notifications read (all of them when ids is None)."""
    queryset = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        queryset = queryset.filter(pk__in=list(ids))
    return queryset.update(read_at=timezone.now())


def preference_update(*, user: User, **values) -> Preference:
    preference, _ = Preference.objects.get_or_create(user=user)
    for name, value in values.items():
        setattr(preference, name, value)
    preference.full_clean()
    preference.save()
    return preference


@transaction.atomic
def ics_link_reset(*, user: User) -> Preference:
    """A new calendar-feed link for the user; the old one answers 404 from now on."""
    preference, _ = Preference.objects.select_for_update().get_or_create(user=user)
    preference.ics_version += 1
    preference.save(update_fields=["ics_version"])
    return preference


def unsubscribe(*, user: User) -> Preference:
    """The List-Unsubscribe action: no more email of any kind; the in-app list goes on."""
    return preference_update(user=user, digest_enabled=False, email_reminders=False)
