"""Mobile members (流动党员, outflow and inflow) and their reports; lost-contact members (失联党员),
whose suspension and removal people decide — never the platform (rules.md §5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from dangjian.accounts.types import Actor
from dangjian.audit.services import audit_record
from dangjian.core.dates import add_months
from dangjian.core.errors import DomainError, NotVisible
from dangjian.members.constants import ACTIVE_STATUSES
from dangjian.members.models import Member
from dangjian.members.services import member_change_status_within

from ..models import (
    LostContact,
    LostStatus,
    MobileDirection,
    MobileMember,
    MobileReport,
)
from ._shared import can_act, day_or_today


@transaction.atomic(durable=True)
def mobile_register(
    *,
    actor: Actor,
    direction: str,
    organization: Any,
    place: str,
    reason: str,
    since: date,
    member: Member | None = None,
    name: str = "",
    home_org: str = "",
    fixed_place: bool = False,
    contact: str = "",
    card_no: str = "",
) -> MobileMember:
    """流出: one of our members away (the sending organization keeps them). 流入: a member of
    another
    organization living or working here, kept for day-to-day management."""
    if direction not in MobileDirection.values:
        raise DomainError("invalid", "请选择外出或外来", field="direction")
    if direction == MobileDirection.OUT:
        if member is None:
            raise DomainError("required", "请选择外出的党员", field="member")
        organization = member.organization
        name = member.name
        if member.status not in ACTIVE_STATUSES:
            raise DomainError(
                "status", f"{member.get_status_display()}不能登记为流动党员", field="member"
            )
    elif organization is None:
        raise DomainError("required", "请选择管理该外来党员的党支部", field="organization")
    elif not (name or "").strip() or not (home_org or "").strip():
        raise DomainError(
            "required",
            "请填写外来党员的姓名和组织关系所在党组织",
            field="name" if not (name or "").strip() else "home_org",
        )
    if not can_act(actor, organization):
        raise NotVisible()
    for value, field, label in ((place, "place", "流向（流入）地点"), (reason, "reason", "原因")):
        if not (value or "").strip():
            raise DomainError("required", f"请填写{label}", field=field)
    if since > timezone.localdate():
        raise DomainError("bad_date", "日期不能晚于今天", field="since")
    try:
        with transaction.atomic():
            mm = MobileMember(
                direction=direction,
                organization=organization,
                member=member,
                name=name.strip()[:50],
                home_org=(home_org or "").strip()[:100],
                place=place.strip()[:100],
                reason=reason.strip()[:100],
                fixed_place=fixed_place,
                since=since,
                card_no=(card_no or "").strip()[:30],
            )
            mm.set_contact(contact)
            mm.save()
    except IntegrityError as exc:
        raise DomainError("duplicate", "该党员已登记为外出流动党员", field="member") from exc
    audit_record(
        actor=actor,
        action="transfers.mobile_register",
        obj=mm,
        organization=organization,
        data={"direction": direction, "name": mm.name, "place": mm.place},
    )
    return mm


def _mobile(actor: Actor, mobile: MobileMember) -> MobileMember:
    mm = (
        MobileMember.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=mobile.pk)
    )
    if not can_act(actor, mm.organization):
        raise NotVisible()
    if mm.ended_on:
        raise DomainError("ended", "该流动党员登记已结束")
    return mm


@transaction.atomic(durable=True)
def mobile_report(*, actor: Actor, mobile: MobileMember, on: date, content: str) -> MobileReport:
    """A mobile member's report to the sending organization (at least once a year)."""
    mm = _mobile(actor, mobile)
    if not (content or "").strip():
        raise DomainError("required", "请填写汇报内容", field="content")
    if on > timezone.localdate() or on < mm.since:
        raise DomainError("bad_date", "汇报日期应在外出日期之后、今天之前", field="on")
    r = MobileReport.objects.create(mobile=mm, on=on, content=content.strip())
    audit_record(
        actor=actor,
        action="transfers.mobile_report",
        obj=mm,
        organization=mm.organization,
        data={"on": on.isoformat()},
    )
    return r


@transaction.atomic(durable=True)
def mobile_end(*, actor: Actor, mobile: MobileMember, on: date) -> MobileMember:
    mm = _mobile(actor, mobile)
    if on > timezone.localdate() or on < mm.since:
        raise DomainError("bad_date", "返回日期应在外出日期之后、今天之前", field="on")
    mm.ended_on = on
    mm.save(update_fields=["ended_on"])
    audit_record(
        actor=actor,
        action="transfers.mobile_end",
        obj=mm,
        organization=mm.organization,
        data={"on": on.isoformat()},
    )
    return mm


@transaction.atomic(durable=True)
def lost_record(*, actor: Actor, member: Member, since: date, efforts: str = "") -> LostContact:
    """The branch records that it has lost contact with a member (since when, what was tried)."""
    m = Member.objects.select_related("organization").get(pk=member.pk)
    if not can_act(actor, m.organization):
        raise NotVisible()
    if m.status not in ACTIVE_STATUSES:
        raise DomainError("status", f"{m.get_status_display()}不能登记为失联党员", field="member")
    if since > timezone.localdate():
        raise DomainError("bad_date", "失去联系日期不能晚于今天", field="since")
    try:
        with transaction.atomic():
            lc = LostContact.objects.create(
                member=m, organization=m.organization, since=since, efforts=(efforts or "").strip()
            )
    except IntegrityError as exc:
        raise DomainError("duplicate", "该党员已登记为失联党员", field="member") from exc
    audit_record(
        actor=actor,
        action="transfers.lost_record",
        obj=lc,
        organization=m.organization,
        data={"member": m.member_no, "since": since.isoformat()},
    )
    return lc


@dataclass(frozen=True)
class _LostStep:
    """One decision on a lost-contact member: from which state, how long after which date at the
    earliest (months), the member's new status (None = unchanged), the record's new state."""

    from_status: str
    stage_error: str
    since_field: str | None
    months: int
    too_early: str
    to_member: str | None
    default_reason: str
    to_status: str


LOST_STEPS = {
    "found": _LostStep(
        LostStatus.OPEN, "只有失去联系状态可以登记恢复联系", None, 0, "", None, "", LostStatus.FOUND
    ),
    "suspend": _LostStep(
        LostStatus.OPEN,
        "只有失去联系状态可以停止党籍",
        "since",
        6,
        "失去联系满6个月（{due}）后方可停止党籍",
        "suspended",
        "失去联系超过6个月，经支部决定停止党籍",
        LostStatus.SUSPENDED,
    ),
    "remove": _LostStep(
        LostStatus.SUSPENDED,
        "停止党籍后方可按自行脱党除名",
        "suspended_on",
        24,
        "停止党籍满2年（{due}）后仍无法取得联系的，方可按自行脱党除名",
        "removed_lapsed",
        "停止党籍2年后仍无法取得联系，按自行脱党予以除名",
        LostStatus.REMOVED,
    ),
    "restore": _LostStep(
        LostStatus.SUSPENDED,
        "只有停止党籍的党员可以恢复党籍",
        None,
        0,
        "",
        "full",
        "",
        LostStatus.RESTORED,
    ),
}


@transaction.atomic(durable=True)
def lost_decide(
    *, actor: Actor, lost: LostContact, decision: str, on: date, reason: str = ""
) -> LostContact:
    """What people decided (nothing here is automatic): found again; 停止党籍 after ≥6 months (JY
    Art
    24); removed as 自行脱党 when still unreachable 2 years after the suspension; membership
    restored.
    """

    lc = (
        LostContact.objects.select_for_update(of=("self",))
        .select_related("member", "organization")
        .get(pk=lost.pk)
    )
    if not can_act(actor, lc.organization):
        raise NotVisible()
    step = LOST_STEPS.get(decision)
    if step is None:
        raise DomainError("invalid", "未知操作")
    on = day_or_today(on)
    reason = (reason or "").strip()
    if lc.status != step.from_status:
        raise DomainError("stage", step.stage_error)
    if step.since_field:
        due = add_months(getattr(lc, step.since_field), step.months)
        if on < due:
            raise DomainError("too_early", step.too_early.format(due=f"{due:%Y-%m-%d}"), field="on")
    if decision == "restore" and not reason:
        raise DomainError(
            "required", "恢复党籍须写明依据（本人申请及支部大会决议）", field="reason"
        )
    if step.to_member:
        member_change_status_within(
            actor=actor,
            member=lc.member,
            to_status=step.to_member,
            on=on,
            reason=reason or step.default_reason,
        )
    lc.status = step.to_status
    if step.to_status == LostStatus.SUSPENDED:
        lc.suspended_on = on
    else:
        lc.closed_on = on
    lc.save(update_fields=["status", "suspended_on", "closed_on"])
    audit_record(
        actor=actor,
        action=f"transfers.lost_{decision}",
        obj=lc,
        organization=lc.organization,
        data={"member": lc.member.member_no, "on": on.isoformat(), "reason": reason},
    )
    return lc
