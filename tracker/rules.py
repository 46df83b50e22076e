"""Per-action permissions (django-rules). Status transitions are checked against the workflow
table; these cover the other actions on a task."""

import rules

from .roles import coordinates, task_roles
from .selectors import directory_jurisdictions
from .workflow import Actor


@rules.predicate
def is_lead(user, task) -> bool:
    return task is not None and Actor.LEAD in task_roles(user, task)


@rules.predicate
def is_supporter(user, task) -> bool:
    return task is not None and Actor.SUPPORT in task_roles(user, task)


@rules.predicate
def is_task_coordinator(user, task) -> bool:
    return task is not None and Actor.COORDINATOR in task_roles(user, task)


@rules.predicate
def is_document_coordinator(user, document) -> bool:
    return document is not None and coordinates(user, document.pk, document.coordinator_id)


@rules.predicate
def edits_directory_of(user, jurisdiction) -> bool:
    return jurisdiction is not None and directory_jurisdictions(user).filter(pk=jurisdiction.pk).exists()


@rules.predicate
def is_task_leader(user, task) -> bool:
    return task is not None and Actor.LEADER in task_roles(user, task)


rules.add_perm("tracker.report_task", is_lead | is_supporter)
rules.add_perm("tracker.instruct_task", is_task_leader)
rules.add_perm("tracker.comment_task", is_lead | is_supporter | is_task_coordinator | is_task_leader)
rules.add_perm("tracker.nudge_task", is_task_coordinator)
rules.add_perm("tracker.reassign_task", is_task_coordinator)
rules.add_perm("tracker.set_due_date", is_task_coordinator)
rules.add_perm("tracker.manage_rounds", is_document_coordinator)
rules.add_perm("tracker.edit_directory", edits_directory_of)
