"""On a phone (390 px wide): the task page and its report form fit the screen — nothing wider than
the viewport, the form's fields and button reachable — and a report can be filed."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _overflow(page) -> list[str]:
    """Elements wider than the viewport (what makes a page scroll sideways on a phone)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                      && getComputedStyle(e).position !== 'fixed'
                      && !e.closest('.table-wrap'))
            .map(e => e.tagName + '.' + e.className).slice(0, 10)"""
    )


def test_the_task_page_and_report_form_fit_a_phone(browser, live_server, demo, sign_in, shot):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, "staff")
        page.goto(f"{live_server.url}/tasks/")
        page.locator("a.task-title").first.click()
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"], _overflow(page)
        assert _overflow(page) == []
        text = page.get_by_label("进展情况")
        text.scroll_into_view_if_needed()
        expect(text).to_be_visible()
        box = text.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        text.fill("已完成现场调研,正在编制方案。")
        shot(page, "task-phone")
        page.get_by_role("button", name="提交").first.click()
        expect(page.get_by_role("status")).to_be_visible()
    finally:
        context.close()
