"""Committee staff drill down to a red branch and issue a task from its finding; the branch worker
sees the reminder and the task and replies; the staff member accepts the reply."""

from __future__ import annotations

from datetime import date

import pytest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from dangjian.accounts.constants import Role
from dangjian.compliance.services import scan_run
from dangjian.supervision.models import Assignment
from tests.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(browser, base: str, user, code: str, size: tuple[int, int] = (1366, 768)):
    device, _ = StaticDevice.objects.get_or_create(user=user, name="backup")
    StaticToken.objects.create(device=device, token=code)
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
    page = context.new_page()
    page.on("dialog", lambda d: d.accept())  # "确定…？": the user says yes
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_label("动态口令或备用码").fill(code)
    page.get_by_role("button", name="验证").click()
    page.wait_for_selector("main h1")  # 待办 (工作台)
    return context, page


def test_dashboard_to_task_to_reply_to_acceptance(browser, live_server, tree, users, shot):
    from dangjian.compliance.engine import REGISTRY
    from dangjian.compliance.models import RuleSetting

    # the fixture tree keeps no meeting records: the organizational-life rules would bury the rest
    RuleSetting.objects.bulk_create(
        [
            RuleSetting(rule_id=r, enabled=False, reason="本测试不含组织生活数据")
            for r in REGISTRY
            if r.startswith("LIFE-")
        ]
    )
    worker_a2 = make_user("worker_a2", Role.BRANCH_WORKER, tree.branch_a2)
    scan_run(as_of=date(2026, 1, 15))
    base = live_server.url
    ctx, page = _sign_in(browser, base, users["committee_staff"], "staff0001")
    page.get_by_role("link", name="预警总览").click()
    page.get_by_role("link", name="甲二党支部").first.click()  # a red branch (no secretary)
    page.wait_for_selector("text=本组织未配备书记")
    shot(page, "20-dashboard-branch")
    page.get_by_role("link", name="下达督办").first.click()
    page.get_by_label("办结期限").fill("2099-12-31")
    page.get_by_role("button", name="下达").click()
    page.wait_for_selector("text=已下达督办")
    ctx.close()

    a = Assignment.objects.get()
    assert a.organization_id == tree.branch_a2.pk
    # A2's worker, on a phone: the task is at the top of 待办 and in 消息; they answer from there
    ctx, page = _sign_in(browser, base, worker_a2, "workera201", size=(390, 844))
    first = page.locator(".todo-item").first
    first.wait_for()
    assert "督办" in first.inner_text()
    assert "整改" in first.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "21-worker-todo-phone")
    page.get_by_role("link", name="消息").click()
    page.locator("main").get_by_text("新的督办").first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "21a-worker-messages-phone")
    page.go_back()
    page.locator(".todo-item").first.get_by_role("link").click()
    page.get_by_label("办理情况").fill("已召开党员大会补选书记，报上级审批中。")
    page.get_by_role("button", name="回复").click()
    page.wait_for_selector("text=已回复")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "22-task-replied-phone")
    ctx.close()

    # the committee's staff find the reply in 待办 and accept it
    ctx, page = _sign_in(browser, base, users["committee_staff"], "staff0002")
    item = page.locator(".todo-item", has_text="审核督办回复")
    item.wait_for()
    shot(page, "23-staff-todo-reply")
    item.get_by_role("link").click()
    page.get_by_role("button", name="审核通过（办结）").click()
    page.wait_for_selector("text=已办结")
    shot(page, "24-task-accepted")
    a.refresh_from_db()
    assert a.status == "accepted"
    ctx.close()
