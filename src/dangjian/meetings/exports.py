"""组织生活 exported and printed (web.exports): the meetings of a subtree in a year, who attended
each, and the handling cases (处置)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone

from dangjian.core.errors import NotVisible
from dangjian.orgs import selectors as org_selectors
from dangjian.web.exports import Described, Export, register

from . import selectors
from .models import Attendance, Meeting


def _org(user: Any, params: QueryDict) -> Any:
    raw = params.get("org", "")
    if not raw.isdecimal():
        raise NotVisible()
    return org_selectors.org_get(user, int(raw))


def _year(params: QueryDict) -> int:
    today = timezone.localdate()
    raw = params.get("year", "")
    return min(max(int(raw), 2000), today.year + 1) if raw.isdecimal() else today.year


def _meeting_qs(user: Any, params: QueryDict) -> Any:
    year = _year(params)
    org = _org(user, params)
    return (
        Meeting.objects.filter(organization__path__under=org.path)
        .filter(Q(held_on__year=year) | Q(held_on__isnull=True, planned_on__year=year))
        .select_related("organization")
        .order_by("organization__path", "held_on", "planned_on", "id")
    )


def _describe(user: Any, params: QueryDict) -> Described:
    return Described(f"{_org(user, params).name}（含下级）", [("年度", f"{_year(params)}年")])


register(
    Export(
        name="meetings",
        title="组织生活会议",
        columns=[
            "党组织",
            "类型",
            "主题",
            "状态",
            "计划日期",
            "召开日期",
            "地点",
            "主持人",
            "记录人",
            "应到",
            "实到",
        ],  # fmt: skip
        widths=[24, 12, 30, 8, 12, 12, 16, 10, 10, 6, 6],
        rows=lambda user, params: (
            [
                m.organization.name,
                m.get_kind_display(),
                m.topic,
                m.get_status_display(),
                m.planned_on,
                m.held_on,
                m.place,
                m.chair,
                m.recorder,
                m.expected if m.held_on else None,
                m.attended if m.held_on else None,
            ]
            for m in _meeting_qs(user, params).iterator(chunk_size=2000)
        ),
        count=lambda user, params: _meeting_qs(user, params).count(),
        describe=_describe,
    )
)


def _attendance(user: Any, params: QueryDict) -> Any:
    return (
        Attendance.objects.filter(meeting__in=_meeting_qs(user, params).values("id"))
        .select_related("meeting", "meeting__organization", "member")
        .order_by(
            "meeting__organization__path", "meeting__held_on", "meeting_id", "member__member_no"
        )
    )


register(
    Export(
        name="attendance",
        title="会议出席情况",
        columns=[
            "党组织",
            "召开日期",
            "类型",
            "主题",
            "党员编号",
            "姓名",
            "出席情况",
            "原因",
            "签到时间",
        ],  # fmt: skip
        widths=[24, 12, 12, 30, 12, 10, 10, 24, 18],
        rows=lambda user, params: (
            [
                a.meeting.organization.name,
                a.meeting.held_on,
                a.meeting.get_kind_display(),
                a.meeting.topic,
                a.member.member_no,
                a.member.name,
                a.get_status_display(),
                a.reason,
                a.signed_in_at,
            ]
            for a in _attendance(user, params).iterator(chunk_size=5000)
        ),
        count=lambda user, params: _attendance(user, params).count(),
        describe=_describe,
    )
)


def _handlings(user: Any, params: QueryDict) -> Any:
    return selectors.handlings_of(_org(user, params))


register(
    Export(
        name="handlings",
        title="组织处置",
        columns=[
            "党员",
            "党员编号",
            "党组织",
            "事由",
            "具体情况",
            "启动日期",
            "决定",
            "决定依据",
            "决定日期",
        ],  # fmt: skip
        widths=[10, 12, 22, 14, 36, 12, 14, 30, 12],
        rows=lambda user, params: (
            [
                h.member.name,
                h.member.member_no,
                h.organization.name,
                h.get_reason_display(),
                h.detail,
                h.opened_on,
                h.get_decision_display() if h.decision else "待决定",
                h.decision_note,
                h.decided_on,
            ]
            for h in _handlings(user, params)
        ),
        count=lambda user, params: selectors.handlings_of(_org(user, params)).count(),
        describe=lambda user, params: Described(f"{_org(user, params).name}（含下级）"),
        personal=True,
    )
)
