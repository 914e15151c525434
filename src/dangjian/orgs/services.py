"""Every write to the organization tree: one function per domain action, one transaction each."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.accounts.types import Actor
from dangjian.audit.services import audit_record, diff
from dangjian.compliance.packs import rule_params
from dangjian.core.creditcode import credit_code_clean
from dangjian.core.dates import add_months, months_between
from dangjian.core.errors import DomainError, NotVisible
from dangjian.core.signals import handover
from dangjian.members.constants import ACTIVE_STATUSES, ON_ROLL_STATUSES, MemberEventKind
from dangjian.members.models import Member, MemberEvent

from .constants import ALLOWED_PARENT_KINDS, OrgCategory, OrgChangeKind, OrgKind, PostKind
from .counters import counters_recount
from .models import (
    Election,
    Organization,
    OrgChange,
    OrgRequest,
    Post,
    RequestDecision,
    Term,
    Unit,
    UnitKind,
)

CODE_MAX = 32
NAME_MAX = 100


def _require(actor: Actor, action: str, organization: Organization | None) -> None:
    """System writes (CLI, import, seed) pass actor=None; a person must hold the scope."""
    if actor is None:
        return
    if organization is None or not policy.can(actor, action, organization):
        raise NotVisible()


def _check_date(value: date | None, field: str, label: str, *, required: bool = True) -> None:
    if value is None:
        if required:
            raise DomainError("required", f"{label}不能为空", field=field)
        return
    if value > timezone.localdate():
        raise DomainError("future_date", f"{label}不能晚于今天", field=field)
    if value.year < 1921:
        raise DomainError("bad_date", f"{label}早于1921年，不合理", field=field)


def _check_kind(kind: str, parent: Organization | None) -> None:
    if kind not in OrgKind.values:
        raise DomainError("bad_kind", f"组织类型“{kind}”无效", field="kind")
    if parent is None:
        if kind != OrgKind.COMMITTEE:
            raise DomainError("bad_parent", "最上级组织必须是党委", field="parent")
        return
    if parent.kind not in ALLOWED_PARENT_KINDS[kind]:
        raise DomainError(
            "bad_parent",
            f"{OrgKind(kind).label}不能设在{OrgKind(parent.kind).label}之下",
            field="parent",
        )
    if not parent.is_active:
        raise DomainError("parent_inactive", "上级组织已撤销", field="parent")


def _check_text(value: str, field: str, label: str, max_len: int) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError("required", f"{label}不能为空", field=field)
    if len(value) > max_len:
        raise DomainError("too_long", f"{label}不能超过{max_len}个字符", field=field)
    return value


@transaction.atomic(durable=True)
def org_create(
    *,
    actor: Actor,
    parent: Organization | None,
    code: str,
    name: str,
    kind: str,
    category: str,
    established_on: date,
) -> Organization:
    """Found an organization under `parent` (None = a new root, system only)."""
    if parent is None and actor is not None:
        raise DomainError("bad_parent", "请选择上级组织", field="parent")
    _require(actor, "manage", parent)
    code = _check_text(code, "code", "组织代码", CODE_MAX)
    name = _check_text(name, "name", "组织名称", NAME_MAX)
    _check_kind(kind, parent)
    if category not in OrgCategory.values:
        raise DomainError("bad_category", f"单位类别“{category}”无效", field="category")
    _check_date(established_on, "established_on", "成立日期")
    if Organization.objects.filter(code=code).exists():
        raise DomainError("duplicate_code", f"组织代码“{code}”已被使用", field="code")
    fields = {
        "code": code,
        "name": name,
        "kind": kind,
        "category": category,
        "established_on": established_on,
    }
    if parent is None:
        org = Organization.objects.add_root(fields)
    else:
        parent = Organization.objects.get(pk=parent.pk)  # fresh path/numchild
        org = Organization.objects.add_child(parent, fields)
    OrgChange.objects.create(
        organization=org,
        kind=OrgChangeKind.CREATED,
        on=established_on,
        data={"parent": parent.code if parent else None},
        actor=actor,
    )
    audit_record(
        actor=actor,
        action="orgs.create",
        obj=org,
        data={"after": {**fields, "parent": parent.code if parent else None}},
    )
    return org


@transaction.atomic(durable=True)
def org_update(
    *,
    actor: Actor,
    organization: Organization,
    name: str,
    category: str,
    kind: str | None = None,
    on: date | None = None,
) -> Organization:
    """Rename or reclassify an organization; each change is kept in its history."""
    _require(actor, "manage", organization)
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    name = _check_text(name, "name", "组织名称", NAME_MAX)
    if category not in OrgCategory.values:
        raise DomainError("bad_category", f"单位类别“{category}”无效", field="category")
    kind = kind or org.kind
    if kind != org.kind:
        _check_kind(kind, Organization.objects.get_parent(org))
        if kind == OrgKind.GROUP or (
            org.numchild
            and kind == OrgKind.BRANCH
            and Organization.objects.get_children(org).exclude(kind=OrgKind.GROUP).exists()
        ):
            raise DomainError("bad_kind", "该组织下设有下级组织，不能改为此类型", field="kind")
    before = {"name": org.name, "category": org.category, "kind": org.kind}
    after = {"name": name, "category": category, "kind": kind}
    changes = diff(before, after)
    if not changes:
        return org
    on = on or timezone.localdate()
    org.name, org.category, org.kind = name, category, kind
    org.save(update_fields=["name", "category", "kind", "updated_at"])
    change_kind = OrgChangeKind.RENAMED if "name" in changes else OrgChangeKind.RECLASSIFIED
    OrgChange.objects.create(organization=org, kind=change_kind, on=on, data=changes, actor=actor)
    audit_record(actor=actor, action="orgs.update", obj=org, data={"changes": changes})
    return org


@transaction.atomic(durable=True)
def org_move(
    *, actor: Actor, organization: Organization, new_parent: Organization, on: date | None = None
) -> Organization:
    """Move an organization, with its whole subtree, under another parent."""
    _require(actor, "manage", organization)
    _require(actor, "manage", new_parent)
    org = Organization.objects.get(pk=organization.pk)
    target = Organization.objects.get(pk=new_parent.pk)
    old_parent = Organization.objects.get_parent(org)
    if old_parent is None:
        raise DomainError("bad_parent", "最上级组织不能移动", field="parent")
    if target.pk == org.pk or target.path.startswith(org.path):
        raise DomainError("cycle", "不能把组织移到它自己或它的下级组织之下", field="parent")
    if old_parent.pk == target.pk:
        raise DomainError("same_parent", "新的上级组织与原上级组织相同", field="parent")
    _check_kind(org.kind, target)
    Organization.objects.move(org, target, pos="last-child")
    org.refresh_from_db()
    if actor is not None and not policy.can(actor, "manage", org):
        raise NotVisible()  # re-check after the write: never move a unit out of one's own reach
    data = {"from": old_parent.code, "to": target.code}
    OrgChange.objects.create(
        organization=org,
        kind=OrgChangeKind.MOVED,
        on=on or timezone.localdate(),
        data=data,
        actor=actor,
    )
    audit_record(actor=actor, action="orgs.move", obj=org, data=data)
    return org


@transaction.atomic(durable=True)
def org_dissolve(
    *, actor: Actor, organization: Organization, on: date, reason: str
) -> Organization:
    """Dissolve an organization that has no members and no active sub-organizations."""

    _require(actor, "manage", organization)
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    if not org.is_active:
        raise DomainError("inactive", "该组织已撤销")
    if org.depth == 1:
        raise DomainError("root", "最上级组织不能撤销")
    _check_date(on, "on", "撤销日期")
    reason = _check_text(reason, "reason", "撤销原因", 300)
    if org.members.filter(status__in=ON_ROLL_STATUSES).exists():
        raise DomainError("has_members", "该组织仍有党员，请先转移党员或合并组织")
    if (
        Organization.objects.filter(path__under=org.path, is_active=True)
        .exclude(pk=org.pk)
        .exists()
    ):
        raise DomainError("has_children", "该组织仍有下级组织，请先撤销或调整下级组织")
    org.is_active = False
    org.dissolved_on = on
    org.save(update_fields=["is_active", "dissolved_on", "updated_at"])
    Post.objects.filter(organization=org, ended_on__isnull=True).update(ended_on=on)
    OrgChange.objects.create(
        organization=org, kind=OrgChangeKind.DISSOLVED, on=on, data={"reason": reason}, actor=actor
    )
    audit_record(
        actor=actor, action="orgs.dissolve", obj=org, data={"on": on.isoformat(), "reason": reason}
    )
    return org


@transaction.atomic(durable=True)
def org_merge(
    *, actor: Actor, source: Organization, target: Organization, on: date, reason: str
) -> Organization:
    """Merge `source` into `target`: its members and sub-organizations move, then it is
    dissolved."""

    _require(actor, "manage", source)
    _require(actor, "manage", target)
    src = Organization.objects.select_for_update().get(pk=source.pk)
    dst = Organization.objects.select_for_update().get(pk=target.pk)
    if src.pk == dst.pk:
        raise DomainError("same", "不能与自身合并", field="target")
    if not src.is_active or not dst.is_active:
        raise DomainError("inactive", "已撤销的组织不能合并", field="target")
    if dst.path.startswith(src.path):
        raise DomainError("cycle", "不能并入自己的下级组织", field="target")
    if src.kind != dst.kind:
        raise DomainError("kind", "只能合并同类型的组织（如支部并入支部）", field="target")
    _check_date(on, "on", "合并日期")
    reason = _check_text(reason, "reason", "合并原因", 300)
    members = list(
        Member.objects.filter(organization=src, status__in=ON_ROLL_STATUSES).values_list(
            "pk", flat=True
        )
    )
    Member.objects.filter(pk__in=members).update(organization=dst, updated_at=timezone.now())
    MemberEvent.objects.bulk_create(
        [
            MemberEvent(
                member_id=pk,
                organization=dst,
                kind=MemberEventKind.MOVED,
                on=on,
                reason=f"{src.name}并入{dst.name}",
                data={"from": src.code, "to": dst.code},
                actor=actor if actor is not None else None,
            )
            for pk in members
        ],
        batch_size=1000,
    )
    for child in list(Organization.objects.get_children(src).filter(is_active=True)):
        Organization.objects.move(child, Organization.objects.get(pk=dst.pk), pos="last-child")
    counters_recount([src.pk, dst.pk])
    src.refresh_from_db()
    src.is_active = False
    src.dissolved_on = on
    src.merged_into = dst
    src.save(update_fields=["is_active", "dissolved_on", "merged_into", "updated_at"])
    Post.objects.filter(organization=src, ended_on__isnull=True).update(ended_on=on)
    data = {"into": dst.code, "members_moved": len(members), "reason": reason}
    OrgChange.objects.create(
        organization=src, kind=OrgChangeKind.MERGED, on=on, data=data, actor=actor
    )
    OrgChange.objects.create(
        organization=dst,
        kind=OrgChangeKind.MERGED,
        on=on,
        data={"from": src.code, "members_moved": len(members)},
        actor=actor,
    )
    audit_record(actor=actor, action="orgs.merge", obj=src, data=data)
    return dst


@transaction.atomic(durable=True)
def term_create(
    *, actor: Actor, organization: Organization, elected_on: date, term_years: int, note: str = ""
) -> Term:
    """Record a committee election (a new 届): the elected date and the term length."""
    _require(actor, "change", organization)
    _check_date(elected_on, "elected_on", "选举日期")
    if elected_on < organization.established_on:
        raise DomainError("before_established", "选举日期早于组织成立日期", field="elected_on")
    if not isinstance(term_years, int) or not 1 <= term_years <= 10:
        raise DomainError(
            "bad_term", "任期应为1到10之间的整数（支部、总支一般3年，党委5年）", field="term_years"
        )
    if Term.objects.filter(organization=organization, elected_on=elected_on).exists():
        raise DomainError("duplicate", "该日期已有一届选举记录", field="elected_on")
    term = Term.objects.create(
        organization=organization, elected_on=elected_on, term_years=term_years, note=note[:200]
    )
    audit_record(
        actor=actor,
        action="orgs.term_create",
        obj=term,
        organization=organization,
        data={"elected_on": elected_on.isoformat(), "term_years": term_years},
    )
    return term


@transaction.atomic(durable=True)
def post_assign(
    *,
    actor: Actor,
    organization: Organization,
    member: Any,
    post: str,
    started_on: date | None = None,
) -> Post:
    """Appoint a member to a committee post; the member must belong to the organization's
    subtree."""

    _require(actor, "change", organization)
    if post not in PostKind.values:
        raise DomainError("bad_post", f"职务“{post}”无效", field="post")
    if post == PostKind.GROUP_LEADER and organization.kind != OrgKind.GROUP:
        raise DomainError("bad_post", "党小组长只能在党小组任命", field="post")
    if member.status not in ACTIVE_STATUSES:
        raise DomainError("bad_member", "只有正式党员或预备党员可以任职", field="member")
    in_subtree = member.organization.path.startswith(organization.path)
    # A group sits inside a branch; its members are on the branch's roll.
    group_of_branch = (
        organization.kind == OrgKind.GROUP
        and organization.path[: -Organization.steplen] == member.organization.path
    )
    if not (in_subtree or group_of_branch):
        raise DomainError("bad_member", "任职党员应是本组织（或其下级组织）的党员", field="member")
    if post in {PostKind.SECRETARY, PostKind.DEPUTY_SECRETARY} and member.status != "full":
        raise DomainError("bad_member", "预备党员不能担任书记、副书记", field="member")
    _check_date(started_on, "started_on", "任职日期", required=False)
    try:
        with transaction.atomic():
            p = Post.objects.create(
                organization=organization, member=member, post=post, started_on=started_on
            )
    except IntegrityError as exc:
        if post == PostKind.SECRETARY:
            raise DomainError(
                "secretary_exists", "该组织已有书记，请先办理原书记离任", field="post"
            ) from exc
        raise DomainError("duplicate", "该党员已担任此职务", field="post") from exc
    audit_record(
        actor=actor,
        action="orgs.post_assign",
        obj=p,
        organization=organization,
        data={"member": member.member_no, "post": post},
    )
    return p


@transaction.atomic(durable=True)
def post_end(*, actor: Actor, post: Post, ended_on: date) -> Post:
    """End a post (离任); the record is kept."""
    _require(actor, "change", post.organization)
    p = Post.objects.select_for_update().get(pk=post.pk)
    if p.ended_on is not None:
        raise DomainError("ended", "该职务已离任")
    _check_date(ended_on, "ended_on", "离任日期")
    if p.started_on and ended_on < p.started_on:
        raise DomainError("bad_date", "离任日期早于任职日期", field="ended_on")
    p.ended_on = ended_on
    p.save(update_fields=["ended_on"])
    audit_record(
        actor=actor,
        action="orgs.post_end",
        obj=p,
        organization=p.organization,
        data={"member": p.member.member_no, "post": p.post, "ended_on": ended_on.isoformat()},
    )
    return p


# --- joint branches, units and projects, requests to set up an organization (ORG-01/05/07/08) ---


@transaction.atomic(durable=True)
def org_set_joint(*, actor: Actor, organization: Organization, is_joint: bool) -> Organization:
    """Mark a branch as a joint branch (联合党支部) of several units, or undo it."""
    _require(actor, "manage", organization)
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    if is_joint and org.kind != OrgKind.BRANCH:
        raise DomainError("bad_kind", "只有党支部可以设为联合党支部", field="is_joint")
    if org.is_joint == is_joint:
        return org
    org.is_joint = is_joint
    org.save(update_fields=["is_joint", "updated_at"])
    audit_record(actor=actor, action="orgs.set_joint", obj=org, data={"is_joint": is_joint})
    return org


def _unit_fields(
    *,
    committee: Organization,
    kind: str,
    name: str,
    credit_code: str,
    category: str,
    organization: Organization | None,
    full_members: int,
    started_on: date | None,
    ends_on: date | None,
    finished_on: date | None,
    note: str,
) -> dict[str, Any]:

    if kind not in UnitKind.values:
        raise DomainError("bad_kind", f"类型“{kind}”无效", field="kind")
    if committee.kind == OrgKind.GROUP or not committee.is_active:
        raise DomainError(
            "bad_committee", "主管党组织应是有效的党委、党总支或党支部", field="committee"
        )
    name = _check_text(name, "name", "名称", NAME_MAX)
    credit_code = credit_code_clean(credit_code) if (credit_code or "").strip() else ""
    if category not in OrgCategory.values:
        raise DomainError("bad_category", f"单位类别“{category}”无效", field="category")
    if not isinstance(full_members, int) or full_members < 0 or full_members > 100000:
        raise DomainError("bad_count", "正式党员数应为0或正整数", field="full_members")
    if organization is not None:
        if organization.kind == OrgKind.GROUP or not organization.is_active:
            raise DomainError(
                "bad_org", "所建党组织应是有效的党委、党总支或党支部", field="organization"
            )
        if not organization.path.startswith(committee.path):
            raise DomainError("bad_org", "所建党组织应在主管党组织之下", field="organization")
    planned = None
    if kind == UnitKind.PROJECT:
        if started_on is None:
            raise DomainError("required", "项目开始日期不能为空", field="started_on")
        if ends_on is not None and ends_on < started_on:
            raise DomainError("bad_date", "计划结束日期早于开始日期", field="ends_on")
        if finished_on is not None and finished_on < started_on:
            raise DomainError("bad_date", "实际结束日期早于开始日期", field="finished_on")
        _check_date(finished_on, "finished_on", "实际结束日期", required=False)
        planned = months_between(started_on, ends_on) if ends_on else None
    else:
        started_on = ends_on = finished_on = None
    return {
        "kind": kind,
        "name": name,
        "credit_code": credit_code,
        "category": category,
        "organization": organization,
        "full_members": full_members,
        "started_on": started_on,
        "ends_on": ends_on,
        "finished_on": finished_on,
        "planned_months": planned,
        "note": (note or "")[:200],
    }


def _unique_credit_code(code: str, exclude_pk: int | None = None) -> None:

    others = Unit.objects.filter(credit_code=code)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if code and others.exists():
        raise DomainError("duplicate", "该统一社会信用代码已登记", field="credit_code")


@transaction.atomic(durable=True)
def unit_create(*, actor: Actor, committee: Organization, **fields: Any) -> Any:
    """Register a unit or a project in a committee's charge."""

    _require(actor, "change", committee)
    data = _unit_fields(committee=committee, **fields)
    _unique_credit_code(data["credit_code"])
    unit = Unit.objects.create(committee=committee, **data)
    audit_record(
        actor=actor,
        action="orgs.unit_create",
        obj=unit,
        organization=committee,
        data={"name": unit.name, "kind": unit.kind, "full_members": unit.full_members},
    )
    return unit


@transaction.atomic(durable=True)
def unit_update(*, actor: Actor, unit: Any, **fields: Any) -> Any:
    """Change a unit's figures, dates or the organization set up in it; the changes are audited."""

    _require(actor, "change", unit.committee)
    u = Unit.objects.select_for_update().get(pk=unit.pk)
    data = _unit_fields(committee=u.committee, **fields)
    _unique_credit_code(data["credit_code"], exclude_pk=u.pk)
    before = {k: getattr(u, k) for k in data}
    for k, v in data.items():
        setattr(u, k, v)
    u.save()
    changes = diff({k: str(v) for k, v in before.items()}, {k: str(v) for k, v in data.items()})
    audit_record(
        actor=actor,
        action="orgs.unit_update",
        obj=u,
        organization=u.committee,
        data={"changes": changes},
    )
    return u


@transaction.atomic(durable=True)
def org_request_submit(
    *,
    actor: Actor,
    committee: Organization,
    proposed_name: str,
    proposed_kind: str,
    submitted_on: date,
    unit: Any = None,
) -> Any:
    """Record a unit's request to set up a party organization, received by `committee`."""

    _require(actor, "change", committee)
    if committee.kind == OrgKind.GROUP or not committee.is_active:
        raise DomainError(
            "bad_committee", "受理组织应是有效的党委、党总支或党支部", field="committee"
        )
    if proposed_kind not in {OrgKind.BRANCH, OrgKind.GENERAL_BRANCH, OrgKind.COMMITTEE}:
        raise DomainError(
            "bad_kind", "拟成立组织类型应为党委、党总支或党支部", field="proposed_kind"
        )
    name = _check_text(proposed_name, "proposed_name", "拟成立组织名称", NAME_MAX)
    _check_date(submitted_on, "submitted_on", "请示日期")
    if unit is not None and unit.committee_id != committee.pk:
        raise DomainError("bad_unit", "申请单位不由本组织主管", field="unit")
    req = OrgRequest.objects.create(
        committee=committee,
        unit=unit,
        proposed_name=name,
        proposed_kind=proposed_kind,
        submitted_on=submitted_on,
    )
    audit_record(
        actor=actor,
        action="orgs.request_submit",
        obj=req,
        organization=committee,
        data={"proposed_name": name, "submitted_on": submitted_on.isoformat()},
    )
    return req


@transaction.atomic(durable=True)
def org_request_answer(
    *, actor: Actor, request: Any, decision: str, answered_on: date, reply: str
) -> Any:
    """Answer a request (同意 / 不同意) with the reply's number and reasons."""

    _require(actor, "change", request.committee)
    req = OrgRequest.objects.select_for_update().get(pk=request.pk)
    if req.answered_on is not None:
        raise DomainError("answered", "该请示已批复")
    if decision not in RequestDecision.values:
        raise DomainError("bad_decision", "请选择批复意见", field="decision")
    _check_date(answered_on, "answered_on", "批复日期")
    if answered_on < req.submitted_on:
        raise DomainError("bad_date", "批复日期早于请示日期", field="answered_on")
    reply = _check_text(reply, "reply", "批复文号及说明", 300)
    req.decision, req.answered_on, req.reply = decision, answered_on, reply
    req.save(update_fields=["decision", "answered_on", "reply"])
    audit_record(
        actor=actor,
        action="orgs.request_answer",
        obj=req,
        organization=req.committee,
        data={"decision": decision, "answered_on": answered_on.isoformat()},
    )
    return req


# --- re-elections: request, result (validated), report; postponement (TERM-02/04/06/07) ---


def current_term(organization: Organization, on: date | None = None) -> Term | None:
    on = on or timezone.localdate()
    return (
        Term.objects.filter(organization=organization, elected_on__lte=on)
        .order_by("-elected_on")
        .first()
    )


def term_end(term: Term) -> date:
    """The term's end: elected_on + term_years (calendar), or the approved postponement."""
    return term.extended_until or add_months(term.elected_on, 12 * term.term_years)


@transaction.atomic(durable=True)
def election_request(
    *,
    actor: Actor,
    organization: Organization,
    requested_on: date,
    approved_on: date | None = None,
    note: str = "",
) -> Any:
    """Record the re-election request (换届请示) sent to the higher committee, and its approval."""

    _require(actor, "change", organization)
    if organization.kind not in {OrgKind.BRANCH, OrgKind.GENERAL_BRANCH, OrgKind.COMMITTEE}:
        raise DomainError("bad_kind", "党小组不进行换届选举", field="organization")
    _check_date(requested_on, "requested_on", "换届请示日期")
    _check_date(approved_on, "request_approved_on", "请示批复日期", required=False)
    if approved_on and approved_on < requested_on:
        raise DomainError("bad_date", "批复日期早于请示日期", field="request_approved_on")
    if Election.objects.filter(organization=organization, held_on__isnull=True).exists():
        raise DomainError("pending", "本组织已有一次尚未录入结果的换届请示", field="requested_on")
    e = Election.objects.create(
        organization=organization,
        requested_on=requested_on,
        request_approved_on=approved_on,
        note=note[:200],
    )
    parent = Organization.objects.get_parent(organization)
    if approved_on is None and parent is not None:
        handover.send(
            sender=Election,
            organization=parent,
            title=f"换届请示待批复：{organization.name}",
            body=f"{organization.name}于{requested_on:%Y年%m月%d日}请示换届，请批复。",
            url=reverse("orgs:elections", args=[organization.pk]),
            key=f"election:{e.pk}:request",
        )
    audit_record(
        actor=actor,
        action="orgs.election_request",
        obj=e,
        organization=organization,
        data={"requested_on": requested_on.isoformat()},
    )
    return e


def election_validity(
    *,
    eligible: int,
    present: int,
    seats: int,
    candidates: int,
    min_winner_votes: int,
    params: dict[str, Any] | None = None,
) -> list[tuple[str, str]]:
    """The XJ validity checks of an election (TERM-06): (field, Chinese reason) for each one
    broken."""
    p = {"present_num": 4, "present_den": 5, "surplus_pct": 20, **(params or {})}
    problems = []
    if present * p["present_den"] <= eligible * p["present_num"]:
        problems.append(
            (
                "present",
                f"实到{present}人，未超过应到{eligible}人的{p['present_num']}/{p['present_den']}，选举无效",
            )
        )
    if min_winner_votes * 2 <= present:
        problems.append(
            ("min_winner_votes", f"当选人最低得票{min_winner_votes}票，未超过实到{present}人的半数")
        )
    if candidates * 100 < seats * (100 + p["surplus_pct"]):
        problems.append(
            ("candidates", f"候选人{candidates}名、应选{seats}名，差额比例不足{p['surplus_pct']}%")
        )
    return problems


@transaction.atomic(durable=True)
def election_result(
    *,
    actor: Actor,
    organization: Organization,
    held_on: date,
    eligible: int,
    present: int,
    seats: int,
    candidates: int,
    min_winner_votes: int,
    term_years: int,
    note: str = "",
) -> Any:
    """Record the vote; an invalid election (TERM-06) is refused with the reason. Opens the new
    term."""

    _require(actor, "change", organization)
    _check_date(held_on, "held_on", "选举日期")
    if held_on < organization.established_on:
        raise DomainError("before_established", "选举日期早于组织成立日期", field="held_on")
    for field, label, value in [
        ("eligible", "应到有选举权党员", eligible),
        ("present", "实到有选举权党员", present),
        ("seats", "应选名额", seats),
        ("candidates", "候选人数", candidates),
        ("min_winner_votes", "当选人最低得票", min_winner_votes),
    ]:
        if not isinstance(value, int) or value < (1 if field != "min_winner_votes" else 0):
            raise DomainError("bad_number", f"{label}应为正整数", field=field)
    if present > eligible:
        raise DomainError("bad_number", f"实到{present}人多于应到{eligible}人", field="present")
    if min_winner_votes > present:
        raise DomainError(
            "bad_number",
            f"当选人最低得票{min_winner_votes}票多于实到{present}人",
            field="min_winner_votes",
        )
    if seats > candidates:
        raise DomainError(
            "bad_number", f"候选人{candidates}名少于应选{seats}名", field="candidates"
        )
    problems = election_validity(
        eligible=eligible,
        present=present,
        seats=seats,
        candidates=candidates,
        min_winner_votes=min_winner_votes,
        params=rule_params("TERM-06"),
    )
    if problems:
        field, reason = problems[0]
        raise DomainError(
            "invalid_election",
            "选举不符合《中国共产党基层组织选举工作条例》：" + "；".join(r for _f, r in problems),
            field=field,
        )
    if not isinstance(term_years, int) or not 1 <= term_years <= 10:
        raise DomainError(
            "bad_term", "任期应为1到10之间的整数（支部、总支一般3年，党委5年）", field="term_years"
        )
    if Term.objects.filter(organization=organization, elected_on=held_on).exists():
        raise DomainError("duplicate", "该日期已有一届选举记录", field="held_on")
    previous = current_term(organization, held_on)
    advance = months_between(held_on, term_end(previous)) if previous else 0
    term = Term.objects.create(
        organization=organization,
        elected_on=held_on,
        term_years=term_years,
        advance_months=advance,
        note=note[:200],
    )
    e = (
        Election.objects.select_for_update()
        .filter(organization=organization, held_on__isnull=True)
        .order_by("-created_at")
        .first()
    )
    if e is None:
        e = Election(organization=organization)
    e.held_on, e.eligible, e.present, e.seats, e.candidates = (
        held_on,
        eligible,
        present,
        seats,
        candidates,
    )
    e.min_winner_votes, e.term = min_winner_votes, term
    e.note = e.note or note[:200]
    e.save()
    audit_record(
        actor=actor,
        action="orgs.election_result",
        obj=e,
        organization=organization,
        data={
            "held_on": held_on.isoformat(),
            "eligible": eligible,
            "present": present,
            "seats": seats,
            "candidates": candidates,
            "min_winner_votes": min_winner_votes,
            "term_years": term_years,
            "advance_months": advance,
        },
    )
    return e


@transaction.atomic(durable=True)
def election_report(
    *, actor: Actor, election: Any, reported_on: date, secretary_approved_on: date | None = None
) -> Any:
    """Record that the result was reported upward and the secretary's approval came back
    (TERM-07)."""

    _require(actor, "change", election.organization)
    e = Election.objects.select_for_update().get(pk=election.pk)
    if e.held_on is None:
        raise DomainError("not_held", "尚未录入选举结果")
    _check_date(reported_on, "reported_on", "结果上报日期")
    _check_date(secretary_approved_on, "secretary_approved_on", "书记批复日期", required=False)
    if reported_on < e.held_on:
        raise DomainError("bad_date", "上报日期早于选举日期", field="reported_on")
    if secretary_approved_on and secretary_approved_on < reported_on:
        raise DomainError("bad_date", "书记批复日期早于上报日期", field="secretary_approved_on")
    e.reported_on, e.secretary_approved_on = reported_on, secretary_approved_on
    e.save(update_fields=["reported_on", "secretary_approved_on"])
    parent = Organization.objects.get_parent(e.organization)
    if secretary_approved_on is None and parent is not None:
        handover.send(
            sender=Election,
            organization=parent,
            title=f"选举结果待批复：{e.organization.name}",
            body=f"{e.organization.name}已上报换届选举结果，请审批书记人选。",
            url=reverse("orgs:elections", args=[e.organization_id]),
            key=f"election:{e.pk}:report",
        )
    audit_record(
        actor=actor,
        action="orgs.election_report",
        obj=e,
        organization=e.organization,
        data={
            "reported_on": reported_on.isoformat(),
            "secretary_approved_on": secretary_approved_on.isoformat()
            if secretary_approved_on
            else None,
        },
    )
    return e


@transaction.atomic(durable=True)
def term_extend(*, actor: Actor, term: Term, until: date, approved_on: date, reason: str) -> Term:
    """Record the higher committee's approval to postpone the re-election (延期换届) until a date.

    More than 12 months is recorded (the approval is a fact) but reported as TERM-04.
    """
    # Approving a postponement is the higher organization's act: the actor must manage the parent.
    parent = Organization.objects.get_parent(term.organization)
    _require(actor, "change", parent or term.organization)
    t = Term.objects.select_for_update().get(pk=term.pk)
    regular_end = add_months(t.elected_on, 12 * t.term_years)
    _check_date(approved_on, "approved_on", "延期批准日期")
    if until <= regular_end:
        raise DomainError(
            "bad_date", f"延期至的日期应晚于任期届满日{regular_end.isoformat()}", field="until"
        )
    reason = _check_text(reason, "reason", "延期原因及批复文号", 300)
    t.extended_until, t.extension_months = until, months_between(regular_end, until) or 1
    t.extension_approved_on, t.extension_reason = approved_on, reason
    t.save(
        update_fields=[
            "extended_until",
            "extension_months",
            "extension_approved_on",
            "extension_reason",
        ]
    )
    audit_record(
        actor=actor,
        action="orgs.term_extend",
        obj=t,
        organization=t.organization,
        data={
            "until": until.isoformat(),
            "months": t.extension_months,
            "approved_on": approved_on.isoformat(),
        },
    )
    return t
