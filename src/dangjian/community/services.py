"""近邻党建 writes. One transaction each, audited; the people who must act next are told."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.accounts.models import User
from dangjian.accounts.types import Actor
from dangjian.audit.services import audit_record
from dangjian.core import crypto, uploads
from dangjian.core.errors import DomainError, NotVisible
from dangjian.members.constants import ACTIVE_STATUSES
from dangjian.members.models import Member
from dangjian.notify.services import handover_notice, member_users, notice_send
from dangjian.orgs.models import Organization

from .models import (
    Alliance,
    AllianceActivity,
    AppraisalGrade,
    Grid,
    Issue,
    IssueStatus,
    JointMeeting,
    Need,
    NeedKind,
    NeedStatus,
    Photo,
    PhotoStage,
    Place,
    Report,
    Residence,
    Service,
    Team,
    TeamActivity,
    UnitRegistration,
    YearAppraisal,
)
from .selectors import is_community

MAX_HOURS = Decimal("24.0")
STANDING = (NeedKind.POST, NeedKind.PAIRING)  # claims the community approves first


def _community(actor: Actor, community: Organization, action: str = "change") -> Organization:
    if not is_community(community):
        raise DomainError("not_community", f"“{community.name}”不是社区党组织", field="community")
    if actor is not None and not policy.can(actor, action, community):
        raise NotVisible("没有该社区的权限")
    return community


def _photos(photos: Any) -> Any:
    return uploads.photos_stored(photos, folder="community")


def _own_member(actor: Actor, member: Member) -> None:
    """The member themselves, or staff who change the member's organization."""
    if actor is None or getattr(actor, "member_id", None) == member.pk:
        return
    if not policy.can(actor, "change", member.organization):
        raise NotVisible("没有该党员的权限")


# --- places -------------------------------------------------------------------------------------


def _mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


@transaction.atomic(durable=True)
def place_save(
    *,
    actor: Actor,
    community: Organization,
    code: str,
    name: str,
    address: str = "",
    households: int = 0,
    buildings: int = 0,
    property_company: str = "",
    owners_committee: bool = False,
    property_party: bool = False,
    covered_by: Organization | None = None,
    place: Place | None = None,
) -> Place:
    """Register a 小区 of a community, or correct one. The covering party organization must be the
    community or an organization under it."""
    _community(actor, community)
    code, name = (code or "").strip(), (name or "").strip()
    if not code or len(code) > 32:
        raise DomainError("invalid", "请填写小区代码（不超过32个字符）", field="code")
    if not name:
        raise DomainError("required", "请填写小区名称", field="name")
    if households < 0 or buildings < 0:
        raise DomainError("invalid", "户数、楼栋数不能为负数", field="households")
    if covered_by is not None and not covered_by.path.startswith(community.path):
        raise DomainError(
            "scope", f"“{covered_by.name}”不是本社区或其下级党组织", field="covered_by"
        )
    clash = Place.objects.filter(code=code)
    if place is not None:
        clash = clash.exclude(pk=place.pk)
    if clash.exists():
        raise DomainError("duplicate", f"小区代码“{code}”已被使用", field="code")
    fields = {
        "community": community,
        "code": code,
        "name": name[:100],
        "address": (address or "").strip()[:200],
        "households": households,
        "buildings": buildings,
        "property_company": (property_company or "").strip()[:100],
        "owners_committee": owners_committee,
        "property_party": property_party,
        "covered_by": covered_by,
    }
    if place is None:
        p = Place.objects.create(**fields)
        action = "community.place_create"
    else:
        p = Place.objects.select_for_update().get(pk=place.pk)
        _community(actor, p.community)
        for k, v in fields.items():
            setattr(p, k, v)
        p.save()
        action = "community.place_update"
    audit_record(
        actor=actor,
        action=action,
        obj=p,
        organization=community,
        data={"code": p.code, "name": p.name, "covered_by": covered_by.name if covered_by else ""},
    )
    return p


@transaction.atomic(durable=True)
def grid_save(
    *,
    actor: Actor,
    place: Place,
    kind: str,
    name: str,
    head_name: str = "",
    head_phone: str = "",
    head_member: Member | None = None,
    group: Organization | None = None,
) -> Grid:
    """A 网格 or 楼栋 of a 小区 with its 邻长 (phone stored encrypted, shown masked)."""
    p = Place.objects.select_related("community").get(pk=place.pk)
    _community(actor, p.community)
    name = (name or "").strip()
    if not name:
        raise DomainError("required", "请填写网格或楼栋名称", field="name")
    head_phone = (head_phone or "").strip()
    if head_phone and not (head_phone.isdecimal() and len(head_phone) == 11):
        raise DomainError("invalid", "邻长手机号应为11位数字", field="head_phone")
    if group is not None and not group.path.startswith(p.community.path):
        raise DomainError("scope", f"“{group.name}”不是本社区的党组织", field="group")
    try:
        with transaction.atomic():
            g, _ = Grid.objects.update_or_create(
                place=p,
                kind=kind,
                name=name[:50],
                defaults={
                    "head_name": (head_name or (head_member.name if head_member else ""))[:50],
                    "head_member": head_member,
                    "head_phone_encrypted": crypto.encrypt(head_phone) if head_phone else "",
                    "head_phone_masked": _mask_phone(head_phone) if head_phone else "",
                    "group": group,
                },
            )
    except IntegrityError as exc:
        raise DomainError("duplicate", "该网格/楼栋已存在", field="name") from exc
    audit_record(
        actor=actor,
        action="community.grid_save",
        obj=g,
        organization=p.community,
        data={"place": p.name, "name": g.name, "head_name": g.head_name},
    )
    return g


@transaction.atomic(durable=True)
def residence_set(*, actor: Actor, member: Member, place: Place | None) -> Residence | None:
    """Where a member lives: set by the member (我的) or by the branch; None clears it."""
    _own_member(actor, member)
    old = Residence.objects.filter(member=member).select_related("place").first()
    if place is None:
        if old is not None:
            old.delete()
        res = None
    else:
        res, _ = Residence.objects.update_or_create(member=member, defaults={"place": place})
    audit_record(
        actor=actor,
        action="community.residence_set",
        obj=member,
        organization=member.organization,
        data={"from": old.place.name if old else "", "to": place.name if place else ""},
    )
    return res


# --- 双报到 ---------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def unit_register(
    *,
    actor: Actor,
    unit: Organization,
    community: Organization,
    contact_name: str,
    contact_phone: str = "",
    agreement: str = "",
    resources: str = "",
    on: date | None = None,
) -> UnitRegistration:
    """组织报到: a unit's party organization registers with a community (once per community);
    the community is told."""
    if actor is not None and not policy.can(actor, "change", unit):
        raise NotVisible("没有该党组织的权限")
    if unit.kind == "group":
        raise DomainError("invalid", "党小组不单独报到，请以所在党支部报到", field="unit")
    if not is_community(community):
        raise DomainError("not_community", f"“{community.name}”不是社区党组织", field="community")
    if community.path.startswith(unit.path) or unit.path.startswith(community.path):
        raise DomainError(
            "invalid", "社区本身或其上级、下级党组织无需向该社区报到", field="community"
        )
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise DomainError("future", "报到日期不能晚于今天", field="registered_on")
    contact_name, contact_phone = (contact_name or "").strip(), (contact_phone or "").strip()
    if not contact_name:
        raise DomainError("required", "请填写联系人", field="contact_name")
    if contact_phone and not (contact_phone.isdecimal() and len(contact_phone) == 11):
        raise DomainError("invalid", "联系电话应为11位手机号", field="contact_phone")
    if UnitRegistration.objects.filter(unit=unit, community=community).exists():
        raise DomainError("twice", f"已向{community.name}报到", field="community")
    reg = UnitRegistration.objects.create(
        unit=unit,
        community=community,
        registered_on=on,
        agreement=(agreement or "").strip(),
        resources=(resources or "").strip(),
        contact_name=contact_name[:50],
        contact_phone_encrypted=crypto.encrypt(contact_phone) if contact_phone else "",
        contact_phone_masked=_mask_phone(contact_phone) if contact_phone else "",
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        action="community.unit_register",
        obj=reg,
        organization=unit,
        data={"unit": unit.name, "community": community.name},
    )
    handover_notice(
        organization=community,
        title="单位到社区报到",
        body=f"{unit.name}向本社区报到（联系人{contact_name}）。"
        f"可提供：{reg.resources[:40] or '—'}",
        url=reverse("community:units", args=[community.pk]),
        key=f"community-unit:{reg.pk}",
    )
    return reg


@transaction.atomic(durable=True)
def report_submit(
    *, actor: Actor, member: Member, community: Organization, on: date | None = None
) -> Report:
    """个人报到: a member reports for the year to the community where they live; the community is
    told and confirms."""
    _own_member(actor, member)
    if not is_community(community):
        raise DomainError("not_community", f"“{community.name}”不是社区党组织", field="community")
    if actor is not None and getattr(actor, "member_id", None) == member.pk:
        home = Residence.objects.filter(member=member).select_related("place").first()
        if home is None or home.place.community_id != community.pk:
            raise DomainError(
                "not_home", "请向居住小区所在的社区报到（先设置居住小区）", field="community"
            )
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise DomainError("future", "报到日期不能晚于今天", field="reported_on")
    earlier = Report.objects.filter(member=member, year=on.year).select_related("community").first()
    if earlier is not None:
        raise DomainError(
            "twice",
            f"{on.year}年已于{earlier.reported_on:%m月%d日}向{earlier.community.name}报到，"
            "一年只报到一次",
            field="community",
        )
    r = Report.objects.create(member=member, community=community, year=on.year, reported_on=on)
    audit_record(
        actor=actor,
        action="community.report_submit",
        obj=r,
        organization=community,
        data={"member": member.member_no, "community": community.name, "year": on.year},
    )
    handover_notice(
        organization=community,
        title="在职党员报到待确认",
        body=f"{member.name}（{member.organization.name}）向本社区报到，请确认。",
        url=reverse("community:reports", args=[community.pk]),
        key=f"community-report:{r.pk}",
    )
    return r


@transaction.atomic(durable=True)
def report_confirm(*, actor: Actor, report: Report) -> Report:
    r = Report.objects.select_for_update().select_related("community", "member").get(pk=report.pk)
    _community(actor, r.community)
    if r.confirmed_on is not None:
        return r
    r.confirmed_on = timezone.localdate()
    r.confirmed_by = actor if getattr(actor, "pk", None) else None
    r.save(update_fields=["confirmed_on", "confirmed_by"])
    audit_record(
        actor=actor,
        action="community.report_confirm",
        obj=r,
        organization=r.community,
        data={"member": r.member.member_no},
    )
    notice_send(
        users=member_users([r.member_id]),
        organization=r.community,
        title="社区已确认您的报到",
        body=f"{r.community.name}已确认您{r.year}年的报到，可以认领社区的服务项目和微心愿。",
        url=reverse("community:my"),
        key=f"community-report-ok:{r.pk}",
    )
    return r


# --- needs, claims, services ----------------------------------------------------------------------


@transaction.atomic(durable=True)
def need_publish(
    *,
    actor: Actor,
    community: Organization,
    kind: str,
    title: str,
    detail: str = "",
    place: Place | None = None,
    unit: Organization | None = None,
) -> Need:
    _community(actor, community)
    if kind not in NeedKind.values:
        raise DomainError("invalid", "请选择类型", field="kind")
    title = (title or "").strip()
    if not title:
        raise DomainError("required", "请填写内容", field="title")
    if place is not None and place.community_id != community.pk:
        raise DomainError("scope", f"“{place.name}”不是本社区的小区", field="place")
    if (
        unit is not None
        and not UnitRegistration.objects.filter(unit=unit, community=community).exists()
    ):
        raise DomainError("not_registered", f"“{unit.name}”没有向本社区报到", field="unit")
    n = Need.objects.create(
        unit=unit,
        community=community,
        kind=kind,
        title=title[:100],
        detail=(detail or "").strip(),
        place=place,
        published_on=timezone.localdate(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        action="community.need_publish",
        obj=n,
        organization=community,
        data={"title": n.title, "kind": kind, "unit": unit.code if unit else None},
    )
    if unit is not None:
        handover_notice(
            organization=unit,
            title="社区项目已对接本单位",
            body=f"{community.name}将“{n.title}”列入项目清单，由本单位承接。",
            url=reverse("community:unit", args=[unit.pk]),
            key=f"community-project:{n.pk}:{unit.pk}",
        )
    return n


def _reported(
    member: Member, community: Organization, year: int, then: str = "再认领或登记服务"
) -> Report:
    r = Report.objects.filter(member=member, community=community, year=year).first()
    if r is None:
        raise DomainError("not_reported", f"请先向{community.name}报到，{then}", field="member")
    return r


@transaction.atomic(durable=True)
def need_claim(*, actor: Actor, member: Member, need: Need) -> Need:
    """A member who reported to the community claims an open need; the community is told. A post
    or a pairing waits for the community's approval (need_approve)."""
    _own_member(actor, member)
    n = Need.objects.select_for_update().select_related("community").get(pk=need.pk)
    _reported(member, n.community, timezone.localdate().year)
    if n.status != NeedStatus.OPEN:
        raise DomainError("taken", "该项目已被认领或已完成", field="need")
    standing = n.kind in STANDING
    n.status = NeedStatus.PENDING if standing else NeedStatus.CLAIMED
    n.claimed_by, n.claimed_on = member, timezone.localdate()
    n.save(update_fields=["status", "claimed_by", "claimed_on"])
    audit_record(
        actor=actor,
        action="community.need_claim",
        obj=n,
        organization=n.community,
        data={"member": member.member_no, "title": n.title},
    )
    handover_notice(
        organization=n.community,
        title=f"{n.get_kind_display()}{'待同意' if standing else '已被认领'}",
        body=f"{member.name}认领了“{n.title}”，"
        + ("请同意或说明不同意的原因。" if standing else "完成后请确认服务时长。"),
        url=reverse("community:needs", args=[n.community_id]),
        key=f"community-claim:{n.pk}:{member.pk}:{timezone.now():%Y%m%d%H%M%S%f}",
    )
    return n


@transaction.atomic(durable=True)
def need_approve(*, actor: Actor, need: Need, approve: bool, reason: str = "") -> Need:
    """The community approves a member's claim of a post or a pairing, or declines it with the
    reason (the need is open again); the member is told either way."""
    n = (
        Need.objects.select_for_update(of=("self",))
        .select_related("community", "claimed_by")
        .get(pk=need.pk)
    )
    _community(actor, n.community)
    if n.status != NeedStatus.PENDING or n.claimed_by is None:
        raise DomainError(
            "state", f"该项目{n.get_status_display()}，没有待同意的认领", field="need"
        )
    member = n.claimed_by
    reason = (reason or "").strip()[:200]
    if not approve and not reason:
        raise DomainError("required", "不同意时请说明原因", field="reason")
    if approve:
        n.status = NeedStatus.CLAIMED
    else:
        n.status, n.claimed_by, n.claimed_on = NeedStatus.OPEN, None, None
    n.save(update_fields=["status", "claimed_by", "claimed_on"])
    audit_record(
        actor=actor,
        action="community.need_approve" if approve else "community.need_decline",
        obj=n,
        organization=n.community,
        data={"member": member.member_no, "title": n.title, "reason": reason},
    )
    notice_send(
        users=member_users([member.pk]),
        organization=n.community,
        title=f"社区{'同意' if approve else '未同意'}您的认领",
        body=f"{n.get_kind_display()}“{n.title}”："
        + ("已同意，服务后由社区确认时长。" if approve else f"未同意，原因：{reason}"),
        url=reverse("community:my"),
        key=f"community-approve:{n.pk}:{member.pk}:{timezone.now():%Y%m%d%H%M%S%f}",
    )
    return n


@transaction.atomic(durable=True)
def need_leave(*, actor: Actor, member: Member, need: Need) -> Need:
    """The claimant gives a claim back (or withdraws one the community has not approved yet):
    the need is open again."""
    _own_member(actor, member)
    n = Need.objects.select_for_update().select_related("community").get(pk=need.pk)
    if n.status not in (NeedStatus.CLAIMED, NeedStatus.PENDING) or n.claimed_by_id != member.pk:
        raise DomainError("not_claimed", "您没有认领该项目", field="need")
    n.status, n.claimed_by, n.claimed_on = NeedStatus.OPEN, None, None
    n.save(update_fields=["status", "claimed_by", "claimed_on"])
    audit_record(
        actor=actor,
        action="community.need_leave",
        obj=n,
        organization=n.community,
        data={"member": member.member_no, "title": n.title},
    )
    return n


def _hours(raw: Any) -> Decimal:
    try:
        h = Decimal(str(raw)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError("invalid", "时长应为数字，如 2 或 1.5", field="hours") from exc
    if not Decimal("0.5") <= h <= MAX_HOURS:
        raise DomainError("invalid", f"时长应在0.5至{MAX_HOURS}小时之间", field="hours")
    return h


@transaction.atomic(durable=True)
def service_confirm(
    *,
    actor: Actor,
    community: Organization,
    member: Member,
    done_on: date,
    hours: Any,
    what: str = "",
    need: Need | None = None,
    photos: Any = (),
) -> Service:
    """The community confirms a service a reported member did (a claimed need, or other work),
    with its date and hours; a claimed need is then done."""
    _community(actor, community)
    hours = _hours(hours)
    if done_on is None or done_on > timezone.localdate():
        raise DomainError("future", "服务日期不能晚于今天", field="done_on")
    report = _reported(member, community, done_on.year)
    if done_on < report.reported_on:
        raise DomainError(
            "before_report",
            f"服务日期早于报到日期（{report.reported_on:%Y年%m月%d日}）",
            field="done_on",
        )
    if need is not None:
        need = Need.objects.select_for_update().get(pk=need.pk)
        if need.community_id != community.pk or need.claimed_by_id != member.pk:
            raise DomainError("invalid", "该党员没有认领此项目", field="need")
        if need.status != NeedStatus.CLAIMED:
            raise DomainError(
                "state", f"该项目{need.get_status_display()}，不能重复确认", field="need"
            )
        what = what or need.title
    what = (what or "").strip()
    if not what:
        raise DomainError("required", "请填写服务内容", field="what")
    with _photos(photos) as stored:
        s = Service.objects.create(
            member=member,
            community=community,
            need=need,
            what=what[:100],
            done_on=done_on,
            hours=hours,
            confirmed_by=actor if getattr(actor, "pk", None) else None,
        )
        uploads.records(Photo, stored, actor, service=s)
        if need is not None and need.kind in (NeedKind.PROJECT, NeedKind.WISH):
            need.status = NeedStatus.DONE
            need.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="community.service_confirm",
            obj=s,
            organization=community,
            data={
                "member": member.member_no,
                "what": s.what,
                "done_on": done_on.isoformat(),
                "hours": str(hours),
            },
        )
        notice_send(
            users=member_users([member.pk]),
            organization=community,
            title="社区已确认您的服务",
            body=f"“{s.what}”（{done_on:%m月%d日}，{hours}小时）已由{community.name}确认。",
            url=reverse("community:my"),
            key=f"community-service:{s.pk}",
        )
        return s


# --- 民情议事 -------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def issue_raise(
    *,
    actor: Actor,
    community: Organization,
    title: str,
    text: str,
    where: str = "",
    place: Place | None = None,
    raiser_name: str = "",
    photos: Any = (),
) -> Issue:
    """A neighbourhood issue, raised by a member (their own), a 邻长 or staff on their behalf."""
    staff = actor is None or policy.can(actor, "change", community)
    member = None if staff else getattr(actor, "member", None)
    if staff:
        _community(actor, community)
    else:
        home = Residence.objects.filter(member=member).select_related("place").first()
        if member is None or home is None or home.place.community_id != community.pk:
            raise NotVisible("只能向居住地社区反映")
    title, text = (title or "").strip(), (text or "").strip()
    if not title:
        raise DomainError("required", "请填写事项", field="title")
    if len(text) < 5:
        raise DomainError("required", "请把情况写清楚（至少5个字）", field="text")
    if place is not None and place.community_id != community.pk:
        raise DomainError("scope", f"“{place.name}”不是本社区的小区", field="place")
    raiser = (member.name if member else "") or (raiser_name or "").strip()
    if not raiser:
        raise DomainError("required", "请填写反映人", field="raiser_name")
    with _photos(photos) as stored:
        i = Issue.objects.create(
            community=community,
            place=place,
            title=title[:100],
            text=text,
            where=(where or "").strip()[:100],
            # staff record it for a 邻长 or resident: nobody confirms online in their name
            raised_by=actor if member is not None else None,
            raiser_name=raiser[:50],
            raised_on=timezone.localdate(),
        )
        uploads.records(Photo, stored, actor, issue=i, stage=PhotoStage.RAISED)
        audit_record(
            actor=actor,
            action="community.issue_raise",
            obj=i,
            organization=community,
            data={"title": i.title, "raiser": i.raiser_name},
        )
        handover_notice(
            organization=community,
            title="新的民情议事",
            body=f"{i.raiser_name}反映：{i.title}。请受理并召集联席会议议定。",
            url=reverse("community:issue", args=[i.pk]),
            key=f"community-issue:{i.pk}",
        )
        return i


def _issue(actor: Actor, issue: Issue, allowed: set[str]) -> Issue:
    i = Issue.objects.select_for_update().select_related("community").get(pk=issue.pk)
    _community(actor, i.community)
    if i.status not in allowed:
        raise DomainError("state", f"该事项{i.get_status_display()}，不能进行此操作")
    return i


def _tell_raiser(i: Issue, title: str, body: str) -> None:
    if i.raised_by_id:
        notice_send(
            users=User.objects.filter(pk=i.raised_by_id, is_active=True),
            organization=i.community,
            title=title,
            body=body,
            url=reverse("community:issue", args=[i.pk]),
            key=f"community-issue-raiser:{i.pk}:{i.status}:{timezone.now():%Y%m%d%H%M%S%f}",
        )


@transaction.atomic(durable=True)
def issue_meeting(
    *, actor: Actor, issue: Issue, held_on: date, parties: str, decision: str
) -> JointMeeting:
    """A joint meeting (联席会议) on the issue and its decision; the issue is then being done."""
    i = _issue(actor, issue, {IssueStatus.OPEN, IssueStatus.DECIDED})
    parties, decision = (parties or "").strip(), (decision or "").strip()
    if held_on is None or held_on > timezone.localdate():
        raise DomainError("future", "会议日期不能晚于今天", field="held_on")
    if held_on < i.raised_on:
        raise DomainError("bad_date", "会议日期不能早于反映日期", field="held_on")
    if not parties:
        raise DomainError("required", "请填写参会单位和人员", field="parties")
    if not decision:
        raise DomainError("required", "请填写议定事项", field="decision")
    m = JointMeeting.objects.create(
        issue=i,
        held_on=held_on,
        parties=parties,
        decision=decision,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    i.status, i.decided_on, i.decision = IssueStatus.DECIDED, held_on, decision
    i.save(update_fields=["status", "decided_on", "decision"])
    audit_record(
        actor=actor,
        action="community.issue_meeting",
        obj=i,
        organization=i.community,
        data={"held_on": held_on.isoformat(), "title": i.title},
    )
    _tell_raiser(i, "您反映的事项已议定", f"“{i.title}”经联席会议议定：{decision[:60]}")
    return m


@transaction.atomic(durable=True)
def issue_close(*, actor: Actor, issue: Issue, result: str, photos: Any = ()) -> Issue:
    i = _issue(actor, issue, {IssueStatus.DECIDED})
    result = (result or "").strip()
    if not result:
        raise DomainError("required", "请填写办理结果", field="result")
    with _photos(photos) as stored:
        i.status, i.closed_on, i.result = IssueStatus.CLOSED, timezone.localdate(), result
        i.save(update_fields=["status", "closed_on", "result"])
        uploads.records(Photo, stored, actor, issue=i, stage=PhotoStage.CLOSED)
        audit_record(
            actor=actor,
            action="community.issue_close",
            obj=i,
            organization=i.community,
            data={"title": i.title},
        )
        _tell_raiser(i, "您反映的事项已办结，请确认", f"“{i.title}”：{result[:60]}")
        return i


@transaction.atomic(durable=True)
def issue_confirm(*, actor: Actor, issue: Issue, solved: bool, note: str = "") -> Issue:
    """The person who raised the issue confirms it solved, or reopens it with a note."""
    i = Issue.objects.select_for_update().select_related("community").get(pk=issue.pk)
    if actor is None or i.raised_by_id != getattr(actor, "pk", None):
        raise NotVisible("只有反映人可以确认")
    if i.status != IssueStatus.CLOSED:
        raise DomainError("state", "事项办结后才能确认")
    note = (note or "").strip()
    if not solved and not note:
        raise DomainError("required", "请说明还有什么没解决", field="note")
    i.status = IssueStatus.CONFIRMED if solved else IssueStatus.DECIDED
    if not solved:
        i.result = f"{i.result}\n【反映人未认可】{note}"
    i.save(update_fields=["status", "result"])
    audit_record(
        actor=actor,
        action="community.issue_confirm" if solved else "community.issue_reopen",
        obj=i,
        organization=i.community,
        data={"title": i.title, "note": note[:200]},
    )
    if not solved:
        handover_notice(
            organization=i.community,
            title="民情议事被退回",
            body=f"{i.raiser_name}认为“{i.title}”尚未解决：{note[:60]}",
            url=reverse("community:issue", args=[i.pk]),
            key=f"community-issue-reopen:{i.pk}:{timezone.now():%Y%m%d%H%M%S}",
        )
    return i


# --- 先锋队 -------------------------------------------------------------------------------


def team_people(owner: Organization) -> Any:
    """Who may be on an owner's team: members of its subtree, and — for a community — the members
    who live in its 小区 or reported to it."""
    q = Q(organization__path__under=owner.path)
    if is_community(owner):
        q |= Q(residence__place__community=owner) | Q(reports__community=owner)
    return Member.objects.filter(q, status__in=ACTIVE_STATUSES).distinct()


def _team_members(owner: Organization, members: list[Member], field: str) -> list[Member]:
    allowed = set(
        team_people(owner).filter(pk__in=[m.pk for m in members]).values_list("pk", flat=True)
    )
    outside = [m.name for m in members if m.pk not in allowed]
    if outside:
        raise DomainError(
            "scope", f"{'、'.join(outside[:3])}不是本组织党员，也不住在本社区", field=field
        )
    return members


@transaction.atomic(durable=True)
def team_create(
    *,
    actor: Actor,
    owner: Organization,
    name: str,
    purpose: str = "",
    leader: Member | None = None,
    members: list[Member] | None = None,
    residents: str = "",
    formed_on: date | None = None,
) -> Team:
    """A community or branch forms a volunteer team (先锋队) of members and residents."""
    if actor is not None and not policy.can(actor, "change", owner):
        raise NotVisible("没有该党组织的权限")
    if owner.kind == "group":
        raise DomainError("invalid", "党小组不单独组建先锋队", field="owner")
    name = (name or "").strip()
    if not name:
        raise DomainError("required", "请填写队名", field="name")
    if Team.objects.filter(owner=owner, name=name).exists():
        raise DomainError("duplicate", f"已有名为“{name}”的队伍", field="name")
    formed_on = formed_on or timezone.localdate()
    if formed_on > timezone.localdate():
        raise DomainError("future", "组建日期不能晚于今天", field="formed_on")
    chosen = _team_members(owner, list(members or []), "members")
    if leader is not None:
        _team_members(owner, [leader], "leader")
        if leader not in chosen:
            chosen.append(leader)
    t = Team.objects.create(
        owner=owner,
        name=name[:50],
        purpose=(purpose or "").strip()[:200],
        leader=leader,
        residents="\n".join(n.strip() for n in (residents or "").splitlines() if n.strip()),
        formed_on=formed_on,
    )
    t.members.set(chosen)
    audit_record(
        actor=actor,
        action="community.team_create",
        obj=t,
        organization=owner,
        data={"name": t.name, "members": len(chosen), "residents": len(t.resident_names)},
    )
    return t


@transaction.atomic(durable=True)
def team_activity_record(
    *,
    actor: Actor,
    team: Team,
    held_on: date,
    place: str,
    hours: Any,
    result: str,
    participants: list[Member] | None = None,
    residents: int = 0,
    photos: Any = (),
) -> TeamActivity:
    """An activity of the team: participants from its members, residents counted, hours each."""
    t = Team.objects.select_related("owner").get(pk=team.pk)
    if actor is not None and not policy.can(actor, "change", t.owner):
        raise NotVisible("没有该党组织的权限")
    if held_on is None or held_on > timezone.localdate():
        raise DomainError("future", "活动日期不能晚于今天", field="held_on")
    if held_on < t.formed_on:
        raise DomainError("bad_date", "活动日期不能早于组建日期", field="held_on")
    place, result = (place or "").strip(), (result or "").strip()
    if not place:
        raise DomainError("required", "请填写地点", field="place")
    if not result:
        raise DomainError("required", "请填写活动成效", field="result")
    h = _hours(hours)
    people = list(participants or [])
    on_team = set(t.members.values_list("pk", flat=True))
    strangers = [m.name for m in people if m.pk not in on_team]
    if strangers:
        raise DomainError("scope", f"{'、'.join(strangers[:3])}不是本队队员", field="participants")
    if residents < 0 or residents > 1000:
        raise DomainError("invalid", "参加群众人数应为0至1000", field="residents")
    if not people and not residents:
        raise DomainError("required", "请选择参加的党员或填写群众人数", field="participants")
    with _photos(photos) as stored:
        a = TeamActivity.objects.create(
            team=t,
            held_on=held_on,
            place=place[:100],
            hours=h,
            residents=residents,
            result=result,
            recorded_by=actor if getattr(actor, "pk", None) else None,
        )
        a.participants.set(people)
        uploads.records(Photo, stored, actor, activity=a)
        audit_record(
            actor=actor,
            action="community.team_activity",
            obj=t,
            organization=t.owner,
            data={"name": t.name, "held_on": held_on.isoformat(), "members": len(people)},
        )
        return a


# --- 年度评价 ---------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def appraisal_save(
    *,
    actor: Actor,
    community: Organization,
    year: int,
    grade: str,
    comment: str = "",
    member: Member | None = None,
    unit: Organization | None = None,
) -> YearAppraisal:
    """The community's yearly appraisal of a member who reported to it that year, or of a unit
    registered with it; saved again, it is changed. The member's own branch (or the unit) is
    told: the grade shows beside the member in 民主评议."""
    _community(actor, community)
    if (member is None) == (unit is None):
        raise DomainError("invalid", "请选择评价的党员或单位", field="member")
    if not 2000 <= year <= timezone.localdate().year:
        raise DomainError("invalid", "只能评价今年或往年的报到", field="year")
    if grade not in AppraisalGrade.values:
        raise DomainError("invalid", "请选择评价：优秀、合格或不合格", field="grade")
    comment = (comment or "").strip()[:200]
    if grade == AppraisalGrade.UNQUALIFIED and not comment:
        raise DomainError("required", "评为不合格时请写明评语（原因）", field="comment")
    if member is not None:
        if not Report.objects.filter(member=member, community=community, year=year).exists():
            raise DomainError(
                "not_reported", f"{member.name}没有在{year}年向本社区报到，不能评价", field="member"
            )
        subject, branch, who = {"member": member}, member.organization, member.name
        if branch.kind == "group" and branch.depth > 1:
            branch = Organization.objects.get_parent(branch) or branch
    elif unit is not None:
        if not UnitRegistration.objects.filter(unit=unit, community=community).exists():
            raise DomainError("not_registered", f"“{unit.name}”没有向本社区报到", field="unit")
        subject, branch, who = {"unit": unit}, unit, unit.name
    defaults = {
        "grade": grade,
        "comment": comment,
        "appraised_on": timezone.localdate(),
        "appraised_by": actor if getattr(actor, "pk", None) else None,
    }
    try:
        with transaction.atomic():  # two first saves at once: one inserts, the other updates
            a, created = YearAppraisal.objects.select_for_update().get_or_create(
                community=community, year=year, **subject, defaults=defaults
            )
    except IntegrityError:
        a = YearAppraisal.objects.select_for_update().get(community=community, year=year, **subject)
        created = False
    if not created:
        if (a.grade, a.comment) == (grade, comment):
            return a
        a.grade, a.comment, a.appraised_on = grade, comment, timezone.localdate()
        a.appraised_by = actor if getattr(actor, "pk", None) else None
        a.save(update_fields=["grade", "comment", "appraised_on", "appraised_by"])
    audit_record(
        actor=actor,
        action="community.appraise",
        obj=a,
        organization=community,
        data={
            "year": year,
            "member": member.member_no if member else None,
            "unit": unit.code if unit else None,
            "grade": grade,
            "comment": comment,
        },
    )
    handover_notice(
        organization=branch,
        title=f"社区{year}年度评价：{who}{a.get_grade_display()}",
        body=f"{community.name}对{who}{year}年在社区的表现评价为“{a.get_grade_display()}”"
        + (f"：{comment}" if comment else "。")
        + ("民主评议党员时可参考。" if member else ""),
        url=reverse("community:unit", args=[branch.pk]),
        key=f"community-appraisal:{a.pk}:{a.grade}:{timezone.now():%Y%m%d%H%M%S%f}",
    )
    return a


# --- 共建 -------------------------------------------------------------------------------------


MAX_ALLIANCE_YEARS = 5


def _period(started_on: date | None, ends_on: date | None) -> None:
    if started_on is None:
        raise DomainError("required", "请填写开始日期", field="started_on")
    if ends_on is None or ends_on <= started_on:
        raise DomainError("invalid", "到期日期应晚于开始日期", field="ends_on")
    if (ends_on - started_on).days > 366 * MAX_ALLIANCE_YEARS:
        raise DomainError(
            "invalid", f"共建协议一期最长{MAX_ALLIANCE_YEARS}年，到期后续签", field="ends_on"
        )


@transaction.atomic(durable=True)
def alliance_create(
    *,
    actor: Actor,
    community: Organization,
    name: str,
    parties: str,
    commitments: str,
    started_on: date,
    ends_on: date,
) -> Alliance:
    """A community's co-building agreement with units and shops (共建、共管、共享)."""
    _community(actor, community)
    name = (name or "").strip()
    if not name:
        raise DomainError("required", "请填写协议名称", field="name")
    names = [p.strip() for p in (parties or "").splitlines() if p.strip()]
    if not names:
        raise DomainError("required", "请填写共建单位，每行一个", field="parties")
    if not (commitments or "").strip():
        raise DomainError("required", "请填写共建内容和承诺", field="commitments")
    _period(started_on, ends_on)
    a = Alliance.objects.create(
        community=community,
        name=name[:100],
        parties="\n".join(n[:100] for n in names),
        commitments=commitments.strip(),
        started_on=started_on,
        ends_on=ends_on,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        action="community.alliance_create",
        obj=a,
        organization=community,
        data={"name": a.name, "parties": names, "ends_on": ends_on.isoformat()},
    )
    return a


@transaction.atomic(durable=True)
def alliance_renew(*, actor: Actor, alliance: Alliance, ends_on: date, note: str = "") -> Alliance:
    """The agreement is renewed for a new period, from the day after it ended (or ends)."""
    a = Alliance.objects.select_for_update().select_related("community").get(pk=alliance.pk)
    _community(actor, a.community)
    if ends_on is None or ends_on <= a.ends_on:
        raise DomainError(
            "invalid",
            f"续签后的到期日期应晚于现到期日期（{a.ends_on:%Y年%m月%d日}）",
            field="ends_on",
        )
    _period(max(a.ends_on, timezone.localdate()), ends_on)
    before = a.ends_on
    a.ends_on = ends_on
    a.save(update_fields=["ends_on"])
    audit_record(
        actor=actor,
        action="community.alliance_renew",
        obj=a,
        organization=a.community,
        data={"from": before.isoformat(), "to": ends_on.isoformat(), "note": (note or "")[:200]},
    )
    return a


@transaction.atomic(durable=True)
def alliance_activity_record(
    *, actor: Actor, alliance: Alliance, held_on: date, what: str, result: str, parties: str = ""
) -> AllianceActivity:
    """An activity done under the agreement, within its period."""
    a = Alliance.objects.select_related("community").get(pk=alliance.pk)
    _community(actor, a.community)
    if held_on is None or held_on > timezone.localdate():
        raise DomainError("future", "活动日期不能晚于今天", field="held_on")
    if not a.started_on <= held_on <= a.ends_on:
        raise DomainError(
            "outside",
            f"活动日期不在协议期内（{a.started_on:%Y年%m月%d日}至{a.ends_on:%Y年%m月%d日}）",
            field="held_on",
        )
    what, result = (what or "").strip(), (result or "").strip()
    if not what:
        raise DomainError("required", "请填写活动内容", field="what")
    if not result:
        raise DomainError("required", "请填写成效", field="result")
    act = AllianceActivity.objects.create(
        alliance=a,
        held_on=held_on,
        what=what[:100],
        parties=(parties or "").strip()[:200],
        result=result,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        action="community.alliance_activity",
        obj=act,
        organization=a.community,
        data={"alliance": a.name, "held_on": held_on.isoformat(), "what": act.what},
    )
    return act
