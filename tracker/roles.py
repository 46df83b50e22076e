"""Who a user is with respect to one task: lead, support, coordinator, leader (possibly several)."""

from agencies.models import Agency

from .models import DocumentAccess, Task
from .workflow import Actor

_AGENCY_CACHE = "_tracker_agency_ids"
_ACCESS_CACHE = "_tracker_document_access"


def user_agency_ids(user) -> frozenset[int]:
    """The user's agency and the groups it belongs to; cached on the user object for the request."""
    if not hasattr(user, _AGENCY_CACHE):
        ids: set[int] = set()
        if user.agency_id:
            ids.add(user.agency_id)
            ids.update(
                Agency.members.through.objects.filter(to_agency_id=user.agency_id).values_list(
                    "from_agency_id", flat=True
                )
            )
        setattr(user, _AGENCY_CACHE, frozenset(ids))
    return getattr(user, _AGENCY_CACHE)


def document_access(user) -> dict[int, str]:
    """document id → granted role, one query per request."""
    if not hasattr(user, _ACCESS_CACHE):
        setattr(user, _ACCESS_CACHE, dict(DocumentAccess.objects.filter(user=user).values_list("document_id", "role")))
    return getattr(user, _ACCESS_CACHE)


def coordinates(user, document_id: int, coordinator_id: int | None) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if document_access(user).get(document_id) == DocumentAccess.Role.COORDINATOR:
        return True
    return user.role == user.Role.COORDINATOR and user.agency_id is not None and user.agency_id == coordinator_id


def task_roles(user, task: Task) -> set[str]:
    """Expects task.assignments prefetched (or accepts one query) and task.document loaded."""
    if not user.is_authenticated:
        return set()
    mine = user_agency_ids(user)
    roles = {a.role for a in task.assignments.all() if a.agency_id in mine}
    if coordinates(user, task.document_id, task.document.coordinator_id):
        roles.add(Actor.COORDINATOR)
    if document_access(user).get(task.document_id) == DocumentAccess.Role.LEADER or oversees(user, task.document):
        roles.add(Actor.LEADER)
    return roles


def oversees(user, document) -> bool:
    """A leader oversees every document of their agency's jurisdiction (the agency is loaded once)."""
    return (
        user.role == user.Role.LEADER
        and user.agency_id is not None
        and user.agency.jurisdiction_id == document.jurisdiction_id
    )


def acting_agency(user, task: Task, role: str) -> Agency | None:
    """The agency in whose name the user acts: their own, or the assigned group they belong to."""
    mine = user_agency_ids(user)
    for a in task.assignments.all():
        if a.role == role and a.agency_id in mine:
            return a.agency if a.agency_id != user.agency_id else user.agency
    return None
