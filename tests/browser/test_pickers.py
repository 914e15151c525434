"""Pickers, not typing (issue 15, item 6): staff add a member from the roster choosing the branch
by its pinyin initials or from the tree, without a member number (the platform gives one); the
security admin grants a role choosing the account and the organization; on a phone too."""

from __future__ import annotations

from datetime import date

import pytest

from dangjian.accounts.models import RoleGrant
from dangjian.core import idnumber
from dangjian.members.models import Member
from tests.browser.test_roster_flow import _backup_code, _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fill_member(page, id_number: str) -> None:
    page.get_by_label("姓名").fill("林晓梅")
    page.get_by_label("性别").select_option("女")
    page.get_by_label("出生日期").fill("1992-03-08")
    page.get_by_label("身份证号").fill(id_number)
    page.get_by_label("党籍状态").select_option("full")
    page.get_by_label("入党日期").fill("2015-06-30")
    page.get_by_label("转正日期").fill("2016-06-30")
    page.get_by_label("党费类别").select_option("employed")
    page.get_by_label("党费计算基数（元/月）").fill("7200")


@pytest.mark.parametrize("size", [(1366, 768), (390, 844)])
def test_new_member_from_the_roster_with_the_branch_picked(
    browser, live_server, tree, users, shot, size
):
    _backup_code(users["committee_staff"], "staff0901")
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
    page = context.new_page()
    base = live_server.url
    _sign_in(page, base, "staff_da", "staff0901")
    page.goto(f"{base}/members/")
    page.get_by_role("link", name="新增党员").click()
    picker = page.get_by_label("所在党组织")
    if size[0] > 800:
        # the branch by its pinyin initials: 甲二党支部 = jedzb
        picker.fill("jed")
        page.get_by_role("option", name="甲二党支部").click()
    else:
        # on a phone, from the tree: 中共甲区委员会 ▸ 甲二党支部
        page.get_by_role("button", name="按组织树选择").click()
        page.get_by_role("button", name="展开中共甲区委员会").click()
        page.get_by_role("button", name="甲二党支部", exact=True).click()
    assert picker.input_value() == "甲二党支部"
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    shot(page, f"90-member-branch-picked-{size[0]}")
    _fill_member(page, idnumber.make("350203", date(1992, 3, 8), 78 + size[0] % 7 * 2))
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("text=已新增党员林晓梅")  # the member's page
    m = Member.objects.get(name="林晓梅")
    assert m.organization_id == tree.branch_a2.pk
    assert m.member_no.startswith("M")  # given by the platform from its pattern
    assert m.member_no in page.inner_text("main")
    context.close()


def test_the_security_admin_grants_through_pickers(browser, live_server, tree, users, shot):
    _backup_code(users["security_admin"], "secadm001")
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    base = live_server.url
    _sign_in(page, base, "secadmin", "secadm001")
    page.goto(f"{base}/accounts/grants/")
    page.get_by_label("账号").fill("nob")
    page.get_by_role("option", name="nobody").click()
    page.get_by_label("角色", exact=False).and_(page.locator("select")).select_option(
        "branch_worker"
    )
    page.get_by_label("授权范围（管理员角色不选）").fill("乙一")
    page.get_by_role("option", name="乙一党支部").click()
    shot(page, "91-grant-pickers")
    page.get_by_role("button", name="授权").click()
    page.wait_for_selector("text=已授权")
    grant = RoleGrant.objects.get(user=users["no_grant"])
    assert (grant.role, grant.organization_id) == ("branch_worker", tree.branch_b1.pk)
    context.close()
