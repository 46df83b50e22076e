"""Import through the API: upload → (a worker parses) → preview with matches and unknown names →
map a name → confirm; a draft needs its confirmation; another user's upload is 404."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from agencies.models import Agency, Jurisdiction, User
from measures.models import ImportDraft, PolicyDocument
from tests.conftest import SEEDS
from tests.factories import UserFactory
from tracker.models import Task

pytestmark = pytest.mark.django_db

JINAN = SEEDS[0]
REMOVED = "济南金融控股集团"


@pytest.fixture
def api(directory, eager_celery):
    jinan = Jurisdiction.objects.get(name="济南市")
    Agency.objects.filter(jurisdiction=jinan, name=REMOVED).delete()
    user = UserFactory(
        username="api-importer",
        agency=Agency.objects.get(jurisdiction=jinan, name="市发展改革委"),
        role=User.Role.COORDINATOR,
    )
    client = APIClient()
    client.force_authenticate(user)
    return client


def _upload(api, path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/imports/", {"file": SimpleUploadedFile(path.name, path.read_bytes())})
    assert response.status_code == 202, response.content
    return response.json()["id"]


def test_upload_preview_map_confirm(api, django_capture_on_commit_callbacks):
    draft = _upload(api, JINAN, django_capture_on_commit_callbacks)
    preview = api.get(f"/api/imports/{draft}/").json()
    assert preview["status"] == "ready" and REMOVED in preview["preview"]["unknown_names"]
    assert preview["preview"]["measures"] and preview["preview"]["measures"][0]["lead"][0]["match"]
    assert not PolicyDocument.objects.exists()
    mapped = api.post(f"/api/imports/{draft}/map/", {"name": REMOVED, "new_name": REMOVED}, format="json")
    assert mapped.status_code == 200 and mapped.json()["agency_name"] == REMOVED
    assert REMOVED not in api.get(f"/api/imports/{draft}/").json()["preview"]["unknown_names"]
    confirmed = api.post(f"/api/imports/{draft}/confirm/", {}, format="json")
    assert confirmed.status_code == 201, confirmed.content
    document = PolicyDocument.objects.get(pk=confirmed.json()["document"])
    assert Task.objects.filter(document=document).count() == len(preview["preview"]["measures"])
    assert not ImportDraft.objects.exists()


def test_a_draft_needs_its_confirmation(api, django_capture_on_commit_callbacks, tmp_path):
    from tests.pages.test_page_drafts import DRAFT

    path = tmp_path / "draft.txt"
    path.write_text(DRAFT, encoding="utf-8")
    draft = _upload(api, path, django_capture_on_commit_callbacks)
    assert api.get(f"/api/imports/{draft}/").json()["preview"]["draft"] is True
    coordinator = Agency.objects.get(jurisdiction__name="济南市", name="市发展改革委").pk
    refused = api.post(f"/api/imports/{draft}/confirm/", {"coordinator": coordinator}, format="json")
    assert refused.status_code == 400 and "草案" in str(refused.json())
    done = api.post(
        f"/api/imports/{draft}/confirm/", {"coordinator": coordinator, "confirm_draft": True}, format="json"
    )
    assert done.status_code == 201 and PolicyDocument.objects.get(pk=done.json()["document"]).is_draft


def test_another_users_upload_is_404_and_staff_cannot_import(api, django_capture_on_commit_callbacks):
    draft = _upload(api, JINAN, django_capture_on_commit_callbacks)
    other = APIClient()
    other.force_authenticate(UserFactory(username="someone-else", role=User.Role.COORDINATOR))
    assert other.get(f"/api/imports/{draft}/").status_code == 404
    assert other.post(f"/api/imports/{draft}/confirm/", {}, format="json").status_code == 404
    staff = APIClient()
    staff.force_authenticate(UserFactory(username="plain-staff"))
    refused = staff.post("/api/imports/", {"file": SimpleUploadedFile(JINAN.name, JINAN.read_bytes())})
    assert refused.status_code == 403
