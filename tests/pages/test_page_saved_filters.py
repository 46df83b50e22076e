"""常用筛选: save the current filter of my tasks, see it listed, open it, delete it; only one's own."""

import pytest
from django.urls import reverse

from tests.pages.conftest import client_for  # noqa: F401 - shared fixture
from tracker.models import SavedFilter

pytestmark = pytest.mark.django_db


def test_save_open_and_delete_a_filter(world, client_for):  # noqa: F811
    lead = client_for("lead")
    saved = lead.post(
        reverse("pages:filter-save"),
        {"page": "pages:my-tasks", "query": "status=in_progress&role=lead&page=3", "name": "本单位推进中"},
    )
    assert saved.status_code == 303 and saved["Location"] == "/tasks/?status=in_progress&role=lead"
    item = SavedFilter.objects.get(user=world.lead)
    assert item.query == "status=in_progress&role=lead"
    page = lead.get(reverse("pages:my-tasks")).content.decode()
    assert "本单位推进中" in page
    opened = lead.get(reverse("pages:filter-open", args=[item.pk]))
    assert opened.status_code == 302 and opened["Location"].endswith("?status=in_progress&role=lead")
    # Someone else's saved filter does not exist for them.
    assert client_for("support").get(reverse("pages:filter-open", args=[item.pk])).status_code == 404
    assert client_for("support").post(reverse("pages:filter-delete", args=[item.pk])).status_code == 404
    lead.post(reverse("pages:filter-delete", args=[item.pk]))
    assert not SavedFilter.objects.exists()


def test_a_filter_needs_a_name_and_a_known_page(world, client_for):  # noqa: F811
    lead = client_for("lead")
    lead.post(reverse("pages:filter-save"), {"page": "pages:my-tasks", "query": "", "name": " "})
    lead.post(reverse("pages:filter-save"), {"page": "admin:index", "query": "", "name": "x"})
    assert not SavedFilter.objects.exists()
    coordinator = client_for("coordinator")
    coordinator.post(
        reverse("pages:filter-save"), {"page": "pages:dashboard", "query": "status=closed", "name": "已销号"}
    )
    assert "已销号" in coordinator.get(reverse("pages:dashboard")).content.decode()


def test_saved_filters_through_the_api(world):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(world.lead)
    made = api.post("/api/filters/", {"name": "逾期", "page": "pages:my-tasks", "query": "overdue=true"}, format="json")
    assert made.status_code == 201 and made.json()["url"] == "/tasks/?overdue=true"
    assert [f["name"] for f in api.get("/api/filters/").json()["results"]] == ["逾期"]
    other = APIClient()
    other.force_authenticate(world.support)
    assert other.delete(f"/api/filters/{made.json()['id']}/").status_code == 404
    assert api.delete(f"/api/filters/{made.json()['id']}/").status_code == 204
