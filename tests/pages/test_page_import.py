"""Import through the pages: upload → preview → map an unknown name → confirm → the document."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from agencies.models import Agency, AgencyAlias, Jurisdiction, User
from measures.models import ImportDraft, MeasureAgency, PolicyDocument
from tests.conftest import SEEDS
from tests.factories import UserFactory
from tracker.models import Assignment, TaskEvent

pytestmark = pytest.mark.django_db

JINAN = SEEDS[0]
REMOVED = "济南金融控股集团"  # named in five measures of the Jinan seed


@pytest.fixture
def coordinator(directory, client):
    jinan = Jurisdiction.objects.get(name="济南市")
    Agency.objects.filter(jurisdiction=jinan, name=REMOVED).delete()
    user = UserFactory(
        username="importer",
        agency=Agency.objects.get(jurisdiction=jinan, name="市发展改革委"),
        role=User.Role.COORDINATOR,
    )
    client.force_login(user)
    return client


@pytest.fixture
def upload(coordinator, django_capture_on_commit_callbacks, eager_celery):
    """Upload as the coordinator; the parse queued on commit runs (eager Celery) before it returns."""

    def post(path=JINAN, client=coordinator, **data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("pages:import"), {"file": SimpleUploadedFile(path.name, path.read_bytes()), **data}
            )

    return post


def test_upload_preview_map_and_confirm(coordinator, upload):
    response = upload()
    draft = ImportDraft.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("pages:import-preview", args=[draft.pk])
    assert not PolicyDocument.objects.exists()  # nothing imported before confirm

    preview = coordinator.get(response["Location"])
    html = preview.content.decode()
    assert preview.context["unknown_count"] >= 1
    assert REMOVED in [n.name for n, _form in preview.context["map_forms"]]
    assert "match-unknown" in html and "精确" in html and "市发展改革委" in html

    mapped = coordinator.post(
        reverse("pages:import-map", args=[draft.pk]), {"name": REMOVED, "agency": "", "new_name": REMOVED}
    )
    assert mapped.status_code == 303
    created = Agency.objects.get(name=REMOVED)
    again = coordinator.get(reverse("pages:import-preview", args=[draft.pk]))
    assert REMOVED not in [n.name for n, _form in again.context["map_forms"] if n.match == "unknown"]

    coordinator_id = Agency.objects.get(jurisdiction=created.jurisdiction, name="市发展改革委").pk
    confirmed = coordinator.post(reverse("pages:import-confirm", args=[draft.pk]), {"coordinator": coordinator_id})
    document = PolicyDocument.objects.get()
    assert confirmed.status_code == 302 and confirmed["Location"] == reverse("pages:document", args=[document.pk])
    assert Assignment.objects.filter(agency=created).count() == 5
    assert not ImportDraft.objects.exists()
    assert coordinator.get(confirmed["Location"]).status_code == 200


def test_map_to_an_existing_agency_records_an_alias(coordinator, upload):
    upload()
    draft = ImportDraft.objects.get()
    target = Agency.objects.get(jurisdiction=draft.jurisdiction, name="市地方金融监管局")
    coordinator.post(reverse("pages:import-map", args=[draft.pk]), {"name": REMOVED, "agency": target.pk})
    assert AgencyAlias.objects.get(name=REMOVED).agency == target


def test_unknown_left_at_import_waits_in_the_queue_and_mapping_fills_the_tasks(coordinator, upload):
    upload()
    draft = ImportDraft.objects.get()
    coordinator_id = Agency.objects.get(jurisdiction=draft.jurisdiction, name="市发展改革委").pk
    coordinator.post(reverse("pages:import-confirm", args=[draft.pk]), {"coordinator": coordinator_id})
    assert MeasureAgency.objects.filter(name=REMOVED, agency__isnull=True).count() == 5

    queue = coordinator.get(reverse("pages:unknown-names"))
    assert REMOVED in [row["name"] for row, _j, _f in queue.context["items"]]
    response = coordinator.post(
        reverse("pages:unknown-map", args=[draft.jurisdiction.pk]), {"name": REMOVED, "new_name": REMOVED}
    )
    assert response.status_code == 303
    agency = Agency.objects.get(name=REMOVED)
    assert not MeasureAgency.objects.filter(name=REMOVED, agency__isnull=True).exists()
    assert Assignment.objects.filter(agency=agency).count() == 5
    assert TaskEvent.objects.filter(kind="assignment", agency=agency).count() == 5


def test_unreadable_file_says_why_and_writes_nothing(coordinator):
    response = coordinator.post(reverse("pages:import"), {"file": SimpleUploadedFile("plan.exe", b"MZ\x90\x00binary")})
    assert response.status_code == 400
    assert "plan.exe" in response.content.decode()
    assert not ImportDraft.objects.exists()


def test_another_users_draft_is_404(coordinator, upload):
    upload()
    draft = ImportDraft.objects.get()
    other = UserFactory(username="other-coord", role=User.Role.COORDINATOR)
    client = Client()
    client.force_login(other)
    assert client.get(reverse("pages:import-preview", args=[draft.pk])).status_code == 404


def test_staff_cannot_import(client_for):
    assert client_for("lead").get(reverse("pages:import")).status_code == 403


def test_the_upload_returns_before_the_parse_and_the_preview_appears_when_it_is_done(
    coordinator, django_capture_on_commit_callbacks, eager_celery
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = coordinator.post(
            reverse("pages:import"), {"file": SimpleUploadedFile(JINAN.name, JINAN.read_bytes())}
        )
    draft = ImportDraft.objects.get()
    assert response.status_code == 302 and draft.status == ImportDraft.Status.PARSING
    assert draft.text == "" and draft.parsed is None  # nothing was parsed in the request
    waiting = coordinator.get(response["Location"])
    assert 'http-equiv="refresh"' in waiting.content.decode() and "正在读取和解析文件" in waiting.content.decode()

    assert len(queued) == 1
    queued[0]()  # the Celery task (eager here; a real worker in production)

    draft.refresh_from_db()
    assert draft.status == ImportDraft.Status.READY and draft.upload is None
    ready = coordinator.get(response["Location"])
    assert ready.context["measure_count"] > 20 and "http-equiv" not in ready.content.decode()


def test_a_parse_past_its_time_limit_ends_with_a_message_and_writes_nothing(coordinator, upload, settings):
    settings.POLICY_PARSE_SECONDS = 0.001  # any real parse takes longer
    response = upload()
    draft = ImportDraft.objects.get()
    assert draft.status == ImportDraft.Status.FAILED and "时限" in draft.error
    page = coordinator.get(response["Location"]).content.decode()
    assert "解析失败" in page and "时限" in page and "http-equiv" not in page
    assert not PolicyDocument.objects.exists() and not MeasureAgency.objects.exists()


def test_a_docx_bomb_upload_fails_on_its_draft_at_once(coordinator, upload, tmp_path):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("word/document.xml", "w") as member:
        for _ in range(100):
            member.write(b"<w:p/>" * (1024 * 1024 // 6))
    bomb = tmp_path / "方案.docx"
    bomb.write_bytes(buffer.getvalue())
    upload(bomb)
    draft = ImportDraft.objects.get()
    assert draft.status == ImportDraft.Status.FAILED and "疑似压缩炸弹" in draft.error
    assert not PolicyDocument.objects.exists()


def test_a_long_preview_is_paged(coordinator, upload, tmp_path):
    plan = tmp_path / "长方案.txt"
    lines = [f"{i}. 第{i}项措施的内容。(责任单位:市商务局)" for i in range(1, 251)]
    plan.write_text("济南市人民政府办公厅关于印发长方案的通知\n" + "\n".join(lines), encoding="utf-8")
    response = upload(plan)
    first = coordinator.get(response["Location"])
    assert first.context["measure_count"] == 250 and len(first.context["page_obj"].object_list) == 100
    last = coordinator.get(response["Location"], {"page": 3})
    assert [row.measure.ref for row in last.context["page_obj"].object_list][-1] == "250"


def test_doubtful_measures_come_first_with_their_reasons(coordinator, upload):
    response = upload()
    rows = coordinator.get(response["Location"]).context["page_obj"].object_list
    doubtful = [r for r in rows if r.doubtful]
    assert doubtful, "the Jinan seed has a name the directory does not know"
    assert rows[: len(doubtful)] == doubtful
    assert all(r.doubts for r in doubtful)
    assert any(REMOVED in d for r in doubtful for d in r.doubts)  # the directory's doubt, said in words


def _draft_measure(draft, ref):
    draft.refresh_from_db()
    return next((i, m) for i, m in enumerate(draft.parsed["measures"]) if m["ref"] == ref)


def test_a_corrected_measure_is_imported_as_corrected_and_the_correction_kept(coordinator, upload):
    upload()
    draft = ImportDraft.objects.get()
    order, measure = _draft_measure(draft, draft.parsed["measures"][0]["ref"])
    url = reverse("pages:import-correct", args=[draft.pk, order])
    response = coordinator.post(
        url, {"ref": "9.9", "title": "更正后的标题", "lead": "市商务局", "support": "市财政局、市发展改革委"}
    )
    assert response.status_code == 303
    _order, corrected = _draft_measure(draft, "9.9")
    assert (corrected["lead"], corrected["support"], corrected["doubts"]) == (
        ["市商务局"],
        ["市财政局", "市发展改革委"],
        [],
    )
    assert draft.corrections[0]["changes"]["ref"] == [measure["ref"], "9.9"]

    gold = json.loads(coordinator.get(reverse("pages:import-gold", args=[draft.pk])).content)
    assert any(m["ref"] == "9.9" and m["title"] == "更正后的标题" for m in gold["measures"])

    coordinator_id = Agency.objects.get(jurisdiction=draft.jurisdiction, name="市发展改革委").pk
    coordinator.post(reverse("pages:import-confirm", args=[draft.pk]), {"coordinator": coordinator_id})
    document = PolicyDocument.objects.get()
    imported = document.measures.get(ref="9.9")
    assert imported.title == "更正后的标题" and imported.confidence == 1.0
    assert list(imported.agencies.order_by("role", "position").values_list("role", "name")) == [
        ("lead", "市商务局"),
        ("support", "市财政局"),
        ("support", "市发展改革委"),
    ]
    assert document.corrections == draft.corrections
    exported = json.loads(coordinator.get(reverse("pages:document-gold", args=[document.pk])).content)
    assert next(m for m in exported["measures"] if m["ref"] == "9.9")["support"] == ["市财政局", "市发展改革委"]


def test_a_correction_that_would_duplicate_a_ref_is_refused(coordinator, upload):
    upload()
    draft = ImportDraft.objects.get()
    first, second = draft.parsed["measures"][:2]
    response = coordinator.post(
        reverse("pages:import-correct", args=[draft.pk, 1]),
        {"ref": first["ref"], "title": "", "lead": "", "support": ""},
    )
    assert response.status_code == 303
    draft.refresh_from_db()
    assert draft.parsed["measures"][1]["ref"] == second["ref"] and draft.corrections == []
    assert "已被其他措施使用" in coordinator.get(response["Location"]).content.decode()


def test_another_users_draft_cannot_be_corrected_or_exported(coordinator, upload):
    upload()
    draft = ImportDraft.objects.get()
    other = Client()
    other.force_login(UserFactory(username="other-coord2", role=User.Role.COORDINATOR))
    assert other.post(reverse("pages:import-correct", args=[draft.pk, 0]), {"ref": "1"}).status_code == 404
    assert other.get(reverse("pages:import-gold", args=[draft.pk])).status_code == 404


def test_the_uploaders_agency_is_preselected_when_the_document_names_no_coordinator(coordinator, upload, tmp_path):
    plan = tmp_path / "无统筹单位.txt"
    plan.write_text(
        "济南市人民政府办公厅关于印发某方案的通知\n一、任务\n(一)建设。(责任单位:市商务局)\n", encoding="utf-8"
    )
    response = upload(plan)
    form = coordinator.get(response["Location"]).context["coordinator_form"]
    assert form.initial["coordinator"] == Agency.objects.get(jurisdiction__name="济南市", name="市发展改革委").pk
    assert 'data-searchable="' in str(form["coordinator"])


def test_a_name_that_is_no_agency_is_dismissed_from_the_queue(coordinator, upload, client):
    upload()
    draft = ImportDraft.objects.get()
    coordinator_id = Agency.objects.get(jurisdiction=draft.jurisdiction, name="市发展改革委").pk
    coordinator.post(reverse("pages:import-confirm", args=[draft.pk]), {"coordinator": coordinator_id})
    jurisdiction = Jurisdiction.objects.get(name="济南市")
    assert REMOVED in [row["name"] for row, _j, _f in coordinator.get(reverse("pages:unknown-names")).context["items"]]
    response = coordinator.post(reverse("pages:unknown-dismiss", args=[jurisdiction.pk]), {"name": REMOVED})
    assert response.status_code == 303
    assert REMOVED not in [
        row["name"] for row, _j, _f in coordinator.get(reverse("pages:unknown-names")).context["items"]
    ]
    assert MeasureAgency.objects.filter(name=REMOVED, match="dismissed").count() == 5
    other = Jurisdiction.objects.get(name="绍兴市")
    assert coordinator.post(reverse("pages:unknown-dismiss", args=[other.pk]), {"name": "x"}).status_code == 404
