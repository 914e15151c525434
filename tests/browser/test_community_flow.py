"""近邻党建 in a real browser (issue 18): an in-service member picks where they live, reports to
that community and claims a 微心愿 on the phone; the community's worker confirms the report and the
service with its hours; a 邻长 raises an issue on the phone, the community records the joint
meeting and closes it, the 邻长 confirms. Phone pages at 390 px; screenshots 107–114."""

from __future__ import annotations

import pytest

from dangjian.community import services as community
from dangjian.community.models import Issue, IssueStatus, NeedStatus, Service
from tests.browser.test_roster_flow import _backup_code, _sign_in
from tests.community.conftest import make_hood
from tests.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _phone_login(browser, base, username):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = ctx.new_page()
    page.on("dialog", lambda d: d.accept())
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector("text=您好")
    return ctx, page


def _jpeg(color):
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (320, 240), color).save(buf, "JPEG")
    return buf.getvalue()


def images_loaded(page, selector="img", timeout=15.0):
    """Wait until the page's images (`selector`) have loaded. Polled from here with evaluate():
    Playwright's wait_for_function evaluates a string in the page, which the CSP forbids."""
    import time

    check = (
        f"() => [...document.querySelectorAll({selector!r})]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    end = time.monotonic() + timeout
    while not page.evaluate(check):
        assert time.monotonic() < end, f"images {selector} did not load"
        page.wait_for_timeout(100)


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_report_claim_confirm_and_an_issue_to_closed(browser, live_server, tree, users, shot):
    hood = make_hood(tree)
    make_user("w1", member=hood.workers[0])
    make_user("linzhang", member=hood.workers[1])
    community.residence_set(actor=None, member=hood.workers[1], place=hood.other_place)
    _backup_code(hood.staff, "cmwork01")
    base = live_server.url

    # the member: where I live, 报到
    phone, page = _phone_login(browser, base, "w1")
    page.get_by_role("link", name="近邻党建（社区报到、认领微心愿、民情议事）").click()
    page.get_by_label("居住小区").fill("示范")
    page.get_by_role("option", name="示范花园").click()
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("text=已保存居住小区")
    page.get_by_role("button", name="向中共示范社区委员会报到").click()
    page.wait_for_selector("text=已报到，等待社区确认")
    _fits(page)
    shot(page, "107-community-reported")

    # the community's worker: 待办, confirm the report, publish a 微心愿
    desk = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    staff = desk.new_page()
    _sign_in(staff, base, "cm_worker", "cmwork01")
    staff.wait_for_selector("text=确认在职党员报到")
    staff.get_by_role("link", name="去确认").first.click()
    staff.get_by_role("button", name="确认报到").click()
    staff.wait_for_selector("text=已确认")
    staff.get_by_role("link", name="需求清单").click()
    staff.get_by_label("类型 *").select_option("wish")
    staff.get_by_label("内容 *").fill("为独居老人代购药品")
    staff.get_by_role("button", name="发布").click()
    staff.wait_for_selector("text=已发布")
    shot(staff, "108-community-wish-published")

    # the member claims it
    page.reload()
    page.get_by_role("button", name="认领").click()
    page.wait_for_selector("text=已认领，完成后由社区确认服务时长")
    _fits(page)
    shot(page, "109-community-wish-claimed")

    # the worker confirms the service with its hours
    staff.reload()
    staff.get_by_label("时长（小时）").fill("1.5")
    staff.get_by_role("button", name="确认完成").click()
    staff.wait_for_selector("text=已确认“为独居老人代购药品”完成")
    s = Service.objects.get()
    assert (s.member_id, str(s.hours), s.need.status) == (
        hood.workers[0].pk,
        "1.5",
        NeedStatus.DONE,
    )
    shot(staff, "110-community-service-confirmed")
    page.reload()
    page.wait_for_selector("text=1 次，1.5 小时")
    shot(page, "111-community-my-services")
    phone.close()

    # a 邻长 raises an issue on the phone
    phone, lz = _phone_login(browser, base, "linzhang")
    lz.goto(f"{base}/community/my/")
    lz.get_by_role("link", name="反映问题").click()
    lz.get_by_label("事项").fill("美食街装卸货车位被占")
    lz.get_by_label("情况").fill("早上装卸货车位被私家车占用，送货车堵在路口")
    lz.get_by_label("地点").fill("美食街东段")
    lz.get_by_label("照片（可选，最多6张）").set_input_files(
        [{"name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": _jpeg((120, 90, 60))}]
    )
    lz.get_by_role("button", name="提交").click()
    lz.wait_for_selector("text=已提交，社区党委受理后会通知您")
    _fits(lz)
    shot(lz, "112-community-issue-raised")

    # the community: joint meeting, then closed
    issue = Issue.objects.get()
    staff.goto(f"{base}/community/issue/{issue.pk}/")
    staff.get_by_label("参会单位和人员").fill("社区党委、美食街6家商户、巡查劝导先锋队、物业")
    staff.get_by_label("议定事项").fill("每天7点至9点为装卸时段，先锋队每日巡查劝导")
    staff.get_by_role("button", name="记录会议和议定事项").click()
    staff.wait_for_selector("text=已记录联席会议和议定事项")
    staff.get_by_label("办理结果").fill("装卸货车位已恢复，两周内无占用")
    staff.get_by_label("办结照片（可选，最多6张）").set_input_files(
        [{"name": "after.jpg", "mimeType": "image/jpeg", "buffer": _jpeg((40, 140, 60))}]
    )
    staff.get_by_role("button", name="办结", exact=True).click()
    staff.wait_for_selector("text=已办结，等待反映人确认")
    assert staff.locator("img[alt^='反映照片']").count() == 1
    assert staff.locator("img[alt^='办结照片']").count() == 1
    # the photos load (scoped, shown as thumbnails; lazy, so wait until the browser has them)
    images_loaded(staff, "img[alt$='照片1']")
    shot(staff, "113-community-issue-closed")
    desk.close()

    # the 邻长 confirms
    lz.reload()
    lz.get_by_label("已解决").check()
    lz.get_by_role("button", name="提交").click()
    lz.wait_for_selector("text=谢谢您的确认")
    issue.refresh_from_db()
    assert issue.status == IssueStatus.CONFIRMED
    _fits(lz)
    shot(lz, "114-community-issue-confirmed")
    phone.close()
