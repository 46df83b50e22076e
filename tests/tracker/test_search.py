"""?q= on the task list (API and page): a phrase inside a longer title or text, an agency's name,
several phrases together; on PostgreSQL the trigram indexes exist."""

import pytest
from django.db import connection
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(world):
    measure = world.task.measure
    measure.title, measure.text = "持续优化营商环境", "全面推行证照分离改革,打造一流营商环境示范区。"
    measure.save()
    client = APIClient()
    client.force_authenticate(world.coordinator)
    return client


def _ids(response):
    return {row["id"] for row in response.json()["results"]}


def test_a_phrase_inside_longer_text_and_an_agency_name(world, api):
    assert _ids(api.get("/api/tasks/", {"q": "营商环境"})) == {world.task.pk}
    assert _ids(api.get("/api/tasks/", {"q": "证照分离"})) == {world.task.pk}
    assert _ids(api.get("/api/tasks/", {"q": "商务局"})) == {world.task.pk}
    assert _ids(api.get("/api/tasks/", {"q": "营商 商务局"})) == {world.task.pk}
    assert _ids(api.get("/api/tasks/", {"q": "营商 教育局"})) == set()
    assert world.other_task.pk in _ids(api.get("/api/tasks/", {"q": ""}))


def test_the_page_searches_agency_names_too(world, client, api):
    client.force_login(world.lead)
    page = client.get("/tasks/", {"q": "商务局"})
    assert page.status_code == 200 and "持续优化营商环境" in page.content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's")
def test_postgresql_has_the_trigram_indexes(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'measure_%%_trgm'")
        assert {row[0] for row in cursor.fetchall()} == {"measure_title_trgm", "measure_text_trgm"}
