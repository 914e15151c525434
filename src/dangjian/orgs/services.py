"""Every write to the organization tree: one function per domain action, one transaction each."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.audit.services import audit_record, diff
from dangjian.core.errors import DomainError, NotVisible

from .constants import ALLOWED_PARENT_KINDS, OrgCategory, OrgChangeKind, OrgKind, PostKind
from .counters import counters_recount
from .models import Organization, OrgChange, Post, Term

CODE_MAX = 32
NAME_MAX = 100


def _require(actor: Any, action: str, organization: Organization | None) -> None:
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
    actor: Any,
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
    fields = {"code": code, "name": name, "kind": kind, "category": category,
              "established_on": established_on}
    if parent is None:
        org = Organization.objects.add_root(fields)
    else:
        parent = Organization.objects.get(pk=parent.pk)  # fresh path/numchild
        org = Organization.objects.add_child(parent, fields)
    OrgChange.objects.create(
        organization=org, kind=OrgChangeKind.CREATED, on=established_on,
        data={"parent": parent.code if parent else None}, actor=actor,
    )
    audit_record(actor=actor, action="orgs.create", obj=org, data={"after": {**fields, "parent": parent.code if parent else None}})
    return org


@transaction.atomic(durable=True)
def org_update(
    *, actor: Any, organization: Organization, name: str, category: str, kind: str | None = None,
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
        if kind == OrgKind.GROUP or (org.numchild and kind == OrgKind.BRANCH and
                                      Organization.objects.get_children(org).exclude(kind=OrgKind.GROUP).exists()):
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
def org_move(*, actor: Any, organization: Organization, new_parent: Organization, on: date | None = None) -> Organization:
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
    OrgChange.objects.create(organization=org, kind=OrgChangeKind.MOVED, on=on or timezone.localdate(), data=data, actor=actor)
    audit_record(actor=actor, action="orgs.move", obj=org, data=data)
    return org


@transaction.atomic(durable=True)
def org_dissolve(*, actor: Any, organization: Organization, on: date, reason: str) -> Organization:
    """Dissolve an organization that has no members and no active sub-organizations."""
    from dangjian.members.constants import ON_ROLL_STATUSES

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
    if Organization.objects.filter(path__startswith=org.path, is_active=True).exclude(pk=org.pk).exists():
        raise DomainError("has_children", "该组织仍有下级组织，请先撤销或调整下级组织")
    org.is_active = False
    org.dissolved_on = on
    org.save(update_fields=["is_active", "dissolved_on", "updated_at"])
    Post.objects.filter(organization=org, ended_on__isnull=True).update(ended_on=on)
    OrgChange.objects.create(organization=org, kind=OrgChangeKind.DISSOLVED, on=on, data={"reason": reason}, actor=actor)
    audit_record(actor=actor, action="orgs.dissolve", obj=org, data={"on": on.isoformat(), "reason": reason})
    return org


@transaction.atomic(durable=True)
def org_merge(*, actor: Any, source: Organization, target: Organization, on: date, reason: str) -> Organization:
    """Merge `source` into `target`: its members and sub-organizations move, then it is dissolved."""
    from dangjian.members.constants import ON_ROLL_STATUSES, MemberEventKind
    from dangjian.members.models import Member, MemberEvent

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
    members = list(Member.objects.filter(organization=src, status__in=ON_ROLL_STATUSES).values_list("pk", flat=True))
    Member.objects.filter(pk__in=members).update(organization=dst, updated_at=timezone.now())
    MemberEvent.objects.bulk_create(
        [MemberEvent(member_id=pk, organization=dst, kind=MemberEventKind.MOVED, on=on,
                     reason=f"{src.name}并入{dst.name}", data={"from": src.code, "to": dst.code},
                     actor=actor if actor is not None else None) for pk in members],
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
    OrgChange.objects.create(organization=src, kind=OrgChangeKind.MERGED, on=on, data=data, actor=actor)
    OrgChange.objects.create(organization=dst, kind=OrgChangeKind.MERGED, on=on, data={"from": src.code, "members_moved": len(members)}, actor=actor)
    audit_record(actor=actor, action="orgs.merge", obj=src, data=data)
    return dst


@transaction.atomic(durable=True)
def term_create(*, actor: Any, organization: Organization, elected_on: date, term_years: int, note: str = "") -> Term:
    """Record a committee election (a new 届): the elected date and the term length."""
    _require(actor, "change", organization)
    _check_date(elected_on, "elected_on", "选举日期")
    if elected_on < organization.established_on:
        raise DomainError("before_established", "选举日期早于组织成立日期", field="elected_on")
    if not isinstance(term_years, int) or not 1 <= term_years <= 10:
        raise DomainError("bad_term", "任期应为1到10之间的整数（支部、总支一般3年，党委5年）", field="term_years")
    if Term.objects.filter(organization=organization, elected_on=elected_on).exists():
        raise DomainError("duplicate", "该日期已有一届选举记录", field="elected_on")
    term = Term.objects.create(organization=organization, elected_on=elected_on, term_years=term_years, note=note[:200])
    audit_record(actor=actor, action="orgs.term_create", obj=term, organization=organization,
                 data={"elected_on": elected_on.isoformat(), "term_years": term_years})
    return term


@transaction.atomic(durable=True)
def post_assign(*, actor: Any, organization: Organization, member: Any, post: str, started_on: date | None = None) -> Post:
    """Appoint a member to a committee post; the member must belong to the organization's subtree."""
    from dangjian.members.constants import ACTIVE_STATUSES

    _require(actor, "change", organization)
    if post not in PostKind.values:
        raise DomainError("bad_post", f"职务“{post}”无效", field="post")
    if post == PostKind.GROUP_LEADER and organization.kind != OrgKind.GROUP:
        raise DomainError("bad_post", "党小组长只能在党小组任命", field="post")
    if member.status not in ACTIVE_STATUSES:
        raise DomainError("bad_member", "只有正式党员或预备党员可以任职", field="member")
    in_subtree = member.organization.path.startswith(organization.path)
    # A group sits inside a branch; its members are on the branch's roll.
    group_of_branch = organization.kind == OrgKind.GROUP and organization.path[: -Organization.steplen] == member.organization.path
    if not (in_subtree or group_of_branch):
        raise DomainError("bad_member", "任职党员应是本组织（或其下级组织）的党员", field="member")
    if post in {PostKind.SECRETARY, PostKind.DEPUTY_SECRETARY} and member.status != "full":
        raise DomainError("bad_member", "预备党员不能担任书记、副书记", field="member")
    _check_date(started_on, "started_on", "任职日期", required=False)
    try:
        with transaction.atomic():
            p = Post.objects.create(organization=organization, member=member, post=post, started_on=started_on)
    except IntegrityError as exc:
        if post == PostKind.SECRETARY:
            raise DomainError("secretary_exists", "该组织已有书记，请先办理原书记离任", field="post") from exc
        raise DomainError("duplicate", "该党员已担任此职务", field="post") from exc
    audit_record(actor=actor, action="orgs.post_assign", obj=p, organization=organization,
                 data={"member": member.member_no, "post": post})
    return p


@transaction.atomic(durable=True)
def post_end(*, actor: Any, post: Post, ended_on: date) -> Post:
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
    audit_record(actor=actor, action="orgs.post_end", obj=p, organization=p.organization,
                 data={"member": p.member.member_no, "post": p.post, "ended_on": ended_on.isoformat()})
    return p
