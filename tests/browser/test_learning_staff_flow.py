"""Committee staff publish a course from the pages (rich-text article, publish, assign to a branch);
the branch worker records an offline session and sees the members' hours against the requirement."""

from __future__ import annotations

import pytest

from dangjian.learning.models import Assignment, Course, OfflineAttendance, Resource
from tests.browser.test_supervision_flow import _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_publish_assign_and_record_hours(browser, live_server, tree, users, shot):
    base = live_server.url
    ctx, page = _sign_in(browser, base, users["committee_staff"], "staff0801")
    page.get_by_role("link", name="学习教育").click()
    page.get_by_role("link", name="新建课程").click()
    page.get_by_label("课程名称").fill("学习新党章")
    page.get_by_label("专题").fill("党章")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("text=已创建课程")
    page.get_by_label("标题").fill("党的纪律")
    editor = page.locator(".richtext-editor")
    editor.click()
    page.keyboard.type("党的纪律是党的各级组织和全体党员必须遵守的行为规则。")
    page.get_by_role("button", name="添加").click()
    page.wait_for_selector("text=已添加“党的纪律”")
    page.get_by_role("button", name="发布").click()
    page.wait_for_selector("text=已发布")
    page.get_by_label("布置给").fill("甲一")
    page.get_by_role("option", name="甲一党支部").click()
    page.get_by_label("完成期限").fill("2099-12-31")
    page.get_by_role("button", name="布置").click()
    page.wait_for_selector("text=已布置")
    shot(page, "73-course-published")
    ctx.close()
    c = Course.objects.get(title="学习新党章")
    assert "遵守的行为规则" in Resource.objects.get(unit__course=c).body
    assert Assignment.objects.get(course=c).organization_id == tree.branch_a1.pk

    worker = users["branch_worker"]
    ctx, page = _sign_in(browser, base, worker, "worker0801")
    page.get_by_role("link", name="学习教育").click()
    page.get_by_role("link", name="学时统计").click()
    page.get_by_label("主题").fill("学习新党章专题党课")
    page.get_by_label("学时计算").select_option("half_day")
    page.locator("#id_members").select_option(
        [str(tree.members["A1-1"].pk), str(tree.members["A1-2"].pk)]
    )
    page.get_by_role("button", name="登记").click()
    page.wait_for_selector("text=已登记，每人计4.0学时")
    shot(page, "74-branch-hours")
    assert OfflineAttendance.objects.count() == 2
    assert "4.0" in page.inner_text("table")
    ctx.close()
