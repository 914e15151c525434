"""A member on a phone-sized screen signs in, sees only their own record, and turns on 长辈模式."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_portal_on_a_phone(browser, live_server, tree, users, shot):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", device_scale_factor=2
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("member1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector("text=您好")  # a member lands on 首页 (their 待办)
    page.locator(".tabbar").get_by_role("link", name="我的").click()
    page.wait_for_selector("text=所在党组织")
    body = page.inner_text("body")
    assert "党员2" in body
    assert "甲一党支部" in body
    assert "350203********" in body
    # no horizontal scrolling at phone width
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    size_before = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    page.get_by_label("长辈模式").check()
    size_after = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size_before == 16
    assert size_after >= 18
    shot(page, "10-member-elder-mode")
    # the choice is remembered on the next page load
    page.reload()
    assert page.evaluate("document.body.classList.contains('elder')")
    context.close()
