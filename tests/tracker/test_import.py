"""import_policy / demo_data end to end: documents, measures, tasks, assignments in one transaction."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from agencies.models import User
from measures.models import Measure, MeasureAgency, PolicyDocument
from tests.conftest import FIXTURES, SEEDS
from tracker.models import Assignment, Task

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (PolicyDocument, Measure, MeasureAgency, Task, Assignment))


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem[:3])
def test_each_seed_imports_with_tasks_and_assignments(directory, seed):
    gold = json.loads((FIXTURES / "gold" / f"{seed.stem}.json").read_text(encoding="utf-8"))
    coordinator = [] if gold["coordinator"] else ["--coordinator", "市发改委"]
    if gold["draft"]:
        # A draft imports only when confirmed.
        with pytest.raises(CommandError, match="草案"):
            run("import_policy", str(seed), *coordinator)
        coordinator.append("--draft")
    output = run("import_policy", str(seed), *coordinator)
    assert "已导入" in output
    document = PolicyDocument.objects.get()
    assert document.measures.count() == len(gold["measures"]) == Task.objects.count()
    assert document.coordinator is not None
    # Every agency the gold names resolves (the directory covers the seeds), none waits in the queue.
    assert not MeasureAgency.objects.filter(agency__isnull=True).exists()
    for measure in gold["measures"]:
        task = Task.objects.get(document=document, measure__ref=measure["ref"])
        leads = list(task.assignments.filter(role="lead").values_list("agency__name", flat=True))
        assert len(leads) == len(set(measure["lead"])), measure["ref"]
        named = len(set(measure["lead"]) | set(measure["support"]))
        assert task.assignments.count() == named, measure["ref"]
    # The same content again creates nothing and says so.
    before = counts()
    assert "未创建任何内容" in run("import_policy", str(seed), *coordinator)
    assert counts() == before


def test_dry_run_shows_matches_and_writes_nothing(directory):
    output = run("import_policy", str(SEEDS[1]), "--dry-run")
    assert counts() == (0, 0, 0, 0, 0)
    assert "市工信局 → 市工业和信息化局" in output and "别名" in output
    assert "补全前缀" in output  # 商务局 in 市农业农村局、商务局、市场监管局
    assert "须指定" in output  # Nantong names no coordinator


def test_unknown_names_are_queued_not_dropped(directory, tmp_path: Path):
    doc = tmp_path / "新文件.txt"
    doc.write_text(
        "济南市人民政府办公厅关于推进某项工作的通知\n一、重点任务\n(一)建设平台。加快建设。(责任单位:市商务局、市星际航行局)\n"
        "(二)完善机制。(责任单位:市发展改革委)\n",
        encoding="utf-8",
    )
    run("import_policy", str(doc), "--coordinator", "市发展改革委")
    unknown = MeasureAgency.objects.get(agency__isnull=True)
    assert (unknown.name, unknown.match, unknown.measure.ref) == ("市星际航行局", "unknown", "1.1")
    task = Task.objects.get(measure=unknown.measure)
    assert list(task.assignments.values_list("agency__name", flat=True)) == ["市商务局"]


def test_document_without_coordinator_needs_one(directory):
    with pytest.raises(CommandError, match="统筹督办单位"):
        run("import_policy", str(SEEDS[1]))
    assert counts() == (0, 0, 0, 0, 0)


BAD_INPUTS = {
    "empty.txt": b"",
    "junk.txt": bytes(range(256)) * 20,
    "table.xlsx": b"PK\x03\x04 not a policy",
    "bad.txt": b"\xff\xfe\xfa" * 100 + b"\x81",
    "no-clause.txt": "一、总体要求\n(一)指导思想。坚持高质量发展。\n(二)工作目标。到2025年完成。\n".encode(),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_is_one_line_error_and_nothing_written(directory, tmp_path: Path, name):
    path = tmp_path / name
    path.write_bytes(BAD_INPUTS[name])
    for command in ("import_policy", "parse_policy"):
        with pytest.raises(CommandError) as excinfo:
            run(command, str(path), "--coordinator", "市发展改革委") if command == "import_policy" else run(
                command, str(path)
            )
        message = str(excinfo.value)
        assert name in message and "\n" not in message
    assert counts() == (0, 0, 0, 0, 0)


def test_oversized_file_is_refused_before_reading(directory, tmp_path: Path, settings):
    settings.POLICY_MAX_BYTES = 1024 * 1024
    path = tmp_path / "huge.txt"
    with path.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    with pytest.raises(CommandError, match=r"huge\.txt"):
        run("import_policy", str(path), "--coordinator", "市发展改革委")
    assert counts() == (0, 0, 0, 0, 0)


def test_missing_file(directory, tmp_path: Path):
    with pytest.raises(CommandError, match=r"nope\.txt"):
        run("parse_policy", str(tmp_path / "nope.txt"))


def test_parse_policy_prints_contract_json(seeds):
    data = json.loads(run("parse_policy", str(seeds[0])))
    assert list(data) == [
        "source",
        "title",
        "issuer",
        "doc_number",
        "issued",
        "effective",
        "horizon",
        "draft",
        "coordinator",
        "mechanisms",
        "measures",
    ]
    assert data["measures"][0]["ref"] == "2.1"


def test_demo_data_is_idempotent(db):
    run("demo_data")
    first = counts(), User.objects.count()
    assert first[0][0] == 5
    run("demo_data")
    assert (counts(), User.objects.count()) == first
    staff = User.objects.get(username="demo-staff")
    assert staff.check_password("demo12345") and staff.agency.name == "市商务局"
    assert Task.objects.visible_to(staff).exists()
    coordinator = User.objects.get(username="demo-coordinator")
    jinan = PolicyDocument.objects.get(jurisdiction__name="济南市")
    assert Task.objects.visible_to(coordinator).filter(document=jinan).count() == jinan.tasks.count()


@pytest.mark.parametrize(
    "command", ["parse_policy", "import_policy", "load_directory", "demo_data", "run_sweep", "send_digests"]
)
def test_every_command_prints_its_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        call_command(command, "--help")
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip()


def test_demo_data_runs_again_after_another_plan_of_the_city_was_imported(db):
    from tests.factories import DocumentFactory

    run("demo_data")
    jinan = PolicyDocument.objects.get(jurisdiction__name="济南市")
    # As if a coordinator had imported another Jinan plan through the page.
    other = DocumentFactory(jurisdiction=jinan.jurisdiction, coordinator=jinan.coordinator, title="济南市另一份方案")
    run("demo_data")
    assert PolicyDocument.objects.filter(jurisdiction=jinan.jurisdiction).count() == 2
    leader = User.objects.get(username="demo-leader")
    # The city's leader sees both, with nothing granted.
    from tracker.selectors import visible_documents

    assert set(visible_documents(leader)) >= {jinan, other}
    staff = User.objects.get(username="demo-staff")
    led = Task.objects.visible_to(staff).filter(assignments__agency=staff.agency, assignments__role="lead")
    assert led.filter(measure__targets__isnull=False).exists()  # the report form's figures can be tried


def test_the_mechanisms_of_the_text_become_supervision_switches():
    from measures.parsing.metadata import find_switches

    text = "建立健全监测预警机制,将落实情况纳入年度绩效考核,每季度向市政府报告工作进展。"
    assert find_switches(text, []) == {"assessed": True, "schedule_warnings": True, "bulletin_after_round": True}
    # Words that merely occur in measures are not mechanisms.
    plain = "加强生态环境监测,完善考核指标体系研究。"
    assert find_switches(plain, []) == {"assessed": False, "schedule_warnings": False, "bulletin_after_round": False}


def test_an_imported_seed_carries_its_switches(directory):
    seed = next(p for p in SEEDS if p.stem.startswith("004"))
    run("import_policy", str(seed), "--draft")  # the seed is a 征求意见稿
    document = PolicyDocument.objects.get()
    assert (document.assessed, document.schedule_warnings) == (True, True)
