"""近邻党建 at scale (issue 18), for one database (DATABASE_URL), printed as JSON (last line):

- seeds the given scale with today = --as-of (every community's 小区 and residents, in-service
  members' reports and services, planted NBR problems) if the database is empty, then tops the
  小区 up to --places (the extra ones empty: they find nothing);
- NBR-01/03/04/05 through the engine against hand-written SQL doing the same checks (the floor):
  same findings, and the time ratio (best of --repeat);
- the coverage page (小区 and coverage rolled up per child) at the root: p50/p95.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from scan import best_of, setup_django, staff_client  # noqa: E402

RULES = ("NBR-01", "NBR-03", "NBR-04", "NBR-05")


def floor_queries(as_of: date) -> dict[str, tuple[str, list[Any]]]:
    from dangjian.community.constants import IN_SERVICE_CATEGORIES, NOT_IN_SERVICE
    from dangjian.community.rules import _deadline
    from dangjian.compliance.packs import effective_params

    cats = ", ".join(f"'{c}'" for c in IN_SERVICE_CATEGORIES)
    jobs = ", ".join(f"'{c}'" for c in NOT_IN_SERVICE)
    in_service = (
        "FROM members_member m JOIN orgs_organization o ON o.id = m.organization_id "
        f"WHERE m.status IN ('full', 'probationary') AND o.category IN ({cats}) "
        f"AND m.occupation NOT IN ({jobs}) "
    )
    p1, p3, p4, p5 = (effective_params(r) for r in ("NBR-01", "NBR-03", "NBR-04", "NBR-05"))
    out: dict[str, tuple[str, list[Any]]] = {
        "NBR-01": (
            "SELECT p.community_id, NULL, 'place:' || p.id FROM community_place p "
            "LEFT JOIN orgs_organization c ON c.id = p.covered_by_id "
            "WHERE NOT (c.id IS NOT NULL AND c.kind IN ('branch', 'group') AND c.is_active) "
            "AND (SELECT COUNT(*) FROM community_residence r JOIN members_member m "
            "ON m.id = r.member_id WHERE r.place_id = p.id AND m.status = 'full') >= %s",
            [p1["min_full"]],
        ),
        "NBR-05": (
            "SELECT i.community_id, NULL, 'issue:' || i.id FROM community_issue i "
            "WHERE i.status = 'open' AND i.raised_on < %s",
            [as_of - timedelta(days=p5["days"])],
        ),
    }
    if as_of > _deadline(as_of.year, p3["by_month"]):
        out["NBR-03"] = (
            "SELECT m.organization_id, m.id, NULL " + in_service + "AND NOT EXISTS (SELECT 1 "
            "FROM community_report r WHERE r.member_id = m.id AND r.year = %s "
            "AND r.reported_on <= %s)",
            [as_of.year, as_of],
        )
    if as_of.month >= p4["from_month"]:
        out["NBR-04"] = (
            "SELECT m.organization_id, m.id, NULL " + in_service + "AND EXISTS (SELECT 1 FROM "
            "community_report r WHERE r.member_id = m.id AND r.year = %s AND r.reported_on <= %s)"
            " AND (SELECT COUNT(*) FROM community_service s WHERE s.member_id = m.id "
            "AND s.done_on BETWEEN %s AND %s) < %s",
            [as_of.year, as_of, date(as_of.year, 1, 1), as_of, p4["min_services"]],
        )
    return out


def floor_run(as_of: date) -> dict[str, set[Any]]:
    from django.db import connection

    out: dict[str, set[Any]] = {r: set() for r in RULES}
    with connection.cursor() as cur:
        for rid, (sql, params) in floor_queries(as_of).items():
            cur.execute(sql, params)
            out[rid] = {(a, b, c) for a, b, c in cur.fetchall()}
    return out


def engine_run(as_of: date) -> dict[str, set[Any]]:
    from dangjian.compliance.engine import REGISTRY, ScanContext
    from dangjian.compliance.packs import effective_params

    out: dict[str, set[Any]] = {}
    for rid in RULES:
        ctx = ScanContext(as_of=as_of, scope_path="", params=effective_params(rid))
        out[rid] = {
            (h.organization_id, h.member_id, h.subject) for h in REGISTRY[rid].evaluate(ctx)
        }
    return out


def top_up(target: int) -> int:
    """Empty 小区 spread over the communities until there are `target` (bulk)."""
    from dangjian.community.models import Place
    from dangjian.community.selectors import communities

    have = Place.objects.count()
    comms = list(communities().values_list("id", "code"))
    if have >= target or not comms:
        return have
    Place.objects.bulk_create(
        [
            Place(
                code=f"{comms[i % len(comms)][1]}-X{i:05d}",
                name=f"扩展小区{i:05d}",
                community_id=comms[i % len(comms)][0],
                households=200,
            )
            for i in range(target - have)
        ],
        batch_size=10_000,
    )
    return target


def house_everyone() -> int:
    """Every active member without a residence gets one, spread over all 小区 (bulk): the city
    where every member has a residence. Returns how many were added."""
    from dangjian.community.models import Place, Residence
    from dangjian.members.constants import ACTIVE_STATUSES
    from dangjian.members.models import Member

    places = list(Place.objects.order_by("id").values_list("id", flat=True))
    homeless = (
        Member.objects.filter(status__in=ACTIVE_STATUSES, residence__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)
    )
    batch, added = [], 0
    for i, mid in enumerate(homeless.iterator(chunk_size=20_000)):
        batch.append(Residence(member_id=mid, place_id=places[(i * 7919) % len(places)]))
        if len(batch) == 20_000:
            Residence.objects.bulk_create(batch)
            added, batch = added + len(batch), []
    Residence.objects.bulk_create(batch)
    return added + len(batch)


def page_times(client: Any, url: str, n: int = 30) -> tuple[float, float]:
    client.get(url)
    times = []
    for _ in range(n):
        t = time.perf_counter()
        resp = client.get(url)
        times.append((time.perf_counter() - t) * 1000)
        assert resp.status_code == 200, (url, resp.status_code)
    times.sort()
    return round(statistics.median(times), 1), round(times[int(0.95 * (len(times) - 1))], 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="district")
    ap.add_argument("--as-of", default="2026-10-15")
    ap.add_argument("--places", type=int, default=0, help="top the 小区 up to this many")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--everyone", action="store_true", help="give every active member a residence")
    args = ap.parse_args()
    setup_django()
    from django.core.management import call_command

    from dangjian.accounts.constants import Role
    from dangjian.community.models import Place, Report, Residence, Service
    from dangjian.orgs.models import Organization

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    as_of = date.fromisoformat(args.as_of)
    t_seed = None
    if not Organization.objects.exists():
        print(f"seeding {args.scale} …", file=sys.stderr)
        t = time.perf_counter()
        call_command(
            "seed", "--scale", args.scale, "--today", args.as_of, "--plant-rate", "0.02",
            verbosity=0,
        )  # fmt: skip
        t_seed = round(time.perf_counter() - t, 1)
    places = top_up(args.places) if args.places else Place.objects.count()
    housed = house_everyone() if args.everyone else 0
    # the statistics a running database keeps (autovacuum) after the bulk writes above
    from dangjian.community.models import Issue
    from dangjian.core.bulk import analyze
    from dangjian.members.models import Member

    analyze([Organization, Member, Place, Residence, Report, Service, Issue])
    engine, t_engine = best_of(args.repeat, engine_run, as_of)
    floor, t_floor = best_of(args.repeat, floor_run, as_of)
    mismatched = sorted(r for r in RULES if engine.get(r, set()) != floor.get(r, set()))
    root = Organization.objects.filter(depth=1).order_by("path").first()
    assert root is not None
    # the district with the most 小区 (at district scale, the root itself)
    district = root
    if Organization.objects.filter(depth=2).exists():
        from django.db.models import Count
        from django.db.models.functions import Substr

        top = (
            Place.objects.annotate(d=Substr("community__path", 1, 8))
            .values("d")
            .annotate(n=Count("id"))
            .order_by("-n")
            .first()
        )
        if top is not None:
            district = Organization.objects.get(path=top["d"])
    client = staff_client("bench_community", Role.COMMITTEE_STAFF)
    p50, p95 = page_times(client, f"/community/org/{district.pk}/")
    root_p50, root_p95 = page_times(client, f"/community/org/{root.pk}/")
    fig_p50, fig_p95 = page_times(client, f"/community/org/{district.pk}/figures/")
    result = {
        "database": __import__("django.db", fromlist=["connection"]).connection.vendor,
        "seed_s": t_seed,
        "organizations": Organization.objects.count(),
        "places": places,
        "residences": Residence.objects.count(),
        "residences_added": housed,
        "district": district.name,
        "reports": Report.objects.count(),
        "services": Service.objects.count(),
        "findings": {r: len(engine.get(r, ())) for r in RULES},
        "engine_s": round(t_engine, 3),
        "floor_s": round(t_floor, 3),
        "ratio": round(t_engine / t_floor, 2) if t_floor else None,
        "same_findings": not mismatched,
        "mismatched": mismatched,
        "coverage_page_p50_ms": p50,
        "coverage_page_p95_ms": p95,
        "root_coverage_page_p50_ms": root_p50,
        "root_coverage_page_p95_ms": root_p95,
        "figures_page_p50_ms": fig_p50,
        "figures_page_p95_ms": fig_p95,
    }
    print(
        f"{result['organizations']} organizations, {places} 小区; NBR engine {t_engine:.3f} s vs "
        f"floor {t_floor:.3f} s (ratio {result['ratio']}), same findings: {not mismatched}; "
        f"district coverage page p50 {p50} ms, p95 {p95} ms; root p50 {root_p50} ms, "
        f"p95 {root_p95} ms; district figures p50 {fig_p50} ms, p95 {fig_p95} ms"
    )
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
