"""Roll open findings up the tree: one grouped query per depth level, stored per organization."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.db.models import Count, Max
from django.db.models.functions import Substr

from dangjian.orgs.models import Organization

from .models import Finding, OrgStatus

RED = {"high", "critical"}


def colour_of(severity_counts: dict[str, int]) -> str:
    if any(severity_counts.get(s) for s in RED):
        return "red"
    if severity_counts.get("warn"):
        return "yellow"
    return "green"


def empty_counts() -> dict[str, Any]:
    return {"severity": {}, "category": {}, "by": {}, "total": 0, "own": 0}


def severity_counts(counts: dict[str, Any] | None, category: str = "") -> dict[str, int]:
    """Open findings by severity from a stored roll-up, of one category when given."""
    if not counts:
        return {}
    if not category:
        return dict(counts.get("severity", {}))
    out: dict[str, int] = {}
    for key, n in counts.get("by", {}).items():
        cat, _, sev = key.partition(":")
        if cat == category:
            out[sev] = out.get(sev, 0) + n
    return out


def rollup_refresh(as_of: date) -> int:
    """Recompute every organization's subtree roll-up from the open findings."""

    steplen = Organization.steplen
    open_findings = Finding.objects.filter(closed_on__isnull=True)
    max_depth = Organization.objects.aggregate(d=Max("depth"))["d"] or 0
    per_path: dict[str, dict[str, Any]] = defaultdict(empty_counts)
    for depth in range(1, max_depth + 1):
        rows = (
            open_findings.filter(organization__depth__gte=depth)
            .annotate(prefix=Substr("organization__path", 1, steplen * depth))
            .values("prefix", "severity", "category")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for r in rows:
            entry = per_path[r["prefix"]]
            entry["severity"][r["severity"]] = entry["severity"].get(r["severity"], 0) + r["n"]
            entry["category"][r["category"]] = entry["category"].get(r["category"], 0) + r["n"]
            # category × severity: the dashboard's cards under a category filter
            key = f"{r['category']}:{r['severity']}"
            entry["by"][key] = entry["by"].get(key, 0) + r["n"]
            entry["total"] += r["n"]
    for own in open_findings.values("organization__path").annotate(n=Count("pk")).order_by():
        per_path[own["organization__path"]]["own"] = own["n"]
    orgs = Organization.objects.values_list("id", "path")
    existing = {
        oid: (pk, colour, counts)
        for pk, oid, colour, counts in OrgStatus.objects.values_list(
            "id", "organization_id", "colour", "counts"
        )
    }
    creates, updates = [], []
    for org_id, path in orgs:
        counts = per_path.get(path) or empty_counts()
        colour = colour_of(counts["severity"])
        current = existing.get(org_id)
        if current is None:
            creates.append(
                OrgStatus(organization_id=org_id, colour=colour, counts=counts, updated_on=as_of)
            )
        elif (current[1], current[2]) != (
            colour,
            counts,
        ):  # compare first: an unchanged tree writes nothing
            updates.append(
                OrgStatus(
                    id=current[0],
                    organization_id=org_id,
                    colour=colour,
                    counts=counts,
                    updated_on=as_of,
                )
            )
    OrgStatus.objects.bulk_create(creates, batch_size=2000)
    OrgStatus.objects.bulk_update(updates, ["colour", "counts", "updated_on"], batch_size=2000)
    return len(creates) + len(updates)
