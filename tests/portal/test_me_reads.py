"""我的's lists of posts held and village postings: read compiled once (one statement each, the
related rows joined), the same rows in the same order as the ORM's read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.orgs import selectors as org_selectors
from dangjian.orgs.models import Post
from dangjian.villages import selectors as village_selectors
from dangjian.villages.models import Resident
from tests.villages.helpers import village, village_committee

pytestmark = pytest.mark.django_db


@pytest.fixture
def posted(tree) -> dict[str, Any]:
    m = tree.members
    today = timezone.localdate()
    org = village_committee(tree)
    villages = [village(org, f"V00{n}", f"示范{n}村") for n in (1, 2, 3)]
    # A1-4: posted now, posted to come, and a posting that ended
    for posted_to, arrived, left in (
        (villages[1], today - timedelta(days=30), None),
        (villages[0], today + timedelta(days=10), None),
        (villages[2], today - timedelta(days=400), today - timedelta(days=40)),
    ):
        Resident.objects.create(
            village=posted_to,
            member=m["A1-4"],
            role="member",
            unit=tree.branch_a1,
            arrived_on=arrived,
            left_on=left,
        )
    Post.objects.create(organization=tree.branch_a1, member=m["A1-4"], post="discipline")
    Post.objects.create(organization=org, member=m["A1-4"], post="committee_member")
    Post.objects.create(
        organization=tree.branch_a1, member=m["A1-4"], post="group_leader", ended_on=today
    )
    none = next(x for x in m.values() if not Post.objects.filter(member=x).exists())
    return {"today": today, "member": m["A1-4"], "none": none}


def test_postings_are_the_orms_with_village_and_unit(posted):
    member, today = posted["member"], posted["today"]
    village_selectors.postings_of(member, today, posted=True)  # compiled
    with CaptureQueriesContext(connection) as q:
        got = village_selectors.postings_of(member, today, posted=True)
        seen = [(r.pk, r.village.name, r.unit.name, r.arrived_on) for r in got]
    assert len(q) == 1
    orm = (
        village_selectors.postings_now(member.pk, today)
        .select_related("village", "unit")
        .order_by("arrived_on")
    )
    assert seen == [(r.pk, r.village.name, r.unit.name, r.arrived_on) for r in orm]
    assert [name for _, name, _, _ in seen] == ["示范2村", "示范1村"]
    assert village_selectors.postings_of(posted["none"], today) == []


def test_posts_held_are_the_orms_with_the_organization(posted):
    member = posted["member"]
    org_selectors.org_posts_held(member, holds=True)  # compiled
    with CaptureQueriesContext(connection) as q:
        got = org_selectors.org_posts_held(member, holds=True)
        seen = [(p.pk, p.organization.name, p.get_post_display()) for p in got]
    assert len(q) == 1
    orm = org_selectors.posts_now(member.pk).select_related("organization")
    assert seen == [(p.pk, p.organization.name, p.get_post_display()) for p in orm]
    assert len(seen) == 2
    assert org_selectors.org_posts_held(posted["none"]) == []
