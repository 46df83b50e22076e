"""Every task endpoint × every role × own/other task: status codes, and no other agency's data."""

import datetime

import pytest
from rest_framework.test import APIClient

FUTURE = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
USERS = ["lead", "support", "coordinator", "leader", "outsider", "anonymous"]
# Which users see which task (world.task: 市商务局 leads, 市工业和信息化局 supports; other_task: 市教育局).
SEES = {
    "task": {"lead", "support", "coordinator", "leader"},
    "other_task": {"outsider", "coordinator", "leader"},
}
LEADS = {"task": "lead", "other_task": "outsider"}
SUPPORTS = {"task": "support", "other_task": None}


def _ok(user, target, endpoint):
    """Expected status for a user who can see the target."""
    lead, support = LEADS[target], SUPPORTS[target]
    success = ENDPOINTS[endpoint][3]
    allowed = {
        "retrieve": True,
        "reports_list": True,
        "events": True,
        "history": True,
        "transition": user == lead,
        "report_post": user in (lead, support),
        "comment": user in (lead, support, "coordinator", "leader"),  # a leader's remark is marked
        "nudge": user == "coordinator",
        "assignments": user == "coordinator",
        "due_date": user == "coordinator",
    }[endpoint]
    return success if allowed else 403


ENDPOINTS = {
    "retrieve": ("get", "/api/tasks/{id}/", None, 200),
    "reports_list": ("get", "/api/tasks/{id}/reports/", None, 200),
    "events": ("get", "/api/tasks/{id}/events/", None, 200),
    "history": ("get", "/api/tasks/{id}/history/", None, 200),
    "transition": ("post", "/api/tasks/{id}/transition/", {"action": "request_closure", "comment": "已完成"}, 200),
    "report_post": ("post", "/api/tasks/{id}/reports/", {"text": "本月完成方案", "percent": 30}, 201),
    "comment": ("post", "/api/tasks/{id}/comments/", {"text": "请抓紧"}, 201),
    "nudge": ("post", "/api/tasks/{id}/nudge/", {"comment": "请按时报送"}, 201),
    "assignments": ("put", "/api/tasks/{id}/assignments/", "reassign", 200),
    "due_date": ("put", "/api/tasks/{id}/due-date/", {"due_date": FUTURE}, 200),
}


def client_for(world, user):
    client = APIClient()
    if user != "anonymous":
        client.force_authenticate(getattr(world, user))
    return client


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("target", ["task", "other_task"])
@pytest.mark.parametrize("user", USERS)
def test_task_endpoint_matrix(world, user, target, endpoint):
    task = getattr(world, target)
    method, path, body, _ = ENDPOINTS[endpoint]
    if body == "reassign":
        lead_id = task.assignments.get(role="lead").agency_id
        body = {"lead": [lead_id], "support": [], "comment": "调整"}
    if user == "anonymous":
        expected = 401
    elif user not in SEES[target]:
        expected = 404
    else:
        expected = _ok(user, target, endpoint)
    response = getattr(client_for(world, user), method)(
        path.format(id=task.pk), body, format="json", HTTP_IF_MATCH=task.etag
    )
    assert response.status_code == expected, response.content
    foreign = {"lead": "市教育局", "support": "市教育局", "outsider": "市商务局"}.get(user)
    if foreign:
        assert foreign not in response.content.decode(), "another agency's data leaked"


@pytest.mark.parametrize("user", USERS)
def test_task_list_holds_only_visible_tasks(world, user):
    response = client_for(world, user).get("/api/tasks/")
    if user == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    expected = {getattr(world, t).pk for t, users in SEES.items() if user in users}
    assert ids == expected


@pytest.mark.parametrize("user", USERS)
def test_documents_rounds_and_ledger(world, user):
    client = client_for(world, user)
    document = world.task.document
    docs = client.get("/api/documents/")
    round_create = client.post(
        "/api/rounds/", {"document": document.pk, "title": "第一轮调度", "due_date": FUTURE}, format="json"
    )
    ledger = client.get("/api/tasks/ledger/")
    if user == "anonymous":
        assert (docs.status_code, round_create.status_code, ledger.status_code) == (401, 401, 401)
        return
    assert [d["id"] for d in docs.json()["results"]] == [document.pk]
    assert round_create.status_code == (201 if user == "coordinator" else 403)
    assert ledger.status_code == 200
    assert ledger["Content-Type"].startswith("application/vnd.openxmlformats")


def test_stale_and_missing_if_match(world):
    client = client_for(world, "lead")
    url = f"/api/tasks/{world.task.pk}/transition/"
    body = {"action": "request_closure", "comment": "已完成"}
    assert client.post(url, body, format="json").status_code == 428
    assert client.post(url, body, format="json", HTTP_IF_MATCH='"99"').status_code == 412
    ok = client.post(url, body, format="json", HTTP_IF_MATCH=world.task.etag)
    assert ok.status_code == 200 and ok["ETag"] == '"2"'
    # The same request again: its version is stale now, nothing changes.
    again = client.post(url, body, format="json", HTTP_IF_MATCH=world.task.etag)
    assert again.status_code == 412
    wrong_state = client.post(url, {"action": "request_closure", "comment": "x"}, format="json", HTTP_IF_MATCH='"2"')
    assert wrong_state.status_code == 409


def test_round_page_lists_filed_and_missing(world):
    coordinator = client_for(world, "coordinator")
    created = coordinator.post(
        "/api/rounds/", {"document": world.task.document.pk, "title": "第三季度调度", "due_date": FUTURE}, format="json"
    )
    round_id = created.json()["id"]
    client_for(world, "lead").post(f"/api/tasks/{world.task.pk}/reports/", {"text": "已完成"}, format="json")
    entries = coordinator.get(f"/api/rounds/{round_id}/").json()["entries"]
    filed = {(e["agency"], e["filed"]) for e in entries}
    assert filed == {("市商务局", True), ("市工业和信息化局", False), ("市教育局", False)}
    staff_view = client_for(world, "support").get(f"/api/rounds/{round_id}/").json()["entries"]
    assert {e["agency"] for e in staff_view} == {"市商务局", "市工业和信息化局"}
    assert coordinator.post(f"/api/rounds/{round_id}/close/").status_code == 200
    assert coordinator.post(f"/api/rounds/{round_id}/close/").status_code == 409


def test_schema_is_served(world):
    response = client_for(world, "lead").get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/tasks/{id}/transition/" in response.content


@pytest.mark.parametrize("count", [3, 40])
def test_task_list_query_count_is_fixed(world, count, django_assert_max_num_queries):
    from tests.factories import AssignmentFactory, MeasureFactory, TaskFactory

    for _ in range(count):
        task = TaskFactory(measure=MeasureFactory(document=world.task.document))
        AssignmentFactory(task=task, agency=world.lead_agency, role="lead")
        AssignmentFactory(task=task, agency=world.support_agency, role="support")
    client = client_for(world, "coordinator")
    with django_assert_max_num_queries(4):
        response = client.get("/api/tasks/", {"page_size": 200})
    assert len(response.json()["results"]) == count + 2
    with django_assert_max_num_queries(4):
        client.get("/api/rounds/")
    with django_assert_max_num_queries(4):
        client.get("/api/documents/")


def test_api_docs_use_local_assets(world):
    client = client_for(world, "lead")
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page and "cdn.jsdelivr" not in page


def test_openapi_schema_generates_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/notifications/" in (tmp_path / "schema.yaml").read_text()


def test_task_detail_reads_the_task_once(world, django_assert_max_num_queries):
    # The task, its assignments, targets, and the two reads of the user's roles (groups, grants);
    # the response once read the task and its assignments a second time.
    with django_assert_max_num_queries(5):
        response = client_for(world, "lead").get(f"/api/tasks/{world.task.pk}/")
    assert response.status_code == 200 and response.json()["id"] == world.task.pk
    assert response["ETag"] == world.task.etag
