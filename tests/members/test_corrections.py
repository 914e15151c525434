"""A member's own data (issue 16, F2): the download holds exactly their rows (and no secret), and a
correction they ask for is decided by the branch — applied as an audited edit, or declined with a
reason — with the branch told, the item in its 待办, and the member told of the answer."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dangjian.audit.models import AuditEvent
from dangjian.fees import services as fee_services
from dangjian.members.models import Correction, Member
from dangjian.notify.models import Notice
from dangjian.web import todo
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_the_download_holds_exactly_the_members_rows(client, tree, users):
    for back in range(6):  # six ledger rows, each pointing at its organization
        fee_services.ledger_generate(month=fee_services.current_index() - back)
    me = tree.members["A1-2"]
    other = tree.members["A1-3"]
    login(client, users["member"])
    with CaptureQueriesContext(connection) as q:
        resp = client.get(reverse("portal:me_data"))
    assert resp.status_code == 200
    # one query per related table (the rows' own references joined in), not one per row; the
    # member's own record and organization are two reads (members.selectors.own_member)
    assert len(q.captured_queries) <= len(Member._meta.related_objects) + 12
    assert resp["Content-Disposition"].startswith("attachment")
    text = resp.content.decode()
    data = json.loads(text)
    assert data["党员信息"]["身份证号"] == me.id_number()  # their own, in full
    assert data["党员信息"]["党员编号"] == me.member_no
    months = data["相关记录"]["党费台账"]
    assert len(months) == me.fee_months.count() > 0
    assert other.member_no not in text
    assert other.name not in text
    for secret in ("pbkdf2", "argon2", "v1:", me.id_number_index):
        assert secret not in text
    event = AuditEvent.objects.get(action="members.data_download")
    assert event.actor == users["member"]
    assert event.data["rows"] == sum(len(v) for v in data["相关记录"].values())


def test_a_correction_asked_on_the_phone_and_applied_by_the_branch(client, tree, users):
    me = tree.members["A1-2"]
    login(client, users["member"])
    url = reverse("portal:me_info")
    bad = client.post(url, {"field": "id_number", "value": "123", "reason": "录错了"})
    assert bad.status_code == 200
    assert bad.context["form"].errors["value"]
    resp = client.post(url, {"field": "education", "value": "研究生", "reason": "已取得硕士学位"})
    assert resp.status_code == 302
    c = Correction.objects.get()
    assert c.value_masked == "研究生"
    assert Notice.objects.filter(user=users["branch_worker"], title__contains="更正").exists()
    items = todo.staff_todos(users["branch_worker"], timezone.localdate()).items
    assert any(i.kind == "member" and me.name in i.title for i in items)

    login(client, users["branch_worker"])
    page = client.get(reverse("members:detail", args=[me.pk])).content.decode()
    assert "同意并更正" in page
    decide = reverse("members:correction_decide", args=[me.pk, c.pk])
    client.post(decide, {"approve": "0"})  # declining needs a reason
    c.refresh_from_db()
    assert c.status == "pending"
    client.post(decide, {"approve": "1"})
    c.refresh_from_db()
    assert c.status == "approved"
    me = Member.objects.get(pk=me.pk)
    assert me.get_education_display() == "研究生"
    applied = AuditEvent.objects.get(action="members.correction_apply")
    assert "education" in applied.data["changes"]
    assert Notice.objects.filter(user=users["member"], title="个人信息已更正").exists()
    assert not any(
        i.kind == "member"
        for i in todo.staff_todos(users["branch_worker"], timezone.localdate()).items
    )
