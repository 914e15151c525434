import re

import pytest

from dangjian.audit.models import AuditEvent
from dangjian.members.models import Member
from tests.conftest import login

pytestmark = pytest.mark.django_db
FULL_ID = re.compile(r"\b\d{17}[\dX]\b")


def test_member_list_is_scoped_masked_and_paginated(client, tree, users):
    login(client, users["branch_worker"])
    data = client.get("/api/v1/members/").json()
    assert data["count"] == 4  # branch A1 only
    assert {m["organization_code"] for m in data["results"]} == {"A1"}
    assert all(m["id_number"].count("*") == 8 for m in data["results"])
    assert not FULL_ID.search(str(data))
    assert set(data["results"][0]) == {
        "id",
        "member_no",
        "name",
        "gender",
        "birth_date",
        "id_number",
        "phone",
        "organization",
        "organization_code",
        "organization_name",
        "status",
        "joined_on",
        "full_on",
        "left_on",
        "fee_category",
        "fee_base",
        "ethnicity",
        "education",
        "occupation",
        "work_unit",
    }


def test_member_filters_and_ordering(client, tree, users):
    login(client, users["supervisor"])
    data = client.get(
        "/api/v1/members/", {"org": tree.district_a.pk, "ordering": "-member_no", "page_size": 2}
    ).json()
    assert data["count"] == 7
    assert [m["member_no"] for m in data["results"]] == ["M0007", "M0006"]


def test_member_detail_is_logged(client, tree, users):
    login(client, users["committee_staff"])
    m = tree.members["A2-5"]
    assert client.get(f"/api/v1/members/{m.pk}/").json()["member_no"] == "M0005"
    assert (
        AuditEvent.objects.filter(
            action="members.view", object_id=str(m.pk), data__via="api"
        ).count()
        == 1
    )


def test_create_member_through_api_uses_the_service(client, tree, users):
    from datetime import date

    from dangjian.core import idnumber

    login(client, users["branch_worker"])
    payload = {
        "member_no": "API1",
        "organization": tree.branch_a1.pk,
        "name": "接口新增",
        "gender": "女",
        "birth_date": "1990-01-02",
        "id_number": idnumber.make("350206", date(1990, 1, 2), 2),
        "status": "full",
        "joined_on": "2012-01-01",
        "full_on": "2013-01-01",
        "fee_category": "employed",
        "fee_base": "8000.00",
    }
    resp = client.post("/api/v1/members/", payload, content_type="application/json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["id_number"].count("*") == 8
    assert (
        AuditEvent.objects.filter(action="members.create", object_id=str(resp.json()["id"])).count()
        == 1
    )
    # out of scope → error, nothing written
    resp = client.post(
        "/api/v1/members/",
        {**payload, "member_no": "API2", "organization": tree.branch_b1.pk},
        content_type="application/json",
    )
    assert resp.status_code == 400
    assert resp.json()["field"] == "organization"
    assert not Member.objects.filter(member_no="API2").exists()
    # bad ID check digit → 400 naming the field
    bad = payload["id_number"][:-1] + ("1" if payload["id_number"][-1] != "1" else "2")
    resp = client.post(
        "/api/v1/members/",
        {**payload, "member_no": "API3", "id_number": bad},
        content_type="application/json",
    )
    assert resp.status_code == 400
    assert resp.json() == {
        "code": "invalid",
        "detail": "身份证号校验位错误（GB 11643）",
        "field": "id_number",
    }


def test_mass_assignment_is_ignored(client, tree, users):
    from datetime import date

    from dangjian.core import idnumber

    login(client, users["branch_worker"])
    payload = {
        "member_no": "API9",
        "organization": tree.branch_a1.pk,
        "name": "甲",
        "gender": "男",
        "birth_date": "1990-01-02",
        "id_number": idnumber.make("350206", date(1990, 1, 2), 3),
        "status": "full",
        "joined_on": "2012-01-01",
        "full_on": "2013-01-01",
        "fee_category": "employed",
        "fee_base": "8000.00",
        "id_number_index": "x",
        "left_on": "2020-01-01",
    }
    assert (
        client.post("/api/v1/members/", payload, content_type="application/json").status_code == 201
    )
    m = Member.objects.get(member_no="API9")
    assert m.left_on is None
    assert m.id_number_index != "x"


def test_organizations_scoped_with_parent_codes(client, tree, users):
    login(client, users["committee_staff"])
    data = client.get("/api/v1/organizations/").json()
    assert [o["code"] for o in data["results"]] == ["DA", "A1", "A1G1", "A2"]
    assert [o["parent_code"] for o in data["results"]] == ["C", "DA", "A1", "DA"]


@pytest.mark.parametrize("extra", [0, 15])
def test_organization_list_query_count_is_flat(
    client, tree, users, django_assert_num_queries, extra
):
    from datetime import date

    from dangjian.orgs.services import org_create

    for i in range(extra):
        org_create(
            actor=None,
            parent=tree.district_b,
            code=f"XB{i}",
            name=f"新支部{i}",
            kind="branch",
            category="organ",
            established_on=date(2020, 1, 1),
        )
    login(client, users["supervisor"])
    client.get("/api/v1/organizations/")
    # session with its user and grants, device, count, page, parent codes (a page view writes no
    # session)
    with django_assert_num_queries(5):
        resp = client.get("/api/v1/organizations/")
    assert len(resp.json()["results"]) == min(20, 7 + extra)


def test_schema_and_docs_are_local(client, tree, users):
    login(client, users["supervisor"])
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/members/" in schema.content
    docs = client.get("/api/docs/").content.decode()
    assert "swagger" in docs.lower()
    assert "cdn" not in docs.lower()
    assert "https://" not in docs


def test_api_total_from_counters_matches_the_rows(client, tree, users):
    from datetime import date

    from dangjian.members.services import member_change_status

    member_change_status(
        actor=None,
        member=tree.members["A1-1"],
        to_status="deceased",
        on=date(2026, 1, 1),
        reason="病故",
    )
    login(client, users["supervisor"])
    data = client.get("/api/v1/members/", {"page_size": 100}).json()
    assert data["count"] == len(data["results"]) == 9  # on the roll: the deceased member is not
    assert client.get("/api/v1/members/", {"org": tree.district_b.pk}).json()["count"] == 3
    exited = client.get("/api/v1/members/", {"status": "deceased"}).json()
    assert exited["count"] == 1
    assert exited["results"][0]["member_no"] == "M0001"
