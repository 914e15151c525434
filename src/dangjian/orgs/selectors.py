"""Reads of the organization tree, scoped to the caller."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from dangjian.accounts import policy
from dangjian.core.errors import NotVisible

from .constants import OrgKind
from .models import Organization, OrgChange, Post, Term


def subtree(org: Organization) -> QuerySet[Organization]:
    """An organization and everything under it: the one prefix filter every subtree read uses."""
    return Organization.objects.filter(path__startswith=org.path)


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
        .filter(path__startswith=parent.path, depth=parent.depth + 1)
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
