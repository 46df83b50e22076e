"""The hand-annotated documents the parser was not developed on, and the bar each must meet."""

import json
from pathlib import Path

from test_parsing_seeds import score

HERE = Path(__file__).resolve().parent
SETS = ("unseen", "unseen2", "unseen3")


def documents(name: str) -> list[Path]:
    return sorted((HERE / name).glob("*.txt"))


def gold(doc: Path) -> dict:
    return json.loads(doc.with_suffix(".json").read_text(encoding="utf-8"))


def assert_meets_the_bar(gold_doc: dict, pred: dict) -> None:
    s = score(gold_doc, pred)
    detail = {k: s[k] for k in ("missing", "extra")}
    assert s["measure_r"] >= 0.95, detail
    assert s["assign_f1"] >= 0.95, s
    assert s["lead"] >= 0.95, s
    assert s["deadline_f1"] >= 0.9, s
