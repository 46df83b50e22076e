"""Reads of the directory that several apps share."""

from collections import defaultdict
from collections.abc import Iterable

from .models import Agency


def group_members(agency_ids: Iterable[int]) -> dict[int, set[int]]:
    """group agency id → member agency ids, for the groups among `agency_ids` (ids or a subquery)."""
    members: dict[int, set[int]] = defaultdict(set)
    ids = agency_ids if hasattr(agency_ids, "query") else list(agency_ids)
    for group_id, member_id in Agency.members.through.objects.filter(from_agency_id__in=ids).values_list(
        "from_agency_id", "to_agency_id"
    ):
        members[group_id].add(member_id)
    return members
