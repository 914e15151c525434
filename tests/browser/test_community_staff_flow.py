"""近邻党建 for the community's worker and the member's branch (issue 18): a member claims a
standing post on the phone and the community approves it; the community appraises the member's
year and the member's branch sees it beside the member in 民主评议; a co-building agreement due
for renewal is renewed from 待办; the community's month-by-month figures draw their chart; a unit
prints its members' 报到证. Screenshots 115–121."""

from __future__ import annotations

import pytest
from django.utils import timezone

from dangjian.community import services as community
from dangjian.community.models import Alliance, NeedStatus, YearAppraisal
from dangjian.meetings import services as meetings
from tests.browser.test_community_flow import _fits, _phone_login
from tests.browser.test_roster_flow import _backup_code, _sign_in
from tests.community.conftest import make_hood
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_post_approval_appraisal_renewal_figures_and_cards(browser, live_server, tree, users, shot):
    from datetime import timedelta

    hood = make_hood(tree)
    member = make_user("w1", member=hood.workers[0])
    community.residence_set(actor=member, member=hood.workers[0], place=hood.place)
    community.report_submit(actor=member, member=hood.workers[0], community=hood.community)
    post = community.need_publish(
        actor=hood.staff, community=hood.community, kind="post", title="3号楼楼栋长助理"
    )
    today = timezone.localdate()
    community.alliance_create(
        actor=hood.staff,
        community=hood.community,
        name="美食街共建共管共享协议",
        parties="美食街商户联合会\n示范物业有限公司",
        commitments="装卸货车位错时共用，商户轮流值守劝导",
        started_on=today - timedelta(days=330),
        ends_on=today + timedelta(days=30),
    )
    secretary = make_user("of_secretary", "branch_worker", hood.office)
    _backup_code(hood.staff, "cmwork01")
    _backup_code(secretary, "ofsec001")
    base = live_server.url

    # the member claims the post on the phone: it waits for the community
    phone, page = _phone_login(browser, base, "w1")
    page.goto(f"{base}/community/my/")
    page.get_by_role("button", name="认领").click()
    page.wait_for_selector("text=已认领，等待社区同意")
    _fits(page)
    shot(page, "115-community-post-claimed")

    # the community's worker approves it from 待办
    desk = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    staff = desk.new_page()
    _sign_in(staff, base, "cm_worker", "cmwork01")
    staff.get_by_role("link", name="去审核").click()
    staff.get_by_role("button", name="同意").click()
    staff.wait_for_selector("text=已同意认领，党员会收到通知")
    post.refresh_from_db()
    assert post.status == NeedStatus.CLAIMED
    shot(staff, "116-community-post-approved")
    page.reload()
    page.wait_for_selector("text=社区已同意")

    # the yearly appraisal
    staff.get_by_role("link", name="年度评价").click()
    staff.get_by_label(f"{hood.workers[0].name}的评价").select_option("excellent")
    staff.get_by_label(f"{hood.workers[0].name}的评语").fill("常年做楼道志愿服务")
    staff.locator(f"#member-{hood.workers[0].reports.get().pk} button").click()
    staff.wait_for_selector("text=已告知其所在党组织")
    assert YearAppraisal.objects.get().grade == "excellent"
    shot(staff, "117-community-appraisal")

    # the agreement due for renewal, from 待办
    staff.goto(f"{base}/")
    staff.get_by_role("link", name="去续签").click()
    staff.get_by_label("续签至").fill(f"{today.year + 2}-12-31")
    staff.get_by_role("button", name="续签").click()
    staff.wait_for_selector("text=已续签")
    assert Alliance.objects.get().ends_on.year == today.year + 2
    shot(staff, "118-community-alliance-renewed")

    # the community's figures: the chart is drawn
    staff.get_by_role("link", name="近邻党建").first.click()
    staff.get_by_role("link", name="数据统计").click()
    staff.wait_for_selector("#figChart canvas")
    staff.get_by_role("button", name="表格").click()
    staff.wait_for_selector("#figTable.show")
    shot(staff, "119-community-figures")
    desk.close()
    phone.close()

    # the member's branch: 民主评议 shows the community's appraisal; 报到证 prints
    held = today if today.month > 6 else today.replace(month=1, day=2)
    if (held.year if held.month > 6 else held.year - 1) != today.year:
        YearAppraisal.objects.update(year=held.year - 1)
    review = meetings.meeting_record(
        actor=secretary,
        organization=hood.office,
        kind="democratic_review",
        held_on=held,
        topic="年度民主评议",
        chair="书记",
        recorder="组织委员",
        minutes="<p>评议</p>",
    )
    office = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    sec = office.new_page()
    _sign_in(sec, base, "of_secretary", "ofsec001")
    sec.goto(f"{base}/meetings/{review.pk}/appraisal/")
    sec.wait_for_selector("text=中共示范社区委员会评价优秀（常年做楼道志愿服务）")
    shot(sec, "120-review-shows-community-appraisal")
    sec.goto(f"{base}/community/org/{hood.office.pk}/unit/")
    sec.wait_for_selector("text=优秀")
    with sec.expect_download() as dl:
        sec.get_by_role("link", name="打印报到证").click()
    assert dl.value.suggested_filename.endswith(".pdf")
    shot(sec, "121-unit-reporting-cards")
    office.close()
