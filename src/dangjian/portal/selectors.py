"""Reads of the member's own pages that gather several apps' facts in one statement."""

from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

from django.db.models import Exists, QuerySet, Subquery

from dangjian.community import selectors as community_selectors
from dangjian.core.prepared import Prepared
from dangjian.enterprises import selectors as enterprise_selectors
from dangjian.members.models import Member
from dangjian.orgs import selectors as org_selectors
from dangjian.villages import selectors as village_selectors


class MeFacts(NamedTuple):
    holds_post: bool  # a post in an organization now
    posted: bool  # on a village's work team now (or to come)
    instructor: bool  # a party-building instructor now
    community: str | None  # where they reported this year
    services: int | None  # their confirmed services this year
    hours: Any  # and their hours


def _me(member_id: Any, today: Any, year: Any, start: Any, end: Any) -> QuerySet[Any]:
    services = community_selectors.services_done(member_id, start, end)
    return Member.objects.filter(pk=member_id).values_list(
        Exists(org_selectors.posts_now(member_id)),
        Exists(village_selectors.postings_now(member_id, today)),
        Exists(enterprise_selectors.instructor_now(member_id)),
        Subquery(community_selectors.reported_to(member_id, year)),
        Subquery(services.values("n")),
        Subquery(services.values("h")),
    )


# on every member's 我的: one read compiled once, where it took five
_ME = Prepared(_me, int, date, int, date, date)


def me_facts(member: Member, today: date) -> MeFacts:
    """What 我的 shows beside the record: whether the member holds a post, is posted to a village,
    is an instructor (each then read in full), and their year in the neighbourhood."""
    year = today.year
    rows = _ME.rows(member.pk, today, year, date(year, 1, 1), date(year, 12, 31))
    if not rows:
        return MeFacts(False, False, False, None, None, None)
    post, posted, instructor, community, n, hours = rows[0]
    return MeFacts(bool(post), bool(posted), bool(instructor), community, n, hours)
