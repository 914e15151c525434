"""非公党建 writes. One transaction each, audited; whoever must act next is told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.accounts.types import Actor
from dangjian.audit.services import audit_record
from dangjian.core import uploads
from dangjian.core.creditcode import credit_code_clean
from dangjian.core.errors import DomainError, NotVisible
from dangjian.core.fields import phone_field, text_field
from dangjian.meetings.models import Meeting
from dangjian.members.models import Member
from dangjian.notify.services import handover_notice, member_users, notice_send
from dangjian.orgs.constants import OrgKind
from dangjian.orgs.models import Organization, Unit

from .models import (
    Assignment,
    Brand,
    BrandLogo,
    CentreKind,
    CommandoTeam,
    Cultivation,
    Enterprise,
    EnterpriseKind,
    FollowUp,
    Honour,
    HonourFile,
    HonourLevel,
    InnovationCase,
    Instructor,
    InstructorKind,
    InstructorVisit,
    JointEvent,
    JointKind,
    KeyPosition,
    Milestone,
    MilestonePhoto,
    Park,
    PositionKind,
    RelationCase,
    RelationFinding,
    ServiceCentre,
    Station,
    TeamKind,
    VisitTopic,
)


def _can(actor: Actor, org: Organization | None, action: str = "change", what: str = "") -> None:
    if actor is not None and (org is None or not policy.can(actor, action, org)):
        raise NotVisible(f"没有{what or '该党组织'}的权限")


def enterprise_can(actor: Actor, e: Enterprise, action: str = "change") -> bool:
    """Staff of the committee in charge of the unit, or of its park's joint committee."""
    if actor is None:
        return True
    park_org = e.park.organization if e.park_id else None  # type: ignore[union-attr]
    return policy.can(actor, action, e.unit.committee) or (
        park_org is not None and policy.can(actor, action, park_org)
    )


_text = text_field
_phone = phone_field


@dataclass
class EnterpriseData:
    credit_code: str
    name: str
    committee: Organization
    kind: str = EnterpriseKind.ENTERPRISE
    park: Park | None = None
    industry: str = ""
    employees: int = 0
    above_size: bool = False
    legal_rep: str = ""
    legal_rep_phone: str = ""
    contact: str = ""
    contact_phone: str = ""
    # how it is covered: its own party organization, or the joint branch it is in (not both)
    own_organization: Organization | None = None
    joint_branch: Organization | None = None


def _enterprise_fields(actor: Actor, d: EnterpriseData) -> dict[str, Any]:
    code = credit_code_clean(d.credit_code)
    name = _text(d.name, "name", "单位名称", 100, required=True)
    committee = d.committee
    if committee.kind == OrgKind.GROUP or not committee.is_active:
        raise DomainError(
            "bad_committee", "主管党组织应是有效的党委、党总支或党支部", field="committee"
        )
    _can(actor, committee, "change", f"“{committee.name}”")
    if d.kind not in EnterpriseKind.values:
        raise DomainError("bad_kind", f"类型“{d.kind}”无效", field="kind")
    if not isinstance(d.employees, int) or not 0 <= d.employees <= 10_000_000:
        raise DomainError("bad_count", "从业人员数应为0或正整数", field="employees")
    if d.own_organization is not None and d.joint_branch is not None:
        raise DomainError(
            "two_coverages",
            "单位已单独建立党组织的，不再填写所在联合党支部",
            field="joint_branch",
        )
    organization = d.own_organization or d.joint_branch
    if d.own_organization is not None:
        o = d.own_organization
        if o.kind == OrgKind.GROUP or not o.is_active:
            raise DomainError(
                "bad_org", "单位党组织应是有效的党委、党总支或党支部", field="own_organization"
            )
        if o.is_joint:
            raise DomainError(
                "bad_org",
                f"“{o.name}”是联合党支部，应填在“所在联合党支部”",
                field="own_organization",
            )
        if not o.path.startswith(committee.path):
            raise DomainError(
                "bad_org", f"单位党组织“{o.name}”应在主管党组织之下", field="own_organization"
            )
    if d.joint_branch is not None:
        j = d.joint_branch
        if j.kind != OrgKind.BRANCH or not j.is_joint or not j.is_active:
            raise DomainError("not_joint", f"“{j.name}”不是有效的联合党支部", field="joint_branch")
        _can(actor, j, "view", f"“{j.name}”")
    if d.park is not None:
        _can(actor, d.park.organization, "view", f"园区“{d.park.name}”")
    return {
        "unit": {
            "credit_code": code,
            "name": name,
            "committee": committee,
            "organization": organization,
            "category": "social" if d.kind == EnterpriseKind.SOCIAL else "private",
        },
        "profile": {
            "kind": d.kind,
            "park": d.park,
            "industry": _text(d.industry, "industry", "行业", 50),
            "employees": d.employees,
            "above_size": bool(d.above_size),
            "legal_rep": _text(d.legal_rep, "legal_rep", "法定代表人", 50),
            "legal_rep_phone": _phone(d.legal_rep_phone, "legal_rep_phone", "法定代表人电话"),
            "contact": _text(d.contact, "contact", "党组织联系人", 50),
            "contact_phone": _phone(d.contact_phone, "contact_phone", "党组织联系人电话"),
        },
    }


@transaction.atomic(durable=True)
def enterprise_save(
    *, actor: Actor, data: EnterpriseData, enterprise: Enterprise | None = None
) -> Enterprise:
    """Register an enterprise (its unit and profile), or change one."""
    if enterprise is not None:
        e = Enterprise.objects.select_related("unit__committee", "park__organization").get(
            pk=enterprise.pk
        )
        if not enterprise_can(actor, e):
            raise NotVisible("没有该单位的权限")
    else:
        e = None
    fields = _enterprise_fields(actor, data)
    u = fields["unit"]
    others = Unit.objects.filter(credit_code=u["credit_code"])
    if e is not None:
        others = others.exclude(pk=e.pk)
    other = others.select_related("committee").first()
    if other is not None:
        seen = actor is None or policy.can(actor, "view", other.committee)
        raise DomainError(
            "duplicate",
            f"统一社会信用代码{u['credit_code']}已登记" + (f"（{other.name}）" if seen else ""),
            field="credit_code",
        )
    created = e is None
    if e is None:
        unit = Unit.objects.create(kind="unit", **u)
        e = Enterprise.objects.create(unit=unit, **fields["profile"])
        before: dict[str, Any] = {}
    else:
        unit = Unit.objects.select_for_update().get(pk=e.pk)
        before = {
            "name": unit.name,
            "credit_code": unit.credit_code,
            "organization": unit.organization_id,
            "park": e.park_id,
        }
        for k, v in u.items():
            setattr(unit, k, v)
        unit.save()
        for k, v in fields["profile"].items():
            setattr(e, k, v)
        e.unit = unit
        e.save()
    audit_record(
        actor=actor,
        action="enterprises.enterprise_save",
        obj=e,
        organization=unit.committee,
        data={
            "credit_code": unit.credit_code,
            "name": unit.name,
            "organization": unit.organization_id,
            "park": e.park_id,
            "created": created,
            "before": before or None,
        },
    )
    return e


@transaction.atomic(durable=True)
def enterprise_employees_set(
    *, actor: Actor, enterprise: Enterprise, add: list[Member], remove: list[Member]
) -> int:
    """Record members as employed in the enterprise (their `employer`), or no longer."""
    e = Enterprise.objects.select_related("unit__committee", "park__organization").get(
        pk=enterprise.pk
    )
    if not enterprise_can(actor, e):
        raise NotVisible("没有该单位的权限")
    ids = [m.pk for m in [*add, *remove]]
    if actor is not None:
        mine = policy.path_q(actor, "change", "organization__path")
        if ids and (mine is None or Member.objects.filter(pk__in=ids).exclude(mine).exists()):
            raise NotVisible("只能登记本组织范围内的党员")
    n = Member.objects.filter(pk__in=[m.pk for m in add]).update(employer=e.unit)
    n += Member.objects.filter(pk__in=[m.pk for m in remove], employer=e.unit).update(employer=None)
    audit_record(
        actor=actor,
        action="enterprises.employees_set",
        obj=e,
        organization=e.unit.committee,
        data={
            "add": [m.member_no for m in add],
            "remove": [m.member_no for m in remove],
        },
    )
    return n


@transaction.atomic(durable=True)
def park_save(*, actor: Actor, name: str, organization: Organization) -> Park:
    """A park and its joint committee (a new one, or its committee changed)."""
    _can(actor, organization, "manage", f"“{organization.name}”")
    name = _text(name, "name", "园区名称", 50, required=True)
    if organization.kind != OrgKind.COMMITTEE or not organization.is_active:
        raise DomainError("bad_org", "园区联合党委应是有效的党委", field="organization")
    park = Park.objects.select_for_update().filter(name=name).first()
    other = Park.objects.filter(organization=organization).exclude(name=name).first()
    if other is not None:
        raise DomainError(
            "duplicate",
            f"“{organization.name}”已是园区“{other.name}”的联合党委",
            field="organization",
        )
    created = park is None
    if park is None:
        park = Park.objects.create(name=name, organization=organization)
    elif actor is not None and not policy.can(actor, "manage", park.organization):
        raise DomainError("duplicate", f"园区名称“{name}”已被使用，请换一个名称", field="name")
    else:
        park.organization = organization
        park.save()
    audit_record(
        actor=actor,
        action="enterprises.park_save",
        obj=park,
        organization=organization,
        data={"name": name, "created": created},
    )
    return park


@transaction.atomic(durable=True)
def station_save(
    *, actor: Actor, name: str, area: str, organization: Organization, address: str = ""
) -> Station:
    _can(actor, organization, "manage", f"“{organization.name}”")
    name = _text(name, "name", "指导站名称", 50, required=True)
    area = _text(area, "area", "负责片区", 100, required=True)
    address = _text(address, "address", "地址", 100)
    station = Station.objects.select_for_update().filter(name=name).first()
    created = station is None
    if station is None:
        station = Station.objects.create(
            name=name, area=area, organization=organization, address=address
        )
    elif actor is not None and not policy.can(actor, "manage", station.organization):
        raise DomainError("duplicate", f"指导站名称“{name}”已被使用，请换一个名称", field="name")
    else:
        station.area, station.organization, station.address = area, organization, address
        station.save()
    audit_record(
        actor=actor,
        action="enterprises.station_save",
        obj=station,
        organization=organization,
        data={"name": name, "area": area, "created": created},
    )
    return station


def _next_ref() -> str:
    last = Instructor.objects.filter(ref__startswith="ZDY").order_by("-ref").first()
    n = int(last.ref[3:]) + 1 if last and last.ref[3:].isdecimal() else 1
    return f"ZDY{n:05d}"


@transaction.atomic(durable=True)
def instructor_save(
    *,
    actor: Actor,
    name: str,
    kind: str,
    organization: Organization,
    unit: str = "",
    phone: str = "",
    started_on: date | None = None,
    station: Station | None = None,
    member: Member | None = None,
    instructor: Instructor | None = None,
    ref: str = "",
) -> Instructor:
    """An instructor in the register (new, or changed)."""
    _can(actor, organization, "manage", f"“{organization.name}”")
    name = _text(name, "name", "姓名", 50, required=True)
    if kind not in InstructorKind.values:
        raise DomainError("bad_kind", "请选择专职或兼职", field="kind")
    today = timezone.localdate()
    if started_on is not None and started_on > today:
        raise DomainError("future", "任职日期不能晚于今天", field="started_on")
    if member is not None and actor is not None:
        mine = policy.path_q(actor, "view", "organization__path")
        if mine is None or not Member.objects.filter(mine, pk=member.pk).exists():
            raise NotVisible("只能选择本组织范围内的党员")
    if station is not None:
        _can(actor, station.organization, "view", f"指导站“{station.name}”")
    fields = {
        "name": name,
        "kind": kind,
        "organization": organization,
        "unit": _text(unit, "unit", "原单位", 100),
        "phone": _phone(phone, "phone", "联系电话"),
        "started_on": started_on,
        "station": station,
        "member": member,
    }
    created = instructor is None
    if instructor is None:
        ref = _text(ref, "ref", "编号", 32) or _next_ref()
        if Instructor.objects.filter(ref=ref).exists():
            raise DomainError("duplicate", f"指导员编号{ref}已存在", field="ref")
        obj = Instructor.objects.create(ref=ref, **fields)
    else:
        obj = Instructor.objects.select_for_update().get(pk=instructor.pk)
        _can(actor, obj.organization, "manage", "该指导员")
        for k, v in fields.items():
            setattr(obj, k, v)
        obj.save()
    audit_record(
        actor=actor,
        action="enterprises.instructor_save",
        obj=obj,
        organization=organization,
        data={"ref": obj.ref, "name": name, "kind": kind, "created": created},
    )
    return obj


@transaction.atomic(durable=True)
def assignment_start(
    *, actor: Actor, instructor: Instructor, enterprise: Enterprise, since: date
) -> Assignment:
    """Assign an instructor to an enterprise from a date. An enterprise has one instructor at a
    time: another one's assignment ends the day before; the same one twice is refused."""
    e = Enterprise.objects.select_related("unit__committee", "park__organization").get(
        pk=enterprise.pk
    )
    if not enterprise_can(actor, e):
        raise NotVisible("没有该单位的权限")
    ins = Instructor.objects.select_related("organization").get(pk=instructor.pk)
    _can(actor, ins.organization, "view", "该指导员")
    today = timezone.localdate()
    if since > today:
        raise DomainError("future", "联系开始日期不能晚于今天", field="since")
    if ins.ended_on is not None and ins.ended_on < since:
        raise DomainError("ended", f"{ins.name}已于{ins.ended_on}离任", field="instructor")
    current = (
        Assignment.objects.select_for_update()
        .filter(enterprise=e, until__isnull=True)
        .select_related("instructor")
        .first()
    )
    if current is not None:
        if current.instructor_id == ins.pk:
            raise DomainError(
                "twice",
                f"{ins.name}已自{current.since:%Y年%-m月%-d日}起联系{e.unit.name}，不能重复指派",
                field="instructor",
            )
        if since <= current.since:
            raise DomainError(
                "before_current",
                f"联系开始日期应晚于现任指导员{current.instructor.name}的开始日期"
                f"（{current.since:%Y年%-m月%-d日}）",
                field="since",
            )
        current.until = since - timedelta(days=1)
        current.save(update_fields=["until"])
    overlap = Assignment.objects.filter(instructor=ins, enterprise=e, until__gte=since).exists()
    if overlap:
        raise DomainError(
            "twice", f"{ins.name}在{since}已联系{e.unit.name}，不能重复指派", field="since"
        )
    a = Assignment.objects.create(instructor=ins, enterprise=e, since=since)
    audit_record(
        actor=actor,
        action="enterprises.assignment_start",
        obj=a,
        organization=e.unit.committee,
        data={
            "instructor": ins.ref,
            "credit_code": e.unit.credit_code,
            "since": since.isoformat(),
            "replaced": current.instructor.ref if current is not None else None,
        },
    )
    if ins.member_id:
        notice_send(
            users=member_users([ins.member_id]),
            organization=e.unit.committee,
            title=f"请联系指导{e.unit.name}",
            body=f"您被指派为{e.unit.name}的党建指导员（自{since:%Y年%-m月%-d日}起），"
            "请按季度走访，在手机上登记走访情况。",
            url=reverse("enterprises:my"),
            key=f"enterprises-assign:{a.pk}",
        )
    return a


@transaction.atomic(durable=True)
def assignment_end(*, actor: Actor, assignment: Assignment, until: date) -> Assignment:
    a = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related(
            "enterprise__unit__committee", "enterprise__park__organization", "instructor"
        )
        .get(pk=assignment.pk)
    )
    if not enterprise_can(actor, a.enterprise):
        raise NotVisible("没有该单位的权限")
    if a.until is not None:
        raise DomainError("ended", "该联系已结束", field="until")
    if until < a.since:
        raise DomainError("bad_date", "结束日期不能早于开始日期", field="until")
    if until > timezone.localdate():
        raise DomainError("future", "结束日期不能晚于今天", field="until")
    a.until = until
    a.save(update_fields=["until"])
    audit_record(
        actor=actor,
        action="enterprises.assignment_end",
        obj=a,
        organization=a.enterprise.unit.committee,
        data={
            "instructor": a.instructor.ref,
            "credit_code": a.enterprise.unit.credit_code,
            "until": until.isoformat(),
        },
    )
    return a


@dataclass
class CaseData:
    name: str
    finding: str
    member: Member | None = None
    note: str = ""


def _is_instructor(actor: Actor, ins: Instructor) -> bool:
    return (
        actor is not None
        and bool(ins.member_id)
        and getattr(actor, "member_id", None) == (ins.member_id)
    )


def _may_log(actor: Actor, ins: Instructor) -> None:
    if actor is None or _is_instructor(actor, ins):
        return
    _can(actor, ins.organization, "change", "该指导员")


@transaction.atomic(durable=True)
def visit_log(
    *,
    actor: Actor,
    instructor: Instructor,
    enterprise: Enterprise,
    visited_on: date,
    met: str,
    topics: list[str],
    notes: str = "",
    problems: str = "",
    followups: list[tuple[str, date]] | None = None,
    cases: list[CaseData] | None = None,
) -> InstructorVisit:
    """An instructor's visit, with its follow-ups and the members found in the check of
    organizational relationships (each handed to the branch holding them, or the park)."""
    ins = Instructor.objects.select_related("organization").get(pk=instructor.pk)
    _may_log(actor, ins)
    e = Enterprise.objects.select_related("unit__committee", "park__organization").get(
        pk=enterprise.pk
    )
    today = timezone.localdate()
    if visited_on > today:
        raise DomainError("future", "走访日期不能晚于今天", field="visited_on")
    held = Assignment.objects.filter(instructor=ins, enterprise=e, since__lte=visited_on).filter(
        Q(until__isnull=True) | Q(until__gte=visited_on)
    )
    if not held.exists():
        first = Assignment.objects.filter(instructor=ins, enterprise=e).order_by("since").first()
        reason = (
            f"早于联系开始日期（{first.since:%Y年%-m月%-d日}）"
            if first is not None and visited_on < first.since
            else "不在联系该企业的期间内"
        )
        raise DomainError(
            "not_assigned", f"走访日期{visited_on:%Y年%-m月%-d日}{reason}", field="visited_on"
        )
    met = _text(met, "met", "见面人员", 100, required=True)
    topics = list(dict.fromkeys(topics or []))
    if not topics:
        raise DomainError("required", "请选择指导内容", field="topics")
    bad = [t for t in topics if t not in VisitTopic.values]
    if bad:
        raise DomainError("bad_topic", f"指导内容“{bad[0]}”无效", field="topics")
    visit = InstructorVisit.objects.create(
        instructor=ins,
        enterprise=e,
        visited_on=visited_on,
        met=met,
        topics=topics,
        notes=_text(notes, "notes", "工作情况", 2000),
        problems=_text(problems, "problems", "发现问题", 2000),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    rows = []
    for i, (text, due) in enumerate(followups or [], start=1):
        text = _text(text, "followups", f"第{i}项跟进事项", 200, required=True)
        if due is None or due < visited_on:
            raise DomainError(
                "bad_due", f"第{i}项跟进事项的办理期限不能早于走访日期", field="followups"
            )
        rows.append(FollowUp(visit=visit, text=text, due_on=due))
    FollowUp.objects.bulk_create(rows)
    handed = [_case_record(actor, visit, e, c, i) for i, c in enumerate(cases or [], start=1)]
    audit_record(
        actor=actor,
        action="enterprises.visit_log",
        obj=visit,
        organization=e.unit.committee,
        data={
            "instructor": ins.ref,
            "credit_code": e.unit.credit_code,
            "visited_on": visited_on.isoformat(),
            "topics": topics,
            "followups": len(rows),
            "cases": len(handed),
        },
    )
    return visit


def _case_record(
    actor: Actor, visit: InstructorVisit, e: Enterprise, c: CaseData, i: int
) -> RelationCase:
    name = _text(c.name, "cases", f"第{i}位排查党员的姓名", 50, required=True)
    if c.finding not in RelationFinding.values:
        raise DomainError("bad_finding", f"第{i}位排查党员的情况无效", field="cases")
    member = c.member
    if member is not None:
        handler = member.organization
        if member.name != name:
            raise DomainError(
                "mismatch", f"第{i}位：所选党员是{member.name}，与填写的姓名不符", field="cases"
            )
    else:
        handler = e.park.organization if e.park_id else e.unit.committee  # type: ignore[union-attr]
    case = RelationCase.objects.create(
        visit=visit,
        name=name,
        member=member,
        finding=c.finding,
        note=_text(c.note, "cases", f"第{i}位的说明", 200),
        handler=handler,
    )
    what = "组织关系在外地或其他单位" if c.finding == RelationFinding.ELSEWHERE else "失去联系"
    handover_notice(
        organization=handler,
        title=f"组织关系排查：{name}（{what}）",
        body=f"党建指导员在{e.unit.name}排查发现党员{name}{what}，请核实并办理组织关系转接或失联党员处置。",
        url=reverse("enterprises:case", args=[case.pk]),
        key=f"enterprises-case:{case.pk}",
    )
    return case


@transaction.atomic(durable=True)
def followup_done(
    *, actor: Actor, followup: FollowUp, result: str, done_on: date | None = None
) -> FollowUp:
    f = (
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("visit__instructor__organization", "visit__enterprise__unit")
        .get(pk=followup.pk)
    )
    _may_log(actor, f.visit.instructor)
    if f.done_on is not None:
        raise DomainError("done", "该跟进事项已办结", field="result")
    done_on = done_on or timezone.localdate()
    if done_on > timezone.localdate() or done_on < f.visit.visited_on:
        raise DomainError("bad_date", "办结日期应在走访日期和今天之间", field="done_on")
    f.result = _text(result, "result", "办理结果", 200, required=True)
    f.done_on = done_on
    f.save(update_fields=["result", "done_on"])
    audit_record(
        actor=actor,
        action="enterprises.followup_done",
        obj=f,
        organization=f.visit.instructor.organization,
        data={"credit_code": f.visit.enterprise.unit.credit_code, "done_on": done_on.isoformat()},
    )
    return f


@transaction.atomic(durable=True)
def case_close(*, actor: Actor, case: RelationCase, note: str) -> RelationCase:
    """The branch (or park) that took the case over records what it did."""
    c = (
        RelationCase.objects.select_for_update(of=("self",))
        .select_related("handler")
        .get(pk=case.pk)
    )
    _can(actor, c.handler, "change", "该排查事项")
    if c.closed_on is not None:
        raise DomainError("done", "该排查事项已办结", field="note")
    c.closing_note = _text(note, "note", "办理结果", 200, required=True)
    c.closed_on = timezone.localdate()
    c.save(update_fields=["closing_note", "closed_on"])
    audit_record(
        actor=actor,
        action="enterprises.case_close",
        obj=c,
        organization=c.handler,
        data={"name": c.name, "finding": c.finding},
    )
    return c


# --- 双培养 ------------------------------------------------------------------------------------


def _member_in_scope(actor: Actor, member: Member) -> None:
    """A member picked by staff: on the roll of an organization they may change."""
    if actor is not None and not policy.can(actor, "change", member.organization):
        raise NotVisible("只能选择本组织范围内的党员")


def _year(value: Any, field: str, label: str) -> int:
    today = timezone.localdate()
    if not isinstance(value, int) or not 1921 <= value <= today.year:
        raise DomainError("bad_year", f"{label}应为1921年至{today.year}年", field=field)
    return value


@transaction.atomic(durable=True)
def position_save(
    *,
    actor: Actor,
    enterprise: Enterprise,
    kind: str,
    title: str,
    member: Member | None = None,
    holder: str = "",
    position: KeyPosition | None = None,
) -> KeyPosition:
    """A key position and who holds it: a member employed there, or someone who is not."""
    e = Enterprise.objects.select_related("unit__committee", "park__organization").get(
        pk=enterprise.pk
    )
    if not enterprise_can(actor, e):
        raise NotVisible("没有该单位的权限")
    if kind not in PositionKind.values:
        raise DomainError("bad_kind", "请选择岗位类型", field="kind")
    title = _text(title, "title", "岗位", 50, required=True)
    holder = _text(holder, "holder", "担任人", 50)
    if member is not None and holder:
        raise DomainError(
            "two_holders", "担任人是党员的选择党员，不是党员的填写姓名", field="holder"
        )
    if member is None and not holder:
        raise DomainError(
            "required", "请选择担任岗位的党员或填写非党员担任人的姓名", field="holder"
        )
    if member is not None:
        _member_in_scope(actor, member)
        if member.employer_id != e.pk:
            raise DomainError(
                "not_employed", f"{member.name}没有登记在{e.unit.name}工作", field="member"
            )
    if position is None:
        p = KeyPosition.objects.create(
            enterprise=e, kind=kind, title=title, member=member, holder=holder
        )
    else:
        p = KeyPosition.objects.select_for_update().get(pk=position.pk, enterprise=e)
        p.kind, p.title, p.member, p.holder = kind, title, member, holder
        if member is not None:
            p.cultivate = False
        p.save()
    audit_record(
        actor=actor,
        action="enterprises.position_save",
        obj=p,
        organization=e.unit.committee,
        data={"credit_code": e.unit.credit_code, "title": title, "member": bool(member)},
    )
    return p


@transaction.atomic(durable=True)
def position_cultivate(*, actor: Actor, position: KeyPosition) -> KeyPosition:
    """把骨干培养成党员: a key staff member who is not a member is marked for cultivation; the
    branch that covers the enterprise (its own or joint branch, else the committee in charge) is
    told to take the application into the recruitment pipeline."""
    p = (
        KeyPosition.objects.select_for_update(of=("self",))
        .select_related(
            "enterprise__unit__committee", "enterprise__unit__organization", "enterprise__park"
        )
        .get(pk=position.pk)
    )
    e = p.enterprise
    if not enterprise_can(actor, e):
        raise NotVisible("没有该单位的权限")
    if p.member_id:
        raise DomainError("member", "担任人已是党员", field="position")
    if p.cultivate:
        raise DomainError("done", f"{p.holder}已列为培养对象", field="position")
    p.cultivate = True
    p.save(update_fields=["cultivate"])
    org = e.unit.organization if e.unit.organization and e.unit.organization.is_active else None
    handler = org or e.unit.committee
    audit_record(
        actor=actor,
        action="enterprises.position_cultivate",
        obj=p,
        organization=handler,
        data={"credit_code": e.unit.credit_code, "title": p.title, "holder": p.holder},
    )
    handover_notice(
        organization=handler,
        title=f"培养关键岗位骨干入党：{p.holder}（{e.unit.name}）",
        body=f"{e.unit.name}{p.get_kind_display()}“{p.title}”的{p.holder}列为培养对象，"
        "请与本人谈心谈话，引导其向党组织提出入党申请，纳入发展党员工作。",
        url=reverse("enterprises:enterprise", args=[e.pk]),
        key=f"enterprises-cultivate:{p.pk}",
    )
    return p


@transaction.atomic(durable=True)
def position_link(*, actor: Actor, position: KeyPosition, candidate: Any) -> KeyPosition:
    """The key staff member's application is in the recruitment pipeline: link it (the enterprise
    page then shows the stage)."""
    p = (
        KeyPosition.objects.select_for_update(of=("self",))
        .select_related("enterprise__unit__committee", "enterprise__park__organization")
        .get(pk=position.pk)
    )
    if not enterprise_can(actor, p.enterprise):
        raise NotVisible("没有该单位的权限")
    if actor is not None and not policy.can(actor, "view", candidate.organization):
        raise NotVisible("没有该发展对象的权限")
    if candidate.name != p.holder:
        raise DomainError(
            "mismatch", f"所选申请人是{candidate.name}，与担任人{p.holder}不符", field="candidate"
        )
    p.candidate, p.cultivate = candidate, True
    p.save(update_fields=["candidate", "cultivate"])
    audit_record(
        actor=actor,
        action="enterprises.position_link",
        obj=p,
        organization=p.enterprise.unit.committee,
        data={"title": p.title, "person_no": candidate.person_no},
    )
    return p


@transaction.atomic(durable=True)
def cultivation_save(
    *, actor: Actor, enterprise: Enterprise, member: Member, target: str, due_on: date
) -> Cultivation:
    """把党员培养成骨干: a member employed there, towards a key position by a date."""
    e = Enterprise.objects.select_related("unit__committee", "park__organization").get(
        pk=enterprise.pk
    )
    if not enterprise_can(actor, e):
        raise NotVisible("没有该单位的权限")
    _member_in_scope(actor, member)
    if member.employer_id != e.pk:
        raise DomainError(
            "not_employed", f"{member.name}没有登记在{e.unit.name}工作", field="member"
        )
    target = _text(target, "target", "培养目标", 100, required=True)
    if due_on < timezone.localdate():
        raise DomainError("past", "计划完成日期不能早于今天", field="due_on")
    c = Cultivation.objects.create(enterprise=e, member=member, target=target, due_on=due_on)
    audit_record(
        actor=actor,
        action="enterprises.cultivation_save",
        obj=c,
        organization=e.unit.committee,
        data={"member": member.member_no, "target": target, "due_on": due_on.isoformat()},
    )
    return c


@transaction.atomic(durable=True)
def cultivation_reach(*, actor: Actor, cultivation: Cultivation, on: date) -> Cultivation:
    c = (
        Cultivation.objects.select_for_update(of=("self",))
        .select_related("enterprise__unit__committee", "enterprise__park__organization", "member")
        .get(pk=cultivation.pk)
    )
    if not enterprise_can(actor, c.enterprise):
        raise NotVisible("没有该单位的权限")
    if on > timezone.localdate():
        raise DomainError("future", "实现日期不能晚于今天", field="on")
    c.reached_on = on
    c.save(update_fields=["reached_on"])
    audit_record(
        actor=actor,
        action="enterprises.cultivation_reach",
        obj=c,
        organization=c.enterprise.unit.committee,
        data={"member": c.member.member_no, "on": on.isoformat()},
    )
    return c


# --- 党员突击队、党员先锋岗 ----------------------------------------------------------------------


@transaction.atomic(durable=True)
def team_save(
    *,
    actor: Actor,
    organization: Organization,
    kind: str,
    name: str,
    project: str,
    starts_on: date,
    ends_on: date,
    members: list[Member],
    enterprise: Enterprise | None = None,
) -> CommandoTeam:
    _can(actor, organization, "change", f"“{organization.name}”")
    if kind not in TeamKind.values:
        raise DomainError("bad_kind", "请选择党员突击队或党员先锋岗", field="kind")
    name = _text(name, "name", "名称", 50, required=True)
    project = _text(project, "project", "攻坚项目", 100, required=True)
    if ends_on < starts_on:
        raise DomainError("bad_date", "计划结束日期不能早于开始日期", field="ends_on")
    if not members:
        raise DomainError("required", "请选择队员", field="members")
    outside = [m.name for m in members if not m.organization.path.startswith(organization.path)]
    if enterprise is None and outside:
        raise DomainError("outside", f"{outside[0]}不是{organization.name}的党员", field="members")
    if enterprise is not None:
        if not enterprise_can(actor, enterprise, "view"):
            raise NotVisible("没有该单位的权限")
        inside = {m.pk for m in members if m.organization.path.startswith(organization.path)}
        stray = [m.name for m in members if m.employer_id != enterprise.pk and m.pk not in inside]
        if stray:
            raise DomainError(
                "outside", f"{stray[0]}既不是本组织党员，也不在该企业工作", field="members"
            )
    t = CommandoTeam.objects.create(
        organization=organization,
        enterprise=enterprise,
        kind=kind,
        name=name,
        project=project,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    t.members.set(members)
    audit_record(
        actor=actor,
        action="enterprises.team_save",
        obj=t,
        organization=organization,
        data={"name": name, "kind": kind, "members": [m.member_no for m in members]},
    )
    return t


def _team(actor: Actor, team: CommandoTeam) -> CommandoTeam:
    t = (
        CommandoTeam.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=team.pk)
    )
    _can(actor, t.organization, "change", "该突击队")
    if t.closed_on is not None:
        raise DomainError("closed", "该突击队已结束", field="text")
    return t


@transaction.atomic(durable=True)
def milestone_add(
    *, actor: Actor, team: CommandoTeam, on: date, text: str, photos: Any = None
) -> Milestone:
    t = _team(actor, team)
    if on > timezone.localdate() or on < t.starts_on:
        raise DomainError("bad_date", "日期应在突击队开始之后、今天之前", field="on")
    text = _text(text, "text", "进展和成果", 2000, required=True)
    with uploads.photos_stored(photos, folder="enterprises") as stored:
        m = Milestone.objects.create(team=t, on=on, text=text)
        uploads.records(MilestonePhoto, stored, actor, milestone=m)
        audit_record(
            actor=actor,
            action="enterprises.milestone_add",
            obj=m,
            organization=t.organization,
            data={"team": t.name, "on": on.isoformat(), "photos": len(stored)},
        )
    return m


@transaction.atomic(durable=True)
def team_close(*, actor: Actor, team: CommandoTeam, on: date, outcome: str) -> CommandoTeam:
    t = _team(actor, team)
    if on > timezone.localdate() or on < t.starts_on:
        raise DomainError("bad_date", "结束日期应在开始之后、今天之前", field="on")
    t.outcome = _text(outcome, "outcome", "成效", 2000, required=True)
    t.closed_on = on
    t.save(update_fields=["outcome", "closed_on"])
    audit_record(
        actor=actor,
        action="enterprises.team_close",
        obj=t,
        organization=t.organization,
        data={"team": t.name, "on": on.isoformat()},
    )
    return t


# --- 五联 ----------------------------------------------------------------------------------------

COUNTS_AS = {"theme_day": "主题党日", "party_lecture": "党课"}


@transaction.atomic(durable=True)
def joint_event_record(
    *,
    actor: Actor,
    organizer: Organization,
    kind: str,
    title: str,
    held_on: date,
    participants: list[Organization],
    place: str = "",
    summary: str = "",
    counts_as: str = "",
) -> JointEvent:
    """A joint meeting or activity, recorded once by the organizer. Counted as a 主题党日 or 党课,
    it is a held meeting of that kind in each participating branch's organizational life."""
    _can(actor, organizer, "change", f"“{organizer.name}”")
    if kind not in JointKind.values:
        raise DomainError("bad_kind", "请选择议事联席或活动联合", field="kind")
    title = _text(title, "title", "主题", 100, required=True)
    if held_on > timezone.localdate():
        raise DomainError("future", "日期不能晚于今天", field="held_on")
    others = [o for o in dict.fromkeys(participants) if o.pk != organizer.pk]
    if not others:
        raise DomainError("required", "请选择参加的其他组织（至少一个）", field="participants")
    for o in others:
        _can(actor, o, "view", f"“{o.name}”")
    inactive = [o.name for o in others if not o.is_active]
    if inactive:
        raise DomainError("inactive", f"“{inactive[0]}”已撤销", field="participants")
    if counts_as and counts_as not in COUNTS_AS:
        raise DomainError("bad_kind", "计入组织生活的类型无效", field="counts_as")
    if counts_as and kind != JointKind.ACTIVITY:
        raise DomainError("bad_kind", "只有联合开展的活动可计入支部的组织生活", field="counts_as")
    e = JointEvent.objects.create(
        organizer=organizer,
        kind=kind,
        title=title,
        held_on=held_on,
        place=_text(place, "place", "地点", 100),
        summary=_text(summary, "summary", "内容和成果", 4000),
        counts_as=counts_as,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    everyone = [organizer, *others]
    e.participants.set(everyone)
    # a branch's organizational life is written only where the actor may change it; the other
    # participating branches are told and record it themselves (三会一课)
    mine = [o for o in everyone if actor is None or policy.can(actor, "change", o)]
    branches = [o for o in mine if o.kind == "branch"]
    theirs = [o for o in everyone if o not in mine]
    if counts_as and branches:
        on_roll = dict(
            Member.objects.filter(organization__in=branches, status__in=("full", "probationary"))
            .values("organization_id")
            .annotate(n=Count("pk"))
            .values_list("organization_id", "n")
        )
        Meeting.objects.bulk_create(
            [
                Meeting(
                    organization=b,
                    kind=counts_as,
                    status="held",
                    held_on=held_on,
                    topic=f"联合{COUNTS_AS[counts_as]}：{title}"[:200],
                    place=e.place,
                    minutes=f"与{'、'.join(o.name for o in everyone if o != b)}联合开展。"
                    f"{e.summary}"[:4000],
                    expected=on_roll.get(b.pk, 0),
                    attended=0,
                    source="joint",
                    created_by=e.created_by,
                )
                for b in branches
            ]
        )
    for o in theirs:
        handover_notice(
            organization=o,
            title=f"联合活动：{title}",
            body=f"{organizer.name}记录了{held_on:%Y年%-m月%-d日}与本组织联合开展的"
            f"{'主题党日' if counts_as == 'theme_day' else '党课' if counts_as else '活动'}"
            f"“{title}”。"
            + ("参加的党支部请在三会一课中登记本支部的这次组织生活。" if counts_as else ""),
            url=reverse("enterprises:joint", args=[o.pk]),
            key=f"enterprises-joint:{e.pk}:{o.pk}",
        )
    audit_record(
        actor=actor,
        action="enterprises.joint_event_record",
        obj=e,
        organization=organizer,
        data={
            "title": title,
            "kind": kind,
            "held_on": held_on.isoformat(),
            "participants": [o.code for o in everyone],
            "counts_as": counts_as,
        },
    )
    return e


# --- brands, honours, cases, service centres -----------------------------------------------------


@transaction.atomic(durable=True)
def brand_save(
    *,
    actor: Actor,
    organization: Organization,
    name: str,
    since: int,
    description: str = "",
    logo: Any = None,
) -> Brand:
    _can(actor, organization, "change", f"“{organization.name}”")
    name = _text(name, "name", "品牌名称", 50, required=True)
    since = _year(since, "since", "创建年份")
    if Brand.objects.filter(organization=organization, name=name).exists():
        raise DomainError("duplicate", f"“{name}”已登记", field="name")
    with uploads.photos_stored([logo] if logo else [], folder="brands", field="logo") as stored:
        b = Brand.objects.create(
            organization=organization,
            name=name,
            since=since,
            description=_text(description, "description", "品牌内涵", 2000),
        )
        uploads.records(BrandLogo, stored, actor, brand=b)
        audit_record(
            actor=actor,
            action="enterprises.brand_save",
            obj=b,
            organization=organization,
            data={"name": name, "since": since, "logo": bool(stored)},
        )
    return b


@transaction.atomic(durable=True)
def honour_save(
    *,
    actor: Actor,
    organization: Organization,
    title: str,
    awarded_by: str,
    level: str,
    year: int,
    files: Any = None,
) -> Honour:
    _can(actor, organization, "change", f"“{organization.name}”")
    title = _text(title, "title", "荣誉称号", 100, required=True)
    awarded_by = _text(awarded_by, "awarded_by", "授予机关", 100, required=True)
    if level not in HonourLevel.values:
        raise DomainError("bad_level", "请选择级别", field="level")
    year = _year(year, "year", "年度")
    stored = uploads.store(list(files or []), field="files", folder="honours")
    try:
        h = Honour.objects.create(
            organization=organization, title=title, awarded_by=awarded_by, level=level, year=year
        )
        uploads.records(HonourFile, stored, actor, honour=h)
        audit_record(
            actor=actor,
            action="enterprises.honour_save",
            obj=h,
            organization=organization,
            data={"title": title, "level": level, "year": year, "files": len(stored)},
        )
    except BaseException:
        uploads.discard(stored)
        raise
    return h


@transaction.atomic(durable=True)
def case_save(
    *, actor: Actor, organization: Organization, title: str, award: str, year: int
) -> InnovationCase:
    _can(actor, organization, "change", f"“{organization.name}”")
    c = InnovationCase.objects.create(
        organization=organization,
        title=_text(title, "title", "案例名称", 100, required=True),
        award=_text(award, "award", "获奖情况", 100),
        year=_year(year, "year", "年度"),
    )
    audit_record(
        actor=actor,
        action="enterprises.innovation_case_save",
        obj=c,
        organization=organization,
        data={"title": c.title, "year": c.year},
    )
    return c


@transaction.atomic(durable=True)
def centre_save(
    *,
    actor: Actor,
    organization: Organization,
    kind: str,
    name: str,
    address: str,
    hours: str = "",
    facilities: str = "",
) -> ServiceCentre:
    _can(actor, organization, "change", f"“{organization.name}”")
    if kind not in CentreKind.values:
        raise DomainError("bad_kind", "请选择党群服务中心或培训基地", field="kind")
    c = ServiceCentre.objects.create(
        organization=organization,
        kind=kind,
        name=_text(name, "name", "名称", 100, required=True),
        address=_text(address, "address", "地址", 200, required=True),
        hours=_text(hours, "hours", "开放时间", 100),
        facilities=_text(facilities, "facilities", "功能设施", 200),
    )
    audit_record(
        actor=actor,
        action="enterprises.centre_save",
        obj=c,
        organization=organization,
        data={"name": c.name, "kind": kind},
    )
    return c
