"""The per-organization member counters: incremental updates and the set-based recount."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from dangjian.members.models import Member

from .models import Organization

COUNTED = {
    "full": "members_full",
    "probationary": "members_probationary",
    "suspended": "members_suspended",
}


def counters_adjust(organization_id: int, status: str, delta: int) -> None:
    """+1/-1 on one counter, with F() so concurrent writers never lose an update."""
    field = COUNTED.get(status)
    if field:
        Organization.objects.filter(pk=organization_id).update(**{field: F(field) + delta})


BATCH = 2000  # organizations per statement (an IN list SQLite and the planner take easily)


def counters_recount(organization_ids: Iterable[int] | None = None) -> int:
    """Recompute the counters from the member table (all organizations, or the given ones, a batch
    at a time)."""

    def count(status: str) -> Coalesce:
        sub = (
            Member.objects.filter(organization_id=OuterRef("pk"), status=status)
            .order_by()
            .values("organization_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))

    counts = {
        "members_full": count("full"),
        "members_probationary": count("probationary"),
        "members_suspended": count("suspended"),
    }
    if organization_ids is None:
        return Organization.objects.update(**counts)
    ids, n = sorted(set(organization_ids)), 0
    for i in range(0, len(ids), BATCH):
        n += Organization.objects.filter(pk__in=ids[i : i + BATCH]).update(**counts)
    return n


def counters_recount_touched(organization_ids: Iterable[int]) -> int:
    """After a write in bulk (a bundle): the organizations it touched, while they are fewer than
    half the deployment's, else every organization in one pass. A district's bundle imported into a
    province recounts the district: a pass over the whole member table for every bundle made the
    province's seed slow down as it grew, and locked every organization's row meanwhile."""
    ids = set(organization_ids)
    if len(ids) * 2 > Organization.objects.count():
        return counters_recount()
    return counters_recount(ids)
