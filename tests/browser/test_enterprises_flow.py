"""非公党建 in a real browser (issue 20): an instructor logs a visit with a follow-up on the phone
(390 px, 长辈模式) and the follow-up, once overdue, is in the committee's 待办; committee staff
read the coverage per park and open an uncovered enterprise; an organization's brand and honour
appear on the showcase. Screenshots 129–135."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from dangjian.enterprises import services
from dangjian.enterprises.models import FollowUp, InstructorVisit
from dangjian.members.models import Member
from dangjian.orgs.services import org_create, org_set_joint
from tests.browser.test_community_flow import _fits, _phone_login
from tests.browser.test_roster_flow import _backup_code, _sign_in
from tests.enterprises.test_register import codes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _zone(tree):
    def org(parent, code, name, kind="branch"):
        return org_create(
            actor=None, parent=parent, code=code, name=name, kind=kind, category="private",
            established_on=date(2020, 1, 1),
        )  # fmt: skip

    z = org(tree.district_a, "NZ", "中共甲区非公有制经济组织委员会", "committee")
    own = org(z, "NZ1", "中共鹭翔科技有限公司支部委员会")
    joint = org(z, "NZ2", "中共软件园联合支部委员会")
    org_set_joint(actor=None, organization=joint, is_joint=True)
    joint.refresh_from_db()
    soft = services.park_save(
        actor=None, name="软件园", organization=org(z, "NZP", "中共软件园联合委员会", "committee")
    )
    made = services.park_save(
        actor=None, name="产业园", organization=org(z, "NZQ", "中共产业园联合委员会", "committee")
    )
    cs = codes(8, seed=11)
    people = list(tree.members.values())

    def ent(i, name, park, **kw):
        return services.enterprise_save(
            actor=None,
            data=services.EnterpriseData(
                credit_code=cs[i], name=name, committee=z, park=park, employees=80, **kw
            ),
        )

    out = {
        "own": ent(0, "厦门鹭翔科技有限公司", soft, own_organization=own),
        "joint": ent(1, "厦门海信软件有限公司", soft, joint_branch=joint),
        "bare": ent(2, "厦门嘉禾智能有限公司", soft),
        "made": ent(3, "厦门恒泰制造有限公司", made),
    }
    for key, who in (("own", people[:2]), ("joint", people[2:3]), ("bare", people[3:5])):
        Member.objects.filter(pk__in=[p.pk for p in who]).update(employer=out[key].unit)
    return z, out


def test_an_instructor_logs_a_visit_and_the_overdue_follow_up_reaches_the_committee(
    browser, live_server, tree, users, shot
):
    z, ents = _zone(tree)
    today = timezone.localdate()
    me = tree.members["A1-2"]  # member1's own record
    ins = services.instructor_save(
        actor=None, name=me.name, kind="part", organization=tree.district_a, member=me
    )
    services.assignment_start(
        actor=None, instructor=ins, enterprise=ents["made"], since=today - timedelta(days=90)
    )
    phone, page = _phone_login(browser, live_server.url, "member1")
    page.get_by_text("走访联系企业（本季度未走访）").click()
    page.wait_for_selector("text=登记走访")
    assert page.get_by_text("本季度未走访").count() == 1
    page.get_by_label("走访企业").select_option(label="厦门恒泰制造有限公司")
    visited = today - timedelta(days=20)
    page.get_by_label("走访日期").fill(visited.isoformat())
    page.get_by_label("见面人员").fill("企业负责人陈某")
    page.get_by_label("指导建立组织").check()
    page.get_by_label("发展党员").check()
    page.get_by_label("发现问题").fill("3名党员组织关系在老家，尚未建立党组织")
    page.get_by_label("跟进事项", exact=True).fill("指导企业提交成立党支部的请示")
    page.get_by_label("办理期限").fill((visited + timedelta(days=10)).isoformat())
    _fits(page)
    shot(page, "129-enterprises-instructor-visit-form")
    page.get_by_role("button", name="保存走访").click()
    page.wait_for_selector("text=已登记走访")
    visit = InstructorVisit.objects.get()
    assert visit.topics == ["setup", "recruit"]
    assert FollowUp.objects.get(visit=visit).due_on == visited + timedelta(days=10)
    assert "本季度已走访" in page.locator("a.m-row", has_text="厦门恒泰制造有限公司").inner_text()
    page.locator("#elderToggle").check()
    _fits(page)
    shot(page, "130-enterprises-instructor-followups-elder")
    phone.close()

    # the committee: the follow-up is overdue, in 待办
    _backup_code(users["committee_staff"], "ent00001")
    desk = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = desk.new_page()
    _sign_in(page, live_server.url, "staff_da", "ent00001")
    page.wait_for_selector("text=工作台")
    item = page.get_by_text("督促办理逾期跟进事项：指导企业提交成立党支部的请示")
    item.wait_for()
    shot(page, "131-enterprises-overdue-followup-todo")
    page.get_by_role("link", name="查看").first.click()
    page.wait_for_selector("text=工作月报")
    assert page.get_by_text("已逾期").count() >= 1
    desk.close()


def test_committee_staff_see_coverage_per_park_and_open_an_uncovered_enterprise(
    browser, live_server, tree, users, shot
):
    z, _ents = _zone(tree)
    _backup_code(users["committee_staff"], "ent00002")
    desk = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = desk.new_page()
    _sign_in(page, live_server.url, "staff_da", "ent00002")
    page.wait_for_selector("text=工作台")
    page.goto(f"{live_server.url}/enterprises/org/{z.pk}/")
    page.get_by_test_id("org-rate").wait_for()
    # 4 enterprises: own + joint covered (50 %), the same for work (no instructor)
    assert page.get_by_test_id("org-rate").inner_text() == "50.0%"
    assert page.get_by_test_id("work-rate").inner_text() == "50.0%"
    page.wait_for_selector("#parkChart canvas")
    row = page.locator("tbody tr", has_text="软件园")
    assert "66.7%" in row.inner_text()
    shot(page, "132-enterprises-coverage-per-park")
    row.get_by_role("link", name="1").click()
    page.wait_for_selector("text=厦门嘉禾智能有限公司")
    assert page.locator("tbody tr").count() == 1
    shot(page, "133-enterprises-uncovered-list")
    page.get_by_role("link", name="厦门嘉禾智能有限公司").click()
    cover = page.get_by_test_id("coverage")
    cover.wait_for()
    assert "未建立党组织" in cover.inner_text()
    assert "党的工作未覆盖" in cover.inner_text()
    shot(page, "134-enterprises-uncovered-enterprise")
    page.set_viewport_size({"width": 390, "height": 844})
    _fits(page)
    desk.close()


def test_a_brand_and_an_honour_appear_on_the_showcase(browser, live_server, tree, users, shot):
    import io

    from PIL import Image

    _backup_code(users["committee_staff"], "ent00003")
    desk = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = desk.new_page()
    _sign_in(page, live_server.url, "staff_da", "ent00003")
    page.wait_for_selector("text=工作台")
    base = f"{live_server.url}/enterprises/org/{tree.branch_a1.pk}/showcase/new"
    page.goto(f"{base}/brand/")
    page.get_by_label("品牌名称").fill("蓝海红帆")
    page.get_by_label("创建年份").fill("2019")
    page.get_by_label("品牌内涵").fill("党建引领企业扬帆出海")
    buf = io.BytesIO()
    Image.new("RGB", (120, 120), (200, 22, 29)).save(buf, "JPEG")
    page.get_by_label("品牌标识").set_input_files(
        files=[{"name": "logo.jpg", "mimeType": "image/jpeg", "buffer": buf.getvalue()}]
    )
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("text=已登记")
    page.goto(f"{base}/honour/")
    page.get_by_label("荣誉称号").fill("全市先进基层党组织")
    page.get_by_label("授予机关").fill("中共厦门市委")
    page.get_by_label("级别").select_option("city")
    page.get_by_label("年度").fill(str(timezone.localdate().year))
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("text=已登记")
    # the district's showcase lists its subtree's, newest first
    page.goto(f"{live_server.url}/enterprises/org/{tree.district_a.pk}/showcase/")
    items = page.get_by_test_id("showcase").locator("li")
    assert "全市先进基层党组织" in items.nth(0).inner_text()
    assert "“蓝海红帆”" in items.nth(1).inner_text()
    page.wait_for_selector("img[alt='蓝海红帆标识']")
    shot(page, "135-enterprises-showcase")
    page.goto(f"{live_server.url}/orgs/{tree.branch_a1.pk}/")
    page.wait_for_selector("text=党建品牌")
    assert page.get_by_role("link", name="“蓝海红帆”").count() == 1
    desk.close()
