"""A member starts a transfer from the portal on a phone; the sending committee approves and issues
the letter; the receiving committee agrees; the receiving branch accepts; the member is on the new
roster; the three-part letter downloads as PDF (issue 7, "Done when"). Each committee and the
branch find their step in 待办 and act from there (issue 15, "Done when" (c))."""

from __future__ import annotations

import pytest

from dangjian.accounts.constants import Role
from dangjian.transfers.models import Transfer
from tests.browser.test_supervision_flow import _sign_in
from tests.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_to_committees_to_branch_to_roster_and_pdf(
    browser, live_server, tree, users, shot, tmp_path
):
    base = live_server.url
    worker_b1 = make_user("worker_b1", Role.BRANCH_WORKER, tree.branch_b1)

    # the member, on a phone: 我的 → 组织关系转接 → apply
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = phone.new_page()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill("member1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector("text=您好")  # a member lands on 首页 (their 待办)
    page.locator(".tabbar").get_by_role("link", name="我的").click()
    page.wait_for_selector("text=所在党组织")
    page.locator("#myTransfer").click()
    page.get_by_label("转入党支部（本系统内）").fill("乙一党支部")
    page.get_by_label("转接原因").fill("工作调动到乙区")
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_selector("#currentTransfer")
    assert "转往乙一党支部" in page.inner_text("#currentTransfer")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "60-member-transfer-started")
    phone.close()
    t = Transfer.objects.get()

    # the sending committee finds it in 待办 (its home page), approves and issues the letter from
    # there, and downloads it
    ctx, page = _sign_in(browser, base, users["committee_staff"], "staff0601")
    item = page.locator(".todo-item", has_text="审批转接申请：党员2转往乙一党支部")
    item.wait_for()
    shot(page, "60a-committee-todo")
    item.get_by_role("link", name="审批").click()
    page.get_by_label("有效期（天）").fill("60")
    page.get_by_role("button", name="同意并开具").click()
    page.wait_for_selector("text=已开具介绍信")
    with page.expect_download() as dl:
        page.locator("#letterPdf").click()
    path = tmp_path / "letter.pdf"
    dl.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")
    assert dl.value.suggested_filename.endswith(".pdf")
    shot(page, "61-letter-issued")
    ctx.close()

    # the receiving committee agrees
    ctx, page = _sign_in(browser, base, users["sibling_staff"], "staff0602")
    page.locator(".todo-item", has_text="同意转入：党员2").get_by_role("link", name="审批").click()
    page.get_by_role("button", name="转入党委同意接收").click()
    page.wait_for_selector("text=已同意转入")
    ctx.close()

    # the receiving branch accepts from its 待办; the member is on its roster
    ctx, page = _sign_in(browser, base, worker_b1, "workerb101")
    page.locator(".todo-item", has_text="接收转入党员：党员2").get_by_role(
        "link", name="接收"
    ).click()
    page.get_by_role("button", name="党员已报到，接收到本支部").click()
    page.wait_for_selector("text=已接收，该党员已列入本支部名册")
    page.get_by_role("link", name="党员花名册").click()
    page.wait_for_selector("text=党员2")
    assert "乙一党支部" in page.inner_text("main")
    shot(page, "62-on-the-new-roster")
    ctx.close()
    t.refresh_from_db()
    assert t.status == "accepted"
