"""Reads of the organization tree, scoped to the caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from dangjian.accounts import policy
from dangjian.core import pinyin
from dangjian.core.errors import DomainError, NotVisible
from dangjian.core.prepared import Prepared
from dangjian.members.constants import ON_ROLL_STATUSES
from dangjian.members.models import Member

from .constants import OrgKind
from .models import Election, Organization, OrgChange, OrgRequest, Post, Term, Unit


def subtree(org: Organization) -> QuerySet[Organization]:
    """An organization and everything under it: the one prefix filter every subtree read uses."""
    return Organization.objects.filter(path__under=org.path)


def org_get(user: Any, pk: int, action: str = "view") -> Organization:
    org = policy.visible_to(user, action).filter(pk=pk).first()
    if org is None:
        raise NotVisible()
    return org


def org_roots(user: Any) -> QuerySet[Organization]:
    """The tops of the user's scope (their grant organizations, without nested duplicates)."""
    roots = policy.roots(user, "view")
    return Organization.objects.filter(path__in=roots).order_by("path")


def org_parent(org: Organization) -> Organization | None:
    return Organization.objects.get_parent(org)


def org_children(user: Any, parent: Organization) -> QuerySet[Organization]:
    return (
        policy.visible_to(user)
        .filter(path__under=parent.path, depth=parent.depth + 1)
        .order_by("path")
    )


def org_search(user: Any, q: str, limit: int = 50) -> QuerySet[Organization]:
    q = (q or "").strip()
    if not q:
        return Organization.objects.none()
    return (
        policy.visible_to(user)
        .filter(Q(name__contains=q) | Q(code__iexact=q))
        .order_by("path")[:limit]
    )


def org_ancestors(org: Organization, user: Any) -> list[Organization]:
    """Breadcrumb: the ancestors the user can see (one query)."""
    paths = [org.path[:i] for i in range(Organization.steplen, len(org.path), Organization.steplen)]
    return list(policy.visible_to(user).filter(path__in=paths).order_by("depth"))


def org_summary(org: Organization) -> tuple[dict[str, int], dict[str, int]]:
    """Members of the whole subtree by status, and its active sub-organizations by kind.

    One pass over the subtree's organizations: member figures come from the counters each
    organization keeps, so no member row is read.
    """
    below = Q(depth__gt=org.depth, is_active=True)
    agg = subtree(org).aggregate(
        full=Coalesce(Sum("members_full"), 0),
        probationary=Coalesce(Sum("members_probationary"), 0),
        suspended=Coalesce(Sum("members_suspended"), 0),
        **{kind: Count("pk", filter=below & Q(kind=kind)) for kind in OrgKind.values},
    )
    members = {k: agg[k] for k in ("full", "probationary", "suspended")}
    members["total"] = members["full"] + members["probationary"]
    subs = {kind: agg[kind] for kind in OrgKind.values if agg[kind]}
    return members, subs


def org_direct_member_counts(org: Organization) -> dict[str, int]:
    return {"full": org.members_full, "probationary": org.members_probationary}


def org_terms(org: Organization) -> QuerySet[Term]:
    return org.terms.order_by("-elected_on")


def org_current_posts(org: Organization) -> QuerySet[Post]:
    return org.posts.filter(ended_on__isnull=True).select_related("member").order_by("post", "id")


def org_history(org: Organization) -> QuerySet[OrgChange]:
    return org.changes.select_related("actor").order_by("-on", "-id")


def org_children_with_counts(user: Any, parent: Organization) -> QuerySet[Organization]:
    """Direct children with their direct member counts, in one query."""
    return org_children(user, parent).annotate(
        member_count=F("members_full") + F("members_probationary")
    )


@dataclass(frozen=True)
class Within:
    """A picker narrowed to one organization's subtree (itself excluded), `below` levels deep at
    most (a 督办 reaches three levels down)."""

    path: str
    depth: int
    below: int | None = None


def _lookup_base(user: Any, action: str, unscoped: bool, within: Within | None = None) -> Any:
    orgs = Organization.objects.all() if unscoped else policy.visible_to(user, action)
    if within is not None:
        orgs = orgs.filter(path__under=within.path, depth__gt=within.depth)
        if within.below is not None:
            orgs = orgs.filter(depth__lte=within.depth + within.below)
    return orgs.filter(is_active=True)


def _lookup_rows(qs: Any, kinds: list[str] | None, limit: int) -> list[dict[str, Any]]:
    """Rows for a picker, each with its parent's name (to tell same-named branches apart; one
    more query) and whether it can be chosen (`kinds`)."""
    rows = list(qs.values("code", "name", "kind", "path", "depth", "numchild")[:limit])
    step = Organization.steplen
    parents = dict(
        Organization.objects.filter(
            path__in={r["path"][:-step] for r in rows if r["depth"] > 1}
        ).values_list("path", "name")
    )
    for r in rows:
        r["parent"] = parents.get(r["path"][:-step], "")
        r["selectable"] = not kinds or r["kind"] in kinds
    return rows


def org_lookup(
    user: Any,
    action: str,
    q: str,
    limit: int = 20,
    *,
    kinds: list[str] | None = None,
    unscoped: bool = False,
    within: Within | None = None,
) -> list[dict[str, Any]]:
    """The picker's search: active organizations in the user's scope for `action` (or anywhere in
    the deployment, `unscoped`, for acts that reach outside it: a transfer's receiving branch, a
    grant) whose name contains `q`, whose code starts with it, or whose pinyin initials contain
    it; of `kinds` only when given."""
    orgs = _lookup_base(user, action, unscoped, within)
    if kinds:
        orgs = orgs.filter(kind__in=kinds)
    q = (q or "").strip()
    if q:
        cond = Q(name__contains=q) | Q(code__istartswith=q)
        if pinyin.looks_like_initials(q):
            cond |= Q(initials__contains=q.lower())
        orgs = orgs.filter(cond)
    return _lookup_rows(orgs.order_by("depth", "path"), kinds, limit)


def org_lookup_values(
    user: Any,
    action: str,
    values: list[str],
    *,
    kinds: list[str] | None = None,
    unscoped: bool = False,
    within: Within | None = None,
) -> list[dict[str, Any]]:
    """The organizations with these codes (the labels of values already chosen)."""
    orgs = _lookup_base(user, action, unscoped, within).filter(code__in=values[:200])
    if kinds:
        orgs = orgs.filter(kind__in=kinds)
    return _lookup_rows(orgs.order_by("path"), kinds, 200)


def org_tree_level(
    user: Any,
    action: str,
    parent_code: str,
    *,
    kinds: list[str] | None = None,
    unscoped: bool = False,
    within: Within | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """One level of the picker's tree: the tops of the user's scope (or of the deployment), or the
    children of `parent_code` inside it."""
    base = _lookup_base(user, action, unscoped, within)
    if not parent_code:
        if within is not None:
            qs = base.filter(depth=within.depth + 1)
        elif unscoped:
            qs = base.filter(depth=1)
        else:
            qs = base.filter(path__in=policy.roots(user, action))
    else:
        parent = base.filter(code=parent_code).first()
        if parent is None:
            return []
        qs = base.filter(path__under=parent.path, depth=parent.depth + 1)
    return _lookup_rows(qs.order_by("path"), kinds, limit)


def org_by_code(user: Any, code: str, action: str = "view") -> Organization:
    """An organization in the user's scope by its code; outside it, as missing."""
    org = policy.visible_to(user, action).filter(code=(code or "").strip()).first()
    if org is None:
        raise DomainError(
            "not_found",
            f"组织代码“{code}”不存在或不在您的管理范围内",
            field="organization",
        )
    return org


def org_by_code_unscoped(code: str) -> Organization | None:
    """Any organization by code: for the security admin, who grants roles on the whole tree."""
    return Organization.objects.filter(code=(code or "").strip()).first()


def roster_preview(org: Organization, limit: int = 20) -> QuerySet[Any]:
    """The first members on the roll of one organization (the organization page's list)."""
    return (
        Member.objects.filter(organization=org, status__in=ON_ROLL_STATUSES)
        .order_by("member_no")
        .only("pk", "member_no", "name", "gender", "status", "joined_on", "organization_id")[:limit]
    )


def member_in_line(org: Organization, member_no: str) -> Any:
    """A member of the organization or below it by number (who may hold one of its posts)."""
    return (
        Member.objects.filter(member_no=member_no.strip(), organization__path__under=org.path)
        .select_related("organization")
        .first()
    )


def posts_now(member_id: Any) -> QuerySet[Post]:
    """The posts a member holds now."""
    return Post.objects.filter(member_id=member_id, ended_on__isnull=True)


def org_posts_held(member: Any, *, holds: bool | None = None) -> list[Post]:
    """The posts a member holds now, with their organization (我的). `holds`: whether they hold
    any, when the caller has read it already (portal.selectors.me_facts)."""
    if holds is None:
        holds = bool(_HOLDS_POST.rows(member.pk))
    if not holds:
        return []  # most members: one read compiled once
    return _POSTS_HELD.instances_joined(Post, "organization", Organization, member.pk)


_HOLDS_POST = Prepared(lambda member_id: posts_now(member_id).values_list("pk")[:1], int)
_POSTS_HELD = Prepared(lambda member_id: posts_now(member_id).select_related("organization"), int)


def post_get(org: Organization, pk: int) -> Post:
    post = (
        Post.objects.filter(pk=pk, organization=org)
        .select_related("member", "organization")
        .first()
    )
    if post is None:
        raise NotVisible()
    return post


# ---- units, requests, elections (a committee's set-up work)
# ------------------------------------------


def units_of(committee: Organization, kind: str = "") -> QuerySet[Unit]:
    units = (
        Unit.objects.filter(committee=committee)
        .select_related("organization")
        .order_by("kind", "name")
    )
    return units.filter(kind=kind) if kind in {"unit", "project"} else units


def units_covered_by(branch: Organization) -> QuerySet[Unit]:
    return Unit.objects.filter(organization=branch).order_by("name")


def unit_get(committee: Organization, pk: Any) -> Unit:
    unit = (
        Unit.objects.filter(committee=committee, pk=pk)
        .select_related("organization", "committee")
        .first()
    )
    if unit is None:
        raise NotVisible("未找到该单位")
    return unit


def uncovered_units(committee: Organization, limit: int = 500) -> list[tuple[int, str]]:
    """(id, name) of the committee's units without a party organization yet."""
    return list(
        Unit.objects.filter(committee=committee, organization__isnull=True)
        .order_by("name")
        .values_list("pk", "name")[:limit]
    )


def requests_to(committee: Organization, limit: int = 50) -> list[OrgRequest]:
    """Requests to set up an organization sent to a committee, unanswered first."""
    return list(
        OrgRequest.objects.filter(committee=committee)
        .select_related("unit")
        .order_by("answered_on", "-submitted_on")[:limit]
    )


def request_get(committee: Organization, pk: int) -> OrgRequest:
    req = OrgRequest.objects.filter(committee=committee, pk=pk).select_related("committee").first()
    if req is None:
        raise NotVisible("未找到该请示")
    return req


def elections_of(org: Organization, limit: int = 20) -> list[Election]:
    return list(Election.objects.filter(organization=org).order_by("-created_at")[:limit])


def election_get(org: Organization, pk: int) -> Election:
    e = Election.objects.filter(organization=org, pk=pk).select_related("organization").first()
    if e is None:
        raise NotVisible("未找到该选举")
    return e


def term_get(org: Organization, pk: int) -> Term:
    term = Term.objects.filter(organization=org, pk=pk).select_related("organization").first()
    if term is None:
        raise NotVisible("未找到该届次")
    return term
