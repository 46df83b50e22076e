"""Task events that someone must hear of become notifications: hand nudges (a NUDGE event),
decisions and requests (STATUS events of those actions), agencies newly on a task (ASSIGNMENT);
and an opened round reaches the agencies that owe it.

A signal, because imports run one way (tracker ← notifications): the tracker does not know this
app exists. Event rows are recorded in the event's own transaction and sent after it commits. An
opened round is recorded once it commits (its entries are written after the round row); the sweep
records it again for recent rounds, so a process that dies in between loses nothing."""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from tracker.models import ReportingRound, TaskEvent
from tracker.signals import document_instructed, round_chased


@receiver(post_save, sender=TaskEvent, dispatch_uid="notifications.task_event")
def task_event_saved(sender, instance: TaskEvent, created: bool, raw: bool = False, **kwargs) -> None:
    if not created or raw:
        return
    from . import recording, tasks

    if instance.kind == TaskEvent.Kind.NUDGE:
        recording.nudge_record(event=instance, on_recorded=tasks.enqueue_sends)
    elif instance.kind in (
        TaskEvent.Kind.STATUS,
        TaskEvent.Kind.ASSIGNMENT,
        TaskEvent.Kind.REPORT_RETURNED,
        TaskEvent.Kind.INSTRUCTION,
        TaskEvent.Kind.COMMENT,
    ):
        recording.event_record(event=instance, on_recorded=tasks.enqueue_sends)


@receiver(post_save, sender=ReportingRound, dispatch_uid="notifications.round_opened")
def round_saved(sender, instance: ReportingRound, created: bool, raw: bool = False, **kwargs) -> None:
    if not created or raw:
        return
    from . import recording, tasks

    round_id = instance.pk
    transaction.on_commit(lambda: recording.round_opened_record(round_id=round_id, on_recorded=tasks.enqueue_sends))


@receiver(round_chased, dispatch_uid="notifications.round_chased")
def round_was_chased(sender, round: ReportingRound, user, comment: str, at, **kwargs) -> None:
    from . import recording, tasks

    recording.round_chase_record(round=round, user=user, comment=comment, at=at, on_recorded=tasks.enqueue_sends)


@receiver(document_instructed, dispatch_uid="notifications.document_instructed")
def document_was_instructed(sender, instruction, task_ids: list[int], **kwargs) -> None:
    from . import recording, tasks

    recording.document_instruction_record(instruction=instruction, task_ids=task_ids, on_recorded=tasks.enqueue_sends)
