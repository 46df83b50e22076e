"""Import through the pages: upload → preview → map an unknown name → confirm → the document."""

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


def _upload(client, path=JINAN):
    return client.post(reverse("pages:import"), {"file": SimpleUploadedFile(path.name, path.read_bytes())})


def test_upload_preview_map_and_confirm(coordinator):
    response = _upload(coordinator)
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


def test_map_to_an_existing_agency_records_an_alias(coordinator):
    _upload(coordinator)
    draft = ImportDraft.objects.get()
    target = Agency.objects.get(jurisdiction=draft.jurisdiction, name="市地方金融监管局")
    coordinator.post(reverse("pages:import-map", args=[draft.pk]), {"name": REMOVED, "agency": target.pk})
    assert AgencyAlias.objects.get(name=REMOVED).agency == target


def test_unknown_left_at_import_waits_in_the_queue_and_mapping_fills_the_tasks(coordinator):
    _upload(coordinator)
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


def test_another_users_draft_is_404(coordinator, directory):
    _upload(coordinator)
    draft = ImportDraft.objects.get()
    other = UserFactory(username="other-coord", role=User.Role.COORDINATOR)
    client = Client()
    client.force_login(other)
    assert client.get(reverse("pages:import-preview", args=[draft.pk])).status_code == 404


def test_staff_cannot_import(client_for):
    assert client_for("lead").get(reverse("pages:import")).status_code == 403
