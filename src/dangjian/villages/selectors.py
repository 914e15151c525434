"""组团帮扶 reads: the city's village figures as it reports them, from the stored yearly rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from .models import TownYear, Village, VillageYear
from .money import half_up, wan, yi

WEAK_FEN = 10_000_000  # 10 万元: the default weak-village threshold [L]


@dataclass
class Summary:
    """One year's figures for a set of villages (the JSON of `villages summary`)."""

    year: int
    villages: int
    reported: int
    total_fen: int
    previous_total_fen: int | None
    growth_pct: Decimal | None
    average_fen: int | None
    weak: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "villages": self.villages,
            "reported": self.reported,
            "total_fen": self.total_fen,
            "previous_total_fen": self.previous_total_fen,
            "growth_pct": float(self.growth_pct) if self.growth_pct is not None else None,
            "average_fen": self.average_fen,
            "weak": self.weak,
        }

    @property
    def headline(self) -> str:
        """As the city writes it: “1.66亿元，同比增长23.1%，村均113.13万元”."""
        parts = [f"{yi(self.total_fen)}亿元"]
        if self.growth_pct is not None:
            word = "增长" if self.growth_pct >= 0 else "下降"
            parts.append(f"同比{word}{abs(self.growth_pct)}%")
        if self.average_fen is not None:
            parts.append(f"村均{wan(self.average_fen)}万元")
        return "，".join(parts)


def villages_in(path: str = "") -> QuerySet[Village]:
    """The villages whose party organization is in the subtree at `path` ("" = the city)."""
    qs = Village.objects.all()
    return qs.filter(organization__path__startswith=path) if path else qs


def _growth(total: int, prev: int | None) -> Decimal | None:
    """Growth over the year before in %, one decimal half up (none without a previous total)."""
    return half_up(Decimal(total - prev) * 100 / Decimal(prev), "0.1") if prev else None


def _average(total: int, villages: int) -> int | None:
    """The average per village with a figure, to the fen half up."""
    return int(half_up(Decimal(total) / villages, "1")) if villages else None


def summarize(villages: QuerySet[Village], year: int, weak_fen: int = WEAK_FEN) -> Summary:
    """Totals over the villages' stored rows (two grouped queries and the weak list): growth in %
    to one decimal half up (none without a previous total), the average per village with a figure
    to the fen half up; a village exactly at the threshold is not weak."""
    ids = villages.values("pk")
    both = VillageYear.objects.filter(village__in=ids, year__in=(year, year - 1)).aggregate(
        n=Count("id", filter=Q(year=year)),
        total=Sum("collective_fen", filter=Q(year=year)),
        prev_n=Count("id", filter=Q(year=year - 1)),
        prev=Sum("collective_fen", filter=Q(year=year - 1)),
    )
    total = int(both["total"] or 0)
    prev = int(both["prev"]) if both["prev_n"] else None
    growth, average = _growth(total, prev), _average(total, both["n"])
    weak = list(
        VillageYear.objects.filter(village__in=ids, year=year, collective_fen__lt=weak_fen)
        .order_by("village__code")
        .values_list("village__code", flat=True)
    )
    return Summary(
        year=year,
        villages=villages.count(),
        reported=both["n"],
        total_fen=total,
        previous_total_fen=prev,
        growth_pct=growth,
        average_fen=average,
        weak=weak,
    )


def by_area(villages: QuerySet[Village], year: int, level: str) -> list[dict[str, Any]]:
    """The year's and the year before's totals per district (`level` "district") or per town
    ("town"), in one grouped query."""
    keys = ["district"] if level == "district" else ["district", "town"]
    rows = (
        villages.values(*keys)
        .annotate(
            villages=Count("id", distinct=True),
            reported=Count("years", filter=Q(years__year=year)),
            total=Sum("years__collective_fen", filter=Q(years__year=year)),
            prev=Sum("years__collective_fen", filter=Q(years__year=year - 1)),
        )
        .order_by(*keys)
    )
    out = []
    for r in rows:
        total, prev, n = int(r["total"] or 0), r["prev"], r["reported"]
        out.append(
            {
                **{k: r[k] for k in keys},
                "villages": r["villages"],
                "reported": n,
                "total_fen": total,
                "previous_total_fen": int(prev) if prev is not None else None,
                "growth_pct": _growth(total, prev),
                "average_fen": _average(total, n),
            }
        )
    return out


def disposable_trend(district: str = "", years: int = 3, last: int | None = None) -> list[Any]:
    """The towns' rural per-capita disposable income over the last `years` years."""
    qs = TownYear.objects.all()
    if district:
        qs = qs.filter(district=district)
    if last is not None:
        qs = qs.filter(year__gt=last - years, year__lte=last)
    return list(qs.order_by("district", "town", "year"))
