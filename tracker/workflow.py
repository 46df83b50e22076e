"""The task workflow: one table of allowed transitions and who may make each.

Services enforce it (tracker.services.task_transition); the API, the pages, the admin and Celery
only ever call the services, so this table is the single place the rules live."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import Task

S = Task.Status
OPEN, ACTIVE, FINISHED = Task.OPEN, Task.ACTIVE, Task.FINISHED


class Actor:
    LEAD = "lead"
    SUPPORT = "support"
    COORDINATOR = "coordinator"
    LEADER = "leader"


@dataclass(frozen=True)
class Transition:
    name: str
    label: Promise
    sources: frozenset[str]
    target: str
    actor: str
    needs_comment: bool = False
    needs_due_date: bool = False


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        # Reporting progress on a task that has not started moves it on by itself.
        Transition("start", _("开始推进"), frozenset({S.NOT_STARTED}), S.IN_PROGRESS, Actor.LEAD),
        Transition("request_closure", _("申请销号"), ACTIVE, S.CLOSURE_REQUESTED, Actor.LEAD, needs_comment=True),
        Transition("accept_closure", _("同意销号"), frozenset({S.CLOSURE_REQUESTED}), S.CLOSED, Actor.COORDINATOR),
        Transition(
            "return_closure",
            _("退回"),
            frozenset({S.CLOSURE_REQUESTED}),
            S.RETURNED,
            Actor.COORDINATOR,
            needs_comment=True,
        ),
        Transition(
            "request_extension",
            _("申请延期"),
            ACTIVE,
            S.EXTENSION_REQUESTED,
            Actor.LEAD,
            needs_comment=True,
            needs_due_date=True,
        ),
        Transition(
            "approve_extension",
            _("批准延期"),
            frozenset({S.EXTENSION_REQUESTED}),
            S.IN_PROGRESS,
            Actor.COORDINATOR,
            needs_due_date=True,
        ),
        Transition(
            "refuse_extension",
            _("不予延期"),
            frozenset({S.EXTENSION_REQUESTED}),
            S.IN_PROGRESS,
            Actor.COORDINATOR,
            needs_comment=True,
        ),
        Transition("suspend", _("暂停"), OPEN, S.SUSPENDED, Actor.COORDINATOR, needs_comment=True),
        Transition("resume", _("恢复推进"), frozenset({S.SUSPENDED}), S.IN_PROGRESS, Actor.COORDINATOR),
        Transition("cancel", _("取消"), OPEN | {S.SUSPENDED}, S.CANCELLED, Actor.COORDINATOR, needs_comment=True),
    )
}


def allowed(status: str, roles: set[str]) -> list[Transition]:
    """The transitions a user holding `roles` on a task may make from `status`, in table order."""
    return [t for t in TRANSITIONS.values() if status in t.sources and t.actor in roles]
