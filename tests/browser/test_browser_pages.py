"""The issue's browser scenarios, with a screenshot of each main page in test-output/screenshots/."""

import re

import pytest
from playwright.sync_api import expect

PASSWORD = "browser-pass-123"  # as in conftest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_signs_in_and_posts_a_report(page, live_server, demo, shot, sign_in):
    sign_in(page, "staff")
    expect(page).to_have_url(re.compile(r"/tasks/$"))
    expect(page.get_by_role("heading", name="我的任务", level=1)).to_be_visible()
    expect(page.locator("#bucket-overdue")).to_contain_text("已逾期")
    shot(page, "my-tasks-staff")

    page.locator(f'a[href="/tasks/{demo.staff_task.pk}/"]').first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(demo.staff_task.measure.ref)
    page.get_by_text("报送进展").click()
    page.get_by_label("进展情况").fill("已召开专题会议,完成方案起草。")
    page.get_by_label("完成比例（%）").fill("40")
    page.get_by_role("button", name="提交报送").click()
    expect(page.get_by_role("status")).to_contain_text("进展已报送")
    expect(page.locator(".timeline")).to_contain_text("已召开专题会议,完成方案起草。")
    shot(page, "task-staff")


def test_staff_on_a_phone(browser, live_server, demo, shot, sign_in):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    sign_in(page, "staff")
    expect(page.get_by_role("heading", name="我的任务", level=1)).to_be_visible()
    # No sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, "my-tasks-phone")
    context.close()


def test_coordinator_accepts_a_closure(page, live_server, demo, shot, sign_in):
    sign_in(page, "coordinator")
    expect(page).to_have_url(re.compile(r"/board/$"))
    expect(page.get_by_role("heading", name="待审批的销号和延期申请")).to_be_visible()
    expect(page.locator(".badge.red").first).to_be_visible()
    shot(page, "board-coordinator")
    shot(page, "board-coordinator-top", full_page=False)

    page.locator(f'a[href="/tasks/{demo.requested_task.pk}/"]').first.click()
    page.locator("summary", has_text="同意销号").click()
    page.get_by_role("button", name="确认同意销号").click()
    expect(page.get_by_role("status")).to_contain_text("已同意销号")
    expect(page.locator("p.actions .badge.status-closed")).to_be_visible()
    shot(page, "task-closed-coordinator")

    page.goto(f"{live_server.url}/rounds/")
    page.get_by_role("link", name="2026年第一季度调度").click()
    expect(page.get_by_role("heading", name="未报送")).to_be_visible()
    shot(page, "round")


def test_board_nudge_in_place(page, live_server, demo, sign_in):
    sign_in(page, "coordinator")
    page.get_by_role("button", name=re.compile("^催办")).first.click()
    expect(page.get_by_role("status").filter(has_text="已催办").first).to_be_visible()


def test_import_a_seed_and_map_an_unknown_agency(page, live_server, demo, shot, sign_in, eager_celery):
    from agencies.models import Agency, User
    from measures.models import PolicyDocument
    from tests.conftest import SEEDS

    # Nantong's seed; one of its agencies is taken out of the directory so that it is unknown.
    Agency.objects.filter(jurisdiction__name="南通市", name="南通银保监分局").delete()
    User.objects.create_user(
        "nantong",
        password=PASSWORD,
        role=User.Role.COORDINATOR,
        agency=Agency.objects.get(jurisdiction__name="南通市", name="市发展改革委"),
    )
    sign_in(page, "nantong")
    page.get_by_role("link", name="导入文件").click()
    page.get_by_label("政策文件（.txt .docx .pdf .html）").set_input_files(str(SEEDS[1]))
    page.get_by_role("button", name="上传并预览").click()
    expect(page.get_by_role("heading", name="核对单位名称")).to_be_visible()
    unknown_row = page.locator("tr.unknown").first
    expect(unknown_row).to_be_visible()
    name = unknown_row.locator("th").inner_text()
    shot(page, "import-preview")

    unknown_row.get_by_role("button", name=re.compile("确定")).click()
    expect(page.get_by_role("status")).to_contain_text("已对应为")
    expect(page.locator("tr.unknown th", has_text=name)).to_have_count(0)
    # Nantong names no coordinator: pick one, then import.
    page.get_by_label("牵头督办单位").select_option(label="市发展改革委")
    page.get_by_role("button", name=re.compile("确认导入")).click()
    expect(page.get_by_role("status")).to_contain_text("已导入")
    expect(page.get_by_role("heading", name="任务")).to_be_visible()
    assert PolicyDocument.objects.filter(source_name=SEEDS[1].name).exists()
    shot(page, "document")


def test_switch_language(page, live_server, demo, sign_in):
    sign_in(page, "staff")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")


def test_dashboard_draws_its_charts(page, live_server, demo, shot, sign_in):
    sign_in(page, "leader")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    for canvas in ("chart-agency-rates", "chart-agency-overdue", "chart-document-rates", "chart-trend"):
        page.wait_for_function(f"() => window.Chart && Chart.getChart(document.getElementById('{canvas}'))")
    drawn = page.evaluate(
        """() => {
            const c = document.getElementById('chart-agency-rates');
            const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let painted = 0;
            for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) painted++; }
            return painted;
        }"""
    )
    assert drawn > 1000
    expect(page.get_by_text("导出台账（Excel）")).to_be_visible()
    shot(page, "dashboard-leader")


def test_directory_and_queue(page, live_server, demo, shot, sign_in):
    sign_in(page, "coordinator")
    page.get_by_role("link", name="单位名录").click()
    page.get_by_label("名称或别名").fill("商务")
    page.get_by_role("button", name="查找").click()
    expect(page.locator("table")).to_contain_text("市商务局")
    shot(page, "agencies")


def test_no_page_breaks_the_content_security_policy(page, live_server, demo, sign_in):
    """Every refusal by the CSP shows in the console; the main pages, the charts, the bulletin and
    the API docs (Swagger UI) must load without one."""
    from tracker.models import ReportingRound

    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(f"{page.url}: {message.text}") if "Content Security Policy" in message.text else None
        ),
    )
    round_ = ReportingRound.objects.get(document=demo.document)
    sign_in(page, "coordinator")
    for path in (
        "/board/",
        f"/tasks/{demo.requested_task.pk}/",
        "/dashboard/",
        f"/rounds/{round_.pk}/",
        f"/rounds/{round_.pk}/bulletin/",
        "/import/",
        "/agencies/",
        "/notifications/settings/",
        "/api/docs/",
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
    expect(page.locator(".swagger-ui")).to_be_visible()
    page.goto(f"{live_server.url}/dashboard/")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('chart-trend'))")
    assert refused == []
