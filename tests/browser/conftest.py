"""Playwright (Python) driving Debian's Chromium. Browser downloads are impossible here, so the
browser is /usr/bin/chromium and `playwright install` is never run."""

import datetime
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run inside
# one unless told that this synchronous use is intended.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
PASSWORD = "browser-pass-123"


def pytest_collection_modifyitems(config, items):
    """Skipped only where Chromium is missing and REQUIRE_BROWSER is not 1 (CI sets it)."""
    if CHROMIUM.exists() or os.environ.get("REQUIRE_BROWSER") == "1":
        return
    skip = pytest.mark.skip(reason="needs /usr/bin/chromium (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def shot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, *, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@dataclass
class Demo:
    document: object
    staff: object
    coordinator: object
    leader: object
    staff_task: object
    requested_task: object


@pytest.fixture
def demo(transactional_db) -> Demo:
    """The Jinan seed imported, with users for every role and a week's worth of activity: some
    tasks overdue, reports filed, one closure request waiting, an open round."""
    from agencies.models import Agency, Jurisdiction, User
    from measures.services import document_preview_file
    from tests.conftest import SEEDS
    from tracker import services
    from tracker.models import DocumentAccess, Task

    call_command("load_directory", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    jinan = Jurisdiction.objects.get(name="济南市")
    document, _created = services.document_import(preview=document_preview_file(path=SEEDS[0]))

    def user(username, agency_name, role):
        agency = Agency.objects.get(jurisdiction=jinan, name=agency_name) if agency_name else None
        u = User.objects.create_user(username, f"{username}@example.org", PASSWORD, agency=agency, role=role)
        u.first_name = {"staff": "王敏", "coordinator": "李强", "leader": "张华"}[username]
        u.save()
        return u

    staff = user("staff", "市商务局", User.Role.STAFF)
    coordinator = user("coordinator", "市发展改革委", User.Role.COORDINATOR)
    leader = user("leader", None, User.Role.LEADER)
    DocumentAccess.objects.create(user=leader, document=document, role=DocumentAccess.Role.LEADER)

    today = timezone.localdate()
    led = list(Task.objects.filter(document=document, assignments__agency=staff.agency, assignments__role="lead"))
    others = list(Task.objects.filter(document=document).exclude(pk__in=[t.pk for t in led]))
    # Deadlines spread around today so every bucket and both escalation colours show.
    for offset, task in zip((-45, -12, -3, 5, 30, 200), led + others, strict=False):
        Task.objects.filter(pk=task.pk).update(due_date=today + datetime.timedelta(days=offset))
    for offset, task in zip((-60, -20, -8, -2), others[6:], strict=False):
        Task.objects.filter(pk=task.pk).update(due_date=today + datetime.timedelta(days=offset))
    services.round_open(
        document=document, user=coordinator, title="2026年第一季度调度", due_date=today + datetime.timedelta(days=10)
    )
    requested = led[1]
    requested.refresh_from_db()
    services.report_submit(task=requested, user=staff, text="已完成全部建设内容,平台已上线运行。", percent=100)
    requested.refresh_from_db()
    services.task_transition(
        task=requested, user=staff, action="request_closure", expected_version=requested.version, comment="任务已完成"
    )
    closed = led[2]
    closed.refresh_from_db()
    services.task_transition(
        task=closed, user=staff, action="request_closure", expected_version=closed.version, comment="已完成"
    )
    closed.refresh_from_db()
    services.task_transition(task=closed, user=coordinator, action="accept_closure", expected_version=closed.version)
    staff_task = led[0]
    staff_task.refresh_from_db()
    return Demo(document, staff, coordinator, leader, staff_task, requested)


@pytest.fixture
def sign_in(live_server):
    def go(page, username: str) -> None:
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state("networkidle")

    return go
