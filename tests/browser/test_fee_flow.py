"""A member pays this month's party fee on the phone through the sandbox provider and downloads
the receipt; the branch worker then sees the month paid in the branch's grid."""

from __future__ import annotations

import pytest

from dangjian.fees import services
from dangjian.fees.models import FeeMonth, Payment
from tests.browser.test_supervision_flow import _sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_pays_online_and_the_branch_sees_it(
    browser, live_server, tree, users, shot, tmp_path
):
    now = services.current_index()
    services.ledger_generate(month=now)
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="zh-CN",
        device_scale_factor=2,
        accept_downloads=True,
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("member1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector("text=您好")  # a member lands on 首页 (their 待办)
    page.locator(".tabbar").get_by_role("link", name="党费").click()
    page.wait_for_selector("text=每月应交")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "20-member-fees")
    page.get_by_role("button", name="立即交纳").click()
    page.wait_for_selector("text=确认支付")
    shot(page, "21-sandbox-cashier")
    page.get_by_role("button", name="确认支付").click()
    page.wait_for_selector("text=交纳成功")
    shot(page, "22-paid")
    with page.expect_download() as info:
        page.get_by_role("link", name="下载电子收据").click()
    path = tmp_path / "receipt.pdf"
    info.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")
    context.close()
    member = users["member"].member
    row = FeeMonth.objects.get(member=member, month_index=now)
    assert row.paid_fen == row.due_fen
    assert row.channel == "online"
    assert Payment.objects.filter(member=member).count() == 1
    ctx2, page2 = _sign_in(browser, live_server.url, users["branch_worker"], "feecode1")
    page2.goto(f"{live_server.url}/fees/org/{tree.branch_a1.pk}/")
    page2.wait_for_selector("text=党费收缴")
    cell = page2.locator("tr", has_text=member.name).locator(".fee-cell.paid")
    assert cell.count() == 1
    shot(page2, "23-branch-fee-grid")
    ctx2.close()
