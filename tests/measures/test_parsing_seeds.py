"""The five seed documents against their hand-made gold annotations (scored like score_extraction.py)."""

from __future__ import annotations

import json
import time
import unicodedata
from pathlib import Path

import pytest

from measures.parsing import parse_document

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))
META = ("title", "issuer", "doc_number", "issued", "effective", "horizon", "draft", "coordinator")


def norm(name: str) -> str:
    return unicodedata.normalize("NFKC", name).replace(" ", "").replace("\u3000", "")


def f1(tp: int, fp: int, fn: int) -> float:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return (2 * p * r / (p + r)) if p + r else 0.0


def score(gold: dict, pred: dict) -> dict:
    """The same figures as /work/shared/tools/score_extraction.py, reimplemented so tests stand alone."""
    g = {m["ref"]: m for m in gold["measures"]}
    p = {m["ref"]: m for m in pred.get("measures", [])}
    matched = g.keys() & p.keys()

    def triples(ms: dict) -> set:
        return {(r, role, norm(a)) for r, m in ms.items() for role in ("lead", "support") for a in m.get(role, [])}

    def pairs(ms: dict) -> set:
        return {(r, str(d)[:4]) for r, m in ms.items() for d in m.get("deadlines", [])}

    gt, pt = triples(g), triples(p)
    gd, pd = pairs(g), pairs(p)
    leads_ok = sum([norm(a) for a in g[r]["lead"]] == [norm(a) for a in p[r]["lead"]] for r in matched)
    others_ok = sum(bool(g[r].get("others")) == bool(p[r].get("others")) for r in matched)
    return {
        "measure_p": len(matched) / len(p) if p else 1.0,
        "measure_r": len(matched) / len(g) if g else 1.0,
        "lead": leads_ok / len(matched) if matched else 0.0,
        "others": others_ok / len(matched) if matched else 0.0,
        "assign_f1": f1(len(gt & pt), len(pt - gt), len(gt - pt)),
        "deadline_f1": f1(len(gd & pd), len(pd - gd), len(gd - pd)),
        "missing": sorted(g.keys() - p.keys()),
        "extra": sorted(p.keys() - g.keys()),
    }


def gold_for(seed: Path) -> dict:
    return json.loads((FIXTURES / "gold" / (seed.stem + ".json")).read_text(encoding="utf-8"))


def test_there_are_five_seeds():
    assert len(SEEDS) == 5


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem[:3])
def test_seed_meets_the_bar(seed: Path):
    pred = parse_document(seed.read_text(encoding="utf-8"), seed.name).to_dict()
    s = score(gold_for(seed), pred)
    assert s["measure_r"] == 1.0, s["missing"]
    assert s["measure_p"] == 1.0, s["extra"]
    assert s["assign_f1"] == 1.0
    assert s["lead"] == 1.0
    assert s["deadline_f1"] >= 0.95
    assert s["others"] == 1.0


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem[:3])
def test_seed_metadata(seed: Path):
    gold = gold_for(seed)
    pred = parse_document(seed.read_text(encoding="utf-8"), seed.name).to_dict()
    assert list(pred) == list(gold)
    for key in META:
        assert pred[key] == gold[key], key


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem[:3])
def test_seed_measure_details(seed: Path):
    """Titles, lead_inferred and targets follow the gold conventions too."""
    gold = gold_for(seed)
    pred = {m["ref"]: m for m in parse_document(seed.read_text(encoding="utf-8"), seed.name).to_dict()["measures"]}
    for m in gold["measures"]:
        p = pred[m["ref"]]
        assert p["title"] == m["title"], m["ref"]
        assert p["lead_inferred"] == m["lead_inferred"], m["ref"]
        assert p["targets"] == m["targets"], m["ref"]


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem[:3])
def test_seed_mechanisms_overlap_gold(seed: Path):
    """Mechanisms are fuzzy; at least one gold mechanism must be found (as a substring either way)."""
    gold = gold_for(seed)["mechanisms"]
    pred = parse_document(seed.read_text(encoding="utf-8"), seed.name).mechanisms
    assert any(g in p or p in g for g in gold for p in pred), pred


def test_measure_extras_for_the_database():
    seed = SEEDS[1]
    doc = parse_document(seed.read_text(encoding="utf-8"), seed.name)
    assert [m.order for m in doc.measures] == list(range(len(doc.measures)))
    by_ref = {m.ref: m for m in doc.measures}
    assert by_ref["2.2"].restored == ["市商务局", "市市场监管局", "市科技局", "市供销合作总社"]
    assert by_ref["2.1"].text.startswith("1. 大力发展工业互联网平台")
    assert by_ref["3.1-2"].text.startswith("制定《南通市")
    assert "text" not in doc.to_dict()["measures"][0]


def test_all_seeds_parse_fast():
    texts = [s.read_text(encoding="utf-8") for s in SEEDS]
    t0 = time.perf_counter()
    for t in texts:
        parse_document(t)
    assert time.perf_counter() - t0 < 1.0
