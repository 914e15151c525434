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


def counters_recount(organization_ids: Iterable[int] | None = None) -> int:
    """Recompute the counters from the member table (all organizations, or the given ones)."""

    def count(status: str) -> Coalesce:
        sub = (
            Member.objects.filter(organization_id=OuterRef("pk"), status=status)
            .order_by()
            .values("organization_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))

    qs = Organization.objects.all()
    if organization_ids is not None:
        qs = qs.filter(pk__in=list(organization_ids))
    return qs.update(
        members_full=count("full"),
        members_probationary=count("probationary"),
        members_suspended=count("suspended"),
    )
