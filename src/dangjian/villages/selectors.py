"""组团帮扶 reads: the city's village figures as it reports them, from the stored yearly rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum

from dangjian.accounts import policy
from dangjian.compliance.packs import rule_params
from dangjian.core.errors import NotVisible
from dangjian.core.prepared import Prepared
from dangjian.orgs.models import Organization

from .models import (
    Adoption,
    Area,
    AreaMember,
    JointCommittee,
    Pairing,
    Plot,
    PlotActivity,
    PlotPhoto,
    Project,
    Resident,
    Round,
    TownYear,
    Village,
    VillageYear,
)
from .money import amount, half_up, wan

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
        parts = [amount(self.total_fen)]
        if self.growth_pct is not None:
            word = "增长" if self.growth_pct >= 0 else "下降"
            parts.append(f"同比{word}{abs(self.growth_pct)}%")
        if self.average_fen is not None:
            parts.append(f"村均{wan(self.average_fen)}万元")
        return "，".join(parts)


def weak_fen() -> int:
    """The deployment's weak-village threshold (the VIL-03 pack parameter), in fen."""
    return int(rule_params("VIL-03").get("weak_yuan", WEAK_FEN // 100)) * 100


def villages_in(path: str = "") -> QuerySet[Village]:
    """The villages whose party organization is in the subtree at `path` ("" = the city)."""
    qs = Village.objects.all()
    return qs.filter(organization__path__under=path) if path else qs


def growth(total: int, prev: int | None) -> Decimal | None:
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
    pct, average = growth(total, prev), _average(total, both["n"])
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
        growth_pct=pct,
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
                "growth_pct": growth(total, prev),
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


# --- scoped reads for the pages ------------------------------------------------------------------


def villages_for(user: Any, org: Organization | None = None) -> QuerySet[Village]:
    """The villages the user can see (their party organization in the user's subtrees); with
    `org`, those of its subtree or of its joint committee (跨村联建)."""
    q = policy.path_q(user, "view", "organization__path")
    if q is None:
        return Village.objects.none()
    qs = Village.objects.filter(q)
    if org is not None:
        qs = qs.filter(of_org(org))
    return qs


def of_org(org: Organization) -> Q:
    """Villages under `org` in the tree, or joined by it across villages."""
    return Q(organization__path__under=org.path) | Q(joint__committee__organization=org)


def village_get(user: Any, pk: int) -> Village:
    v = (
        villages_for(user)
        .select_related("organization", "joint__committee__organization")
        .filter(pk=pk)
        .first()
    )
    if v is None:
        raise NotVisible("看不到该村")
    return v


def village_list(
    user: Any, org: Organization, year: int, *, q: str = "", town: str = "", key: str = "",
    weak: str = "", weak_fen: int = WEAK_FEN,
) -> QuerySet[Village]:  # fmt: skip
    """The villages of the page with the year's and the year before's income (annotated)."""
    qs = villages_for(user, org)
    if q:
        qs = qs.filter(
            Q(name__contains=q) | Q(code=q) | Q(town__contains=q) | Q(district__contains=q)
        )
    if town:
        qs = qs.filter(town=town)
    if key in ("1", "0"):
        qs = qs.filter(key=key == "1")
    this = VillageYear.objects.filter(village_id=OuterRef("pk"), year=year)
    before = VillageYear.objects.filter(village_id=OuterRef("pk"), year=year - 1)
    qs = qs.annotate(
        income=Subquery(this.values("collective_fen")[:1]),
        operating=Subquery(this.values("operating_fen")[:1]),
        previous=Subquery(before.values("collective_fen")[:1]),
    )
    if weak == "1":
        qs = qs.filter(income__lt=weak_fen)
    elif weak == "down":
        qs = qs.filter(income__lt=F("previous"))
    elif weak == "none":
        qs = qs.filter(income__isnull=True)
    return qs.order_by("district", "town", "code")


def towns_of(villages: QuerySet[Village]) -> list[str]:
    return list(villages.order_by("town").values_list("town", flat=True).distinct())


def summary_for(user: Any, org: Organization, year: int, weak_fen: int = WEAK_FEN) -> Summary:
    return summarize(villages_for(user, org), year, weak_fen)


def years_of(village: Village) -> list[VillageYear]:
    return list(village.years.order_by("year"))


def available_years(villages: QuerySet[Village]) -> list[int]:
    return list(
        VillageYear.objects.filter(village__in=villages.values("pk"))
        .order_by("-year")
        .values_list("year", flat=True)
        .distinct()
    )


def trend_for(villages: QuerySet[Village], last: int, years: int = 3) -> list[dict[str, Any]]:
    """The rural per-capita disposable income of the villages' towns over the last `years`
    years: per year, the average of the towns' figures (each town once)."""
    towns = villages.values("district", "town").distinct()
    pairs = {(r["district"], r["town"]) for r in towns}
    rows = (
        TownYear.objects.filter(year__gt=last - years, year__lte=last)
        .filter(town__in={t for _d, t in pairs})
        .values_list("district", "town", "year", "disposable_fen")
    )
    per_year: dict[int, list[int]] = {}
    for d, t, y, fen in rows:
        if (d, t) in pairs:
            per_year.setdefault(y, []).append(fen)
    return [
        {"year": y, "towns": len(v), "average_fen": _average(sum(v), len(v))}
        for y, v in sorted(per_year.items())
    ]


def residents_of(village: Village, today: date) -> list[Resident]:
    """The village's resident team (on post or to come first, then those who left), with their
    days on site this month."""
    first = today.replace(day=1)
    return list(
        village.residents.select_related("member", "unit")
        .annotate(
            month_days=Count(
                "days", filter=Q(days__day__gte=first, days__day__lte=today, days__on_site=True)
            ),
            away_days=Count(
                "days", filter=Q(days__day__gte=first, days__day__lte=today, days__on_site=False)
            ),
        )
        .order_by(F("left_on").desc(nulls_first=True), "role", "arrived_on")
    )


def postings_now(member_id: Any, today: Any) -> QuerySet[Resident]:
    """A member's postings now on (or to come)."""
    return Resident.objects.filter(member_id=member_id).filter(
        Q(left_on__isnull=True) | Q(left_on__gte=today)
    )


def postings_of(member: Any, today: date, *, posted: bool | None = None) -> list[Resident]:
    """A member's postings now on (or to come), with the village. `posted`: whether they have
    any, when the caller has read it already (portal.selectors.me_facts)."""
    if posted is None:
        posted = bool(_POSTED.rows(member.pk, today))
    if not posted:
        return []  # nearly every member: one read compiled once
    return _POSTINGS.instances_related(
        Resident, (("village", Village), ("unit", Organization)), member.pk, today
    )


_POSTED = Prepared(
    lambda member_id, today: postings_now(member_id, today).values_list("pk")[:1], int, date
)
_POSTINGS = Prepared(
    lambda member_id, today: (
        postings_now(member_id, today)
        .select_related("village", "unit")
        .order_by("arrived_on", "pk")
    ),
    int,
    date,
)


def projects_of(village: Village) -> list[Project]:
    """The village's projects, each with its latest year's income (`last`, or None)."""
    projects = list(
        village.projects.prefetch_related("years").order_by(
            F("started_on").desc(nulls_last=True), "name"
        )
    )
    for p in projects:
        p.last = max(p.years.all(), key=lambda y: y.year, default=None)  # type: ignore[attr-defined]
    return projects


def pairings_of(village: Village) -> list[Pairing]:
    return list(village.pairings.select_related("round", "unit").order_by("-round__starts_on"))


def unit_pairings(org: Organization) -> list[Pairing]:
    """The key villages paired with units of `org`'s subtree (the unit's page)."""
    return list(
        Pairing.objects.filter(unit__path__under=org.path)
        .select_related("round", "village", "unit")
        .order_by("-round__starts_on", "village__code")
    )


def rounds_for(org: Organization) -> QuerySet[Round]:
    """Rounds run by `org` or above it (the ones its villages take part in)."""
    paths = [org.path[:i] for i in range(len(org.path), 0, -org.steplen)]
    return (
        Round.objects.filter(organization__path__in=paths)
        .select_related("organization")
        .annotate(areas_n=Count("areas", distinct=True), pairs_n=Count("pairings", distinct=True))
        .order_by("-starts_on")
    )


def round_get(user: Any, pk: int) -> Round:
    """A round, for staff of its organizer's subtree (a town sees the city's round, its own
    villages' part of it) and staff above the organizer; 404 for the others."""
    r = Round.objects.select_related("organization").filter(pk=pk).first()
    path = r.organization.path if r else None
    if path is None or not any(
        t.startswith(path) or path.startswith(t) for t in policy.roots(user, "view")
    ):
        raise NotVisible("看不到该轮次")
    return r  # type: ignore[return-value]


def round_areas(r: Round, user: Any = None) -> list[Area]:
    """The round's areas and teams: all of them for staff of the organizer (or above), those with
    a village in their scope for staff below it."""
    areas = r.areas.all()
    if user is not None and not policy.can(user, "view", r.organization):
        areas = areas.filter(villages__in=villages_for(user).values("pk")).distinct()
    return list(
        areas.select_related("leader_unit")
        .prefetch_related(
            Prefetch("villages", queryset=Village.objects.order_by("town", "code")),
            Prefetch("team", queryset=AreaMember.objects.select_related("unit")),
        )
        .order_by("name")
    )


def round_key_villages(
    user: Any, r: Round, org: Organization, state: str = ""
) -> QuerySet[Village]:
    """The key villages (in the user's scope under `org`) with the round's paired unit; `state`
    "none" keeps the unpaired ones, "paired" the paired ones."""
    paired = Pairing.objects.filter(round=r, village_id=OuterRef("pk"))
    qs = (
        villages_for(user, org)
        .filter(key=True)
        .annotate(
            unit_name=Subquery(paired.values("unit__name")[:1]),
            pairing_id=Subquery(paired.values("pk")[:1]),
        )
        .order_by("district", "town", "code")
    )
    if state == "none":
        qs = qs.filter(pairing_id__isnull=True)  # type: ignore[misc]
    elif state == "paired":
        qs = qs.filter(pairing_id__isnull=False)  # type: ignore[misc]
    return qs


# --- 我在乡间有亩田 -------------------------------------------------------------------------------


def plots_for(user: Any, *, q: str = "", state: str = "", season: str = "") -> QuerySet[Plot]:
    """Plots offered for adoption, for any staff (a unit adopts plots anywhere in the city):
    with the season's adopting unit annotated."""
    if policy.path_q(user, "view") is None:
        return Plot.objects.none()
    qs = Plot.objects.select_related("village")
    if q:
        qs = qs.filter(Q(code=q) | Q(village__name__contains=q) | Q(crop__contains=q))
    held = Adoption.objects.filter(plot_id=OuterRef("pk"), season=season)
    qs = qs.annotate(
        unit_name=Subquery(held.values("unit__name")[:1]),
        adoption_id=Subquery(held.values("pk")[:1]),
    )
    if state == "free":
        qs = qs.filter(adoption_id__isnull=True)
    elif state == "adopted":
        qs = qs.filter(adoption_id__isnull=False)
    return qs.order_by("village__district", "village__town", "code")


def plot_get(user: Any, pk: int) -> Plot:
    if policy.path_q(user, "view") is None:
        raise NotVisible()
    p = Plot.objects.select_related("village__organization").filter(pk=pk).first()
    if p is None:
        raise NotVisible("没有该地块")
    return p


def plot_totals(season: str, unit: Organization | None = None) -> dict[str, Any]:
    """The season's adopted area and plots (overall or a unit's subtree), and the members who
    took part in work on them."""
    adoptions = Adoption.objects.filter(season=season)
    if unit is not None:
        adoptions = adoptions.filter(unit__path__under=unit.path)
    agg = adoptions.aggregate(plots=Count("id"), area=Sum("plot__area_mu"))
    members = (
        PlotActivity.members.through.objects.filter(plotactivity__adoption__in=adoptions)
        .values("member_id")
        .distinct()
        .count()
    )
    return {"plots": agg["plots"], "area": agg["area"] or Decimal(0), "members": members}


def plot_units(season: str) -> list[Any]:
    """Area adopted per unit in the season (the units' table)."""
    return list(
        Adoption.objects.filter(season=season)
        .values("unit_id", "unit__name")
        .annotate(plots=Count("id"), area=Sum("plot__area_mu"))
        .order_by("-area", "unit__name")
    )


def unit_adoptions(org: Organization) -> QuerySet[Adoption]:
    """The plots adopted by units of `org`'s subtree, every season (the unit's page)."""
    return (
        Adoption.objects.filter(unit__path__under=org.path)
        .select_related("plot__village", "unit")
        .annotate(
            works=Count("activities", distinct=True),
            harvest=Sum("activities__yield_kg"),
        )
        .order_by("-season", "plot__code")
    )


def plot_adoptions(plot: Plot) -> list[Adoption]:
    return list(
        plot.adoptions.select_related("unit")
        .prefetch_related(
            Prefetch(
                "activities",
                queryset=PlotActivity.objects.prefetch_related("members", "photos").order_by(
                    "-done_on", "-id"
                ),
            )
        )
        .order_by("-season")
    )


def photo_get(user: Any, pk: int) -> PlotPhoto:
    """A photo of work on a plot, for those who see the adopting unit or the plot's village."""
    p = (
        PlotPhoto.objects.select_related(
            "activity__adoption__unit", "activity__adoption__plot__village__organization"
        )
        .filter(pk=pk)
        .first()
    )
    if p is None:
        raise NotVisible()
    a = p.activity.adoption
    if not (
        policy.can(user, "view", a.unit) or policy.can(user, "view", a.plot.village.organization)
    ):
        raise NotVisible()
    return p


def joint_of(org: Organization) -> JointCommittee | None:
    return JointCommittee.objects.filter(organization=org).first()
