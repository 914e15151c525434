"""Findings follow the act (issue 22): the branch that records its missing 支部委员会 sees the
LIFE-02 finding and its mark gone on the very next page — no scan in between."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from dangjian.compliance.models import Finding, OrgStatus, ScanRun
from dangjian.compliance.services import scan_run
from dangjian.orgs.services import post_assign
from tests.browser.test_supervision_flow import _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_recording_the_missing_committee_meeting_clears_life_02(
    browser, live_server, tree, users, shot
):
    base = live_server.url
    a1 = tree.branch_a1
    for n, post in enumerate(["deputy_secretary", "organization"]):  # 甲一 has a committee
        post_assign(
            actor=None,
            organization=a1,
            member=tree.members[f"A1-{n + 2}"],
            post=post,
            started_on=date(2020, 1, 1),
        )
    today = timezone.localdate()
    scan_run(as_of=today)  # last night's scan
    finding = (
        Finding.objects.filter(rule_id="LIFE-02", organization=a1, closed_on__isnull=True)
        .order_by("period")  # the first row of the dashboard's LIFE-02 list
        .first()
    )
    assert finding is not None
    year, month = int(finding.period[:4]), int(finding.period[5:])
    runs = ScanRun.objects.count()
    life_before = OrgStatus.objects.get(organization=a1).counts["category"]["life"]

    ctx, page = _sign_in(browser, base, users["branch_worker"], "follow01")
    page.goto(f"{base}/monitor/?org={a1.pk}&rule=LIFE-02")
    row = page.locator("tr", has_text=finding.message)
    row.wait_for()
    shot(page, "142-life02-red-before")

    page.goto(f"{base}/meetings/org/{a1.pk}/record/?kind=committee_meeting")
    page.get_by_label("召开日期").fill(date(year, month, 20).isoformat())
    page.get_by_label("主题").fill(f"{month}月支部委员会会议")
    page.get_by_label("主持人").fill("王书记")
    page.get_by_label("记录人").fill("李委员")
    page.locator("#minutes-editor").click()
    page.keyboard.type("研究本月发展党员和党费收缴工作。")
    page.get_by_label("决定事项").fill("按期召开党员大会")
    page.get_by_role("button", name="保存会议记录").click()
    page.wait_for_selector("text=已登记会议记录")

    page.goto(f"{base}/monitor/?org={a1.pk}&rule=LIFE-02")
    page.wait_for_selector("main h1")
    assert page.locator("tr", has_text=finding.message).count() == 0
    shot(page, "143-life02-gone-after-record")
    finding.refresh_from_db()
    assert finding.closed_on == today
    assert ScanRun.objects.count() == runs  # no scan ran: the act itself was followed
    status = OrgStatus.objects.get(organization=a1)
    assert status.counts["category"].get("life", 0) < life_before
    ctx.close()
