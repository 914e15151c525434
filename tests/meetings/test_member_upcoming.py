"""A member's coming meetings (首页 and 组织生活 on the phone) are read by one statement compiled
once: the published meetings of the member's branch and of its groups, from today on, and nothing
of a sibling branch, a sibling's group, the branch's parent, a past or unpublished meeting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.meetings import selectors
from dangjian.meetings.models import Meeting
from dangjian.orgs.services import org_create

pytestmark = pytest.mark.django_db


def _meeting(org, days, status="published", topic=""):
    return Meeting.objects.create(
        organization=org,
        kind="general_meeting",
        status=status,
        planned_on=timezone.localdate() + timedelta(days=days),
        topic=topic or f"{org.name}{days}",
    )


def test_the_branch_and_its_groups_from_today_on(tree):
    m = tree.members["A1-1"]
    assert m.organization == tree.branch_a1
    sibling_group = org_create(
        actor=None,
        parent=tree.branch_a2,
        code="A2G",
        name="第二支部第一党小组",
        kind="group",
        category=tree.branch_a2.category,
        established_on=tree.branch_a2.established_on,
    )
    want = [
        _meeting(tree.branch_a1, 0),
        _meeting(tree.group_a1, 1),
        _meeting(tree.branch_a1, 5),
    ]
    _meeting(tree.branch_a1, -1)  # past
    _meeting(tree.branch_a1, 2, status="planned")  # not published
    _meeting(tree.branch_a2, 1)  # a sibling branch
    _meeting(sibling_group, 1)  # a sibling's group
    _meeting(tree.district_a, 1)  # above
    selectors.member_upcoming(m)  # compiled on first use
    with CaptureQueriesContext(connection) as q:
        got = selectors.member_upcoming(m)
    assert len(q.captured_queries) == 1
    assert [x.pk for x in got] == [x.pk for x in want]
    # the ORM's general read (any other limit) agrees
    assert [x.pk for x in selectors.member_upcoming(m, limit=11)] == [x.pk for x in want]
    for i in range(12):
        _meeting(tree.group_a1, 10 + i)
    assert len(selectors.member_upcoming(m)) == selectors.UPCOMING
    # a member of the group's own branch sees them; one of the sibling branch sees its own
    other = next(v for k, v in tree.members.items() if v.organization_id == tree.branch_a2.pk)
    assert {x.organization_id for x in selectors.member_upcoming(other)} == {
        tree.branch_a2.pk,
        sibling_group.pk,
    }
