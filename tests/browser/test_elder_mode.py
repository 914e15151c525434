"""长辈模式 on every member page (issue 15, item 9): body type at least 18 px, no page scrolls
sideways at 390 px, no date is split across two lines, every tab label is visible — checked on
each page a member can open, with a screenshot of each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.meetings.models import Meeting
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# the date patterns the pages print, and a check that none of them wraps onto a second line
SPLIT_DATES = r"""() => {
  const re = /\d{4}年\d{1,2}月\d{1,2}日|\d{4}-\d{2}-\d{2}|\d{1,2}月\d{1,2}日/g;
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.parentElement || node.parentElement.offsetParent === null) continue;
    let m;
    re.lastIndex = 0;
    while ((m = re.exec(node.textContent))) {
      const r = document.createRange();
      r.setStart(node, m.index);
      r.setEnd(node, m.index + m[0].length);
      const tops = new Set([...r.getClientRects()].map((x) => Math.round(x.top)));
      if (tops.size > 1) out.push(m[0]);
    }
  }
  return out;
}"""
TABS_VISIBLE = r"""() => [...document.querySelectorAll('.tabbar a')].every((a) => {
  const r = a.getBoundingClientRect();
  return r.width > 0 && a.scrollWidth <= a.clientWidth + 1 && a.innerText.trim().length > 0;
})"""


def test_every_member_page_in_elder_mode(browser, live_server, tree, users, shot):
    meeting = Meeting.objects.create(
        organization=tree.branch_a1,
        kind="theme_day",
        status="published",
        planned_on=timezone.localdate() + timedelta(days=3),
        topic="学习贯彻党的二十届四中全会精神主题党日活动",
        place="社区党群服务中心三楼会议室",
        sign_in_token="tok",
    )
    pages = {
        "首页": reverse("portal:member_home"),
        "我的": reverse("portal:me"),
        "党费": reverse("fees:my"),
        "组织生活": reverse("meetings:my"),
        "会议": reverse("meetings:member_meeting", args=[meeting.pk]),
        "学习": reverse("learning:my"),
        "消息": reverse("notify:inbox"),
        "提醒方式": reverse("notify:settings"),
        "组织关系转接": reverse("transfers:my"),
    }
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = ctx.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("member1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector("text=您好")
    page.get_by_label("长辈模式").check()
    problems = []
    for name, path in pages.items():
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        wide = page.evaluate("document.documentElement.scrollWidth")
        split = page.evaluate(SPLIT_DATES)
        tabs = page.evaluate(TABS_VISIBLE)
        shot(page, f"elder-{name}")
        if size < 18:
            problems.append(f"{name}: body {size}px")
        if wide > 390:
            problems.append(f"{name}: {wide}px wide")
        if split:
            problems.append(f"{name}: dates split {split}")
        if not tabs:
            problems.append(f"{name}: tab labels cut")
    ctx.close()
    assert problems == []
