"""A branch worker adds a member through the roster; the audit admin then finds that event."""

from __future__ import annotations

from datetime import date

import pytest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from dangjian.core import idnumber
from dangjian.members.models import Member
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _backup_code(user, code: str) -> None:
    device, _ = StaticDevice.objects.get_or_create(user=user, name="backup")
    StaticToken.objects.create(device=device, token=code)


def _sign_in(page, base: str, username: str, code: str) -> None:
    page.on("dialog", lambda d: d.accept())  # "确定…？": the user says yes
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_label("动态口令或备用码").fill(code)
    page.get_by_role("button", name="验证").click()


def test_worker_adds_member_and_audit_admin_finds_it(browser, live_server, tree, users, shot):
    _backup_code(users["branch_worker"], "worker001")
    _backup_code(users["audit_admin"], "audit0001")
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    base = live_server.url

    _sign_in(page, base, "worker_a1", "worker001")
    page.get_by_role("link", name="党员花名册").first.click()
    page.wait_for_selector("text=党员花名册")
    assert page.locator("tbody tr").count() == 4
    shot(page, "01-roster")

    page.goto(f"{base}/orgs/{tree.branch_a1.pk}/")
    page.get_by_role("link", name="新增党员").click()
    id_number = idnumber.make("350203", date(1992, 3, 8), 78)  # even sequence: 女
    page.get_by_label("党员编号").fill("W0001")
    page.get_by_label("姓名").fill("林晓梅")
    page.get_by_label("性别").select_option("女")
    page.get_by_label("出生日期").fill("1992-03-08")
    page.get_by_label("身份证号").fill(
        id_number[:-1] + ("0" if id_number[-1] != "0" else "1")
    )  # a typo first
    page.get_by_label("手机号").fill("13912345678")
    page.get_by_label("党籍状态").select_option("full")
    page.get_by_label("入党日期").fill("2015-06-30")
    page.get_by_label("转正日期").fill("2016-06-30")
    page.get_by_label("党费类别").select_option("employed")
    page.get_by_label("党费计算基数（元/月）").fill("7200")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("text=身份证号校验位错误")
    shot(page, "02-inline-error")
    page.get_by_label("身份证号").fill(id_number)
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("text=已新增党员林晓梅")
    shot(page, "03-member-page")
    assert Member.objects.filter(member_no="W0001", name="林晓梅").exists()
    assert "350203********" in page.content()

    page.goto(f"{base}/members/")
    assert page.locator("tbody tr").count() == 5
    page.get_by_role("button", name="worker_a1").click()  # the user menu
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_selector("text=登录")
    context.close()

    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    _sign_in(page, base, "auditadmin", "audit0001")
    page.locator("main").get_by_role("link", name="审计日志").click()  # from the admin's 待办
    page.get_by_label("操作", exact=True).select_option("members.create")
    page.get_by_label("操作人").fill("worker_a1")
    page.get_by_role("button", name="查询").click()
    row = page.locator("tbody tr").first
    row.wait_for()
    text = row.inner_text()
    assert "新增党员" in text
    assert "worker_a1" in text
    assert "林晓梅" in text
    assert page.locator("tbody tr").count() == 1
    shot(page, "04-audit-found")
    context.close()
