"""The flows a new user's walk found missing, driven in Chromium: the coordinator chases a round and
closes it only after confirming; staff see the round on their page and the notification count in
the header, and opening a notification reads it; a report is sent back with a reason; the import
preview puts the doubtful measures first and takes a correction."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_round_is_chased_then_closed_after_confirming(page, live_server, demo, shot, sign_in):
    from tracker.models import ReportingRound

    round_ = ReportingRound.objects.get(document=demo.document)
    sign_in(page, "coordinator")
    page.goto(f"{live_server.url}/rounds/{round_.pk}/")
    page.get_by_label("催报说明（可选）").fill("请于本周五前报送")
    page.get_by_role("button", name="催报未报送单位").click()
    expect(page.get_by_role("status")).to_contain_text("未报送单位催报")
    page.get_by_role("button", name="关闭本轮调度").click()
    expect(page.get_by_role("alert")).to_contain_text("还未到")
    shot(page, "round-close-confirm")
    assert ReportingRound.objects.get(pk=round_.pk).is_open
    page.get_by_role("button", name="确定关闭").click()
    expect(page.get_by_role("status")).to_contain_text("已关闭")
    assert not ReportingRound.objects.get(pk=round_.pk).is_open


def test_staff_see_the_round_and_their_unread_notifications(page, live_server, demo, sign_in):
    from notifications.models import Notification
    from tracker import services
    from tracker.models import ReportingRound

    round_ = ReportingRound.objects.get(document=demo.document)
    services.round_chase(round=round_, user=demo.coordinator, comment="请尽快报送")
    sign_in(page, "staff")
    expect(page.get_by_role("status").filter(has_text="调度进行中")).to_be_visible()
    badge = page.locator(".site-nav .unread-count")
    unread = Notification.objects.filter(recipient=demo.staff, read_at__isnull=True).count()
    expect(badge).to_have_text(str(unread))
    page.locator(".site-nav").get_by_role("link", name=re.compile("^通知")).click()
    page.get_by_role("link", name=re.compile("催报")).first.click()
    expect(page.get_by_role("heading", name="我的任务", level=1)).to_be_visible()
    assert Notification.objects.filter(recipient=demo.staff, read_at__isnull=True).count() == unread - 1


def test_a_report_is_sent_back_with_a_reason(page, live_server, demo, sign_in):
    from tracker.models import ProgressReport

    report = ProgressReport.objects.filter(task=demo.requested_task).first()
    sign_in(page, "coordinator")
    page.goto(f"{live_server.url}/tasks/{demo.requested_task.pk}/")
    page.locator("summary", has_text="退回重报").first.click()
    page.get_by_label("退回理由").first.fill("缺少验收材料,请补充后重报")
    page.get_by_role("button", name="退回，请重新报送").first.click()
    expect(page.get_by_role("status")).to_contain_text("已退回")
    expect(page.locator(".timeline")).to_contain_text("缺少验收材料")
    report.refresh_from_db()
    assert report.returned_at is not None


def test_the_import_preview_shows_doubts_first_and_takes_a_correction(
    page, live_server, demo, shot, sign_in, eager_celery, tmp_path
):
    plan = tmp_path / "存疑方案.txt"
    plan.write_text(
        "济南市人民政府办公厅关于印发某方案的通知\n一、重点任务\n(一)建设园区。(责任单位:市工信局、市科技局)\n"
        "(二)培育企业。(牵头单位:市科技局)\n(三)做强平台。(有关单位负责)\n",
        encoding="utf-8",
    )
    sign_in(page, "coordinator")
    page.goto(f"{live_server.url}/import/")
    page.get_by_label("政策文件（.txt .docx .pdf .html）").set_input_files(str(plan))
    page.get_by_role("button", name="上传并预览").click()
    rows = page.locator("#h-measures ~ .table-wrap tbody tr")
    expect(rows.first).to_have_class(re.compile("doubtful"))
    expect(rows.first).to_contain_text("未识别出牵头单位")
    shot(page, "import-doubts")
    rows.first.locator("summary", has_text="更正").click()
    rows.first.get_by_label("牵头单位").fill("市商务局")
    rows.first.get_by_role("button", name="保存更正").click()
    expect(page.get_by_role("status")).to_contain_text("已更正")
    expect(page.locator("dl.facts")).to_contain_text("已更正")


def test_a_coordinator_nudges_ticked_tasks_in_bulk(page, live_server, demo, sign_in):
    from tracker.models import TaskEvent

    sign_in(page, "coordinator")
    page.goto(f"{live_server.url}/documents/{demo.document.pk}/")
    boxes = page.locator("input[name=tasks]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_label("批量操作", exact=True).select_option("nudge")
    page.get_by_label("说明（可选）").fill("请本周内报送进展")
    page.get_by_role("button", name="对勾选的任务执行").click()
    expect(page.get_by_role("status")).to_contain_text("已催办 2 项任务")
    assert TaskEvent.objects.filter(kind=TaskEvent.Kind.NUDGE, comment="请本周内报送进展").count() == 2


def test_the_ledger_round_trip_in_the_browser(page, live_server, demo, sign_in, tmp_path):
    import io

    from openpyxl import load_workbook

    from tracker.models import ProgressReport

    sign_in(page, "staff")
    page.goto(f"{live_server.url}/tasks/")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载本单位任务台账").first.click()
    path = tmp_path / "ledger.xlsx"
    download.value.save_as(path)
    workbook = load_workbook(io.BytesIO(path.read_bytes()))
    sheet = workbook.active
    cols = {str(c.value): c.column for c in sheet[2]}
    sheet.cell(3, cols["进展情况"]).value = "回传:平台已完成联调"
    sheet.cell(3, cols["完成比例（%）"]).value = 70
    task_id = sheet.cell(3, cols["任务ID"]).value
    workbook.save(path)
    page.get_by_role("link", name="回传填好的台账").click()
    page.get_by_label("填好的台账（.xlsx 或 .csv）").set_input_files(str(path))
    page.get_by_role("button", name="上传并预览").click()
    expect(page.get_by_role("table")).to_contain_text("回传:平台已完成联调")
    page.get_by_role("button", name="确认报送").click()
    expect(page.locator(".messages")).to_contain_text("已按回传的台账报送 1 项")
    report = ProgressReport.objects.filter(task_id=task_id).latest("created_at")
    assert (report.text, report.percent) == ("回传:平台已完成联调", 70)
