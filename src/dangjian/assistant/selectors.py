"""Reads of the knowledge base, scoped: a document for a subtree is seen only there."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet

from dangjian.accounts import policy
from dangjian.core.errors import NotVisible

from . import text
from .answer import visible_paths
from .models import Document, Opinion, OpinionStep, OpinionTopic, Piece


def _doc_q(user: Any) -> Q:
    """Documents for everyone, for an organization at or above one of the user's own, and — for
    staff — for the subtrees they work on."""
    paths = visible_paths(user)
    if paths is None:
        return Q()
    q = Q(organization__isnull=True)
    for p in paths:
        q |= Q(organization__path__in=[p[:i] for i in range(4, len(p) + 1, 4)])
    for root in policy.roots(user, "view"):
        q |= Q(organization__path__under=root)
    return q


def documents_for(
    user: Any, *, kind: str = "", q: str = "", all_versions: bool = False
) -> QuerySet[Document]:
    """The staff list: documents the user sees, newest first, with their piece counts."""
    qs = Document.objects.filter(_doc_q(user))
    if not all_versions:
        qs = qs.filter(in_force=True)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(title__contains=q) | Q(issuer__contains=q))
    return (
        qs.select_related("organization", "created_by")
        .annotate(piece_count=Count("pieces"))
        .order_by("-created_at", "-id")
    )


def piece_get(user: Any, pk: int) -> tuple[Piece, list[Piece]]:
    """A cited piece with its neighbours, for the reader; 404 outside the user's view."""
    piece = (
        Piece.objects.select_related(
            "document__organization", "document__superseded_by", "document__resource"
        )
        .filter(pk=pk, document__in=Document.objects.filter(_doc_q(user)))
        .first()
    )
    if piece is None:
        raise NotVisible("没有找到该条目")
    around = list(
        Piece.objects.filter(
            document_id=piece.document_id,
            ordinal__gte=piece.ordinal - 2,
            ordinal__lte=piece.ordinal + 2,
        ).order_by("ordinal")
    )
    return piece, around


# --- 意见建议 ---------------------------------------------------------------------------------


def opinions_for(
    user: Any, *, status: str = "", topic: str = "", org: Any = None
) -> QuerySet[Opinion]:
    """Opinions received by organizations in the user's scope (or one subtree of it)."""
    q = policy.path_q(user, "view", "organization__path")
    if q is None:
        return Opinion.objects.none()
    qs = Opinion.objects.filter(q)
    if org is not None:
        qs = qs.filter(organization__path__under=org.path)
    if status:
        qs = qs.filter(status=status)
    if topic:
        qs = qs.filter(topic=topic)
    return qs.select_related("organization", "member").order_by("-created_at", "-id")


def opinion_get(user: Any, pk: int) -> Opinion:
    """An opinion for its receivers (and those above them); 404 elsewhere."""
    q = policy.path_q(user, "view", "organization__path")
    op = (
        Opinion.objects.filter(q, pk=pk).select_related("organization", "member").first()
        if q is not None
        else None
    )
    if op is None:
        raise NotVisible("没有找到该意见建议")
    return op


def own_opinions(member: Any) -> QuerySet[Opinion]:
    return (
        Opinion.objects.filter(member=member).select_related("organization").order_by("-created_at")
    )


def own_opinion_get(member: Any, pk: int) -> Opinion:
    op = Opinion.objects.filter(member=member, pk=pk).select_related("organization").first()
    if op is None:
        raise NotVisible("没有找到该意见建议")
    return op


def opinion_steps(op: Opinion) -> list[OpinionStep]:
    return list(op.steps.select_related("organization", "by").order_by("at", "id"))


def opinion_stats(user: Any, org: Any = None) -> dict[str, Any]:
    """Counts by topic and by month, and the most frequent words, for the user's subtree; kept
    five minutes while no opinion arrives (segmenting the texts is the costly part)."""
    # keyed by what is counted (how many, the newest): a new opinion shows at once
    seen = opinions_for(user, org=org).order_by().aggregate(n=Count("id"), last=Max("id"))
    key = f"opinion-stats:{user.pk}:{getattr(org, 'pk', '')}:{seen['n']}:{seen['last']}"
    stats = cache.get(key)
    if stats is None:
        stats = _opinion_stats(user, org)
        cache.set(key, stats, STATS_SECONDS)
    return stats


STATS_SECONDS = 300


def _opinion_stats(user: Any, org: Any) -> dict[str, Any]:
    qs = opinions_for(user, org=org)
    by_topic = {
        OpinionTopic(r["topic"]).label: r["n"]
        for r in qs.order_by().values("topic").annotate(n=Count("id"))
    }
    by_month: dict[str, int] = {}
    texts: list[str] = []
    for created, body in qs.values_list("created_at", "text")[:1000]:
        key = f"{created:%Y-%m}"
        by_month[key] = by_month.get(key, 0) + 1
        texts.append(body)
    words: dict[str, int] = {}
    for body in texts:
        for t in set(text.tokens(body)):
            if len(t) >= 2:
                words[t] = words.get(t, 0) + 1
    top = sorted(words.items(), key=lambda x: (-x[1], x[0]))[:20]
    return {
        "total": qs.count(),
        "by_topic": by_topic,
        "by_month": dict(sorted(by_month.items())),
        "words": top,
    }
