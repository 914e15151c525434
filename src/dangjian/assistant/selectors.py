"""Reads of the knowledge base, scoped: a document for a subtree is seen only there."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from dangjian.accounts import policy
from dangjian.core.errors import NotVisible

from .answer import visible_paths
from .models import Document, Piece


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
        q |= Q(organization__path__startswith=root)
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
        Piece.objects.select_related("document__organization", "document__superseded_by")
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
