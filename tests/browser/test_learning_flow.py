"""A member on a phone opens an assigned article, studies (the page's heartbeats count the time),
takes the course's quiz and sees the result and the hours (issue 8, "Done when")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dangjian.learning import services
from dangjian.learning.models import Progress
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_studies_an_assigned_article_and_takes_the_quiz(
    browser, live_server, tree, users, shot, monkeypatch
):
    monkeypatch.setattr(
        services, "HEARTBEAT_SECONDS", 1
    )  # the page reports every second in this test
    monkeypatch.setattr(services, "MAX_GAP", 3)
    staff = users["committee_staff"]
    c = services.course_create(
        actor=staff, publisher=tree.district_a, title="党章学习", topic="党章", units=["总纲"]
    )
    services.resource_add(
        actor=staff,
        unit=c.units.get(),
        kind="article",
        title="党的性质和宗旨",
        body="<p>中国共产党是中国工人阶级的先锋队，同时是中国人民和中华民族的先锋队。</p>",
        minutes=30,
    )
    services.course_publish(actor=staff, course=c)
    services.assignment_create(
        actor=staff,
        course=c,
        organization=tree.district_a,
        due_on=timezone.localdate() + timedelta(days=30),
    )
    services.question_add(
        actor=staff,
        publisher=tree.district_a,
        topic="党章",
        kind="single",
        text="中国共产党是谁的先锋队？",
        choices=["中国工人阶级", "全体公民"],
        answer=[0],
    )
    services.question_add(
        actor=staff,
        publisher=tree.district_a,
        topic="党章",
        kind="tf",
        text="党的最高理想是实现共产主义。",
        choices=[],
        answer=[0],
    )
    services.paper_assemble(
        actor=staff, publisher=tree.district_a, title="党章小测", topic="党章", count=2, course=c
    )

    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = ctx.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("member1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector("text=您好")  # a member lands on 首页 (their 待办)
    page.locator(".tabbar").get_by_role("link", name="学习").click()
    page.wait_for_selector("#myHours")
    assert "32 学时" in page.inner_text("#myHours")
    page.get_by_role("link", name="党章学习").first.click()
    page.get_by_role("link", name="党的性质和宗旨").click()
    page.wait_for_selector("text=中国工人阶级的先锋队")
    page.wait_for_timeout(8000)  # reading (several heartbeats, even on a loaded machine)
    shot(page, "70-member-studying")
    m = tree.members["A1-2"]
    studied = Progress.objects.get(member=m).seconds
    # counted while the page was open, and no more than the time it was
    assert 2 <= studied <= 11
    page.get_by_role("link", name="‹ 返回课程").click()
    page.get_by_role("link", name="课后测试：党章小测").click()
    page.get_by_label("中国工人阶级").check()
    page.get_by_label("正确").check()
    page.get_by_role("button", name="交卷").click()
    page.wait_for_selector("#result")
    result = page.inner_text("#result")
    assert "100 分" in result
    assert "及格" in result
    shot(page, "71-quiz-result")
    page.get_by_role("link", name="‹ 返回学习").click()
    page.wait_for_selector("#myHours")
    online = page.inner_text("#onlineTime")
    assert online != "0分0秒"
    assert "最好成绩 100分" in page.inner_text("body")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "72-member-hours")
    ctx.close()
