"""A branch worker plans and publishes a general meeting; a member signs in on a phone-sized screen
from the room's QR-code link; the worker records the minutes (attendance, vote) and exports Word."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.utils import timezone

from dangjian.meetings.models import Attendance, Meeting
from tests.browser.test_supervision_flow import _sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_publish_sign_in_record_and_export(browser, live_server, tree, users, shot, tmp_path):
    base = live_server.url
    ctx, page = _sign_in(browser, base, users["branch_worker"], "meet0001")
    page.goto(f"{base}/meetings/org/{tree.branch_a1.pk}/")
    page.wait_for_selector("text=按规定频次生成年度计划")
    page.get_by_role("link", name="安排会议").click()
    page.get_by_label("会议类型").select_option("general_meeting")
    page.get_by_label("计划日期").fill(timezone.localdate().isoformat())
    page.get_by_label("主题").fill("第四季度支部党员大会")
    page.get_by_label("地点").fill("党员活动室")
    page.get_by_role("button", name="加入计划").click()
    page.wait_for_selector("text=确认无误后可发布通知")
    page.get_by_role("button", name="发布通知").click()
    page.wait_for_selector("text=已发布会议通知，1名党员收到通知")
    page.wait_for_selector(".qr svg")
    shot(page, "30-meeting-published-qr")
    sign_path = page.locator("#sign-url").get_attribute("href").split("://", 1)[1].split("/", 1)[1]

    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", device_scale_factor=2
    )
    m_page = phone.new_page()
    m_page.goto(f"{base}/accounts/login/?next=/{sign_path}")
    m_page.get_by_label("用户名").fill("member1")
    m_page.get_by_label("密码").fill(PASSWORD)
    m_page.get_by_role("button", name="登录").click()
    m_page.wait_for_selector("text=第四季度支部党员大会")
    m_page.goto(f"{base}/{sign_path}")  # the QR code's link
    assert m_page.evaluate("document.documentElement.scrollWidth") <= 390
    m_page.get_by_role("button", name="签到").click()
    m_page.wait_for_selector("text=签到成功")
    m_page.wait_for_selector("#signed")
    shot(m_page, "31-member-signed-in")
    m_page.get_by_role("link", name="组织生活").click()
    m_page.wait_for_selector("text=会议通知")
    phone.close()
    meeting = Meeting.objects.get()
    assert Attendance.objects.get(meeting=meeting).member == users["member"].member

    page.reload()
    page.wait_for_selector("text=已签到 1 人")
    page.get_by_role("link", name="登记会议记录").click()
    page.wait_for_selector("text=出席情况")
    page.get_by_label("主持人").fill("王书记")
    page.get_by_label("记录人").fill("李委员")
    page.locator("#minutes-editor").click()
    page.keyboard.type("书记传达上级会议精神，党员逐一发言。")
    page.get_by_label("决定事项").fill("同意按计划开展志愿服务")
    for name in ("党员1", "党员3", "党员4"):
        page.get_by_label(f"{name}出席情况").select_option("present")
    page.get_by_label("表决事项").fill("志愿服务方案")
    page.get_by_label("赞成").fill("4")
    page.get_by_label("反对").fill("0")
    page.get_by_label("弃权").fill("0")
    shot(page, "32-meeting-record-form")
    page.get_by_role("button", name="保存会议记录").click()
    page.wait_for_selector("text=已登记会议记录")
    page.wait_for_selector("text=通过")
    shot(page, "33-meeting-recorded")
    with page.expect_download() as info:
        page.get_by_role("link", name="导出Word").click()
    path = tmp_path / "minutes.docx"
    info.value.save_as(path)
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as z:
        xml = z.read("word/document.xml").decode()
    assert "第四季度支部党员大会" in xml
    assert "书记传达上级会议精神" in xml
    assert "赞成4票" in xml
    ctx.close()
    meeting.refresh_from_db()
    assert (meeting.status, meeting.expected, meeting.attended, meeting.votes_for) == (
        "held",
        4,
        4,
        4,
    )
