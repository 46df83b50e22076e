"""Directory writes stay inside the jurisdictions a coordinator coordinates: another city's
agencies, aliases and name queue answer 404 and nothing changes, through pages, services and admin."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from agencies.models import Agency, AgencyAlias, User
from measures.models import ImportDraft, MeasureAgency
from tests.factories import AgencyFactory, DocumentFactory, JurisdictionFactory, MeasureFactory, UserFactory
from tracker import services
from tracker.selectors import directory_jurisdictions

pytestmark = pytest.mark.django_db


@pytest.fixture
def foreign(world):
    """Another city with its own agency, a document and a name its coordinators have not mapped yet."""
    city = JurisdictionFactory(name="绍兴市")
    agency = AgencyFactory(jurisdiction=city, name="市商务局")
    document = DocumentFactory(jurisdiction=city, coordinator=AgencyFactory(jurisdiction=city, name="市发改委"))
    MeasureAgency.objects.create(measure=MeasureFactory(document=document), name="某专班", role="lead", position=0)
    return agency


def _snapshot():
    return (
        list(AgencyAlias.objects.order_by("pk").values_list("name", "agency_id")),
        list(Agency.objects.order_by("pk").values_list("pk", "name")),
        list(MeasureAgency.objects.order_by("pk").values_list("name", "agency_id")),
    )


def test_a_coordinator_edits_their_own_city_only(world, foreign):
    mine = directory_jurisdictions(world.coordinator)
    assert list(mine) == [world.lead_agency.jurisdiction]
    assert foreign.jurisdiction not in mine
    assert not directory_jurisdictions(world.lead).exists()  # staff change no directory


def test_alias_on_another_citys_agency_is_404_and_changes_nothing(world, foreign, client_for):
    before = _snapshot()
    response = client_for("coordinator").post(reverse("pages:alias-create", args=[foreign.pk]), {"name": "商务部门"})
    assert response.status_code == 404
    assert _snapshot() == before


def test_mapping_another_citys_unknown_name_is_404_and_changes_nothing(world, foreign, client_for):
    before = _snapshot()
    url = reverse("pages:unknown-map", args=[foreign.jurisdiction.pk])
    for data in ({"name": "某专班", "agency": foreign.pk}, {"name": "某专班", "new_name": "某专班"}):
        assert client_for("coordinator").post(url, data).status_code == 404
    assert _snapshot() == before


def test_the_services_refuse_a_foreign_write_whatever_calls_them(world, foreign):
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        services.directory_alias_add(user=world.coordinator, agency=foreign, name="商务部门")
    with pytest.raises(PermissionDenied):
        services.unknown_name_map(
            user=world.coordinator, jurisdiction=foreign.jurisdiction, name="某专班", new_name="某专班"
        )
    assert _snapshot() == before


def test_the_foreign_citys_own_coordinator_may(world, foreign):
    theirs = UserFactory(
        username="sx-coord", agency=foreign.jurisdiction.agencies.get(name="市发改委"), role="coordinator"
    )
    services.directory_alias_add(user=theirs, agency=foreign, name="商务部门")
    agency, changed = services.unknown_name_map(
        user=theirs, jurisdiction=foreign.jurisdiction, name="某专班", new_name="某专班"
    )
    assert AgencyAlias.objects.get(name="商务部门").agency == foreign
    assert agency.jurisdiction == foreign.jurisdiction and changed == 0  # a mention without a task


def test_the_directory_page_offers_alias_forms_only_where_the_user_may_write(world, foreign, client_for):
    html = client_for("coordinator").get(reverse("pages:agencies")).content.decode()
    assert reverse("pages:alias-create", args=[world.lead_agency.pk]) in html
    assert reverse("pages:alias-create", args=[foreign.pk]) not in html


def test_the_upload_offers_only_the_users_jurisdictions(world, foreign, client_for):
    form = client_for("coordinator").get(reverse("pages:import")).context["form"]
    assert list(form.fields["jurisdiction"].queryset) == [world.lead_agency.jurisdiction]
    response = client_for("coordinator").post(
        reverse("pages:import"),
        {
            "file": SimpleUploadedFile("a.txt", "一、措施。(责任单位:市商务局)".encode()),
            "jurisdiction": foreign.jurisdiction.pk,
        },
    )
    assert response.status_code == 400 and not ImportDraft.objects.exists()


def test_a_draft_detected_as_another_city_cannot_map_or_confirm(world, foreign, client_for):
    draft = ImportDraft.objects.create(
        user=world.coordinator,
        source_name="绍兴.txt",
        status=ImportDraft.Status.READY,
        text="一、措施。(责任单位:某专班)",
        parsed=None,
        jurisdiction=foreign.jurisdiction,
    )
    before = _snapshot()
    client = client_for("coordinator")
    assert (
        client.post(reverse("pages:import-map", args=[draft.pk]), {"name": "某专班", "new_name": "某专班"}).status_code
        == 404
    )
    assert client.post(reverse("pages:import-confirm", args=[draft.pk]), {"coordinator": foreign.pk}).status_code == 404
    assert _snapshot() == before


def test_the_admin_is_for_superusers_only(world, foreign):
    staff = world.coordinator
    staff.is_staff = True
    staff.save()
    # Even with the model permission: the admin does not know jurisdictions.
    staff.user_permissions.add(Permission.objects.get(codename="add_agencyalias"))
    client = Client()
    client.force_login(staff)
    url = reverse("admin:agencies_agencyalias_add")
    response = client.post(
        url, {"name": "商务部门", "agency": foreign.pk, "jurisdiction": foreign.jurisdiction.pk, "kind": "variant"}
    )
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    assert not AgencyAlias.objects.filter(name="商务部门").exists()


def test_a_superuser_edits_any_directory(world, foreign):
    root = User.objects.create_superuser("root", "root@example.org", "x")
    services.directory_alias_add(user=root, agency=foreign, name="商务部门")
    assert AgencyAlias.objects.get(name="商务部门").agency == foreign


def test_the_api_has_no_directory_writes(world, foreign):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(world.coordinator)
    before = _snapshot()
    assert api.post("/api/agencies/", {"name": "市新局", "jurisdiction": foreign.jurisdiction.pk}).status_code == 405
    assert api.patch(f"/api/agencies/{foreign.pk}/", {"name": "改名"}).status_code == 405
    assert _snapshot() == before
