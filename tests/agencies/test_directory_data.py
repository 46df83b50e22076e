"""The agency directory fixtures (fixtures/directory/*.json) against their shape and the gold annotations.

Pure data checks: no database, no Django. Names are compared the way the loader and the resolver
compare them (NFKC, spaces removed, 〔〕 folded), so 各区、县(市)政府 and 各区、县(市)政府 are one name.
"""

import json
import re
import unicodedata
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
DIRECTORY = FIXTURES / "directory"
GOLD = FIXTURES / "gold"

SLUGS = {"000": "jinan", "001": "nantong", "002": "hubei", "003": "shaoxing", "004": "tianjin"}
JURISDICTIONS = {
    "jinan": ("济南市", "city", "市"),
    "nantong": ("南通市", "city", "市"),
    "hubei": ("湖北省", "province", "省"),
    "shaoxing": ("绍兴市", "city", "市"),
    "tianjin": ("天津市", "city", "市"),
}
KINDS = {"government", "department", "party", "vertical", "institution", "enterprise", "other"}
LEVELS = {"province", "city"}

# Gold names that are OCR/typing errors in a document's text. They are deliberately absent from the
# directory (the resolver's fuzzy matcher maps them); (slug, name as written in the gold file).
# None of the five seed documents has one at present.
KNOWN_TYPOS: set[tuple[str, str]] = set()

_SPACES = re.compile(r"\s+")


def norm(name: str) -> str:
    """The same folding as agencies.normalize.normalize_name."""
    folded = unicodedata.normalize("NFKC", name).replace("〔", "[").replace("〕", "]")
    return _SPACES.sub("", folded).strip()


def load(slug: str) -> dict:
    return json.loads((DIRECTORY / f"{slug}.json").read_text(encoding="utf-8"))


def all_names(data: dict) -> list[str]:
    """Every name and alias of agencies and groups: what the resolver can match exactly."""
    names = []
    for row in data["agencies"] + data["groups"]:
        names.append(row["name"])
        names += row.get("aliases", [])
    return names


def gold_names(path: Path) -> set[str]:
    gold = json.loads(path.read_text(encoding="utf-8"))
    names = set(gold.get("coordinator") or [])
    for measure in gold["measures"]:
        names.update(measure["lead"])
        names.update(measure["support"])
    return names


def gold_files() -> list[Path]:
    return sorted(GOLD.glob("*.json"))


def test_one_file_per_jurisdiction():
    assert sorted(p.stem for p in DIRECTORY.glob("*.json")) == sorted(JURISDICTIONS)


@pytest.mark.parametrize("slug", sorted(JURISDICTIONS))
def test_shape(slug):
    data = load(slug)
    assert set(data) == {"jurisdiction", "agencies", "groups"}
    name, level, prefix = JURISDICTIONS[slug]
    assert data["jurisdiction"] == {"name": name, "level": level, "prefix": prefix}
    assert data["jurisdiction"]["level"] in LEVELS
    assert len(data["agencies"]) >= 35
    for row in data["agencies"]:
        assert set(row) == {"name", "full_name", "kind", "aliases"}, row
        assert isinstance(row["name"], str) and row["name"] == row["name"].strip() and row["name"], row
        assert isinstance(row["full_name"], str) and row["full_name"], row
        assert row["kind"] in KINDS, row
        assert isinstance(row["aliases"], list), row
        assert all(isinstance(a, str) and a and a == a.strip() for a in row["aliases"]), row
        if row["kind"] == "department":
            assert row["name"].startswith(prefix), row
    for row in data["groups"]:
        assert set(row) == {"name", "aliases", "members"}, row
        assert isinstance(row["name"], str) and row["name"], row
        assert isinstance(row["aliases"], list) and isinstance(row["members"], list), row


@pytest.mark.parametrize("slug", sorted(JURISDICTIONS))
def test_file_is_pretty_printed_utf8(slug):
    text = (DIRECTORY / f"{slug}.json").read_text(encoding="utf-8")
    assert "\\u" not in text  # Chinese written as such, not escaped
    assert text.startswith("{\n  ")


@pytest.mark.parametrize("slug", sorted(JURISDICTIONS))
def test_no_name_or_alias_collides(slug):
    data = load(slug)
    seen: dict[str, str] = {}
    for row in data["agencies"] + data["groups"]:
        for written in [row["name"], *row.get("aliases", [])]:
            key = norm(written)
            assert key not in seen, f"{written!r} of {row['name']!r} already used by {seen[key]!r}"
            seen[key] = row["name"]
    # A full name is indexed too (the resolver matches 济南市商务局): it must not point elsewhere.
    full_names: dict[str, str] = {}
    for row in data["agencies"]:
        key = norm(row["full_name"])
        assert full_names.setdefault(key, row["name"]) == row["name"], f"full name {row['full_name']!r} twice"
        assert seen.get(key, row["name"]) == row["name"], f"full name {row['full_name']!r} is another's name"


@pytest.mark.parametrize("slug", sorted(JURISDICTIONS))
def test_group_members_are_agencies(slug):
    data = load(slug)
    agencies = {row["name"]: row for row in data["agencies"]}
    for group in data["groups"]:
        assert len(set(group["members"])) == len(group["members"]), group["name"]
        for member in group["members"]:
            assert member in agencies, f"{group['name']}: {member} is not an agency"
            assert agencies[member]["kind"] == "government", member


def test_gold_files_present():
    files = gold_files()
    assert files, f"no gold files in {GOLD}"
    assert {p.name[:3] for p in files} <= set(SLUGS)


@pytest.mark.parametrize("path", gold_files(), ids=lambda p: p.name[:3])
def test_every_gold_name_is_in_the_directory(path):
    source = json.loads(path.read_text(encoding="utf-8"))["source"]
    slug = SLUGS[source[:3]]
    known = {norm(n) for n in all_names(load(slug))}
    typos = {norm(name) for s, name in KNOWN_TYPOS if s == slug}
    missing = sorted(n for n in gold_names(path) if norm(n) not in known and norm(n) not in typos)
    assert not missing, f"{slug}: not in the directory: {missing}"


def test_known_typos_are_not_in_the_directory():
    for slug, name in KNOWN_TYPOS:
        assert norm(name) not in {norm(n) for n in all_names(load(slug))}, (slug, name)
