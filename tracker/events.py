"""Tiny creators for the task timeline; each is called inside the transaction of its change."""

from .models import Task, TaskEvent


def event_record(
    *,
    task: Task,
    kind: str,
    actor=None,
    agency=None,
    from_status: str = "",
    to_status: str = "",
    comment: str = "",
    **data,
) -> TaskEvent:
    return TaskEvent.objects.create(
        task=task,
        kind=kind,
        actor=actor,
        agency=agency,
        from_status=from_status,
        to_status=to_status,
        comment=comment,
        data=data,
    )
