"""组团帮扶 in a real browser (issue 19): a resident work team member logs the day and a household
visit on the phone (390 px, 长辈模式); the district's staff read the village summary and drill into
a weak village; a unit adopts a plot and records the harvest with its members and a photo.
Screenshots 122–128."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from dangjian.orgs.services import org_create
from dangjian.villages import services
from dangjian.villages.models import PlotActivity, Presence, Visit
from tests.browser.test_community_flow import _fits, _jpeg, _phone_login, images_loaded
from tests.browser.test_roster_flow import _backup_code, _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _villages(tree):
    out = []
    for k, (name, y1, y2) in enumerate(
        (("莲花村", "1000000", "1250000.50"), ("溪东村", "800000", "86000"), ("后埔村", "0", "0"))
    ):
        org = org_create(
            actor=None, parent=tree.district_a, code=f"VO{k}", name=f"中共{name}委员会",
            kind="committee", category="village", established_on=date(2000, 1, 1),
        )  # fmt: skip
        v = services.village_save(
            actor=None, code=f"V{k}", name=name, town="莲花镇", district="甲区",
            organization=org, population=3000, households=900, key=k == 0,
        )  # fmt: skip
        last = timezone.localdate().year - 1
        if y1 != "0":
            services.income_record(actor=None, village=v, year=last - 1, collective=y1)
            services.income_record(actor=None, village=v, year=last, collective=y2)
        out.append(v)
    return out


def test_a_resident_logs_the_day_and_a_visit_on_the_phone(browser, live_server, tree, users, shot):
    [v, *_] = _villages(tree)
    today = timezone.localdate()
    services.resident_post(
        actor=None, village=v, member=tree.members["A1-2"], role="first_secretary",
        unit=tree.branch_a1, arrived_on=today - timedelta(days=60),
    )  # fmt: skip
    ctx, page = _phone_login(browser, live_server.url, "member1")
    page.get_by_text("登记今日在岗情况（莲花村）").click()
    page.wait_for_selector("text=今日在岗")
    page.get_by_label("在村情况").select_option("0")
    page.get_by_role("button", name="登记在岗").click()
    page.wait_for_selector("text=请填写不在村原因")
    page.get_by_label("在村情况").select_option("1")
    page.get_by_role("button", name="登记在岗").click()
    page.wait_for_selector("text=已登记在岗情况")
    assert Presence.objects.get().on_site is True
    _fits(page)
    shot(page, "122-villages-presence-logged")
    page.get_by_text("登记入户走访").click()
    page.get_by_label("走访农户").fill("王大伯家")
    page.get_by_label("群众诉求").fill("村口路灯坏了")
    page.get_by_role("button", name="保存走访").click()
    page.wait_for_selector("text=已登记入户走访")
    assert Visit.objects.get().asked == "村口路灯坏了"
    page.locator("#elderToggle").check()
    _fits(page)
    shot(page, "123-villages-visit-elder")
    ctx.close()


def test_district_staff_read_the_summary_and_drill_into_a_weak_village(
    browser, live_server, tree, users, shot
):
    _villages(tree)
    _backup_code(users["committee_staff"], "vill0001")
    desk = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = desk.new_page()
    _sign_in(page, live_server.url, "staff_da", "vill0001")
    page.wait_for_selector("text=工作台")
    page.get_by_role("link", name="组团帮扶").first.click()
    headline = page.get_by_test_id("headline")
    headline.wait_for()
    # 1,336,000.50 元 against 1,800,000: down 25.8 %, 66.80 万 a village (under 1 亿: 万元)
    assert headline.inner_text() == "133.60万元，同比下降25.8%，村均66.80万元"
    page.wait_for_selector("#areaChart canvas")
    page.get_by_role("button", name="表格").click()
    page.wait_for_selector("#areaTable table")
    shot(page, "124-villages-summary")
    page.get_by_role("link", name="溪东村").click()
    page.wait_for_selector("text=薄弱村标准")
    assert page.locator(".badge", has_text="薄弱村").count() == 1
    shot(page, "125-villages-weak-village")
    page.get_by_role("link", name="村集体经济").click()
    page.get_by_role("link", name="行政村").click()
    page.get_by_label("收入情况").select_option("none")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_selector("text=后埔村")
    assert page.locator("tbody tr").count() == 1
    shot(page, "126-villages-list-unreported")
    # the same pages on a phone: nothing scrolls sideways
    page.set_viewport_size({"width": 390, "height": 844})
    for path in (page.url, page.url.split("villages/?")[0]):
        page.goto(path)
        _fits(page)
    desk.close()


def test_a_unit_adopts_a_plot_and_records_the_harvest(browser, live_server, tree, users, shot):
    [v, *_] = _villages(tree)
    plot = services.plot_save(actor=None, village=v, code="P001", area_mu="4.5", crop="水稻")
    _backup_code(users["branch_worker"], "unit0001")
    desk = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = desk.new_page()
    _sign_in(page, live_server.url, "worker_a1", "unit0001")
    page.wait_for_selector("text=工作台")
    page.get_by_role("link", name="组团帮扶").first.click()
    page.get_by_role("link", name="我在乡间有亩田").click()
    page.get_by_role("link", name="认领", exact=True).click()
    page.wait_for_selector("text=认领地块 P001")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("text=已认领地块P001")
    page.get_by_role("link", name="记录农事活动").click()
    page.get_by_label("活动 *").select_option("harvest")
    member = tree.members["A1-1"]
    page.get_by_label("参加党员").fill(member.member_no)
    page.get_by_role("option", name=f"{member.name}（{member.member_no}）").click()
    page.get_by_label("收获（公斤）").fill("520.5")
    page.get_by_label("去向").fill("捐赠给机关食堂")
    page.set_input_files(
        "input[type=file]",
        files=[{"name": "收割.jpg", "mimeType": "image/jpeg", "buffer": _jpeg("gold")}],
    )
    shot(page, "127-villages-harvest-form")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("text=已记录地块活动")
    page.wait_for_selector("text=收获 520.5 公斤")
    act = PlotActivity.objects.get(adoption__plot=plot)
    assert list(act.members.all()) == [member]
    assert act.photos.count() == 1
    images_loaded(page)
    shot(page, "128-villages-plot-harvested")
    desk.close()
