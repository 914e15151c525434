import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.audit.models import AuditEvent
from dangjian.core import crypto
from dangjian.core.errors import DomainError
from dangjian.members import selectors, services
from dangjian.members.models import Member, MemberEvent
from dangjian.orgs.services import post_assign
from tests.conftest import login, make_id, member_data

pytestmark = pytest.mark.django_db
FULL_ID = re.compile(r"\b\d{17}[\dX]\b")
FULL_PHONE = re.compile(r"\b1[3-9]\d{9}\b")


def test_personal_data_is_encrypted_at_rest(tree):
    m = tree.members["A1-1"]
    row = (
        Member.objects.filter(pk=m.pk)
        .values("id_number_encrypted", "phone_encrypted", "id_number_masked")
        .get()
    )
    assert not FULL_ID.search(row["id_number_encrypted"])
    assert row["id_number_masked"].count("*") == 8
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM members_member")
        dump = " ".join(str(v) for r in cur.fetchall() for v in r)
    assert not FULL_ID.search(dump)
    assert not FULL_PHONE.search(dump)


def test_list_and_api_are_masked(client, tree, users):
    login(client, users["committee_staff"])
    page = client.get(reverse("members:list")).content.decode()
    assert "党员1" in page
    assert not FULL_ID.search(page)
    assert not FULL_PHONE.search(page)
    api = client.get("/api/v1/members/").content.decode()
    assert not FULL_ID.search(api)
    assert not FULL_PHONE.search(api)


def test_search_by_full_id_number_uses_blind_index(client, tree, users):
    login(client, users["committee_staff"])
    target = tree.members["A2-5"]
    resp = client.get(reverse("members:list"), {"q": target.id_number()})
    body = resp.content.decode()
    assert "党员5" in body
    assert "党员6" not in body
    assert resp.context["page"].paginator.count == 1


def test_detail_view_is_logged_and_unmask_is_audited(client, tree, users):
    staff = users["committee_staff"]
    login(client, staff)
    m = tree.members["A1-1"]
    client.get(reverse("members:detail", args=[m.pk]))
    assert (
        AuditEvent.objects.filter(action="members.view", object_id=str(m.pk), actor=staff).count()
        == 1
    )
    resp = client.post(reverse("members:unmask", args=[m.pk, "id_number"]))
    assert resp.json()["value"] == m.id_number()
    ev = AuditEvent.objects.get(action="members.unmask", object_id=str(m.pk))
    assert ev.data == {"field": "id_number"}
    assert ev.result == "success"


def test_unmask_without_permission_is_refused_and_audited(client, tree, users):
    login(client, users["branch_worker"])
    m = tree.members["A1-1"]
    resp = client.post(reverse("members:unmask", args=[m.pk, "phone"]))
    assert resp.status_code == 403
    assert AuditEvent.objects.get(action="members.unmask").result == "denied"


@pytest.mark.parametrize("extra", [0, 12])
def test_member_list_query_count_does_not_grow(
    client, tree, users, django_assert_num_queries, extra
):
    for i in range(extra):
        services.member_create(
            actor=None,
            organization=tree.branch_a2,
            member_no=f"X{i:03d}",
            data=member_data(100 + i),
        )
    login(client, users["committee_staff"])
    client.get(reverse("members:list"))  # warm the session
    # session with its user, grants and unread reminders, otp device, subtree size, count, page (a
    # page view writes no session)
    with django_assert_num_queries(5):
        resp = client.get(reverse("members:list"))
    assert len(resp.context["page"].object_list) == min(20, 7 + extra)


@pytest.mark.parametrize("extra", [0, 12])
def test_org_page_query_count_does_not_grow(client, tree, users, django_assert_num_queries, extra):
    for i in range(extra):
        services.member_create(
            actor=None,
            organization=tree.branch_a1,
            member_no=f"Y{i:03d}",
            data=member_data(200 + i),
        )
    login(client, users["committee_staff"])
    client.get(reverse("orgs:detail", args=[tree.branch_a1.pk]))
    with CaptureQueriesContext(connection) as first:
        client.get(reverse("orgs:detail", args=[tree.district_a.pk]))
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(reverse("orgs:detail", args=[tree.district_a.pk]))
    # … the member accounts (已开通 / 未开通), and what other apps add (org_facts: the enterprise
    # set up in it, its brands, honours and joint events)
    # the session with its user, grants and bell is one statement; a page view writes no session
    assert len(first.captured_queries) == 15


def test_create_validates_and_writes_history(tree, users):
    worker = users["branch_worker"]
    m = services.member_create(
        actor=worker,
        organization=tree.branch_a1,
        member_no="N0001",
        data=member_data(300, status="probationary", full_on=None, joined_on=date(2026, 1, 5)),
    )
    assert MemberEvent.objects.filter(member=m, kind="created").count() == 1
    assert (
        AuditEvent.objects.filter(action="members.create", object_id=str(m.pk))
        .get()
        .data["changes"]["id_number"][1]
        .count("*")
        == 8
    )


@pytest.mark.parametrize(
    ("over", "field", "text"),
    [
        ({"id_number": "350203198005170011"}, "id_number", "校验位"),
        ({"birth_date": date(1981, 1, 1), "id_number": make_id(400)}, "birth_date", "不一致"),
        ({"joined_on": date(2090, 1, 1)}, "joined_on", "晚于今天"),
        ({"joined_on": date(1995, 1, 1)}, "joined_on", "未满18周岁"),
        ({"phone": "12345"}, "phone", "11位"),
        ({"name": "张" * 51}, "name", "50"),
        ({"fee_category": "boss"}, "fee_category", "无效"),
        ({"status": "full", "full_on": None}, "full_on", "转正日期"),
    ],
)
def test_create_refuses_bad_input_naming_the_field(tree, over, field, text):
    with pytest.raises(DomainError) as exc:
        services.member_create(
            actor=None, organization=tree.branch_a1, member_no="BAD1", data=member_data(400, **over)
        )
    assert exc.value.field == field
    assert text in exc.value.message
    assert not Member.objects.filter(member_no="BAD1").exists()


def test_duplicate_id_number_refused(tree):
    dup = tree.members["A1-1"].id_number()
    with pytest.raises(DomainError, match="已有党员档案"):
        services.member_create(
            actor=None,
            organization=tree.branch_a1,
            member_no="DUP",
            data=member_data(1, id_number=dup),
        )


def test_members_cannot_be_placed_in_a_group(tree):
    with pytest.raises(DomainError, match="党小组"):
        services.member_create(
            actor=None, organization=tree.group_a1, member_no="G1", data=member_data(500)
        )


def test_out_of_scope_write_is_refused(tree, users):
    with pytest.raises(DomainError):
        services.member_create(
            actor=users["branch_worker"],
            organization=tree.branch_b1,
            member_no="Z1",
            data=member_data(600),
        )
    assert not Member.objects.filter(member_no="Z1").exists()
    assert not AuditEvent.objects.filter(
        action="members.create", actor=users["branch_worker"]
    ).exists()


def test_status_changes_keep_dated_history(tree, users):
    worker = users["branch_worker"]
    m = tree.members["A1-2"]
    services.member_change_status(
        actor=worker,
        member=m,
        to_status="suspended",
        on=date(2026, 3, 1),
        reason="失联超过6个月，支部大会决定并经上级批准",
    )
    services.member_change_status(
        actor=worker,
        member=m,
        to_status="full",
        on=date(2026, 6, 1),
        reason="恢复联系，经上级批准恢复党籍",
    )
    with pytest.raises(DomainError, match="不能从"):
        services.member_change_status(
            actor=worker, member=m, to_status="probationary", on=date(2026, 6, 2), reason="x"
        )
    events = list(
        MemberEvent.objects.filter(member=m, kind="status")
        .order_by("on")
        .values_list("from_status", "to_status")
    )
    assert events == [("full", "suspended"), ("suspended", "full")]


def test_conversion_needs_a_full_year(tree):
    m = services.member_create(
        actor=None,
        organization=tree.branch_a1,
        member_no="P1",
        data=member_data(700, status="probationary", full_on=None, joined_on=date(2026, 1, 31)),
    )
    with pytest.raises(DomainError, match="预备期一年未满"):
        services.member_change_status(
            actor=None, member=m, to_status="full", on=date(2026, 6, 1), reason="支部大会"
        )


def test_edit_form_masks_for_an_editor_without_unmask(client, tree, users):
    login(client, users["branch_worker"])
    m = tree.members["A1-1"]
    html = client.get(reverse("members:edit", args=[m.pk])).content.decode()
    assert m.id_number() not in html
    assert m.phone() not in html
    assert m.id_number_masked in html
    assert m.phone_masked in html
    assert not AuditEvent.objects.filter(action="members.unmask", object_id=str(m.pk)).exists()


def test_edit_form_shows_full_values_to_one_who_may_unmask_and_logs_it(client, tree, users):
    login(client, users["committee_staff"])
    m = tree.members["A1-1"]
    html = client.get(reverse("members:edit", args=[m.pk])).content.decode()
    assert m.id_number() in html
    assert (
        AuditEvent.objects.filter(
            action="members.unmask", object_id=str(m.pk), data__via="edit_form"
        ).count()
        == 1
    )


def test_masked_values_sent_back_keep_the_stored_ones(client, tree, users):
    login(client, users["branch_worker"])
    m = tree.members["A1-1"]
    stored_id, stored_phone = m.id_number(), m.phone()
    form = {
        "member_no": m.member_no,
        "name": "改个名字",
        "gender": m.gender,
        "birth_date": m.birth_date.isoformat(),
        "id_number": m.id_number_masked,
        "phone": m.phone_masked,
        "ethnicity": "汉族",
        "education": "bachelor",
        "occupation": "",
        "work_unit": "",
        "status": m.status,
        "joined_on": m.joined_on.isoformat(),
        "full_on": m.full_on.isoformat() if m.full_on else "",
        "fee_category": m.fee_category,
        "fee_base": "6000.00",
    }
    resp = client.post(reverse("members:edit", args=[m.pk]), form)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    m.refresh_from_db()
    assert m.name == "改个名字"
    assert (m.id_number(), m.phone()) == (stored_id, stored_phone)


def test_update_through_the_form(client, tree, users):
    login(client, users["branch_worker"])
    m = tree.members["A1-1"]
    resp = client.post(
        reverse("members:edit", args=[m.pk]),
        {
            "member_no": m.member_no,
            "name": "新名字",
            "gender": "男",
            "birth_date": "1980-05-17",
            "id_number": m.id_number(),
            "phone": "13900001111",
            "ethnicity": "汉族",
            "education": "bachelor",
            "occupation": "",
            "work_unit": "",
            "status": "full",
            "joined_on": "2005-07-01",
            "full_on": "2006-07-01",
            "fee_category": "employed",
            "fee_base": "6000.00",
        },
    )
    assert resp.status_code == 302
    m.refresh_from_db()
    assert m.name == "新名字"
    assert m.phone() == "13900001111"
    assert m.phone_index == crypto.blind_index("13900001111")
    changes = AuditEvent.objects.get(action="members.update").data["changes"]
    assert changes["phone"] == ["138****0001", "139****1111"]


def test_form_shows_inline_error(client, tree, users):
    login(client, users["branch_worker"])
    resp = client.post(
        reverse("members:create") + f"?org={tree.branch_a1.pk}",
        {
            "member_no": "Q1",
            "name": "王五",
            "gender": "男",
            "birth_date": "1980-05-17",
            "id_number": make_id(1)[:-1] + ("1" if make_id(1)[-1] != "1" else "2"),
            "phone": "",
            "ethnicity": "汉族",
            "status": "full",
            "joined_on": "2005-07-01",
            "full_on": "2006-07-01",
            "fee_category": "employed",
            "fee_base": "6000",
        },
    )
    assert resp.status_code == 200
    assert resp.context["form"].errors["id_number"] == ["身份证号校验位错误（GB 11643）"]
    assert "is-invalid" in resp.content.decode()


def test_export_is_masked_without_unmask_permission(client, tree, users):
    import io

    import openpyxl

    login(client, users["supervisor"])
    resp = client.get(reverse("interchange:export", args=["members"]))
    ws = openpyxl.load_workbook(io.BytesIO(resp.content)).active
    body = " ".join(str(c.value) for row in ws.iter_rows() for c in row)
    assert "党员1" in body
    assert not FULL_ID.search(body)
    event = AuditEvent.objects.get(action="exports.export")
    assert (event.data["export"], event.data["unmasked"]) == ("members", False)


def test_own_record_only_for_member(client, tree, users):
    login(client, users["member"], verify=False)
    body = client.get(reverse("portal:me")).content.decode()
    assert "党员2" in body
    assert "党员3" not in body
    assert client.get(reverse("members:detail", args=[tree.members["A1-3"].pk])).status_code == 403
    assert selectors.own_member(users["member"]).pk == tree.members["A1-2"].pk
    assert selectors.own_member(users["member"]).organization == tree.branch_a1
    # 我的 lists the posts held now: none yet; then a committee post in the branch
    assert "现任职务" not in body
    post_assign(
        actor=None, organization=tree.branch_a1, member=tree.members["A1-2"], post="organization"
    )
    body = client.get(reverse("portal:me")).content.decode()
    assert "现任职务" in body
    assert "组织委员" in body


def test_large_subtree_strategy_returns_the_same_page(tree, users, monkeypatch):
    staff = users["supervisor"]
    small = list(selectors.member_search(staff).values_list("member_no", flat=True))
    monkeypatch.setattr(selectors, "LARGE_SUBTREE_ORGS", 2)
    large = list(selectors.member_search(staff).values_list("member_no", flat=True))
    assert large == small == [f"M{i:04d}" for i in range(1, 11)]
    assert list(
        selectors.member_search(staff, organization=tree.district_b).values_list(
            "member_no", flat=True
        )
    ) == ["M0008", "M0009", "M0010"]


def test_name_prefix_search(client, tree, users):
    login(client, users["committee_staff"])
    resp = client.get(reverse("members:list"), {"q": "党员1"})
    assert [m.member_no for m in resp.context["page"].object_list] == [
        "M0001"
    ]  # 党员10 is in district B
    login(client, users["supervisor"])
    resp = client.get(reverse("members:list"), {"q": "党员1"})
    assert [m.member_no for m in resp.context["page"].object_list] == ["M0001", "M0010"]
    assert resp.context["page"].paginator.count == 2
