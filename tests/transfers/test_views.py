"""The transfer pages: the member's portal, the committee's actions, the letter's PDF and signed
file, batch with preview, letters from outside, mobile and lost-contact members, the keys page; bad
input answered in Chinese naming the field; the lists' queries counted."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.audit.models import AuditEvent
from dangjian.members.models import Member
from dangjian.transfers import services
from dangjian.transfers.models import (
    ExchangeKey,
    IncomingLetter,
    LostContact,
    MobileMember,
    Transfer,
    TrustedKey,
)
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_member_starts_from_the_portal_and_sees_where_it_stands(client, tree, users):
    login(client, users["member"])
    url = reverse("transfers:my")
    assert "申请转接" in client.get(url).content.decode()
    resp = client.post(url, {"action": "start", "to_org": tree.group_a1.name, "reason": "迁居"})
    assert resp.status_code == 200
    assert "没有名为“甲一第一党小组”的党支部" in resp.content.decode()  # only branches receive
    resp = client.post(url, {"action": "start", "to_org": "乙一", "reason": "迁居"})
    assert "您是否要找：乙一党支部（B1）" in resp.content.decode()
    assert not Transfer.objects.exists()
    resp = client.post(url, {"action": "start", "reason": "迁居"})
    assert "请选择转入的党支部" in resp.content.decode()
    client.post(url, {"action": "start", "to_org": "乙一党支部", "reason": "迁居"})
    t = Transfer.objects.get()
    assert (t.member_id, t.to_org_id, t.stage) == (
        tree.members["A1-2"].pk,
        tree.branch_b1.pk,
        "started",
    )
    page = client.get(url).content.decode()
    assert "正在办理" in page and "待办理" in page  # noqa: PT018
    client.post(url, {"action": "cancel"})
    assert Transfer.objects.get().status == "cancelled"


def test_committees_act_and_the_letter_downloads(client, tree, users):
    t = services.transfer_start(
        actor=users["member"], member=tree.members["A1-2"], to_org=tree.branch_b1, reason="工作调动"
    )
    act = reverse("transfers:act", args=[t.pk])
    login(client, users["branch_worker"])
    assert "同意并开具" not in client.get(reverse("transfers:detail", args=[t.pk])).content.decode()
    login(client, users["committee_staff"])
    assert "同意并开具" in client.get(reverse("transfers:detail", args=[t.pk])).content.decode()
    client.post(act, {"action": "issue", "valid_days": "181"})
    assert Transfer.objects.get().stage == "started"  # refused: over six months
    client.post(act, {"action": "issue", "valid_days": "60"})
    t.refresh_from_db()
    assert (t.stage, t.valid_days) == ("issued", 60)
    from dangjian.notify.models import Notice

    # the member hears the letter is ready; the receiving committee, that it has to agree
    assert set(Notice.objects.values_list("user__username", "title")) >= {
        ("member1", "介绍信已开具"),
        ("staff_db", "组织关系转入待同意"),
        ("staff_da", "组织关系转接待审批"),
    }
    resp = client.get(reverse("transfers:pdf", args=[t.pk]))
    assert resp.status_code == 200
    assert resp["Content-Type"] == "application/pdf"
    assert AuditEvent.objects.filter(action="transfers.export").count() == 1
    login(client, users["sibling_staff"])
    client.post(act, {"action": "agree"})
    client.post(act, {"action": "accept"})
    assert Member.objects.get(pk=tree.members["A1-2"].pk).organization_id == tree.branch_b1.pk


def test_list_queries_do_not_grow_with_rows(client, tree, users):
    login(client, users["committee_staff"])
    url = reverse("transfers:list", args=[tree.district_a.pk]) + "?status=all"
    services.transfer_start(
        actor=users["branch_worker"], member=tree.members["A1-1"], to_name="外单位"
    )
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for k in ("A1-3", "A1-4", "A2-5"):
        services.transfer_start(
            actor=users["committee_staff"], member=tree.members[k], to_org=tree.branch_b1
        )
    with CaptureQueriesContext(connection) as four:
        page = client.get(url).content.decode()
    assert len(four) == len(one)
    assert page.count("转接中") >= 4


def test_batch_preview_then_confirm(client, tree, users):
    login(client, users["committee_staff"])
    url = reverse("transfers:batch", args=[tree.district_a.pk])
    nos = "\n".join(tree.members[k].member_no for k in ("A1-1", "A2-5"))
    resp = client.post(
        url, {"member_nos": nos + "\nNOPE", "to_org": "B1", "reason": "机构调整", "valid_days": 90}
    )
    assert "以下编号不在" in resp.content.decode()
    resp = client.post(
        url,
        {"member_nos": nos, "to_org": "B1", "reason": "机构调整", "valid_days": 90, "confirm": "0"},
    )
    assert "可以转接" in resp.content.decode()
    assert not Transfer.objects.exists()  # a preview writes nothing
    resp = client.post(
        url,
        {"member_nos": nos, "to_org": "B1", "reason": "机构调整", "valid_days": 90, "confirm": "1"},
    )
    assert resp.status_code == 302
    assert Transfer.objects.filter(stage="issued").count() == 2


def test_keys_page_and_signed_letter_upload(client, tree, users):
    login(client, users["security_admin"])
    client.post(reverse("transfers:keys"), {"action": "generate", "deployment": "外市平台"})
    k = ExchangeKey.objects.get()
    published = client.get(reverse("transfers:published_keys")).json()
    assert published["keys"][0]["key_id"] == k.key_id
    assert "private" not in json.dumps(published)
    # a letter signed "elsewhere": our key becomes the trusted foreign one
    t = services.transfer_start(
        actor=users["branch_worker"], member=tree.members["A1-3"], to_name="示范市"
    )
    t = services.transfer_issue(actor=users["committee_staff"], transfer=t)
    TrustedKey.objects.create(key_id=k.key_id, deployment="外市平台", public_key=k.public_key)
    ExchangeKey.objects.all().delete()
    Transfer.objects.all().delete()
    Member.objects.filter(pk=tree.members["A1-3"].pk).update(member_no="OLD", id_number_index="x")
    login(client, users["sibling_staff"])
    url = reverse("transfers:incoming_new", args=[tree.district_b.pk])
    resp = client.post(
        url, {"mode": "signed", "to_org": tree.branch_b1.pk, "token": t.token[:-3] + "AAA"}
    )
    assert resp.status_code == 400
    assert "签名验证失败" in resp.content.decode() or "损坏" in resp.content.decode()
    resp = client.post(url, {"mode": "signed", "to_org": tree.branch_b1.pk, "token": t.token})
    lt = IncomingLetter.objects.get()
    assert resp.status_code == 302
    client.post(reverse("transfers:incoming", args=[lt.pk]), {"action": "accept"})
    assert Member.objects.get(member_no=lt.member_no).organization_id == tree.branch_b1.pk


def test_paper_letter_form_names_the_field(client, tree, users):
    login(client, users["sibling_staff"])
    resp = client.post(
        reverse("transfers:incoming_new", args=[tree.branch_b1.pk]),
        {
            "mode": "paper",
            "letter_no": "P-1",
            "from_name": "外省",
            "to_org": tree.branch_b1.pk,
            "member_no": "P1",
            "name": "甲",
            "gender": "男",
            "birth_date": "1990-01-01",
            "id_number": "123",
            "member_status": "full",
            "joined_on": "2015-01-01",
            "full_on": "2016-01-01",
            "issued_on": "2026-01-01",
            "valid_days": "400",
        },
    )
    assert resp.status_code == 400
    assert "有效期" in resp.content.decode()
    assert not IncomingLetter.objects.exists()


def test_mobile_and_lost_pages(client, tree, users):
    login(client, users["branch_worker"])
    m = tree.members["A1-3"]
    resp = client.post(
        reverse("transfers:mobile_new", args=[tree.branch_a1.pk]),
        {
            "direction": "out",
            "member": m.member_no,
            "place": "",
            "reason": "务工",
            "since": "2026-01-05",
        },
    )
    assert "必填" in resp.content.decode()
    assert not MobileMember.objects.exists()
    client.post(
        reverse("transfers:mobile_new", args=[tree.branch_a1.pk]),
        {
            "direction": "out",
            "member": m.member_no,
            "place": "深圳",
            "reason": "务工",
            "since": "2026-01-05",
            "fixed_place": "on",
        },
    )
    mm = MobileMember.objects.get()
    client.post(
        reverse("transfers:mobile", args=[mm.pk]),
        {"action": "report", "on": "2026-02-01", "content": "近况良好"},
    )
    assert mm.reports.count() == 1
    page = client.get(
        reverse("transfers:list", args=[tree.branch_a1.pk]) + "?tab=mobile"
    ).content.decode()
    assert "深圳" in page and "固定处所" in page  # noqa: PT018
    client.post(
        reverse("transfers:lost_new", args=[tree.branch_a1.pk]),
        {"member": tree.members["A1-4"].member_no, "since": "2025-01-01"},
    )
    lc = LostContact.objects.get()
    client.post(
        reverse("transfers:lost", args=[lc.pk]), {"decision": "suspend", "on": "2025-03-01"}
    )
    lc.refresh_from_db()
    assert lc.status == "open"  # refused: not yet six months
    client.post(
        reverse("transfers:lost", args=[lc.pk]), {"decision": "suspend", "on": "2025-08-01"}
    )
    lc.refresh_from_db()
    assert (lc.status, Member.objects.get(pk=tree.members["A1-4"].pk).status) == (
        "suspended",
        "suspended",
    )


def test_a_mobile_members_contact_is_encrypted_and_shown_masked(client, tree, users):
    from dangjian.transfers.models import MobileMember

    mm = services.mobile_register(
        actor=users["branch_worker"],
        direction="in",
        organization=tree.branch_a1,
        name="外来党员甲",
        home_org="外省某村党支部",
        place="本社区",
        reason="务工",
        since=date(2026, 1, 5),
        contact="13912345678",
    )
    row = MobileMember.objects.filter(pk=mm.pk).values().get()
    assert "13912345678" not in str(row)  # no column holds it in clear
    assert row["contact_masked"] == "139****5678"
    assert MobileMember.objects.get(pk=mm.pk).contact() == "13912345678"
    login(client, users["branch_worker"])
    for url in (
        reverse("transfers:mobile", args=[mm.pk]),
        reverse("transfers:list", args=[tree.branch_a1.pk]) + "?tab=mobile&direction=in",
    ):
        html = client.get(url).content.decode()
        assert "139****5678" in html
        assert "13912345678" not in html


def test_the_letter_with_the_full_id_only_for_those_who_may_unmask(client, tree, users):
    t = services.transfer_start(
        actor=users["branch_worker"], member=tree.members["A1-1"], to_name="外单位"
    )
    services.transfer_issue(actor=users["committee_staff"], transfer=t, valid_days=30)
    pdf = reverse("transfers:pdf", args=[t.pk])
    for role, status in (("branch_worker", 403), ("supervisor", 403), ("committee_staff", 200)):
        login(client, users[role])
        assert client.get(pdf).status_code == status, role
        detail = client.get(reverse("transfers:detail", args=[t.pk])).content.decode()
        assert ("letterPdf" in detail) == (status == 200), role
    assert (
        AuditEvent.objects.filter(
            action="accounts.access_denied", data__reason="letter_needs_unmask"
        ).count()
        == 2
    )
    assert AuditEvent.objects.filter(action="transfers.export").count() == 1
