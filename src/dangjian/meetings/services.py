"""Organizational-life writes: the yearly plan, notice and sign-in, the record with its attendance
and
vote, democratic appraisal, the rectification list, approved absences and handling cases.

Each write is one durable transaction with its audit event inside it (style.md §3); uploads are
validated and stored before the rows and removed again when the transaction fails.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.accounts.models import User
from dangjian.accounts.types import Actor
from dangjian.audit.services import audit_record
from dangjian.compliance.models import Finding
from dangjian.core import uploads
from dangjian.core.dates import add_months
from dangjian.core.errors import DomainError, NotVisible
from dangjian.members.models import Member
from dangjian.notify.services import handover_notice, member_users, notice_send

from .constants import (
    FREQUENCY,
    AttendanceStatus,
    Exclusion,
    Grade,
    HandlingDecision,
    HandlingReason,
    MeetingKind,
    MeetingStatus,
)
from .models import (
    Appraisal,
    Attachment,
    Attendance,
    Handling,
    Leave,
    LeaveStatus,
    Meeting,
    Rectification,
)
from .selectors import has_committee, roster


def month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


# ------------------------------------------------------------------ who attends


def _check_org(actor: Actor, org: Any) -> None:
    if not policy.can(actor, "change", org):
        raise NotVisible()


def _lock(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().select_related("organization").get(pk=meeting.pk)


def _clean_text(value: str, field: str, label: str, limit: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError("required", f"请填写{label}", field=field)
    if len(value) > limit:
        raise DomainError("too_long", f"{label}不能超过{limit}个字", field=field)
    return value


def _check_kind(org: Any, kind: str) -> None:
    if kind not in MeetingKind.values:
        raise DomainError("invalid", "请选择会议类型", field="kind")
    if kind == MeetingKind.GROUP and org.kind != "group":
        raise DomainError("invalid", "党小组会由党小组召开，请在党小组下安排", field="kind")
    if org.kind == "group" and kind != MeetingKind.GROUP:
        raise DomainError("invalid", "党小组只能安排党小组会", field="kind")


# ------------------------------------------------------------------ the plan


def _period_bounds(unit: str, year: int, n: int) -> tuple[date, date]:
    """The n-th month (1-12), quarter (1-4) or the year itself, as first and last day."""
    if unit == "month":
        start = date(year, n, 1)
        return start, add_months(start, 1) - timedelta(days=1)
    if unit == "quarter":
        start = date(year, 3 * n - 2, 1)
        return start, add_months(start, 3) - timedelta(days=1)
    return date(year, 1, 1), date(year, 12, 31)


# the day of the plan inside each period (editable afterwards): theme day on the branch's fixed day,
# lessons on it too (ZB allows holding them on the theme day), the rest spread over the period
PLAN_DAYS: dict[str, tuple[int, int | None]] = {
    MeetingKind.THEME_DAY: (0, None),
    MeetingKind.LECTURE: (2, None),
    MeetingKind.COMMITTEE: (0, 5),
    MeetingKind.GROUP: (0, 20),
    MeetingKind.GENERAL: (1, 25),
    MeetingKind.LIFE: (0, 10),
    MeetingKind.REVIEW: (0, 20),
}
PLAN_TOPICS: dict[str, str] = {
    MeetingKind.GENERAL: "{q}季度支部党员大会",
    MeetingKind.COMMITTEE: "{m}月支部委员会会议",
    MeetingKind.GROUP: "{m}月党小组会",
    MeetingKind.LECTURE: "{q}季度党课",
    MeetingKind.THEME_DAY: "{m}月主题党日",
    MeetingKind.LIFE: "{y}年度组织生活会",
    MeetingKind.REVIEW: "{y}年度民主评议党员",
}


@transaction.atomic(durable=True)
def plan_generate(*, actor: Actor, organization: Any, year: int, theme_day: int = 15) -> int:
    """The branch's yearly plan from the frequencies of rules.md §2 (and its groups' monthly group
    meetings): one planned meeting per kind and period not yet over and not already planned or held.
    Idempotent; returns how many were planned."""
    _check_org(actor, organization)
    if organization.kind != "branch":
        raise DomainError("invalid", "年度计划按党支部生成，请在党支部下操作")
    if not 1 <= theme_day <= 28:
        raise DomainError("invalid", "主题党日应为每月1日至28日之间的固定日期", field="theme_day")
    today = timezone.localdate()
    if year < today.year or year > today.year + 1:
        raise DomainError("invalid", "只能生成今年或明年的计划", field="year")
    groups = list(
        type(organization).objects.get_children(organization).filter(kind="group", is_active=True)
    )
    committee = has_committee(organization)
    existing = set()
    for oid, kind, day in (
        Meeting.objects.filter(organization__in=[organization, *groups])
        .exclude(status=MeetingStatus.CANCELLED)
        .filter(Q(held_on__year=year) | Q(held_on__isnull=True, planned_on__year=year))
        .values_list("organization_id", "kind", "planned_on")
    ):
        existing.add((oid, kind, day.month if day else 0))
    held = {
        (oid, kind, d.month if d else 0)
        for oid, kind, d in Meeting.objects.filter(
            organization__in=[organization, *groups], status=MeetingStatus.HELD, held_on__year=year
        ).values_list("organization_id", "kind", "held_on")
    }
    existing |= held
    created: list[Meeting] = []
    for kind, (unit, _rule) in FREQUENCY.items():
        if kind == MeetingKind.COMMITTEE and not committee:
            continue
        orgs = groups if kind == MeetingKind.GROUP else [organization]
        count = {"month": 12, "quarter": 4, "year": 1}[unit]
        offset, fixed_day = PLAN_DAYS[kind]
        for n in range(1, count + 1):
            start, end = _period_bounds(unit, year, n)
            if end < today or start < organization.established_on.replace(day=1):
                continue
            # the life meeting and the appraisal are normally held in the fourth quarter: December
            month = 12 if unit == "year" else start.month + offset
            day = date(year, month, fixed_day or theme_day)
            if day < today:
                day = today
            for org in orgs:
                if any((org.pk, kind, m) in existing for m in range(start.month, end.month + 1)):
                    continue
                topic = PLAN_TOPICS[kind].format(
                    y=year,
                    q="一二三四"[(start.month - 1) // 3] if unit == "quarter" else "",
                    m=month,
                )
                created.append(
                    Meeting(
                        organization=org, kind=kind, planned_on=day, topic=topic, created_by=actor
                    )
                )
    Meeting.objects.bulk_create(created)
    audit_record(
        actor=actor,
        action="meetings.plan",
        obj=None,
        object_type="meetings.plan",
        organization=organization,
        data={"year": year, "planned": len(created), "theme_day": theme_day},
    )
    return len(created)


@transaction.atomic(durable=True)
def meeting_plan(
    *,
    actor: Actor,
    organization: Any,
    kind: str,
    planned_on: date,
    topic: str,
    place: str = "",
    speaker: str = "",
    starts_at: time | None = None,
) -> Meeting:
    """Put one meeting on the plan (not yet announced)."""
    _check_org(actor, organization)
    _check_kind(organization, kind)
    topic = _clean_text(topic, "topic", "会议主题", 200, required=True)
    if planned_on is None:
        raise DomainError("required", "请填写计划日期", field="planned_on")
    if planned_on < organization.established_on:
        raise DomainError("bad_date", "计划日期不能早于组织成立日期", field="planned_on")
    m = Meeting.objects.create(
        organization=organization,
        kind=kind,
        planned_on=planned_on,
        starts_at=starts_at,
        topic=topic,
        place=_clean_text(place, "place", "地点", 100),
        speaker=_clean_text(speaker, "speaker", "主讲人", 50),
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="meetings.plan_one",
        obj=m,
        organization=organization,
        data={"kind": kind, "planned_on": planned_on.isoformat()},
    )
    return m


@transaction.atomic(durable=True)
def meeting_plan_update(
    *,
    actor: Actor,
    meeting: Meeting,
    planned_on: date,
    topic: str,
    place: str = "",
    speaker: str = "",
    starts_at: time | None = None,
) -> Meeting:
    m = _lock(meeting)
    _check_org(actor, m.organization)
    if m.status not in (MeetingStatus.PLANNED, MeetingStatus.PUBLISHED):
        raise DomainError("status", f"会议{m.get_status_display()}，不能再修改计划")
    if planned_on is None:
        raise DomainError("required", "请填写计划日期", field="planned_on")
    if m.status == MeetingStatus.PUBLISHED and planned_on < timezone.localdate():
        raise DomainError("bad_date", "已通知的会议不能改到今天以前", field="planned_on")
    before = {"planned_on": m.planned_on.isoformat() if m.planned_on else None, "topic": m.topic}
    m.planned_on, m.topic = planned_on, _clean_text(topic, "topic", "会议主题", 200, required=True)
    m.place, m.speaker = (
        _clean_text(place, "place", "地点", 100),
        _clean_text(speaker, "speaker", "主讲人", 50),
    )
    m.starts_at = starts_at
    m.save(update_fields=["planned_on", "starts_at", "topic", "place", "speaker", "updated_at"])
    audit_record(
        actor=actor,
        action="meetings.plan_update",
        obj=m,
        organization=m.organization,
        data={"before": before, "planned_on": planned_on.isoformat(), "topic": m.topic},
    )
    return m


def attendee_users(meeting: Meeting) -> QuerySet[Any]:

    day = meeting.planned_on or timezone.localdate()
    return User.objects.filter(
        is_active=True, member__in=roster(meeting.organization, meeting.kind, day)
    )


@transaction.atomic(durable=True)
def meeting_publish(*, actor: Actor, meeting: Meeting) -> int:
    """Announce a planned meeting: every attendee with an account gets a notice (in the inbox now,
    on their chosen channels in the next digest); sign-in opens on the day. Returns how many were
    told."""

    m = _lock(meeting)
    _check_org(actor, m.organization)
    if m.status != MeetingStatus.PLANNED:
        raise DomainError("status", f"会议{m.get_status_display()}，不能再发布通知")
    if m.planned_on is None or m.planned_on < timezone.localdate():
        raise DomainError("bad_date", "计划日期已过，请先修改日期再发布通知", field="planned_on")
    m.status, m.published_at, m.sign_in_token = (
        MeetingStatus.PUBLISHED,
        timezone.now(),
        secrets.token_urlsafe(16),
    )
    m.save(update_fields=["status", "published_at", "sign_in_token", "updated_at"])
    where = f"，地点：{m.place}" if m.place else ""
    at = f"{m.starts_at:%H:%M}" if m.starts_at else ""
    sent = notice_send(
        users=attendee_users(m),
        organization=m.organization,
        title=f"会议通知：{m.get_kind_display()}",
        body=f"{m.organization.name}定于{m.planned_on:%Y年%m月%d日}{at}召开"
        f"{m.get_kind_display()}（{m.topic}）{where}。"
        "请准时参加，到场后扫描会场二维码签到；不能参加的请向支部请假。",
        url=reverse("meetings:member_meeting", args=[m.pk]),
        key=f"meeting:{m.pk}",
    )
    audit_record(
        actor=actor,
        action="meetings.publish",
        obj=m,
        organization=m.organization,
        data={"notified": sent},
    )
    return sent


@transaction.atomic(durable=True)
def meeting_cancel(*, actor: Actor, meeting: Meeting, reason: str) -> Meeting:
    m = _lock(meeting)
    _check_org(actor, m.organization)
    if m.status not in (MeetingStatus.PLANNED, MeetingStatus.PUBLISHED):
        raise DomainError("status", f"会议{m.get_status_display()}，不能取消")
    reason = _clean_text(reason, "reason", "取消原因", 200, required=True)
    m.status = MeetingStatus.CANCELLED
    m.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="meetings.cancel",
        obj=m,
        organization=m.organization,
        data={"reason": reason},
    )
    return m


@transaction.atomic(durable=True)
def attendance_sign_in(*, user: Any, meeting: Meeting, token: str) -> Attendance:
    """A member signs in to a meeting from their phone (the room's QR code opens the page): only
    themself, only once, only on the day, only if they are on the meeting's roster."""
    member_id = getattr(user, "member_id", None)
    if not member_id:
        raise DomainError("not_member", "请使用本人的党员账号登录后签到")
    m = _lock(meeting)
    if m.status != MeetingStatus.PUBLISHED or not m.sign_in_token:
        raise DomainError("status", "本次会议未开放签到")
    if not secrets.compare_digest(token or "", m.sign_in_token):
        raise DomainError("token", "签到码无效，请扫描会场的二维码签到")
    today = timezone.localdate()
    if m.planned_on != today:
        raise DomainError("bad_date", f"只能在会议当天（{m.planned_on:%m月%d日}）签到")
    member = roster(m.organization, m.kind, today).filter(pk=member_id).first()
    if member is None:
        raise DomainError("not_attendee", "您不在本次会议的参会人员名单中")
    done = Attendance.objects.filter(meeting=m, member=member).first()
    if done is not None:
        raise DomainError(
            "duplicate",
            f"您已于{timezone.localtime(done.signed_in_at):%H:%M}签到，无需重复签到"
            if done.signed_in_at
            else "您的出席情况已由支部登记",
        )
    try:
        with transaction.atomic():
            a = Attendance.objects.create(
                meeting=m,
                member=member,
                status=AttendanceStatus.PRESENT,
                signed_in_at=timezone.now(),
                voting=member.status == "full",
                month_index=month_index(today),
            )
    except IntegrityError as exc:
        raise DomainError("duplicate", "您已签到，无需重复签到") from exc
    audit_record(
        actor=user,
        action="meetings.sign_in",
        obj=m,
        organization=m.organization,
        data={"member": member.member_no},
    )
    return a


@transaction.atomic(durable=True)
def leave_request(*, user: Any, meeting: Meeting, reason: str) -> Leave:
    """A member asks leave from a published meeting on their phone (请假); the branch decides."""
    member_id = getattr(user, "member_id", None)
    if not member_id:
        raise DomainError("not_member", "请使用本人的党员账号登录后请假")
    m = _lock(meeting)
    if m.status != MeetingStatus.PUBLISHED or m.planned_on is None:
        raise DomainError("status", "只能对已发布、尚未召开的会议请假")
    if m.planned_on < timezone.localdate():
        raise DomainError("bad_date", "会议已经召开，不能再请假")
    member = roster(m.organization, m.kind, m.planned_on).filter(pk=member_id).first()
    if member is None:
        raise DomainError("not_attendee", "您不在本次会议的参会人员名单中")
    reason = _clean_text(reason, "reason", "请假原因", 200, required=True)
    try:
        with transaction.atomic():
            lv = Leave.objects.create(
                member=member,
                meeting=m,
                starts_on=m.planned_on,
                ends_on=m.planned_on,
                reason=reason,
                status=LeaveStatus.REQUESTED,
                requested_at=timezone.now(),
            )
    except IntegrityError as exc:
        raise DomainError("duplicate", "您已就本次会议请过假", field="reason") from exc
    handover_notice(
        organization=m.organization,
        title=f"请假待审批：{member.name}",
        body=f"{m.get_kind_display()}“{m.topic}”（{m.planned_on:%m月%d日}）：{reason}",
        url=reverse("meetings:member", args=[member.pk]),
        key=f"leave:{lv.pk}",
    )
    audit_record(
        actor=user,
        action="meetings.leave_request",
        obj=lv,
        organization=m.organization,
        data={"member": member.member_no, "meeting": m.pk},
    )
    return lv


@transaction.atomic(durable=True)
def leave_decide(*, actor: Actor, leave: Leave, approve: bool, note: str = "") -> Leave:
    """The branch approves or refuses a member's request for leave from a meeting; the member is
    told. An approved leave marks them on leave when the meeting is recorded."""
    lv = (
        Leave.objects.select_for_update(of=("self",))
        .select_related("member__organization", "meeting")
        .get(pk=leave.pk)
    )
    _check_org(actor, lv.member.organization)
    if lv.status != LeaveStatus.REQUESTED:
        raise DomainError("status", f"该请假已{lv.get_status_display()}")
    note = (note or "").strip()[:200]
    if not approve and not note:
        raise DomainError("required", "不批准时请说明理由", field="note")
    lv.status = LeaveStatus.APPROVED if approve else LeaveStatus.REFUSED
    lv.approved_by, lv.approved_on, lv.decision_note = actor, timezone.localdate(), note
    lv.save(update_fields=["status", "approved_by", "approved_on", "decision_note"])
    handover_notice(
        users=member_users([lv.member_id]),
        organization=lv.member.organization,
        title=("请假已批准" if approve else "请假未批准")
        + (f"：{lv.meeting.topic}" if lv.meeting else ""),
        body=note or ("已准假。" if approve else ""),
        url=reverse("meetings:member_meeting", args=[lv.meeting_id])
        if lv.meeting_id
        else reverse("meetings:my"),
        key=f"leave:{lv.pk}:decided",
    )
    audit_record(
        actor=actor,
        action="meetings.leave_decide",
        obj=lv,
        organization=lv.member.organization,
        data={"member": lv.member.member_no, "approve": approve, "note": note},
    )
    return lv


# ------------------------------------------------------------------ the record


@dataclass
class Mark:
    status: str
    reason: str = ""
    exclusion: str = ""


def _tally(marks: dict[int, Mark], members: dict[int, Member]) -> dict[str, int]:
    counted = [mid for mid, mk in marks.items() if mk.status != AttendanceStatus.EXCLUDED]
    voting = [mid for mid in counted if members[mid].status == "full"]
    return {
        "expected": len(counted),
        "attended": sum(1 for mid in counted if marks[mid].status == AttendanceStatus.PRESENT),
        "voting_expected": len(voting),
        "voting_present": sum(1 for mid in voting if marks[mid].status == AttendanceStatus.PRESENT),
    }


def record_gaps(meeting: Meeting) -> list[str]:
    """What a held meeting's record lacks (LIFE-12): attendance, absentees' reasons, decisions, the
    vote."""
    gaps = []
    if meeting.expected == 0:
        gaps.append("出席情况")
    if meeting.attendance.filter(
        status__in=[AttendanceStatus.ABSENT, AttendanceStatus.LEAVE], reason=""
    ).exists():
        gaps.append("缺席人员原因")
    if (
        meeting.kind in (MeetingKind.GENERAL, MeetingKind.COMMITTEE)
        and not meeting.decisions.strip()
    ):
        gaps.append("决定事项")
    if meeting.motion and meeting.votes_for is None:
        gaps.append("表决情况")
    if not meeting.minutes.strip():
        gaps.append("会议记录")
    return gaps


@transaction.atomic(durable=True)
def meeting_record(
    *,
    actor: Actor,
    meeting: Meeting | None = None,
    organization: Any = None,
    kind: str = "",
    held_on: date,
    topic: str,
    place: str = "",
    chair: str = "",
    recorder: str = "",
    speaker: str = "",
    agenda: str = "",
    minutes: str = "",
    decisions: str = "",
    marks: dict[int, Mark] | None = None,
    motion: str = "",
    votes_for: int | None = None,
    votes_against: int | None = None,
    votes_abstain: int | None = None,
    files: Iterable[Any] = (),
    confirm_duplicate: bool = False,
) -> Meeting:
    """Record a meeting as held (a planned one, or one not on the plan): the minutes, who attended
    and
    who did not (and why), the quorum-base exclusions, the vote. Counts are computed from the
    roster.
    A vote without more than half of the voting members present, or whose counts do not add up, is
    refused with the reason; nothing is saved then (files included)."""
    if meeting is not None:
        m = _lock(meeting)
        org = m.organization
        if m.status == MeetingStatus.CANCELLED:
            raise DomainError("status", "会议已取消，不能登记记录")
    else:
        org = organization
        _check_kind(org, kind)
        m = Meeting(organization=org, kind=kind, created_by=actor)
    _check_org(actor, org)
    today = timezone.localdate()
    if held_on is None:
        raise DomainError("required", "请填写召开日期", field="held_on")
    if held_on > today:
        raise DomainError(
            "bad_date", "召开日期不能晚于今天（尚未召开的会议请放入计划）", field="held_on"
        )
    if held_on < org.established_on:
        raise DomainError(
            "bad_date",
            f"召开日期不能早于组织成立日期（{org.established_on:%Y-%m-%d}）",
            field="held_on",
        )
    topic = _clean_text(topic, "topic", "会议主题", 200, required=True)
    same_day = (
        Meeting.objects.filter(
            organization=org, kind=m.kind, held_on=held_on, status=MeetingStatus.HELD
        )
        .exclude(pk=m.pk)
        .first()
    )
    if same_day is not None and not confirm_duplicate:
        raise DomainError(
            "duplicate",
            f"{held_on:%Y年%m月%d日}本组织已登记过一次{same_day.get_kind_display()}"
            f"（主题：{same_day.topic}）。如确是同一天召开的另一次会议，请勾选“确认另行登记”"
            "后再保存；如是同一次会议，请到该会议页面修改记录",
            field="confirm_duplicate",
        )
    texts = {
        "place": _clean_text(place, "place", "地点", 100),
        "chair": _clean_text(chair, "chair", "主持人", 50),
        "recorder": _clean_text(recorder, "recorder", "记录人", 50),
        "speaker": _clean_text(speaker, "speaker", "主讲人", 50),
        "agenda": _clean_text(agenda, "agenda", "议程", 5000),
        "minutes": _clean_text(minutes, "minutes", "会议记录", 50000),
        "decisions": _clean_text(decisions, "decisions", "决定事项", 5000),
        "motion": _clean_text(motion, "motion", "表决事项", 200),
    }
    members = {
        x.pk: x for x in roster(org, m.kind, held_on).only("pk", "status", "name", "member_no")
    }
    marks = dict(marks or {})
    outside = [mid for mid in marks if mid not in members]
    if outside:
        raise DomainError(
            "roster",
            f"出席名单中有{len(outside)}人不在本次会议的参会人员名单中（出席人数不能多于名册人数）",
            field="attendance",
        )
    signed = {a.member_id: a.signed_in_at for a in m.attendance.all()} if m.pk else {}
    for mid in members:
        if mid not in marks:
            marks[mid] = Mark(
                AttendanceStatus.PRESENT if mid in signed else AttendanceStatus.ABSENT
            )
    for mid, mk in marks.items():
        if mk.status not in AttendanceStatus.values:
            raise DomainError("invalid", f"{members[mid].name}的出席情况无效", field="attendance")
        if mk.status == AttendanceStatus.EXCLUDED and mk.exclusion not in Exclusion.values:
            raise DomainError(
                "invalid",
                f"{members[mid].name}不计入应到人数，须选择规定的情形",
                field="attendance",
            )
        if len(mk.reason) > 200:
            raise DomainError(
                "too_long", f"{members[mid].name}的缺席原因不能超过200个字", field="attendance"
            )
    tally = _tally(marks, members)
    votes = (votes_for, votes_against, votes_abstain)
    if texts["motion"]:
        if any(v is None for v in votes):
            raise DomainError(
                "required", "有表决事项的，请填写赞成、反对、弃权票数", field="votes_for"
            )
        if any(v < 0 for v in votes):  # type: ignore[operator]
            raise DomainError("invalid", "票数不能为负数", field="votes_for")
        if tally["voting_present"] * 2 <= tally["voting_expected"]:
            raise DomainError(
                "quorum",
                f"到会有表决权的党员未超过半数（应到{tally['voting_expected']}人，实到{tally['voting_present']}人），"
                "不能进行表决（《中国共产党支部工作条例（试行）》第十一条）",
                field="attendance",
            )
        total = sum(v for v in votes if v is not None)
        if total != tally["voting_present"]:
            raise DomainError(
                "votes",
                f"赞成{votes_for}、反对{votes_against}、弃权{votes_abstain}，合计{total}票，"
                f"与实到有表决权的党员{tally['voting_present']}人不符（预备党员没有表决权）",
                field="votes_for",
            )
    elif any(v is not None for v in votes):
        raise DomainError("required", "填写了票数的，请同时填写表决事项", field="motion")
    stored = uploads.store(list(files), field="files", folder="meetings")
    try:
        for k, v in texts.items():
            setattr(m, k, v)
        m.topic, m.held_on, m.status = topic, held_on, MeetingStatus.HELD
        m.votes_for, m.votes_against, m.votes_abstain = (
            votes if texts["motion"] else (None, None, None)
        )
        for name, count in tally.items():
            setattr(m, name, count)
        m.save()
        m.attendance.all().delete()
        idx = month_index(held_on)
        Attendance.objects.bulk_create(
            [
                Attendance(
                    meeting=m,
                    member_id=mid,
                    status=mk.status,
                    reason=mk.reason.strip(),
                    exclusion=mk.exclusion if mk.status == AttendanceStatus.EXCLUDED else "",
                    voting=members[mid].status == "full",
                    signed_in_at=signed.get(mid),
                    month_index=idx,
                )
                for mid, mk in marks.items()
            ]
        )
        uploads.records(Attachment, stored, actor, meeting=m)
        audit_record(
            actor=actor,
            action="meetings.record",
            obj=m,
            organization=org,
            data={
                "kind": m.kind,
                "held_on": held_on.isoformat(),
                **tally,
                "motion": texts["motion"],
                "votes": list(votes) if texts["motion"] else None,
                "files": [f.sha256 for f in stored],
            },
        )
    except BaseException:
        uploads.discard(stored)
        raise
    return m


@transaction.atomic(durable=True)
def meeting_void(*, actor: Actor, meeting: Meeting, reason: str) -> Meeting:
    """作废 a held record found wrong (a duplicate, a meeting that did not take place as recorded):
    it stays, marked void with the reason, and no longer counts for organizational life."""
    m = _lock(meeting)
    _check_org(actor, m.organization)
    if m.status != MeetingStatus.HELD:
        raise DomainError(
            "status", f"只有已召开的会议记录可以作废（当前：{m.get_status_display()}）"
        )
    reason = _clean_text(reason, "reason", "作废原因", 200, required=True)
    m.status, m.void_reason = MeetingStatus.VOIDED, reason
    m.voided_at, m.voided_by = timezone.now(), actor
    m.save(update_fields=["status", "void_reason", "voided_at", "voided_by", "updated_at"])
    audit_record(
        actor=actor,
        action="meetings.void",
        obj=m,
        organization=m.organization,
        data={
            "kind": m.kind,
            "held_on": m.held_on.isoformat() if m.held_on else None,
            "reason": reason,
        },  # fmt: skip
    )
    return m


def motion_passed(m: Meeting) -> bool | None:
    """A motion passes with more than half of the voting members who should attend (ZB Art 11)."""
    if not m.motion or m.votes_for is None or m.voting_expected is None:
        return None
    return m.votes_for * 2 > m.voting_expected


# ------------------------------------------------------------------ appraisal, rectification


@transaction.atomic(durable=True)
def appraisal_record(*, actor: Actor, meeting: Meeting, grades: dict[int, str]) -> dict[str, int]:
    """The democratic appraisal's grades: 优秀 normally at most one third of those appraised; a
    member
    graded 不合格 goes into the handling workflow (people decide what follows)."""
    m = _lock(meeting)
    _check_org(actor, m.organization)
    if m.kind != MeetingKind.REVIEW or m.status != MeetingStatus.HELD:
        raise DomainError("status", "请先登记已召开的民主评议党员会议，再录入评定等次")
    members = {x.pk: x for x in roster(m.organization, m.kind, m.held_on)}  # type: ignore[arg-type]
    if not grades:
        raise DomainError("required", "请为参评党员评定等次", field="grades")
    outside = [mid for mid in grades if mid not in members]
    if outside:
        raise DomainError("roster", f"有{len(outside)}人不在本支部参评党员名单中", field="grades")
    bad = [mid for mid, g in grades.items() if g not in Grade.values]
    if bad:
        raise DomainError("invalid", f"{members[bad[0]].name}的评定等次无效", field="grades")
    excellent = sum(1 for g in grades.values() if g == Grade.EXCELLENT)
    if excellent * 3 > len(grades):
        raise DomainError(
            "excellent_limit",
            f"评为优秀的{excellent}人，超过参评党员{len(grades)}人的三分之一"
            f"（最多{len(grades) // 3}人）",
            field="grades",
        )
    Appraisal.objects.filter(meeting=m).delete()
    Appraisal.objects.bulk_create(
        [Appraisal(meeting=m, member_id=mid, grade=g) for mid, g in grades.items()]
    )
    opened = 0
    for mid, g in grades.items():
        if g == Grade.UNQUALIFIED:
            _, created = Handling.objects.get_or_create(
                member_id=mid,
                reason=HandlingReason.APPRAISAL,
                key=f"review:{m.pk}",
                defaults={
                    "organization": m.organization,
                    "opened_on": timezone.localdate(),
                    "detail": f"{m.held_on:%Y年}民主评议党员评定为不合格（{m.topic}）",
                },
            )
            opened += created
    counts = {g: sum(1 for x in grades.values() if x == g) for g in Grade.values}
    audit_record(
        actor=actor,
        action="meetings.appraisal",
        obj=m,
        organization=m.organization,
        data={"counts": counts, "handlings_opened": opened},
    )
    return counts


@transaction.atomic(durable=True)
def rectification_add(
    *, actor: Actor, meeting: Meeting, item: str, owner: str, due_on: date
) -> Rectification:
    m = _lock(meeting)
    _check_org(actor, m.organization)
    if m.kind != MeetingKind.LIFE or m.status != MeetingStatus.HELD:
        raise DomainError("status", "整改清单属于已召开的组织生活会")
    item = _clean_text(item, "item", "问题及整改措施", 300, required=True)
    owner = _clean_text(owner, "owner", "责任人", 50, required=True)
    if due_on is None or (m.held_on and due_on < m.held_on):
        raise DomainError("bad_date", "完成时限不能早于会议日期", field="due_on")
    r = Rectification.objects.create(meeting=m, item=item, owner=owner, due_on=due_on)
    audit_record(
        actor=actor,
        action="meetings.rectification_add",
        obj=r,
        organization=m.organization,
        data={"meeting": m.pk, "due_on": due_on.isoformat()},
    )
    return r


@transaction.atomic(durable=True)
def rectification_done(
    *, actor: Actor, rectification: Rectification, done_on: date
) -> Rectification:
    r = (
        Rectification.objects.select_for_update()
        .select_related("meeting__organization")
        .get(pk=rectification.pk)
    )
    _check_org(actor, r.meeting.organization)
    if r.done_on is not None:
        raise DomainError("status", "该事项已整改完成")
    if done_on is None or done_on > timezone.localdate():
        raise DomainError("bad_date", "完成日期不能晚于今天", field="done_on")
    r.done_on = done_on
    r.save(update_fields=["done_on"])
    audit_record(
        actor=actor,
        action="meetings.rectification_done",
        obj=r,
        organization=r.meeting.organization,
        data={"done_on": done_on.isoformat()},
    )
    return r


# ------------------------------------------------------------------ absences and handling


@transaction.atomic(durable=True)
def leave_approve(
    *, actor: Actor, member: Member, starts_on: date, ends_on: date, reason: str
) -> Leave:
    """Record an approved reason for staying away from organizational life (长期外出、病休…)."""
    _check_org(actor, member.organization)
    reason = _clean_text(reason, "reason", "请假原因", 200, required=True)
    if starts_on is None or ends_on is None or ends_on < starts_on:
        raise DomainError("bad_date", "结束日期不能早于开始日期", field="ends_on")
    if (ends_on - starts_on).days > 366:
        raise DomainError("bad_date", "一次请假不超过一年，到期后可再次办理", field="ends_on")
    lv = Leave.objects.create(
        member=member,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason,
        approved_by=actor,
        approved_on=timezone.localdate(),
    )
    audit_record(
        actor=actor,
        action="meetings.leave",
        obj=lv,
        organization=member.organization,
        data={"member": member.member_no, "from": starts_on.isoformat(), "to": ends_on.isoformat()},
    )
    return lv


def handlings_open_for_absence(as_of: date, *, paths: list[str] | None = None) -> int:
    """Open a handling case for every member with an open LIFE-10 finding (absent six months) who
    has none for that run yet. Set-based; runs inside the scan's closing transaction (or after an
    act, for the subtrees in `paths`)."""

    under = Q()
    for p in paths or []:
        under |= Q(organization__path__under=p)
    rows = list(
        Finding.objects.filter(
            under, rule_id="LIFE-10", closed_on__isnull=True, member__isnull=False
        )
        .exclude(
            member__handlings__reason=HandlingReason.ABSENCE,
            member__handlings__decided_on__isnull=True,
        )
        .values_list("id", "member_id", "organization_id", "message")
    )
    known = set(
        Handling.objects.filter(
            reason=HandlingReason.ABSENCE, key__in=[f"life10:{r[0]}" for r in rows]
        ).values_list("key", flat=True)
    )
    fresh = [
        Handling(
            member_id=mid,
            organization_id=oid,
            reason=HandlingReason.ABSENCE,
            key=f"life10:{fid}",
            opened_on=as_of,
            detail=msg[:300],
        )
        for fid, mid, oid, msg in rows
        if f"life10:{fid}" not in known
    ]
    Handling.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)


@transaction.atomic(durable=True)
def handling_decide(
    *, actor: Actor, handling: Handling, decision: str, note: str, decided_on: date
) -> Handling:
    """Record what the branch (and the committee above) decided. The platform never changes the
    member's standing by itself: removal and the like go through the member services."""
    h = (
        Handling.objects.select_for_update()
        .select_related("organization", "member")
        .get(pk=handling.pk)
    )
    _check_org(actor, h.organization)
    if h.decided_on is not None:
        raise DomainError("status", "该事项已作出决定")
    if decision not in HandlingDecision.values:
        raise DomainError("invalid", "请选择处置决定", field="decision")
    note = _clean_text(note, "note", "决定依据（会议、批复文号）", 300, required=True)
    if decided_on is None or decided_on > timezone.localdate():
        raise DomainError("bad_date", "决定日期不能晚于今天", field="decided_on")
    h.decision, h.decision_note, h.decided_on, h.decided_by = decision, note, decided_on, actor
    h.save(update_fields=["decision", "decision_note", "decided_on", "decided_by"])
    audit_record(
        actor=actor,
        action="meetings.handling_decide",
        obj=h,
        organization=h.organization,
        data={"member": h.member.member_no, "decision": decision, "note": note},
    )
    return h
