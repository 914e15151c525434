"""meetings' contributions to 待办 (see `web.hooks`): a branch's planned meetings whose day has
passed without a record, leave requests to decide, handling cases to decide; for a member, the
meetings published for them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.urls import reverse

from dangjian.accounts import policy
from dangjian.web import hooks
from dangjian.web.todo import MemberScope, Scope, Todo, gated, member_gated

from .constants import MeetingStatus
from .models import Handling, Leave, LeaveStatus, Meeting
from .selectors import member_upcoming, published_from

RECORD_DAYS = 7  # a meeting is recorded within a week of its day
HANDLING_DAYS = 30  # a handling case is decided within a month
LIMIT = 300


def _to_record(s: Scope) -> Any:
    q = s.under("organization__path")
    if q is None:
        return None
    return Meeting.objects.filter(
        q, status__in=[MeetingStatus.PLANNED, MeetingStatus.PUBLISHED], planned_on__lt=s.today
    )


@hooks.register("todo")
@gated(_to_record)
def meetings_to_record(user: Any, today: date) -> list[Todo]:
    """Planned or published meetings of the user's organizations whose day has passed: record
    them as held (or cancel them)."""
    q = policy.path_q(user, "change", "organization__path")
    if q is None:
        return []
    rows = (
        Meeting.objects.filter(
            q,
            status__in=[MeetingStatus.PLANNED, MeetingStatus.PUBLISHED],
            planned_on__lt=today,
        )
        .select_related("organization")
        .order_by("planned_on")[:LIMIT]
    )
    return [
        Todo(
            kind="meeting",
            title=f"登记会议记录：{m.topic}（{m.planned_on:%m月%d日}）",
            url=reverse("meetings:detail", args=[m.pk]),
            organization=m.organization.name,
            deadline=m.planned_on + timedelta(days=RECORD_DAYS) if m.planned_on else None,
            action="登记记录",
        )
        for m in rows
    ]


def _leaves(s: Scope) -> Any:
    q = s.under("member__organization__path")
    return None if q is None else Leave.objects.filter(q, status=LeaveStatus.REQUESTED)


@hooks.register("todo")
@gated(_leaves)
def leaves_to_decide(user: Any, today: date) -> list[Todo]:
    """Members' requests for leave from a meeting, waiting for the branch."""
    q = policy.path_q(user, "change", "member__organization__path")
    if q is None:
        return []
    rows = (
        Leave.objects.filter(q, status=LeaveStatus.REQUESTED)
        .select_related("member__organization", "meeting")
        .order_by("starts_on")[:LIMIT]
    )
    return [
        Todo(
            kind="meeting",
            title=f"审批请假：{lv.member.name}" + (f"（{lv.meeting.topic}）" if lv.meeting else ""),
            url=reverse("meetings:member", args=[lv.member_id]),
            organization=lv.member.organization.name,
            deadline=lv.starts_on,
            detail=lv.reason,
            action="审批",
        )
        for lv in rows
    ]


def _handlings(s: Scope) -> Any:
    q = s.under("organization__path")
    return None if q is None else Handling.objects.filter(q, decided_on__isnull=True)


@hooks.register("todo")
@gated(_handlings)
def handlings_to_decide(user: Any, today: date) -> list[Todo]:
    """Handling cases (不合格, or absent six months) waiting for the branch's decision."""
    q = policy.path_q(user, "change", "organization__path")
    if q is None:
        return []
    rows = (
        Handling.objects.filter(q, decided_on__isnull=True)
        .select_related("member", "organization")
        .order_by("opened_on")[:LIMIT]
    )
    return [
        Todo(
            kind="meeting",
            title=f"研究处置意见：{h.member.name}（{h.get_reason_display()}）",
            url=reverse("meetings:handling_decide", args=[h.pk]),
            organization=h.organization.name,
            deadline=h.opened_on + timedelta(days=HANDLING_DAYS),
            detail=h.detail,
            action="登记决定",
        )
        for h in rows
    ]


def _published_gate(s: MemberScope) -> Any:
    return published_from(s.branch_id, s.branch_path, s.branch_next, s.group_depth, s.today)


@hooks.register("member_todo")
@member_gated(_published_gate)
def my_meetings(user: Any, member: Any, today: date) -> list[Todo]:
    """Meetings published for the member's branch from today on: attend, sign in, or ask leave."""
    return [
        Todo(
            kind="meeting",
            title=("今天" if m.planned_on == today else "参加")
            + f"{m.get_kind_display()}：{m.topic}",
            url=reverse("meetings:member_meeting", args=[m.pk]),
            deadline=m.planned_on,
            detail=m.place,
            action="签到" if m.planned_on == today else "查看",
        )
        for m in member_upcoming(member)
    ]
