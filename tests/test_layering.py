"""Imports run one way: agencies ← measures ← tracker ← notifications. A module that imports an app
above its own fails here (tracker's project files — the root URLconf and settings — excepted, since
they assemble every app)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ORDER = ["agencies", "measures", "tracker", "notifications"]
PROJECT_FILES = {ROOT / "tracker" / "urls.py", ROOT / "tracker" / "settings.py", ROOT / "tracker" / "celery.py"}


def _imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("app", ORDER)
def test_no_app_imports_one_above_it(app):
    above = set(ORDER[ORDER.index(app) + 1 :])
    offenders = []
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" in path.parts or path in PROJECT_FILES:
            continue
        if bad := _imported(path) & above:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offenders == []
