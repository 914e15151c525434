"""个人信息 (issue 16, F2) as its users meet it: a member on a phone downloads their data and asks
for a correction; the branch secretary finds it in 待办 and applies it."""

from __future__ import annotations

import pytest

from dangjian.members.models import Member
from tests.browser.test_supervision_flow import _sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_asks_for_a_correction_and_the_branch_applies_it(
    browser, live_server, tree, users, shot
):
    base = live_server.url
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = phone.new_page()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill("member1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector("text=您好")
    page.locator(".tabbar").get_by_role("link", name="我的").click()
    page.locator("#myInfo").click()
    page.wait_for_selector("#downloadData")
    with page.expect_download() as dl:
        page.locator("#downloadData").click()
    assert dl.value.suggested_filename.endswith(".json")
    page.get_by_label("要更正的项目").select_option("work_unit")
    page.get_by_label("正确的内容").fill("厦门市某某科技有限公司")
    page.get_by_label("更正理由").fill("已调动到新单位")
    page.get_by_role("button", name="提交给党支部审核").click()
    page.wait_for_selector("text=党支部审核后会通知您")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "96-member-correction-asked")
    phone.close()

    ctx, page = _sign_in(browser, base, users["branch_worker"], "corr0001", size=(1366, 768))
    item = page.locator(".todo-item", has_text="审核个人信息更正")
    item.wait_for()
    shot(page, "97-branch-todo-correction")
    item.get_by_role("link", name="审核").click()
    page.get_by_role("button", name="同意并更正").click()
    page.wait_for_selector("text=已按申请更正")
    shot(page, "98-correction-applied")
    assert Member.objects.get(pk=tree.members["A1-2"].pk).work_unit == "厦门市某某科技有限公司"
    # the history in words
    assert "工作单位：无 → 厦门市某某科技有限公司" in page.inner_text("body")
    ctx.close()
