"""城市党建学院 in a real browser (issue 21): a branch nominates a development object; the
organizer accepts and publishes the roster; the trainee opens the trainee link on the phone and
signs in by the room's QR code; the organizer assesses the class; the trainee downloads the
certificate and its QR code verifies it. Screenshots 136–141."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.utils import timezone

from dangjian.academy import services
from dangjian.academy.models import Certificate, Enrolment, Presence
from tests.academy.helpers import development_object, kind
from tests.browser.test_community_flow import _fits
from tests.browser.test_roster_flow import _backup_code, _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_nominate_accept_publish_sign_in_by_qr_and_download_the_certificate(
    browser, live_server, tree, users, shot
):
    c = development_object(users, tree, 1)
    today = timezone.localdate()
    now = timezone.localtime()
    k = services.class_create(
        actor=users["committee_staff"],
        data=services.ClassData(
            kind=kind("development"),
            organizer=tree.district_a,
            title="发展对象培训班（第3期）",
            starts_on=today - timedelta(days=2),
            ends_on=today,
            capacity=40,
            place="区委党校报告厅",
            eligible=["development"],
            min_attendance=80,
            pass_score=60,
        ),
    )
    for d in (2, 1):
        services.session_add(
            actor=users["committee_staff"],
            klass=k,
            on=today - timedelta(days=d),
            starts_at=time(9),
            ends_at=time(17),
            topic=f"党章学习（第{3 - d}讲）",
            hours=8,
        )
    # today's session runs from 10 minutes ago to 50 minutes on, within today: just after
    # midnight it starts at 00:00 (10 minutes ago was yesterday), just before it ends at 23:59
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    start = max(now - timedelta(minutes=10), midnight).time().replace(second=0, microsecond=0)
    end = (now + timedelta(minutes=50)).time().replace(second=0, microsecond=0)
    if end <= start:
        end = time(23, 59)
    today_session = services.session_add(
        actor=users["committee_staff"],
        klass=k,
        on=today,
        starts_at=start,
        ends_at=end,
        topic="入党誓词与党员义务",
        hours=8,
    )
    _backup_code(users["branch_worker"], "acad0001")
    _backup_code(users["committee_staff"], "acad0002")

    # the branch nominates its development object
    desk = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = desk.new_page()
    _sign_in(page, live_server.url, "worker_a1", "acad0001")
    page.wait_for_selector("text=工作台")
    page.goto(f"{live_server.url}/academy/{k.pk}/")
    page.get_by_role("link", name="推荐学员").click()
    page.get_by_label(f"{c.name}（发展对象，甲一党支部）").check()
    page.get_by_label("推荐理由").fill("已完成政治审查")
    shot(page, "136-academy-branch-nominates")
    page.get_by_role("button", name="推荐").click()
    page.wait_for_selector("text=已推荐1人")
    desk.close()

    # the organizer accepts from its 待办 and publishes the roster
    desk = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = desk.new_page()
    _sign_in(page, live_server.url, "staff_da", "acad0002")
    page.wait_for_selector("text=工作台")
    page.get_by_text(f"审核培训班推荐：{k.title}").wait_for()
    page.get_by_role("link", name="去审核").first.click()
    page.wait_for_selector("text=待审核的推荐")
    page.get_by_role("button", name="录取选中人员").click()
    page.wait_for_selector("text=已录取1人")
    page.get_by_role("button", name="公布名单").click()
    page.wait_for_selector("text=名单已公布")
    page.get_by_text("学员链接").click()
    pass_url = page.get_by_test_id("pass-link").inner_text().strip()
    shot(page, "137-academy-roster-published")
    page.goto(f"{live_server.url}/academy/session/{today_session.pk}/")
    page.wait_for_selector(".qr svg")
    sign_url = page.locator("#sign-url").inner_text().strip()
    shot(page, "138-academy-room-qr")

    # the trainee, on the phone: the trainee link, then the room's QR code
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    mobile = phone.new_page()
    mobile.on("dialog", lambda d: d.accept())
    mobile.goto(pass_url.replace("http://testserver", live_server.url))
    mobile.wait_for_selector(f"text={k.title}")
    mobile.goto(sign_url.replace("http://testserver", live_server.url))
    mobile.wait_for_selector(f"text={c.name}")
    mobile.get_by_role("button", name="签到").click()
    mobile.wait_for_selector("text=签到成功")
    _fits(mobile)
    shot(mobile, "139-academy-trainee-signed-in")

    # the earlier days' attendance and the paper exam, recorded by the class staff
    e = Enrolment.objects.get(klass=k, candidate=c)
    for s in k.sessions.exclude(pk=today_session.pk):
        services.attendance_mark(
            actor=users["committee_staff"], session=s, enrolment=e, status=Presence.PRESENT
        )
    services.exam_score_record(actor=users["committee_staff"], enrolment=e, score=88)
    page.goto(f"{live_server.url}/academy/{k.pk}/")
    page.get_by_role("button", name="结业评定").click()
    page.wait_for_selector("text=结业评定完成：1人结业")
    assert page.get_by_text("已填入发展档案").count() == 1
    shot(page, "140-academy-assessed")
    desk.close()

    # later: the certificate on the phone, and its QR code verified
    mobile.goto(pass_url.replace("http://testserver", live_server.url))
    link = mobile.get_by_role("link", name="下载结业证书")
    with mobile.expect_download() as dl:
        link.click()
    data = open(dl.value.path(), "rb").read()  # noqa: PTH123, SIM115
    assert data.startswith(b"%PDF")
    cert = Certificate.objects.get(enrolment=e)
    mobile.goto(f"{live_server.url}/academy/verify/{cert.token}/")
    assert mobile.locator("#verdict").inner_text().strip().endswith("有效")
    _fits(mobile)
    shot(mobile, "141-academy-certificate-verified")
    phone.close()
    c.refresh_from_db()
    assert c.training_source == "academy"
    assert cert.number in c.training_note
