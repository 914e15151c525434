"""The committee's organizer (组织员, who also acts for the branch) takes an applicant from
application to probationary member through the pipeline pages; the new member is on the roster
with party fees due from the admission month."""

from __future__ import annotations

import pytest

from dangjian.fees.models import FeeMonth, month_index
from dangjian.members.models import Member
from tests.browser.test_supervision_flow import _sign_in
from tests.conftest import make_id

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_application_to_probationary_member(browser, live_server, tree, users, shot):
    from datetime import date

    base = live_server.url
    ctx, page = _sign_in(browser, base, users["committee_staff"], "recr0001")
    page.goto(f"{base}/recruitment/org/{tree.branch_a1.pk}/")
    page.wait_for_selector("text=本支部没有在办的发展党员档案")
    page.get_by_role("link", name="受理入党申请").click()
    page.get_by_label("编号").fill("R2023001")
    page.get_by_label("姓名").fill("林晓东")
    page.get_by_label("性别").select_option("男")
    page.get_by_label("出生日期").fill("1998-03-01")
    page.get_by_label("身份证号").fill(make_id(901, date(1998, 3, 1), True))
    page.get_by_label("递交申请日期").fill("2023-01-05")
    page.get_by_role("button", name="建立档案").click()
    page.wait_for_selector("text=已受理林晓东的入党申请")

    a1 = {
        m.name: str(m.pk) for m in tree.members.values() if m.organization_id == tree.branch_a1.pk
    }

    def do(step: int, on: str, **fields: object) -> None:
        page.wait_for_selector(f"text=办理第{step}步")
        page.locator("#id_on").fill(on)
        for label, value in fields.items():
            el = page.get_by_label(label)
            if isinstance(value, list):
                el.select_option(value)
            elif label == "党费类别":
                el.select_option(str(value))
            else:
                el.fill(str(value))
        page.get_by_role("button", name="登记", exact=True).click()
        page.wait_for_selector(f"text=已登记第{step}步")

    do(2, "2023-01-20")
    do(3, "2023-04-01")
    do(4, "2023-04-05")
    do(5, "2023-04-06", **{"培养联系人（1至2名正式党员）": [a1["党员1"]]})
    do(6, "2023-10-06", 考察意见="政治立场坚定，工作积极")
    # a development object less than a year after becoming an activist is refused, with the dates
    page.locator("#id_on").fill("2024-03-01")
    page.get_by_role("button", name="登记", exact=True).click()
    page.wait_for_selector("text=2024-04-01起方可确定为发展对象")
    shot(page, "40-recruitment-refused-too-early")
    do(7, "2024-04-01")
    do(8, "2024-04-02")
    do(9, "2024-04-03", **{"入党介绍人（2名正式党员）": [a1["党员1"], a1["党员3"]]})
    do(10, "2024-04-10")
    do(11, "2024-04-20", 培训天数=3)
    do(12, "2024-04-25")
    do(13, "2024-05-06")
    do(14, "2024-05-08")
    page.get_by_label("开始").fill("2024-05-13")
    page.get_by_label("结束").fill("2024-05-17")
    page.locator("form[action$='/notice/'] button").click()
    page.wait_for_selector("text=已登记公示")
    do(15, "2024-06-01", 应到有表决权正式党员=4, 实到有表决权正式党员=4, 赞成=4, 反对=0, 弃权=0)
    do(16, "2024-06-20")
    do(17, "2024-07-01", 党费类别="employed", **{"党费计算基数（元）": "8000"})
    page.wait_for_selector("text=已接收为预备党员")
    shot(page, "41-recruitment-admitted")
    with page.expect_download() as info:
        page.get_by_role("link", name="全程纪实PDF").click()
    assert info.value.path().read_bytes().startswith(b"%PDF")

    page.goto(f"{base}/members/?org={tree.branch_a1.pk}")
    page.wait_for_selector("text=林晓东")
    shot(page, "42-recruitment-on-roster")
    ctx.close()
    m = Member.objects.get(member_no="R2023001")
    assert (m.status, m.joined_on) == ("probationary", date(2024, 6, 1))
    first = FeeMonth.objects.filter(member=m).order_by("month_index").first()
    today = date.today()  # noqa: DTZ011
    # from the admission month, within the 24 months the ledger is opened over
    assert first.month_index == max(month_index(2024, 6), month_index(today.year, today.month) - 24)
    assert first.due_fen == 12000
