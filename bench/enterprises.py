"""非公党建 at scale (issue 20), for one database (DATABASE_URL), printed as JSON (last line):

- seeds the given scale with today = --as-of if the database is empty (the enterprises of the
  non-public sector with their organizations and employed members, parks, instructors with a year
  of visits; planted ENT problems);
- ENT-01…03 through the engine against hand-written SQL doing the same checks (the floor): same
  findings, and the time ratio (best of --repeat);
- the pages: the coverage page at the root and at the committee with the most enterprises, the
  register (all, uncovered), the instructors, an enterprise, the showcase: p50/p95 over repeated
  requests (in-process).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
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

RULES = ("ENT-01", "ENT-02", "ENT-03")


def floor_queries(as_of: date) -> dict[str, tuple[str, list[Any]]]:
    from dangjian.compliance.packs import effective_params
    from dangjian.enterprises.rules import last_period

    first, last, _label = last_period(as_of, effective_params("ENT-03")["months"])
    base = (
        "FROM enterprises_enterprise e JOIN orgs_unit u ON u.id = e.unit_id "
        "JOIN orgs_organization c ON c.id = u.committee_id "
        "LEFT JOIN orgs_organization o ON o.id = u.organization_id "
        "WHERE u.kind = 'unit' AND c.is_active = %s "
    )
    subject = "SELECT u.committee_id, NULL, 'unit' || u.id "
    return {
        "ENT-01": (
            subject + base + "AND (o.id IS NULL OR o.is_active = %s OR o.is_joint = %s) "
            "AND (SELECT COUNT(*) FROM members_member m WHERE m.employer_id = u.id "
            "AND m.status = 'full') >= %s",
            [True, False, True, effective_params("ORG-01")["min_full"]],
        ),
        "ENT-02": (
            subject + base + "AND (o.id IS NULL OR o.is_active = %s) "
            "AND NOT EXISTS (SELECT 1 FROM enterprises_assignment a "
            "WHERE a.enterprise_id = e.unit_id AND a.since <= %s "
            "AND (a.until IS NULL OR a.until >= %s)) "
            "AND EXISTS (SELECT 1 FROM members_member m WHERE m.employer_id = u.id "
            "AND m.status IN ('full', 'probationary'))",
            [True, False, as_of, as_of],
        ),
        "ENT-03": (
            "SELECT DISTINCT u.committee_id, NULL, 'unit' || u.id "
            "FROM enterprises_assignment a JOIN enterprises_enterprise e ON e.unit_id = "
            "a.enterprise_id JOIN orgs_unit u ON u.id = e.unit_id "
            "JOIN orgs_organization c ON c.id = u.committee_id "
            "WHERE u.kind = 'unit' AND c.is_active = %s AND a.since <= %s "
            "AND (a.until IS NULL OR a.until >= %s) "
            "AND NOT EXISTS (SELECT 1 FROM enterprises_instructorvisit v "
            "WHERE v.enterprise_id = a.enterprise_id AND v.visited_on BETWEEN %s AND %s)",
            [True, first, last, first, last],
        ),
    }


def floor_run(as_of: date) -> dict[str, set[Any]]:
    from django.db import connection

    out: dict[str, set[Any]] = {}
    with connection.cursor() as cur:
        for rid, (sql, params) in floor_queries(as_of).items():
            cur.execute(sql, params)
            out[rid] = {(a, b, c) for a, b, c in cur.fetchall()}
    return out


def engine_run(as_of: date) -> dict[str, set[Any]]:
    return subject_findings(RULES, as_of)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="district")
    ap.add_argument("--as-of", default="2026-10-15")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    setup_django()
    from django.db import connection
    from django.db.models import Count

    from dangjian.accounts.constants import Role
    from dangjian.core.bulk import analyze
    from dangjian.enterprises import models as em
    from dangjian.members.models import Member
    from dangjian.orgs.models import Organization, Unit

    as_of = date.fromisoformat(args.as_of)
    t_seed = seed_if_empty(args.scale, args.as_of)
    analyze([Unit, Member, em.Enterprise, em.Assignment, em.InstructorVisit])
    engine, t_engine = best_of(args.repeat, engine_run, as_of)
    floor, t_floor = best_of(args.repeat, floor_run, as_of)
    mismatched = sorted(r for r in RULES if engine.get(r, set()) != floor.get(r, set()))
    root = Organization.objects.filter(depth=1).order_by("path").first()
    assert root is not None
    zone_id = (
        Unit.objects.filter(enterprise__isnull=False)
        .values("committee__path")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("committee_id", flat=True)
        .first()
    )
    zone = Organization.objects.filter(pk=zone_id).first() or root
    e = em.Enterprise.objects.annotate(n=Count("unit__employees")).order_by("-n", "pk").first()
    ins = em.Instructor.objects.annotate(n=Count("visits")).order_by("-n", "pk").first()
    client = staff_client("bench_enterprises", Role.COMMITTEE_STAFF)
    pages = {
        "coverage_root": f"/enterprises/org/{root.pk}/",
        "coverage_zone": f"/enterprises/org/{zone.pk}/",
        "list_root": f"/enterprises/org/{root.pk}/list/",
        "list_uncovered": f"/enterprises/org/{root.pk}/list/?cover=none",
        "instructors": f"/enterprises/org/{root.pk}/instructors/",
        "showcase": f"/enterprises/org/{root.pk}/showcase/",
    }
    if e is not None:
        pages["enterprise"] = f"/enterprises/enterprise/{e.pk}/"
    if ins is not None:
        pages["instructor"] = f"/enterprises/instructor/{ins.pk}/"
    times = {name: page_times(client, url) for name, url in pages.items()}
    result = {
        "database": connection.vendor,
        "seed_s": t_seed,
        "organizations": Organization.objects.count(),
        "enterprises": em.Enterprise.objects.count(),
        "with_own_organization": em.Enterprise.objects.filter(
            unit__organization__is_active=True, unit__organization__is_joint=False
        ).count(),
        "members_employed": Member.objects.filter(employer__enterprise__isnull=False).count(),
        "instructors": em.Instructor.objects.count(),
        "visits": em.InstructorVisit.objects.count(),
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
        f"{result['enterprises']} enterprises; ENT engine {t_engine:.4f} s vs floor "
        f"{t_floor:.4f} s (ratio {result['ratio']}), same findings: {not mismatched}; coverage "
        f"p95 {times['coverage_zone'][1]} ms (zone), {times['coverage_root'][1]} ms (root)"
    )
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
