"""Hand nudges (tracker.services.task_nudge records a NUDGE TaskEvent) become notifications.

A signal, because imports run one way (tracker ← notifications): the tracker does not know this
app exists. The rows are written in the nudge's own transaction and sent after it commits."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from tracker.models import TaskEvent


@receiver(post_save, sender=TaskEvent, dispatch_uid="notifications.nudge")
def nudge_event_saved(sender, instance: TaskEvent, created: bool, raw: bool = False, **kwargs) -> None:
    if not created or raw or instance.kind != TaskEvent.Kind.NUDGE:
        return
    from . import services, tasks

    services.nudge_record(event=instance, on_recorded=tasks.enqueue_sends)
