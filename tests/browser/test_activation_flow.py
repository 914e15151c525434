"""A member with no account opens it on the phone with an SMS code and pays the month's fee
(issue 15, "Done when" (b)): the branch creates the accounts from its 待办, the code goes through
the SMS gateway (a local test server that checks the signature), the member sets a password,
lands on 首页 and pays."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import override_settings

from dangjian.accounts.models import User
from dangjian.fees import services as fees
from dangjian.fees.models import FeeMonth
from tests.browser.test_supervision_flow import _sign_in
from tests.notify.test_outbound import KEY, Gateway

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Xin-Mi-Ma-2026"


def test_activate_with_an_sms_code_and_pay(browser, live_server, tree, users, shot):
    gateway = Gateway()
    notify = {**settings.NOTIFY, "sms": {"url": gateway.url + "/sms", "key_id": "k1", "key": KEY}}
    base = live_server.url
    m = tree.members["A1-1"]  # the branch secretary: no account yet, a phone on record
    now = fees.current_index()
    with override_settings(NOTIFY=notify):
        # the branch worker finds the accounts to open in 待办 and creates them
        ctx, page = _sign_in(browser, base, users["branch_worker"], "acct0001")
        page.locator(".todo-item", has_text="尚未开通账号").get_by_role("link").click()
        page.get_by_role("button", name="为未创建账号的党员创建账号").click()
        page.wait_for_selector("text=请提醒党员用手机验证码开通")
        shot(page, "80-branch-accounts")
        ctx.close()
        assert not User.objects.get(member=m).has_usable_password()

        # the member, on a phone: 开通账号 → name and number → the code by SMS → a password
        phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        page = phone.new_page()
        page.goto(f"{base}/accounts/login/")
        page.get_by_role("link", name="开通账号").click()
        page.get_by_label("姓名").fill(m.name)
        page.get_by_label("党员编号或手机号").fill(m.member_no)
        page.get_by_role("button", name="获取验证码").click()
        page.wait_for_selector("text=验证码已发送")
        [sms] = [r for r in gateway.requests if r["path"] == "/sms"]
        assert sms["body"]["phone"] == "13800000001"
        code = re.search(r"验证码：(\d{6})", sms["body"]["text"]).group(1)
        page.get_by_label("短信验证码").fill(code)
        page.get_by_label("设置密码").fill(PASSWORD)
        page.get_by_label("再次输入密码").fill(PASSWORD)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, "81-member-activates")
        page.get_by_role("button", name="开通账号").click()
        page.wait_for_selector("text=账号已开通")
        page.get_by_label("用户名").fill(m.member_no)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_selector("text=您好")
        shot(page, "82-member-home")
        # the fee is on 首页; paid through the sandbox cashier
        page.locator(".m-todo", has_text="交纳党费").click()
        page.wait_for_selector("text=每月应交")
        page.get_by_role("button", name="立即交纳").click()
        page.get_by_role("button", name="确认支付").click()
        page.wait_for_selector("text=交纳成功")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, "83-member-paid")
        phone.close()
    gateway.server.shutdown()
    row = FeeMonth.objects.filter(member=m, paid_fen__gt=0).order_by("month_index").last()
    assert row is not None
    assert row.channel == "online"
    assert row.month_index <= now
