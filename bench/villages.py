"""组团帮扶 at scale (issue 19), for one database (DATABASE_URL), printed as JSON (last line):

- seeds the given scale with today = --as-of if the database is empty (at city scale: 147
  villages with five years of income, two rounds, teams, pairings, resident work teams with their
  days on site and visits, about 300 亩 of plots; planted VIL problems);
- VIL-01…05 through the engine against hand-written SQL doing the same checks (the floor): same
  findings, and the time ratio (best of --repeat);
- the pages at the root and in the district with the most villages: summary, villages list,
  rounds and a round, plots, a village: p50/p95 over repeated requests (in-process).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from community import page_times  # noqa: E402
from scan import (  # noqa: E402
    best_of,
    seed_if_empty,
    setup_django,
    staff_client,
    subject_findings,
)

RULES = ("VIL-01", "VIL-02", "VIL-03", "VIL-04", "VIL-05")


def floor_queries(as_of: date) -> dict[str, tuple[str, list[Any]]]:
    from dangjian.compliance.packs import effective_params

    last = as_of.replace(day=1) - timedelta(days=1)
    first = last.replace(day=1)
    year = as_of.year - 1
    village = "SELECT v.organization_id, NULL, 'village:' || v.id FROM villages_village v "
    out: dict[str, tuple[str, list[Any]]] = {
        "VIL-01": (
            "SELECT v.organization_id, NULL, 'resident:' || r.id FROM villages_resident r "
            "JOIN villages_village v ON v.id = r.village_id "
            "WHERE r.arrived_on <= %s AND (r.left_on IS NULL OR r.left_on >= %s) "
            "AND (SELECT COUNT(*) FROM villages_presence p WHERE p.resident_id = r.id "
            "AND p.on_site = %s AND p.day BETWEEN %s AND %s) < %s",
            [first, last, True, first, last, effective_params("VIL-01")["min_days"]],
        ),
        "VIL-02": (
            village + 'WHERE v."key" = %s AND NOT EXISTS (SELECT 1 FROM villages_visit x '
            "WHERE x.village_id = v.id AND x.visited_on BETWEEN %s AND %s)",
            [True, first, last],
        ),
        "VIL-03": (
            "SELECT v.organization_id, NULL, 'village:' || v.id FROM villages_villageyear y "
            "JOIN villages_village v ON v.id = y.village_id "
            "WHERE y.year = %s AND y.collective_fen < %s",
            [year, effective_params("VIL-03")["weak_yuan"] * 100],
        ),
        "VIL-04": (
            "SELECT v.organization_id, NULL, 'village:' || v.id FROM villages_villageyear y "
            "JOIN villages_villageyear p ON p.village_id = y.village_id AND p.year = y.year - 1 "
            "JOIN villages_village v ON v.id = y.village_id "
            "WHERE y.year = %s AND y.collective_fen < p.collective_fen",
            [year],
        ),
    }
    return out


def vil05_floor(cur: Any, as_of: date) -> set[Any]:
    """VIL-05 by hand: the running rounds newest first; for each, the key villages under its
    organizer not yet claimed by a newer one, flagged when the round has no pairing for them."""
    cur.execute(
        "SELECT r.id, o.path FROM villages_round r JOIN orgs_organization o "
        "ON o.id = r.organization_id WHERE r.starts_on <= %s AND r.ends_on >= %s "
        "ORDER BY r.starts_on DESC, r.id DESC",
        [as_of, as_of],
    )
    seen: set[int] = set()
    found: set[Any] = set()
    for rid, path in cur.fetchall():
        cur.execute(
            "SELECT v.id, v.organization_id, EXISTS (SELECT 1 FROM villages_pairing p "
            "WHERE p.round_id = %s AND p.village_id = v.id) FROM villages_village v "
            'JOIN orgs_organization o ON o.id = v.organization_id WHERE v."key" = %s '
            "AND o.path LIKE %s",
            [rid, True, path + "%"],
        )
        for vid, org, paired in cur.fetchall():
            if vid in seen:
                continue
            seen.add(vid)
            if not paired:
                found.add((org, None, f"village:{vid}"))
    return found


def floor_run(as_of: date) -> dict[str, set[Any]]:
    from django.db import connection

    out: dict[str, set[Any]] = {r: set() for r in RULES}
    with connection.cursor() as cur:
        for rid, (sql, params) in floor_queries(as_of).items():
            cur.execute(sql, params)
            out[rid] = {(a, b, c) for a, b, c in cur.fetchall()}
        out["VIL-05"] = vil05_floor(cur, as_of)
    return out


def engine_run(as_of: date) -> dict[str, set[Any]]:
    return subject_findings(RULES, as_of)


def grow(k: int, as_of: date) -> int:
    """`k` more key villages (on the seeded village organizations) with two years of income, three
    residents each posted before last month with 12–20 days on site in it, and visits in two of
    three: the rules' tables at k times a city's villages (bulk). Returns the villages added."""
    import random

    from dangjian.members.models import Member
    from dangjian.villages import models as vm

    orgs = list(vm.Village.objects.values_list("organization_id", flat=True).distinct())
    people = list(Member.objects.order_by("pk").values_list("pk", flat=True)[:3000])
    unit = vm.Resident.objects.values_list("unit_id", flat=True).first()
    if (
        not orgs
        or not people
        or unit is None
        or vm.Village.objects.filter(code__startswith="G").exists()
    ):
        return 0
    rng = random.Random(7)
    last = as_of.replace(day=1) - timedelta(days=1)
    first = last.replace(day=1)
    villages = vm.Village.objects.bulk_create(
        [
            vm.Village(
                code=f"G{i:06d}",
                name=f"扩展{i}村",
                town="扩展镇",
                district="扩展区",
                organization_id=orgs[i % len(orgs)],
                key=True,
            )  # fmt: skip
            for i in range(k)
        ],
        batch_size=5000,
    )
    vm.VillageYear.objects.bulk_create(
        [
            vm.VillageYear(village=v, year=y, collective_fen=rng.randint(5, 300) * 1_000_000)
            for v in villages
            for y in (as_of.year - 2, as_of.year - 1)
        ],
        batch_size=10_000,
    )
    residents = vm.Resident.objects.bulk_create(
        [
            vm.Resident(
                village=v,
                member_id=people[(i * 3 + j) % len(people)],
                role="member",
                unit_id=unit,
                arrived_on=first - timedelta(days=40),
            )  # fmt: skip
            for i, v in enumerate(villages)
            for j in range(3)
        ],
        batch_size=10_000,
    )
    days = [first + timedelta(days=d) for d in range((last - first).days + 1)]
    batch: list[Any] = []
    for r in residents:
        batch += [vm.Presence(resident=r, day=d) for d in rng.sample(days, rng.randint(12, 20))]
        if len(batch) > 50_000:
            vm.Presence.objects.bulk_create(batch)
            batch = []
    vm.Presence.objects.bulk_create(batch)
    vm.Visit.objects.bulk_create(
        [
            vm.Visit(village=v, household="农户", visited_on=first + timedelta(days=3), asked="x")
            for i, v in enumerate(villages)
            if i % 3
        ],
        batch_size=10_000,
    )
    return k


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="district")
    ap.add_argument("--as-of", default="2026-10-15")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument(
        "--grow", type=int, default=0, help="add this many key villages with their work on site"
    )
    args = ap.parse_args()
    setup_django()
    from django.db import connection
    from django.db.models import Count

    from dangjian.accounts.constants import Role
    from dangjian.core.bulk import analyze
    from dangjian.orgs.models import Organization
    from dangjian.villages import models as vm

    as_of = date.fromisoformat(args.as_of)
    t_seed = seed_if_empty(args.scale, args.as_of)
    grown = grow(args.grow, as_of) if args.grow else 0
    analyze([vm.Village, vm.VillageYear, vm.Resident, vm.Presence, vm.Visit, vm.Pairing, vm.Plot])
    engine, t_engine = best_of(args.repeat, engine_run, as_of)
    floor, t_floor = best_of(args.repeat, floor_run, as_of)
    mismatched = sorted(r for r in RULES if engine.get(r, set()) != floor.get(r, set()))
    root = Organization.objects.filter(depth=1).order_by("path").first()
    assert root is not None
    top = (
        vm.Village.objects.values("organization__path")
        .order_by()
        .values_list("organization__path", flat=True)
    )
    paths = [p[:8] for p in top]
    district = (
        Organization.objects.filter(path=max(set(paths), key=paths.count)).first()
        if paths
        else None
    ) or root
    village = vm.Village.objects.annotate(n=Count("residents")).order_by("-n", "code").first()
    r = vm.Round.objects.order_by("-starts_on").first()
    year = as_of.year - 1
    client = staff_client("bench_villages", Role.COMMITTEE_STAFF)
    pages = {
        "summary_root": f"/villages/org/{root.pk}/?year={year}",
        "summary_district": f"/villages/org/{district.pk}/?year={year}",
        "list_root": f"/villages/org/{root.pk}/villages/?year={year}",
        "list_weak": f"/villages/org/{root.pk}/villages/?year={year}&weak=1",
        "rounds": f"/villages/org/{root.pk}/rounds/",
        "plots": f"/villages/org/{root.pk}/plots/",
    }
    if r is not None:
        pages["round"] = f"/villages/round/{r.pk}/"
    if village is not None:
        pages["village"] = f"/villages/village/{village.pk}/"
    times = {name: page_times(client, url) for name, url in pages.items()}
    result = {
        "database": connection.vendor,
        "seed_s": t_seed,
        "organizations": Organization.objects.count(),
        "villages": vm.Village.objects.count(),
        "villages_grown": grown,
        "residents": vm.Resident.objects.count(),
        "presence_days": vm.Presence.objects.count(),
        "visits": vm.Visit.objects.count(),
        "plots": vm.Plot.objects.count(),
        "findings": {rid: len(engine.get(rid, ())) for rid in RULES},
        "engine_s": round(t_engine, 4),
        "floor_s": round(t_floor, 4),
        "ratio": round(t_engine / t_floor, 2) if t_floor else None,
        "same_findings": not mismatched,
        "mismatched": mismatched,
        "pages_ms": {name: {"p50": p50, "p95": p95} for name, (p50, p95) in times.items()},
        "slowest_p95_ms": max(p95 for _p50, p95 in times.values()),
    }
    print(
        f"{result['villages']} villages; VIL engine {t_engine:.4f} s vs floor {t_floor:.4f} s "
        f"(ratio {result['ratio']}), same findings: {not mismatched}; slowest page p95 "
        f"{result['slowest_p95_ms']} ms"
    )
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
