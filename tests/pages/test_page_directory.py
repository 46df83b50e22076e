"""The agency directory."""

import pytest
from django.urls import reverse

from agencies.models import AgencyAlias
from tests.factories import AgencyFactory

pytestmark = pytest.mark.django_db


def test_directory_lists_agencies_aliases_and_groups(world, client_for):
    group = AgencyFactory(name="各区县政府", kind="group")
    group.members.add(world.lead_agency)
    AgencyAlias.objects.create(jurisdiction=world.lead_agency.jurisdiction, agency=world.lead_agency, name="商务局")
    response = client_for("lead").get(reverse("pages:agencies"), {"q": "商务"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "市商务局" in html and "商务局" in html and "各区县政府" in html
    assert "添加别名" not in html  # staff read the directory, coordinators change it


def test_coordinator_adds_an_alias(world, client_for):
    client = client_for("coordinator")
    response = client.post(reverse("pages:alias-create", args=[world.lead_agency.pk]), {"name": "商务部门"})
    assert response.status_code == 302
    assert AgencyAlias.objects.get(name="商务部门").agency == world.lead_agency


def test_staff_cannot_add_aliases(world, client_for):
    response = client_for("lead").post(reverse("pages:alias-create", args=[world.lead_agency.pk]), {"name": "x"})
    assert response.status_code == 403
