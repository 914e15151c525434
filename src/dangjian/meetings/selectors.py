"""Reads of 组织生活: who attends a meeting, a branch's year and a committee's roll-up, one meeting
as the viewer may see it, a member's participation; the member's own meetings on the phone."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.compliance.models import Finding
from dangjian.core.errors import NotVisible
from dangjian.core.lookups import successor
from dangjian.core.prepared import Prepared
from dangjian.core.sqldates import MonthOf
from dangjian.members.constants import FEE_STATUSES
from dangjian.members.models import Member
from dangjian.orgs.constants import PostKind
from dangjian.orgs.models import Organization, Post
from dangjian.orgs.selectors import org_children

from .constants import FREQUENCY, AttendanceStatus, MeetingKind, MeetingStatus
from .models import Attachment, Attendance, Handling, Leave, Meeting, Rectification

KIND_LABELS = dict(MeetingKind.choices)


# ------------------------------------------------------------------ who attends


def committee_member_ids(org: Any) -> QuerySet[Any]:
    """The members holding a post of the organization's committee (group leaders excepted)."""
    return (
        Post.objects.filter(organization=org, ended_on__isnull=True)
        .exclude(post=PostKind.GROUP_LEADER)
        .values("member_id")
    )


def has_committee(org: Any) -> bool:
    """A branch has a committee when it has 3 or more posts other than group leader (rules-contract
    LIFE-02)."""
    return committee_member_ids(org).count() >= 3


def roster(org: Any, kind: str, on: date) -> QuerySet[Member]:
    """Who should attend a meeting of `kind` held by `org` on `on`: the committee members for a
    committee meeting; the branch's members on the roll that day otherwise (a group meets with its
    branch's members, who are kept on the branch)."""
    qs = Member.objects.filter(status__in=FEE_STATUSES, joined_on__lte=on)
    if kind == MeetingKind.COMMITTEE:
        return qs.filter(pk__in=committee_member_ids(org))
    if org.kind == "group":
        parent = type(org).objects.get_parent(org)
        return qs.filter(organization=parent)
    return qs.filter(organization__path__under=org.path)


# ------------------------------------------------------------------ staff


def meeting_get(user: Any, pk: int, action: str = "view") -> Meeting:
    m = Meeting.objects.select_related("organization").filter(pk=pk).first()
    if m is None or not policy.can(user, action, m.organization):
        raise NotVisible("未找到该会议，或不在您的管理范围内")
    return m


def branch_year(org: Any, year: int) -> dict[str, Any]:
    """A branch's (or group's) year: kinds × months with each meeting (the branch's groups'
    meetings included), what is coming, whether a plan exists, open handling cases."""
    in_year = Q(held_on__year=year) | Q(held_on__isnull=True, planned_on__year=year)
    orgs = (
        [org, *type(org).objects.get_children(org).filter(kind="group", is_active=True)]
        if org.kind == "branch"
        else [org]
    )
    meetings = list(
        Meeting.objects.filter(in_year, organization__in=orgs)
        .exclude(status=MeetingStatus.CANCELLED)
        .select_related("organization")
        .order_by("held_on", "planned_on", "id")
    )
    kinds = [
        k
        for k in MeetingKind.values
        if k != MeetingKind.GROUP or len(orgs) > 1 or org.kind == "group"
    ]
    grid: dict[str, dict[int, list[Meeting]]] = {k: {mo: [] for mo in range(1, 13)} for k in kinds}
    for m in meetings:
        if m.kind in grid and m.day is not None:
            grid[m.kind][m.day.month].append(m)
    rows = []
    for k in kinds:
        unit = FREQUENCY.get(k, ("", ""))[0]
        held = sum(1 for m in meetings if m.kind == k and m.status == MeetingStatus.HELD)
        rows.append(
            {
                "kind": k,
                "label": KIND_LABELS[k],
                "cells": [grid[k][mo] for mo in range(1, 13)],
                "held": held,
                "due": {"month": "每月", "quarter": "每季度", "year": "每年"}.get(unit, "按需"),
            }
        )
    upcoming = [
        m for m in meetings if m.status in (MeetingStatus.PLANNED, MeetingStatus.PUBLISHED)
    ][:12]
    return {
        "rows": rows,
        "upcoming": upcoming,
        "has_plan": any(
            m.status in (MeetingStatus.PLANNED, MeetingStatus.PUBLISHED) for m in meetings
        ),
        "handlings": Handling.objects.filter(organization=org, decided_on__isnull=True).count(),
    }


def committee_year(user: Any, org: Any, year: int) -> list[dict[str, Any]]:
    """A committee's year: per sub-organization and month, meetings held and planned, and the open
    LIFE findings (grouped by path prefix: three grouped queries)."""
    width = len(org.path) + org.steplen
    children = list(
        org_children(user, org)
        .exclude(kind="group")
        .order_by("path")
        .values("pk", "name", "path", "kind")
    )
    # the subtree's organizations first, then their meetings through the (organization, …) indexes
    subtree = Organization.objects.filter(path__under=org.path).values("id")
    base = (
        Meeting.objects.filter(organization_id__in=subtree)
        .exclude(status__in=[MeetingStatus.CANCELLED, MeetingStatus.VOIDED])
        .order_by()
    )
    held_rows = (
        base.filter(status=MeetingStatus.HELD, held_on__year=year)
        .annotate(prefix=Substr("organization__path", 1, width), mo=MonthOf("held_on"))
        .values("prefix", "mo")
        .annotate(n=Count("id"))
    )
    planned = (
        base.exclude(status=MeetingStatus.HELD)
        .filter(planned_on__year=year)
        .annotate(prefix=Substr("organization__path", 1, width), mo=MonthOf("planned_on"))
        .values("prefix", "mo")
        .annotate(n=Count("id"))
    )
    cells: dict[tuple[str, int], dict[str, int]] = {}
    for r in held_rows:
        cells.setdefault((r["prefix"], r["mo"]), {"held": 0, "planned": 0})["held"] = r["n"]
    for r in planned:
        cells.setdefault((r["prefix"], r["mo"]), {"held": 0, "planned": 0})["planned"] = r["n"]
    open_life = dict(
        Finding.objects.filter(
            closed_on__isnull=True,
            rule_id__startswith="LIFE-",
            organization__path__under=org.path,
        )
        .order_by()
        .annotate(prefix=Substr("organization__path", 1, width))
        .values("prefix")
        .annotate(n=Count("id"))
        .values_list("prefix", "n")
    )
    return [
        {
            **c,
            "cells": [cells.get((c["path"], mo), {"held": 0, "planned": 0}) for mo in range(1, 13)],
            "total": sum(cells.get((c["path"], mo), {}).get("held", 0) for mo in range(1, 13)),
            "open": open_life.get(c["path"], 0),
        }
        for c in children
    ]


def meeting_parts(m: Meeting) -> dict[str, Any]:
    """A meeting's attendance (with the member), files, appraisal grades and rectification list."""
    return {
        "attendance": list(
            m.attendance.select_related("member").order_by("status", "member__member_no")
        ),
        "files": list(m.attachments.all()),
        "appraisals": list(
            m.appraisals.select_related("member").order_by("grade", "member__member_no")
        ),
        "rectifications": list(m.rectifications.all()),
    }


def attendance_by_member(m: Meeting | None) -> dict[int, Attendance]:
    return {a.member_id: a for a in m.attendance.all()} if m else {}


def approved_leaves(m: Meeting | None) -> dict[int, str]:
    """Members granted leave from this meeting, with their reason (marked 请假 when recorded)."""
    if m is None:
        return {}
    return dict(
        Leave.objects.filter(meeting=m, status="approved").values_list("member_id", "reason")
    )


def grades_of(m: Meeting) -> dict[int, str]:
    return {a.member_id: a.grade for a in m.appraisals.all()}


def rectification_get(m: Meeting, pk: int) -> Rectification:
    r = m.rectifications.filter(pk=pk).first()
    if r is None:
        raise NotVisible("未找到该整改事项")
    return r


def attachment_get(m: Meeting, pk: int) -> Attachment:
    f = m.attachments.filter(pk=pk).first()
    if f is None:
        raise NotVisible("未找到该附件")
    return f


def participation(member: Member) -> dict[str, Any]:
    """One member's meetings (the last 200), month by month present / other, absences, handling."""
    rows = list(member.attendance.select_related("meeting").order_by("-meeting__held_on")[:200])
    by_month: dict[str, dict[str, int]] = {}
    for a in rows:
        key = f"{a.meeting.held_on:%Y-%m}"
        cell = by_month.setdefault(key, {"present": 0, "other": 0})
        cell["present" if a.status == AttendanceStatus.PRESENT else "other"] += 1
    return {
        "rows": rows,
        "months": sorted(by_month.items(), reverse=True)[:24],
        "leaves": list(member.leaves.select_related("meeting").order_by("-starts_on")),
        "handlings": list(member.handlings.order_by("-opened_on")),
    }


def leave_get(user: Any, pk: int) -> Leave:
    lv = Leave.objects.select_related("member__organization", "meeting").filter(pk=pk).first()
    if lv is None or not policy.can(user, "change", lv.member.organization):
        raise NotVisible("未找到该请假")
    return lv


def handlings_of(org: Any) -> QuerySet[Handling]:
    """Handling cases of the subtree, undecided first."""
    return (
        Handling.objects.filter(organization__path__under=org.path)
        .select_related("member", "organization")
        .order_by("decided_on", "-opened_on", "-id")
    )


def handling_get(user: Any, pk: int, action: str = "view") -> Handling:
    h = Handling.objects.select_related("organization", "member").filter(pk=pk).first()
    if h is None or not policy.can(user, action, h.organization):
        raise NotVisible("未找到该处置事项")
    return h


# ------------------------------------------------------------------ the member's own


def member_upcoming(member: Member, limit: int = 10) -> list[Meeting]:
    """Published meetings of the member's branch and its groups from today on."""
    branch = member.organization
    if limit == UPCOMING:
        # on every member's 首页: one read compiled once; the branch's groups are the organizations
        # of kind group one level below it (their paths lie between the branch's and its successor)
        return _UPCOMING.instances(
            Meeting,
            branch.pk,
            branch.path,
            successor(branch.path),
            branch.depth + 1,
            timezone.localdate(),
        )
    orgs = [
        branch.pk,
        *type(branch)
        .objects.get_children(branch)
        .filter(kind="group")
        .values_list("pk", flat=True),
    ]
    return list(
        Meeting.objects.filter(
            organization_id__in=orgs,
            status=MeetingStatus.PUBLISHED,
            planned_on__gte=timezone.localdate(),
        ).order_by("planned_on", "id")[:limit]
    )


def published_from(branch_id: Any, path: Any, after: Any, depth: Any, today: Any) -> Any:
    """Published meetings of a branch (`branch_id`, at `path`, its subtree ending before `after`)
    and of its groups (at `depth`) from `today` on."""
    return Meeting.objects.filter(
        # the organizations first (by id and by the path index), then their meetings by the
        # meetings' organization index: an OR across the join would read every meeting
        organization_id__in=Organization.objects.filter(
            Q(pk=branch_id) | Q(path__gt=path, path__lt=after, depth=depth, kind="group")
        ).values("pk"),
        status=MeetingStatus.PUBLISHED,
        planned_on__gte=today,
    )


UPCOMING = 10
_UPCOMING = Prepared(
    lambda branch_id, path, after, depth, today: published_from(
        branch_id, path, after, depth, today
    ).order_by("planned_on", "id")[:UPCOMING],
    int,
    str,
    str,
    int,
    date,
)


def member_attendance(member: Member, limit: int = 24) -> list[Attendance]:
    return list(member.attendance.select_related("meeting").order_by("-meeting__held_on")[:limit])


def member_meeting_get(member: Member, pk: int) -> tuple[Meeting, Attendance | None]:
    """A published or held meeting the member is expected at, with their attendance row."""
    m = (
        Meeting.objects.select_related("organization")
        .filter(pk=pk)
        .exclude(status=MeetingStatus.PLANNED)
        .first()
    )
    day = (m.planned_on or m.held_on or timezone.localdate()) if m else None
    if m is None or not roster(m.organization, m.kind, day).filter(pk=member.pk).exists():  # type: ignore[arg-type]
        raise NotVisible("未找到该会议")
    return m, m.attendance.filter(member=member).first()


def my_leave(member: Member, meeting: Meeting) -> Leave | None:
    """The member's request for leave from this meeting, if any."""
    return Leave.objects.filter(member=member, meeting=meeting).first()


def meeting_for_sign_in(pk: int) -> Meeting:
    """The meeting a member signs in to (the service checks who, when and the code)."""
    m = Meeting.objects.filter(pk=pk).first()
    if m is None:
        raise NotVisible("未找到该会议")
    return m
