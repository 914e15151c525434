"""非公党建 (issue 20, items 1–3): the register with its credit-code check, the two coverages
(ENT-01, ENT-02) and the instructors' work (ENT-03) at their boundaries through
`dangjian scan --json`; bad input refused with the place and reason and nothing written; whoever
acts next is told."""

from __future__ import annotations

import io
import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from dangjian.audit.models import AuditEvent
from dangjian.core.creditcode import credit_code_clean
from dangjian.core.errors import DomainError, NotVisible
from dangjian.enterprises import selectors, services
from dangjian.enterprises.models import (
    Assignment,
    Enterprise,
    FollowUp,
    InstructorVisit,
    RelationCase,
)
from dangjian.members.models import Member
from dangjian.notify.models import Notice
from dangjian.orgs.models import Unit
from dangjian.orgs.services import org_create, org_set_joint
from dangjian.web.todo import staff_todos as collect
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

# GB 32100-2015, written out here from the standard (not from the code under test): the 31
# characters in the order of their values, and the weights of positions 1–17 (3^(i-1) mod 31).
STANDARD_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
STANDARD_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def standard_code(first17: str) -> str:
    value = {c: i for i, c in enumerate(STANDARD_CHARS)}
    total = sum(value[c] * w for c, w in zip(first17, STANDARD_WEIGHTS, strict=True))
    check = 31 - total % 31
    return first17 + STANDARD_CHARS[0 if check == 31 else check]


def codes(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [
        standard_code("9135" + "".join(rng.choice(STANDARD_CHARS) for _ in range(13)))
        for _ in range(n)
    ]


def test_the_check_character_accepts_the_standard_and_refuses_every_one_character_change() -> None:
    # a published code (a Fujian enterprise) and codes built from the standard's table above
    samples = ["91350100M000100Y43", *codes(40)]
    for code in samples:
        assert credit_code_clean(code.lower()) == code
        for i in range(18):
            for c in STANDARD_CHARS:
                if c == code[i]:
                    continue
                changed = code[:i] + c + code[i + 1 :]
                with pytest.raises(DomainError) as exc:
                    credit_code_clean(changed)
                assert exc.value.field == "credit_code"
    with pytest.raises(DomainError, match="第18位应为“3”，现为“4”"):
        credit_code_clean("91350100M000100Y44")
    with pytest.raises(DomainError, match="第9位“I”不是允许的字符"):
        credit_code_clean("91350100I000100Y43")
    with pytest.raises(DomainError, match="应为18位，现为17位"):
        credit_code_clean("91350100M000100Y4")


@dataclass
class Zone:
    tree: Any
    zone: Any  # the non-public committee
    own: Any  # an enterprise's own branch
    joint: Any  # a joint branch
    park: Any
    codes: list[str]


def _org(parent: Any, code: str, name: str, kind: str = "branch") -> Any:
    return org_create(
        actor=None,
        parent=parent,
        code=code,
        name=name,
        kind=kind,
        category="private",
        established_on=date(2020, 1, 1),
    )


@pytest.fixture
def zone(tree: Any) -> Zone:
    z = _org(tree.district_a, "NZ", "中共甲区非公有制经济组织委员会", "committee")
    own = _org(z, "NZ1", "中共鹭翔科技有限公司支部委员会")
    joint = _org(z, "NZ2", "中共软件园联合支部委员会")
    org_set_joint(actor=None, organization=joint, is_joint=True)
    parkorg = _org(z, "NZP", "中共软件园联合委员会", "committee")
    park = services.park_save(actor=None, name="软件园", organization=parkorg)
    joint.refresh_from_db()
    return Zone(tree, z, own, joint, park, codes(20))


def ent(z: Zone, i: int, *, own: Any = None, joint: Any = None, name: str = "") -> Enterprise:
    return services.enterprise_save(
        actor=None,
        data=services.EnterpriseData(
            credit_code=z.codes[i],
            name=name or f"厦门第{i}科技有限公司",
            committee=z.zone,
            park=z.park,
            employees=50,
            own_organization=own,
            joint_branch=joint,
        ),
    )


def employ(e: Enterprise, *members: Any, status: str = "full") -> None:
    Member.objects.filter(pk__in=[m.pk for m in members]).update(employer=e.unit, status=status)


def _unit(finding: dict) -> str:
    return finding["message"].split("”")[0].lstrip("“")


def _scan(as_of: str, rule: str) -> list[dict]:
    out = io.StringIO()
    call_command("scan", "--as-of", as_of, "--json", stdout=out)
    return [f for f in map(json.loads, out.getvalue().splitlines()) if f["rule"] == rule]


def test_ent01_at_two_and_three_full_members_one_rule_not_two(zone: Zone) -> None:
    m = list(zone.tree.members.values())
    two = ent(zone, 0)
    three = ent(zone, 1)
    in_joint = ent(zone, 2, joint=zone.joint)
    own = ent(zone, 3, own=zone.own)
    employ(two, m[0], m[1])
    employ(three, m[2], m[3], m[4])
    employ(three, m[5], status="probationary")  # not full: does not count towards 3
    employ(in_joint, m[6], m[7], m[8])
    employ(own, m[9])
    found = {_unit(f): f for f in _scan("2026-06-30", "ENT-01")}
    assert set(found) == {three.unit.name, in_joint.unit.name}
    assert "有正式党员3人" in found[three.unit.name]["message"]
    assert found[three.unit.name]["org"] == "NZ"
    assert found[three.unit.name]["severity"] == "high"
    assert "现纳入联合党支部" in found[in_joint.unit.name]["message"]
    # the same units with ORG-01's stored count are not ORG-01's as well
    Unit.objects.filter(pk__in=[three.pk, in_joint.pk]).update(full_members=5)
    org01 = {_unit(f) for f in _scan("2026-06-30", "ORG-01")}
    assert three.unit.name not in org01
    assert in_joint.unit.name not in org01


def test_ent02_members_without_organization_or_instructor(zone: Zone) -> None:
    m = list(zone.tree.members.values())
    bare = ent(zone, 0)
    with_instructor = ent(zone, 1)
    in_joint = ent(zone, 2, joint=zone.joint)
    no_members = ent(zone, 3)
    employ(bare, m[0])
    employ(with_instructor, m[1])
    employ(in_joint, m[2])
    ins = services.instructor_save(actor=None, name="陈指导", kind="full", organization=zone.zone)
    services.assignment_start(
        actor=None, instructor=ins, enterprise=with_instructor, since=date(2026, 3, 1)
    )
    found = {_unit(f) for f in _scan("2026-06-30", "ENT-02")}
    assert found == {bare.unit.name}
    assert no_members.unit.name not in found
    # before the assignment began, that enterprise was not covered either
    assert with_instructor.unit.name in {_unit(f) for f in _scan("2026-02-28", "ENT-02")}


def test_ent03_a_visit_on_the_last_day_of_the_quarter_not_the_first_of_the_next(
    zone: Zone,
) -> None:
    a, b, late = ent(zone, 0), ent(zone, 1), ent(zone, 2)
    ins = services.instructor_save(actor=None, name="陈指导", kind="full", organization=zone.zone)
    for e in (a, b):
        services.assignment_start(actor=None, instructor=ins, enterprise=e, since=date(2026, 1, 5))
    # assigned in the middle of the quarter: not held to it
    services.assignment_start(actor=None, instructor=ins, enterprise=late, since=date(2026, 5, 1))
    services.visit_log(
        actor=None, instructor=ins, enterprise=a, visited_on=date(2026, 6, 30), met="张总",
        topics=["life"],
    )  # fmt: skip
    services.visit_log(
        actor=None, instructor=ins, enterprise=b, visited_on=date(2026, 7, 1), met="李总",
        topics=["life"],
    )  # fmt: skip
    found = _scan("2026-07-15", "ENT-03")
    assert [_unit(f) for f in found] == [b.unit.name]
    assert found[0]["period"] == "2026Q2"
    # assigned on 5 January: the first quarter was not a whole quarter
    assert _scan("2026-04-10", "ENT-03") == []


def test_bad_input_is_refused_with_the_place_and_reason_and_nothing_written(zone: Zone) -> None:
    before = (Unit.objects.count(), Enterprise.objects.count(), AuditEvent.objects.count())
    wrong = zone.codes[0][:17] + ("0" if zone.codes[0][17] != "0" else "1")
    with pytest.raises(DomainError, match=f"第18位应为“{zone.codes[0][17]}”") as exc:
        services.enterprise_save(
            actor=None,
            data=services.EnterpriseData(credit_code=wrong, name="x", committee=zone.zone),
        )
    assert exc.value.field == "credit_code"
    assert (Unit.objects.count(), Enterprise.objects.count()) == before[:2]
    e = ent(zone, 0)
    with pytest.raises(DomainError, match="已登记") as exc:
        services.enterprise_save(
            actor=None,
            data=services.EnterpriseData(
                credit_code=zone.codes[0].lower(), name="另一家", committee=zone.zone
            ),
        )
    with pytest.raises(DomainError, match="不是有效的联合党支部") as exc:
        ent(zone, 1, joint=zone.own)
    assert exc.value.field == "joint_branch"
    with pytest.raises(DomainError, match="是联合党支部") as exc:
        ent(zone, 1, own=zone.joint)
    assert exc.value.field == "own_organization"
    assert Unit.objects.count() == before[0] + 1
    assert Enterprise.objects.count() == 1
    ins = services.instructor_save(actor=None, name="陈指导", kind="part", organization=zone.zone)
    services.assignment_start(actor=None, instructor=ins, enterprise=e, since=date(2026, 3, 1))
    with pytest.raises(DomainError, match="不能重复指派") as exc:
        services.assignment_start(actor=None, instructor=ins, enterprise=e, since=date(2026, 4, 1))
    assert exc.value.field == "instructor"
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(DomainError, match="不能晚于今天") as exc:
        services.visit_log(
            actor=None, instructor=ins, enterprise=e, visited_on=tomorrow, met="张总",
            topics=["setup"],
        )  # fmt: skip
    assert exc.value.field == "visited_on"
    with pytest.raises(DomainError, match="早于联系开始日期（2026年3月1日）") as exc:
        services.visit_log(
            actor=None, instructor=ins, enterprise=e, visited_on=date(2026, 2, 28), met="张总",
            topics=["setup"],
        )  # fmt: skip
    assert exc.value.field == "visited_on"
    with pytest.raises(DomainError, match="办理期限不能早于走访日期"):
        services.visit_log(
            actor=None, instructor=ins, enterprise=e, visited_on=date(2026, 3, 2), met="张总",
            topics=["setup"], followups=[("督促换届", date(2026, 3, 1))],
        )  # fmt: skip
    assert InstructorVisit.objects.count() == 0
    assert FollowUp.objects.count() == 0
    assert Assignment.objects.count() == 1


def test_a_second_instructor_takes_over_and_each_is_told(zone: Zone, users: Any) -> None:
    e = ent(zone, 0)
    m1, m2 = zone.tree.members["A1-1"], zone.tree.members["A1-3"]
    u1 = make_user("ins1", member=m1)
    first = services.instructor_save(
        actor=None, name=m1.name, kind="full", organization=zone.zone, member=m1
    )
    second = services.instructor_save(
        actor=None, name=m2.name, kind="part", organization=zone.zone, member=m2
    )
    services.assignment_start(actor=None, instructor=first, enterprise=e, since=date(2026, 1, 1))
    assert Notice.objects.filter(user=u1, title__contains=e.unit.name).exists()
    services.assignment_start(actor=None, instructor=second, enterprise=e, since=date(2026, 5, 1))
    rows = list(Assignment.objects.filter(enterprise=e).order_by("since"))
    assert [(a.instructor_id, a.until) for a in rows] == [
        (first.pk, date(2026, 4, 30)),
        (second.pk, None),
    ]
    # a staff member of another district cannot assign or see it
    with pytest.raises(NotVisible):
        services.assignment_start(
            actor=users["sibling_staff"], instructor=first, enterprise=e, since=date(2026, 6, 1)
        )
    with pytest.raises(NotVisible):
        selectors.enterprise_get(users["sibling_staff"], e.pk)


def test_a_visit_hands_a_member_found_to_the_park_and_an_overdue_followup_to_the_committee(
    zone: Zone, users: Any
) -> None:
    e = ent(zone, 0)
    m = zone.tree.members["A1-2"]
    ins = services.instructor_save(
        actor=None, name=m.name, kind="full", organization=zone.zone, member=m
    )
    services.assignment_start(actor=None, instructor=ins, enterprise=e, since=date(2026, 1, 1))
    staff = users["committee_staff"]
    park_staff = make_user("park_staff", "committee_staff", zone.park.organization)
    visit = services.visit_log(
        actor=users["member"],  # the instructor on the phone
        instructor=ins,
        enterprise=e,
        visited_on=date(2026, 3, 10),
        met="人事经理王某",
        topics=["relations", "setup"],
        problems="3名党员组织关系在老家",
        followups=[("指导提交成立党支部请示", date(2026, 3, 31))],
        cases=[services.CaseData(name="林某", finding="elsewhere", note="关系在龙岩")],
    )
    case = RelationCase.objects.get(visit=visit)
    assert case.handler == zone.park.organization
    assert Notice.objects.filter(user=park_staff, title__contains="林某").exists()
    todo = collect(staff, date(2026, 4, 2))
    titles = [t.title for t in todo.items]
    assert "督促办理逾期跟进事项：指导提交成立党支部请示" in titles
    assert any("组织关系排查：林某" in t for t in titles)
    # before the due date it is not in 待办; done, it leaves
    assert "督促办理逾期跟进事项：指导提交成立党支部请示" not in [
        t.title for t in collect(staff, date(2026, 3, 31)).items
    ]
    services.followup_done(
        actor=users["member"],
        followup=FollowUp.objects.get(visit=visit),
        result="已提交请示",
        done_on=date(2026, 4, 1),
    )
    assert not any("督促办理" in t.title for t in collect(staff, date(2026, 4, 2)).items)
    # someone who is neither the instructor nor in charge cannot log for them
    with pytest.raises(NotVisible):
        services.visit_log(
            actor=users["sibling_staff"], instructor=ins, enterprise=e,
            visited_on=date(2026, 3, 11), met="x", topics=["life"],
        )  # fmt: skip
    services.case_close(actor=park_staff, case=case, note="已转入本园区联合党支部")
    assert not any("林某" in t.title for t in collect(park_staff, date(2026, 4, 2)).items)


def test_coverage_per_park_and_for_the_zone(zone: Zone) -> None:
    m = list(zone.tree.members.values())
    own = ent(zone, 0, own=zone.own)
    joint = ent(zone, 1, joint=zone.joint)
    assigned = ent(zone, 2)
    bare = ent(zone, 3)
    outside = services.enterprise_save(
        actor=None,
        data=services.EnterpriseData(
            credit_code=zone.codes[4], name="园外公司", committee=zone.zone
        ),
    )
    employ(own, m[0], m[1])
    employ(joint, m[2])
    employ(bare, m[3])
    employ(outside, m[4])
    ins = services.instructor_save(actor=None, name="陈指导", kind="full", organization=zone.zone)
    services.assignment_start(
        actor=None, instructor=ins, enterprise=assigned, since=date(2026, 1, 1)
    )
    today = timezone.localdate()
    c = selectors.coverage(selectors.enterprises_under(zone.zone), today)
    assert (c["total"], c["own"], c["org"], c["work"], c["none"]) == (5, 1, 2, 3, 2)
    assert (c["org_rate"], c["work_rate"]) == (40.0, 60.0)
    assert (c["members"], c["covered"], c["member_rate"]) == (5, 3, 60.0)
    parks = {
        p["park__name"]: p
        for p in selectors.coverage_by_park(selectors.enterprises_under(zone.zone), today)
    }
    assert (parks["软件园"]["total"], parks["软件园"]["work"], parks["软件园"]["members"]) == (
        4,
        3,
        4,
    )
    assert (parks["园区外"]["total"], parks["园区外"]["work"]) == (1, 0)
    trend = selectors.coverage_trend(selectors.enterprises_under(zone.zone), today)
    assert len(trend) == 12
    assert trend[-1]["work"] == 3
