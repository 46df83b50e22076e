"""Writes to the agency directory."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from .models import Agency, AgencyAlias, Jurisdiction
from .normalize import normalize_name


class DirectoryError(ValueError):
    pass


@dataclass
class DirectoryLoadResult:
    jurisdiction: Jurisdiction
    agencies_created: int = 0
    aliases_created: int = 0


def _kind(raw: str | None) -> str:
    kind = raw or Agency.Kind.DEPARTMENT
    if kind not in Agency.Kind.values:
        raise DirectoryError(f"unknown agency kind {kind!r}")
    return kind


@transaction.atomic
def directory_load(*, data: dict[str, Any]) -> DirectoryLoadResult:
    """Create or update one jurisdiction's agencies, aliases and groups; running it again adds nothing."""
    info = data["jurisdiction"]
    jurisdiction, _ = Jurisdiction.objects.update_or_create(
        name=info["name"], defaults={"level": info["level"], "prefix": info.get("prefix", "")}
    )
    result = DirectoryLoadResult(jurisdiction)
    existing = {a.name: a for a in Agency.objects.filter(jurisdiction=jurisdiction)}

    def upsert(name: str, kind: str, full_name: str = "") -> Agency:
        agency = existing.get(name)
        if agency is None:
            agency = Agency.objects.create(jurisdiction=jurisdiction, name=name, kind=kind, full_name=full_name)
            existing[name] = agency
            result.agencies_created += 1
        elif (agency.kind, agency.full_name) != (kind, full_name or agency.full_name):
            agency.kind, agency.full_name = kind, full_name or agency.full_name
            agency.save(update_fields=["kind", "full_name"])
        return agency

    aliases: list[tuple[str, Agency]] = []
    for row in data.get("agencies", []):
        agency = upsert(row["name"], _kind(row.get("kind")), row.get("full_name", ""))
        aliases += [(alias, agency) for alias in row.get("aliases", [])]
    for row in data.get("groups", []):
        group = upsert(row["name"], Agency.Kind.GROUP)
        members = []
        for member in row.get("members", []):
            if member not in existing:
                raise DirectoryError(f"group {row['name']!r}: member {member!r} is not in the directory")
            members.append(existing[member])
        group.members.set(members)
        aliases += [(alias, group) for alias in row.get("aliases", [])]

    known = set(AgencyAlias.objects.filter(jurisdiction=jurisdiction).values_list("name", flat=True))
    names = {normalize_name(n) for n in existing}
    for alias, agency in aliases:
        if alias in known or normalize_name(alias) in names:
            continue
        AgencyAlias.objects.create(jurisdiction=jurisdiction, agency=agency, name=alias)
        known.add(alias)
        result.aliases_created += 1
    return result


def directory_load_file(*, path: Path) -> DirectoryLoadResult:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DirectoryError(f"{path.name}: {exc}") from exc
    return directory_load(data=data)


@transaction.atomic
def agency_create(*, jurisdiction: Jurisdiction, name: str, kind: str = Agency.Kind.DEPARTMENT) -> Agency:
    name = normalize_name(name)
    if not name:
        raise DirectoryError("agency name is empty")
    return Agency.objects.create(jurisdiction=jurisdiction, name=name, kind=_kind(kind))


@transaction.atomic
def alias_add(*, agency: Agency, name: str, kind: str = AgencyAlias.Kind.VARIANT) -> AgencyAlias:
    """Remember another way of writing an agency's name, so the next import resolves it directly."""
    alias, _ = AgencyAlias.objects.get_or_create(
        jurisdiction_id=agency.jurisdiction_id, name=normalize_name(name), defaults={"agency": agency, "kind": kind}
    )
    if alias.agency_id != agency.id:
        raise DirectoryError(f"{name} is already an alias of {alias.agency.name}")
    return alias
