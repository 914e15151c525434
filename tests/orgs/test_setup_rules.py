"""Units, projects, joint branches, set-up requests and re-elections: the services and the rules
they feed (ORG-01/05/07/08, TERM-02/04/06/07), with boundary dates."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

import pytest
from django.core.management import call_command

from dangjian.audit.models import AuditEvent
from dangjian.core.dates import months_between
from dangjian.core.errors import DomainError, NotVisible
from dangjian.members.services import member_create
from dangjian.orgs import services
from dangjian.orgs.models import Election, Term, Unit
from tests.conftest import member_data

pytestmark = pytest.mark.django_db


def scan(as_of: str, rule: str) -> list[dict[str, Any]]:
    out = io.StringIO()
    call_command("scan", "--as-of", as_of, "--json", stdout=out)
    return [f for f in map(json.loads, out.getvalue().splitlines()) if f["rule"] == rule]


def unit(committee: Any, **over: Any) -> Unit:
    fields: dict[str, Any] = {
        "kind": "unit",
        "name": "示范科技有限公司",
        "credit_code": "",
        "category": "private",
        "organization": None,
        "full_members": 3,
        "started_on": None,
        "ends_on": None,
        "finished_on": None,
        "note": "",
    }
    fields.update(over)
    return services.unit_create(actor=None, committee=committee, **fields)


def test_months_between_is_the_inverse_of_add_months() -> None:
    assert months_between(date(2025, 1, 31), date(2025, 2, 28)) == 1
    assert months_between(date(2025, 1, 31), date(2025, 2, 27)) == 0
    assert months_between(date(2025, 3, 1), date(2025, 9, 1)) == 6
    assert months_between(date(2025, 3, 1), date(2025, 8, 31)) == 5
    assert months_between(date(2025, 3, 1), date(2025, 1, 1)) == 0


def test_org01_unit_with_three_full_members_and_no_organization(tree: Any) -> None:
    u = unit(tree.district_a, full_members=3)
    unit(tree.district_a, name="两人小店", full_members=2)
    found = scan("2026-06-30", "ORG-01")
    assert [(f["org"], f["severity"], f["member"]) for f in found] == [("DA", "high", None)]
    assert "示范科技有限公司" in found[0]["message"]
    assert "3人" in found[0]["message"]
    # setting up its own branch clears it; being covered by a joint branch does not
    services.org_set_joint(actor=None, organization=tree.branch_a2, is_joint=True)
    services.unit_update(
        actor=None,
        unit=u,
        kind="unit",
        name=u.name,
        credit_code="",
        category="private",
        organization=tree.branch_a2,
        full_members=3,
        started_on=None,
        ends_on=None,
        finished_on=None,
        note="",
    )
    assert "联合党支部" in scan("2026-06-30", "ORG-01")[0]["message"]
    services.org_set_joint(actor=None, organization=tree.branch_a2, is_joint=False)
    assert scan("2026-06-30", "ORG-01") == []


def test_joint_branch_is_not_org02_but_org05_above_five_units(tree: Any) -> None:
    small = services.org_create(
        actor=None,
        parent=tree.district_a,
        code="A3",
        name="甲三联合党支部",
        kind="branch",
        category="private",
        established_on=date(2020, 1, 1),
    )
    for n in (21, 22):
        member_create(actor=None, organization=small, member_no=f"M{n:04d}", data=member_data(n))
    assert [f["org"] for f in scan("2026-06-30", "ORG-02")] == ["A3"]
    services.org_set_joint(actor=None, organization=small, is_joint=True)
    assert scan("2026-06-30", "ORG-02") == []
    services.org_set_joint(actor=None, organization=tree.branch_a2, is_joint=True)
    for i in range(5):
        unit(tree.district_a, name=f"小微企业{i}", full_members=1, organization=tree.branch_a2)
    assert scan("2026-06-30", "ORG-05") == []
    sixth = unit(tree.district_a, name="小微企业5", full_members=1, organization=tree.branch_a2)
    found = scan("2026-06-30", "ORG-05")
    assert [(f["org"], f["severity"]) for f in found] == [("A2", "warn")]
    assert "6个单位" in found[0]["message"]
    services.unit_update(
        actor=None,
        unit=sixth,
        kind="unit",
        name=sixth.name,
        credit_code="",
        category="private",
        organization=None,
        full_members=1,
        started_on=None,
        ends_on=None,
        finished_on=None,
        note="",
    )
    assert scan("2026-06-30", "ORG-05") == []


def test_only_branches_can_be_joint(tree: Any) -> None:
    with pytest.raises(DomainError) as exc:
        services.org_set_joint(actor=None, organization=tree.district_a, is_joint=True)
    assert exc.value.field == "is_joint"


def test_org07_request_unanswered_more_than_one_month(tree: Any) -> None:
    req = services.org_request_submit(
        actor=None,
        committee=tree.district_a,
        proposed_name="中共示范科技有限公司支部",
        proposed_kind="branch",
        submitted_on=date(2026, 1, 31),
    )
    assert (
        scan("2026-02-28", "ORG-07") == []
    )  # 2026-01-31 + 1 month = 2026-02-28: still within the month
    found = scan("2026-03-01", "ORG-07")
    assert [(f["org"], f["severity"]) for f in found] == [("DA", "warn")]
    assert "2026年2月28日前批复" in found[0]["message"]
    services.org_request_answer(
        actor=None,
        request=req,
        decision="approved",
        answered_on=date(2026, 3, 5),
        reply="区委组〔2026〕8号",
    )
    assert scan("2026-03-06", "ORG-07") == []
    with pytest.raises(DomainError, match="已批复"):
        services.org_request_answer(
            actor=None, request=req, decision="rejected", answered_on=date(2026, 3, 6), reply="x"
        )


def test_org08_project_of_six_months_with_three_full_members(tree: Any) -> None:
    short = unit(
        tree.district_a,
        kind="project",
        name="短期工程",
        full_members=5,
        started_on=date(2026, 1, 1),
        ends_on=date(2026, 6, 30),
    )
    assert short.planned_months == 5
    long = unit(
        tree.district_a,
        kind="project",
        name="地铁三号线工程",
        full_members=3,
        started_on=date(2026, 1, 1),
        ends_on=date(2026, 7, 1),
    )
    assert long.planned_months == 6
    unit(
        tree.district_a,
        kind="project",
        name="两人课题",
        full_members=2,
        started_on=date(2026, 1, 1),
    )
    assert scan("2025-12-31", "ORG-08") == []  # not started yet
    found = scan("2026-03-01", "ORG-08")
    assert [(f["org"], f["severity"]) for f in found] == [("DA", "warn")]
    assert "地铁三号线工程" in found[0]["message"]
    # the planned end has passed but the project is not recorded as finished: still open
    assert [f["org"] for f in scan("2026-07-02", "ORG-08")] == ["DA"]
    services.unit_update(
        actor=None,
        unit=long,
        kind="project",
        name=long.name,
        credit_code="",
        category="private",
        organization=tree.branch_a2,
        full_members=3,
        started_on=long.started_on,
        ends_on=long.ends_on,
        finished_on=None,
        note="",
    )
    assert scan("2026-03-01", "ORG-08") == []


def test_unit_input_is_validated(tree: Any) -> None:
    with pytest.raises(DomainError) as exc:
        unit(tree.district_a, credit_code="123")
    assert exc.value.field == "credit_code"
    with pytest.raises(DomainError, match="第18位应为“M”"):
        unit(tree.district_a, credit_code="91350200MA2XXXXX0A")
    unit(tree.district_a, credit_code="91350200MA2XXXXX0M")
    with pytest.raises(DomainError, match="已登记"):
        unit(tree.district_a, name="另一家", credit_code="91350200ma2xxxxx0m")
    with pytest.raises(DomainError) as exc:
        unit(tree.district_a, kind="project", started_on=date(2026, 3, 1), ends_on=date(2026, 1, 1))
    assert exc.value.field == "ends_on"
    with pytest.raises(DomainError) as exc:
        unit(tree.district_a, organization=tree.branch_b1)  # another district's branch
    assert exc.value.field == "organization"
    assert Unit.objects.count() == 1


def test_unit_write_is_scoped_and_audited(tree: Any, users: dict[str, Any]) -> None:
    with pytest.raises(NotVisible):
        services.unit_create(
            actor=users["sibling_staff"],
            committee=tree.district_a,
            kind="unit",
            name="x",
            credit_code="",
            category="private",
            organization=None,
            full_members=1,
            started_on=None,
            ends_on=None,
            finished_on=None,
            note="",
        )
    u = services.unit_create(
        actor=users["committee_staff"],
        committee=tree.district_a,
        kind="unit",
        name="示范公司",
        credit_code="",
        category="private",
        organization=None,
        full_members=1,
        started_on=None,
        ends_on=None,
        finished_on=None,
        note="",
    )
    assert AuditEvent.objects.filter(action="orgs.unit_create", object_id=str(u.pk)).count() == 1


# --- terms and elections ---


def test_term02_no_request_by_one_month_before_the_end(tree: Any) -> None:
    services.term_create(
        actor=None, organization=tree.branch_b1, elected_on=date(2023, 7, 31), term_years=3
    )
    # B1's term ends 2026-07-31; the request is due by 2026-06-30 (end - 1 month), on that day
    # itself included
    assert scan("2026-06-30", "TERM-02") == []
    found = scan("2026-07-01", "TERM-02")
    assert [(f["org"], f["severity"]) for f in found] == [("B1", "warn")]
    assert "2026年7月31日届满" in found[0]["message"]
    assert "2026年6月30日前" in found[0]["message"]
    assert scan("2026-07-31", "TERM-02") == []  # ended: TERM-03 takes over
    assert "B1" in {f["org"] for f in scan("2026-07-31", "TERM-03")}
    services.election_request(
        actor=None, organization=tree.branch_b1, requested_on=date(2026, 7, 1)
    )
    assert scan("2026-07-02", "TERM-02") == []
    with pytest.raises(DomainError, match="尚未录入结果"):
        services.election_request(
            actor=None, organization=tree.branch_b1, requested_on=date(2026, 7, 2)
        )


def test_term02_request_from_the_previous_term_does_not_count(tree: Any) -> None:
    Election.objects.create(
        organization=tree.branch_b1, requested_on=date(2023, 6, 1), held_on=date(2023, 7, 31)
    )
    services.term_create(
        actor=None, organization=tree.branch_b1, elected_on=date(2023, 7, 31), term_years=3
    )
    assert [f["org"] for f in scan("2026-07-01", "TERM-02")] == ["B1"]


def test_election_result_is_validated_and_opens_the_term(tree: Any) -> None:
    ok = {
        "eligible": 10,
        "present": 9,
        "seats": 5,
        "candidates": 6,
        "min_winner_votes": 5,
        "term_years": 3,
    }
    cases = [
        ({"present": 8}, "present"),  # 8 = 4/5 of 10: not more than 4/5
        (
            {"min_winner_votes": 4, "present": 9, "eligible": 10},
            None,
        ),  # 4*2 = 8 < 9: fails (winner needs > half)
        ({"candidates": 5}, "candidates"),  # 5 for 5 seats: no surplus
        ({"present": 11}, "present"),
    ]
    for change, field in cases:
        with pytest.raises(DomainError) as exc:
            services.election_result(
                actor=None,
                organization=tree.branch_a2,
                held_on=date(2026, 5, 10),
                **{**ok, **change},
            )
        if field:
            assert exc.value.field == field
    assert not Term.objects.filter(organization=tree.branch_a2).exists()
    assert not Election.objects.filter(organization=tree.branch_a2).exists()
    e = services.election_result(
        actor=None, organization=tree.branch_a2, held_on=date(2026, 5, 10), **ok
    )
    assert e.term.elected_on == date(2026, 5, 10)
    assert e.term.term_years == 3


def test_invalid_message_names_the_rule(tree: Any) -> None:
    with pytest.raises(DomainError) as exc:
        services.election_result(
            actor=None,
            organization=tree.branch_a2,
            held_on=date(2026, 5, 10),
            eligible=10,
            present=8,
            seats=5,
            candidates=6,
            min_winner_votes=5,
            term_years=3,
        )
    assert "4/5" in exc.value.message
    assert "选举工作条例" in exc.value.message


def test_term06_reports_a_stored_invalid_election(tree: Any) -> None:
    # Entry blocks it; an election already on file (e.g. entered before a stricter pack) is still
    # reported.
    Election.objects.create(
        organization=tree.branch_a2,
        held_on=date(2026, 5, 10),
        eligible=10,
        present=8,
        seats=5,
        candidates=6,
        min_winner_votes=5,
        reported_on=date(2026, 5, 20),
        secretary_approved_on=date(2026, 5, 25),
    )
    found = scan("2026-06-30", "TERM-06")
    assert [(f["org"], f["severity"]) for f in found] == [("A2", "high")]
    assert "4/5" in found[0]["message"]


def test_term07_result_not_reported_within_one_month(tree: Any) -> None:
    ok = {
        "eligible": 10,
        "present": 9,
        "seats": 3,
        "candidates": 4,
        "min_winner_votes": 6,
        "term_years": 3,
    }
    services.election_request(
        actor=None, organization=tree.branch_a2, requested_on=date(2026, 1, 5)
    )
    e = services.election_result(
        actor=None, organization=tree.branch_a2, held_on=date(2026, 1, 31), **ok
    )
    assert (
        Election.objects.filter(organization=tree.branch_a2).count() == 1
    )  # the request's record got the result
    assert scan("2026-02-28", "TERM-07") == []
    found = scan("2026-03-01", "TERM-07")
    assert [(f["org"], f["severity"]) for f in found] == [("A2", "warn")]
    assert "尚未上报" in found[0]["message"]
    services.election_report(actor=None, election=e, reported_on=date(2026, 3, 2))
    assert "尚未获上级批准" in scan("2026-03-03", "TERM-07")[0]["message"]
    services.election_report(
        actor=None,
        election=e,
        reported_on=date(2026, 3, 2),
        secretary_approved_on=date(2026, 3, 10),
    )
    assert scan("2026-03-11", "TERM-07") == []


def test_extension_suspends_term03_and_beyond_a_year_is_term04(tree: Any) -> None:
    t = Term.objects.get(organization=tree.branch_a1)  # 2024-03-01, 3 years: ends 2027-03-01
    t.elected_on = date(2023, 3, 1)
    t.save()  # ends 2026-03-01
    assert [f["org"] for f in scan("2026-03-01", "TERM-03") if f["org"] == "A1"] == ["A1"]
    services.term_extend(
        actor=None,
        term=t,
        until=date(2027, 3, 1),
        approved_on=date(2026, 2, 1),
        reason="村社区换届统一安排",
    )
    assert [f for f in scan("2026-03-01", "TERM-03") if f["org"] == "A1"] == []
    assert scan("2026-03-01", "TERM-04") == []  # exactly 12 months
    assert [f["org"] for f in scan("2027-03-01", "TERM-03") if f["org"] == "A1"] == [
        "A1"
    ]  # the postponement ran out
    services.term_extend(
        actor=None, term=t, until=date(2027, 4, 1), approved_on=date(2026, 2, 1), reason="再次延期"
    )
    found = scan("2026-03-01", "TERM-04")
    assert [(f["org"], f["severity"]) for f in found] == [("A1", "critical")]
    assert "13个月" in found[0]["message"]


def test_advance_beyond_a_year_is_term04(tree: Any) -> None:
    # A1's term ends 2027-03-01; electing on 2026-02-27 is 12 months early (allowed), 2026-01-31
    # is 13
    ok = {
        "eligible": 4,
        "present": 4,
        "seats": 1,
        "candidates": 2,
        "min_winner_votes": 3,
        "term_years": 3,
    }
    e = services.election_result(
        actor=None, organization=tree.branch_a1, held_on=date(2026, 1, 31), **ok
    )
    assert e.term.advance_months == 13
    found = scan("2026-02-01", "TERM-04")
    assert [(f["org"], f["severity"]) for f in found] == [("A1", "critical")]
    assert "提前13个月" in found[0]["message"]


def test_extension_needs_the_parents_scope(tree: Any, users: dict[str, Any]) -> None:
    t = Term.objects.get(organization=tree.branch_a1)
    with pytest.raises(NotVisible):
        services.term_extend(
            actor=users["branch_worker"],
            term=t,
            until=date(2027, 6, 1),
            approved_on=date(2026, 2, 1),
            reason="x",
        )
    with pytest.raises(DomainError) as exc:
        services.term_extend(
            actor=users["committee_staff"],
            term=t,
            until=date(2027, 3, 1),
            approved_on=date(2026, 2, 1),
            reason="x",
        )
    assert exc.value.field == "until"
    services.term_extend(
        actor=users["committee_staff"],
        term=t,
        until=date(2027, 6, 1),
        approved_on=date(2026, 2, 1),
        reason="统一换届",
    )
    assert AuditEvent.objects.filter(action="orgs.term_extend").count() == 1


# --- pages ---


def test_election_pages_refuse_an_invalid_vote_inline_and_record_a_valid_one(
    client: Any, tree: Any, users: dict[str, Any]
) -> None:
    from tests.conftest import login

    login(client, users["branch_worker"])
    url = f"/orgs/{tree.branch_a1.pk}/elections/result/"
    data = {
        "held_on": "2026-05-10",
        "eligible": "10",
        "present": "8",
        "seats": "3",
        "candidates": "4",
        "min_winner_votes": "6",
        "term_years": "3",
    }
    resp = client.post(url, data)
    assert resp.status_code == 200
    assert "4/5" in resp.content.decode()
    assert "is-invalid" in resp.content.decode()
    assert not Election.objects.exists()
    resp = client.post(url, {**data, "present": "9"})
    assert resp.status_code == 302
    page = client.get(f"/orgs/{tree.branch_a1.pk}/elections/").content.decode()
    assert "2026年5月10日" in page
    assert "9/10" in page
    assert "登记上报" in page
    e = Election.objects.get()
    resp = client.post(
        f"/orgs/{tree.branch_a1.pk}/elections/{e.pk}/report/",
        {"reported_on": "2026-05-20", "secretary_approved_on": "2026-05-01"},
    )
    assert "书记批复日期早于上报日期" in resp.content.decode()


def test_units_page_lists_and_flags_units_without_organization(
    client: Any, tree: Any, users: dict[str, Any]
) -> None:
    from tests.conftest import login

    login(client, users["committee_staff"])
    resp = client.post(
        f"/orgs/{tree.district_a.pk}/units/new/",
        {
            "kind": "unit",
            "name": "示范科技有限公司",
            "category": "private",
            "full_members": "5",
            "organization_code": "B1",
        },
    )
    assert "不存在或不在您的管理范围内" in resp.content.decode()  # another district's branch
    resp = client.post(
        f"/orgs/{tree.district_a.pk}/units/new/",
        {"kind": "unit", "name": "示范科技有限公司", "category": "private", "full_members": "5"},
    )
    assert resp.status_code == 302
    page = client.get(f"/orgs/{tree.district_a.pk}/units/").content.decode()
    assert "示范科技有限公司" in page
    assert "应建未建" in page
    resp = client.post(
        f"/orgs/{tree.district_a.pk}/requests/new/",
        {
            "proposed_name": "中共示范科技有限公司支部",
            "proposed_kind": "branch",
            "unit": str(Unit.objects.get().pk),
            "submitted_on": "2026-11-01",
        },
    )
    assert resp.status_code == 302
    assert "待批复" in client.get(f"/orgs/{tree.district_a.pk}/units/").content.decode()
