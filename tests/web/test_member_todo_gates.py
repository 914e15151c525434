"""A member's 待办 gates (`web.todo.member_gated`): on the member's 首页, one statement compiled
once says which of the nine sources may have work for them, and a source whose gate finds nothing is
not run. A gate narrower than its source would hide from a member the fee to pay or the class to
attend, so every member's list is compared with and without the gates, after work has been put
into each source for some members and not others (the rest of the suite's member pages run with
the gates too)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.academy.models import ClassStatus, Enrolment, EnrolmentStatus, TrainingClass
from dangjian.assistant.models import Opinion, OpinionStatus
from dangjian.community.models import Issue, IssueStatus, Report
from dangjian.enterprises.models import Assignment as EnterpriseAssignment
from dangjian.enterprises.models import Enterprise, Instructor
from dangjian.learning.models import Assignment, Course, Progress, Resource
from dangjian.learning.models import Unit as LearningUnit
from dangjian.meetings.models import Meeting
from dangjian.members import selectors as member_selectors
from dangjian.orgs.models import Organization, Unit
from dangjian.orgs.services import org_create
from dangjian.transfers.models import Stage, Transfer, TransferStatus
from dangjian.villages.models import Presence, Resident
from dangjian.web import hooks, todo
from tests.academy.helpers import open_class
from tests.conftest import make_user
from tests.villages.helpers import village, village_committee

pytestmark = pytest.mark.django_db


def _sources() -> dict[str, Any]:
    return {s.__name__: s for s in hooks.get_hooks("member_todo")}


@pytest.fixture
def accounts(tree, users) -> dict[str, Any]:
    """An account for every member of the tree (A1-2's is the fixture's member account)."""
    out = {"A1-2": users["member"]}
    for code, m in tree.members.items():
        if code not in out:
            out[code] = make_user(f"m_{code.lower()}", member=m)
    return out


@pytest.fixture
def planted(tree, users, accounts) -> dict[str, str]:
    """Work in each member source, each for some members only; returns source → a member who has
    that work."""
    today = timezone.localdate()
    m = tree.members
    # a meeting published for A1's group: A1's members are called to it
    Meeting.objects.create(
        organization=tree.group_a1,
        kind="group_meeting",
        status="published",
        planned_on=today + timedelta(days=3),
        topic="党小组学习",
    )
    # a letter issued to A1-3: reporting is their step
    Transfer.objects.create(
        member=m["A1-3"],
        from_org=tree.branch_a1,
        to_name="外单位党委",
        issued_on=today,
        valid_days=90,
        letter_no="ZJGATE1",
        status=TransferStatus.OPEN,
        stage=Stage.ISSUED,
    )
    # a course of two resources assigned to district B: B1-9 finished it, B1-10 read one of two
    course = Course.objects.create(title="党章", publisher=tree.district_b, published_on=today)
    part = LearningUnit.objects.create(course=course, title="第一单元")
    r1, r2 = (Resource.objects.create(unit=part, kind="article", title=f"第{i}篇") for i in (1, 2))
    Assignment.objects.create(
        course=course, organization=tree.district_b, due_on=today + timedelta(days=9)
    )
    now = timezone.now()
    for r in (r1, r2):
        Progress.objects.create(member=m["B1-9"], resource=r, completed_at=now)
    Progress.objects.create(member=m["B1-10"], resource=r1, completed_at=now)
    Progress.objects.create(member=m["B1-10"], resource=r2)  # begun, not completed
    # A2 becomes a state enterprise's branch: its members report to a community each year;
    # A2-5 has reported this year
    Organization.objects.filter(pk=tree.branch_a2.pk).update(category="soe")
    street = org_create(
        actor=None,
        parent=tree.district_a,
        code="ST",
        name="示范街道工委",
        kind="committee",
        category="community",
        established_on=date(2010, 1, 1),
    )
    Report.objects.create(member=m["A2-5"], community=street, year=today.year, reported_on=today)
    # a closed issue B1-8 raised, to confirm
    Issue.objects.create(
        community=street,
        title="路灯不亮",
        text="三号楼前路灯坏了一周",
        raised_by=accounts["B1-8"],
        raiser_name=m["B1-8"].name,
        raised_on=today - timedelta(days=20),
        status=IssueStatus.CLOSED,
        closed_on=today - timedelta(days=1),
    )
    # A1-4 is on a village's work team and has not logged today; A1-1 has
    v = village(village_committee(tree))
    for code in ("A1-4", "A1-1"):
        Resident.objects.create(
            village=v,
            member=m[code],
            role="member",
            unit=tree.branch_a1,
            arrived_on=today - timedelta(days=30),
        )
    Presence.objects.create(
        resident=Resident.objects.get(member=m["A1-1"]), day=today, on_site=True
    )
    # A2-6 is an instructor with an enterprise not visited this quarter; A2-7 was one
    ins = Instructor.objects.create(
        ref="ZT1", name=m["A2-6"].name, kind="full", organization=tree.district_a, member=m["A2-6"]
    )
    Instructor.objects.create(
        ref="ZT2",
        name=m["A2-7"].name,
        kind="part",
        organization=tree.district_a,
        member=m["A2-7"],
        ended_on=today - timedelta(days=1),
    )
    unit = Unit.objects.create(
        kind="unit",
        name="示范科技有限公司",
        credit_code="91350100M000100Y43",
        category="private",
        committee_id=tree.district_a.pk,
    )
    EnterpriseAssignment.objects.create(
        instructor=ins, enterprise=Enterprise.objects.create(unit=unit), since=date(2026, 1, 1)
    )
    # A1-1 has a place in a class starting in three days
    k = open_class(
        users, tree, "secretary", starts=today + timedelta(days=3), ends=today + timedelta(days=5)
    )
    TrainingClass.objects.filter(pk=k.pk).update(status=ClassStatus.PUBLISHED)
    Enrolment.objects.create(
        klass=k,
        member=m["A1-1"],
        name=m["A1-1"].name,
        nominee="member",
        nominated_by=tree.branch_a1,
        status=EnrolmentStatus.ACCEPTED,
        nominated_at=now,
    )
    # the branch replied to A2-7's opinion; A2-5's is still open
    Opinion.objects.create(
        member=m["A2-7"],
        organization=tree.branch_a2,
        topic="life",
        text="建议主题党日放在周末。",
        status=OpinionStatus.REPLIED,
        replied_at=now,
    )
    Opinion.objects.create(
        member=m["A2-5"],
        organization=tree.branch_a2,
        topic="life",
        text="建议多开展志愿服务。",
    )
    return {
        "my_meetings": "A1-2",
        "my_transfer": "A1-3",
        "my_assignments": "B1-10",
        "my_community": "A2-6",
        "my_presence": "A1-4",
        "my_instructor_work": "A2-6",
        "my_classes": "A1-1",
        "replies_to_rate": "A2-7",
    }


def _lists(user: Any, today: date) -> tuple[list[Any], list[Any], frozenset[Any]]:
    member = member_selectors.own_member(user)
    return (
        todo.member_todos(user, member, today).items,
        todo.member_todos(user, member, today, gated=False).items,
        todo.closed_member_sources(user, member, today),
    )


def test_each_members_list_is_the_same_with_and_without_the_gates(tree, accounts, planted):
    today = timezone.localdate()
    sources = _sources()
    assert len(sources) == 9
    assert all(getattr(s, "member_gate", None) for s in sources.values())
    with_items: dict[str, set[str]] = {name: set() for name in sources}
    for code, user in accounts.items():
        gated, full, closed = _lists(user, today)
        assert gated == full, code
        member = member_selectors.own_member(user)
        for name, src in sources.items():
            if list(src(user, member, today)):
                with_items[name].add(code)
                assert src not in closed, (code, name)
    # every source had work for the member planted for it: the comparison is not vacuous
    for name, code in planted.items():
        assert code in with_items[name], name
    assert with_items["my_fees"]  # the tree's members owe this month's fee


def test_the_gates_are_closed_where_there_is_no_work(tree, accounts, planted):
    today = timezone.localdate()
    s = _sources()
    cases = {
        # B1-9 finished the course assigned above them; A2-7's instructor post has ended; A1-1
        # logged today's presence; A2-5 reported this year and their opinion is not answered
        "B1-9": ["my_assignments", "my_meetings", "my_transfer", "my_classes"],
        "A2-7": ["my_instructor_work", "my_presence", "my_meetings"],
        "A1-1": ["my_presence", "my_transfer", "replies_to_rate", "my_instructor_work"],
        "A2-5": ["my_community", "replies_to_rate", "my_assignments"],
        # B1's and A1's members are not in service (a village's and a community's branch)
        "A1-4": ["my_community", "my_classes"],
    }
    for code, names in cases.items():
        _, _, closed = _lists(accounts[code], today)
        for name in names:
            assert s[name] in closed, (code, name)


def test_one_statement_asks_every_gate_and_closed_sources_read_nothing(tree, accounts, planted):
    today = timezone.localdate()
    user = accounts["B1-9"]
    member = member_selectors.own_member(user)
    todo.closed_member_sources(user, member, today)  # compiled
    with CaptureQueriesContext(connection) as gate:
        closed = todo.closed_member_sources(user, member, today)
    assert len(gate.captured_queries) == 1
    with CaptureQueriesContext(connection) as gated:
        todo.member_todos(user, member, today)
    with CaptureQueriesContext(connection) as full:
        todo.member_todos(user, member, today, gated=False)
    # B1-9's only work is the fee: the gate and the fee's read, where every source read before
    assert set(_sources().values()) - closed == {_sources()["my_fees"]}
    assert len(gated.captured_queries) == 2
    assert len(full.captured_queries) > 2 * len(gated.captured_queries)
