"""Agency name resolution: exact → alias → restored prefix → fuzzy → unknown.

One jurisdiction holds a few hundred names, so the index is built in memory once per import;
the 20,000 agencies of a province are never loaded together."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from rapidfuzz import fuzz, process

from .models import Agency, AgencyAlias, Jurisdiction
from .normalize import normalize_name, place_stem


class Match:
    EXACT = "exact"
    ALIAS = "alias"
    PREFIX = "prefix"
    FUZZY = "fuzzy"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Resolution:
    name: str
    match: str
    agency_id: int | None = None
    agency_name: str | None = None
    score: float | None = None

    @property
    def resolved(self) -> bool:
        return self.agency_id is not None


@dataclass(frozen=True)
class _Entry:
    agency_id: int
    agency_name: str


class AgencyIndex:
    def __init__(self, jurisdiction: Jurisdiction, *, fuzzy_threshold: float | None = None) -> None:
        self.jurisdiction = jurisdiction
        self.fuzzy_threshold = settings.AGENCY_FUZZY_THRESHOLD if fuzzy_threshold is None else fuzzy_threshold
        self._names: dict[str, _Entry] = {}
        self._aliases: dict[str, _Entry] = {}
        agencies = Agency.objects.filter(jurisdiction=jurisdiction, is_active=True).values_list(
            "id", "name", "full_name"
        )
        for agency_id, name, full_name in agencies:
            entry = _Entry(agency_id, name)
            self._names[normalize_name(name)] = entry
            if full_name:
                self._names.setdefault(normalize_name(full_name), entry)
        aliases = AgencyAlias.objects.filter(jurisdiction=jurisdiction, agency__is_active=True).values_list(
            "name", "agency_id", "agency__name"
        )
        for alias, agency_id, agency_name in aliases:
            self._aliases[normalize_name(alias)] = _Entry(agency_id, agency_name)
        self._choices = list(self._names.keys() | self._aliases.keys())

    def resolve(self, name: str) -> Resolution:
        key = normalize_name(name)
        if entry := self._names.get(key):
            return Resolution(name, Match.EXACT, entry.agency_id, entry.agency_name)
        if entry := self._aliases.get(key):
            return Resolution(name, Match.ALIAS, entry.agency_id, entry.agency_name)
        for candidate in self._prefixed_forms(key):
            if entry := self._names.get(candidate) or self._aliases.get(candidate):
                return Resolution(name, Match.PREFIX, entry.agency_id, entry.agency_name)
        return self._fuzzy(name, key)

    def resolve_many(self, names: Iterable[str]) -> dict[str, Resolution]:
        return {name: self.resolve(name) for name in dict.fromkeys(names)}

    def _prefixed_forms(self, key: str) -> list[str]:
        """A list that dropped its prefix (商务局 for 市商务局), or a name written with the place
        (济南市商务局, 济南商务局) where the directory keeps the local short form."""
        prefix = self.jurisdiction.prefix
        forms = []
        for place in (self.jurisdiction.name, place_stem(self.jurisdiction.name)):
            if key.startswith(place) and len(key) > len(place):
                rest = key[len(place) :]
                forms.append(rest if rest.startswith(prefix) else prefix + rest)
        # Even a name that starts with the prefix's character may have lost it: 市场监管局 for 市市场监管局.
        if prefix:
            forms.append(prefix + key)
        return forms

    def _fuzzy(self, name: str, key: str) -> Resolution:
        if not self._choices:
            return Resolution(name, Match.UNKNOWN)
        best = process.extractOne(key, self._choices, scorer=fuzz.ratio, score_cutoff=self.fuzzy_threshold)
        if best is None:
            return Resolution(name, Match.UNKNOWN)
        choice, score, _ = best
        entry = self._names.get(choice) or self._aliases[choice]
        return Resolution(name, Match.FUZZY, entry.agency_id, entry.agency_name, round(score, 1))
