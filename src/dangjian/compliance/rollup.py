"""Roll open findings up the tree: one grouped query per depth level, stored per organization."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.db.models import Count, Max, Q
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
            _add(per_path[r["prefix"]], r["severity"], r["category"], r["n"])
    for own in open_findings.values("organization__path").annotate(n=Count("pk")).order_by():
        per_path[own["organization__path"]]["own"] = own["n"]
    return _write(
        as_of, per_path, Organization.objects.values_list("id", "path"), OrgStatus.objects
    )


def _add(entry: dict[str, Any], severity: str, category: str, n: int) -> None:
    entry["severity"][severity] = entry["severity"].get(severity, 0) + n
    entry["category"][category] = entry["category"].get(category, 0) + n
    # category × severity: the dashboard's cards under a category filter
    key = f"{category}:{severity}"
    entry["by"][key] = entry["by"].get(key, 0) + n
    entry["total"] += n


def _shift(entry: dict[str, Any], old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """entry − old + new, part by part (an ancestor's counts after a subtree changed)."""
    out = empty_counts()
    for part in ("severity", "category", "by"):
        keys = set(entry.get(part, {})) | set(old.get(part, {})) | set(new.get(part, {}))
        for k in keys:
            n = (
                entry.get(part, {}).get(k, 0)
                - old.get(part, {}).get(k, 0)
                + new.get(part, {}).get(k, 0)
            )
            if n:
                out[part][k] = n
    out["total"] = entry.get("total", 0) - old.get("total", 0) + new.get("total", 0)
    out["own"] = entry.get("own", 0)
    return out


def rollup_paths(as_of: date, paths: list[str]) -> int:
    """After findings changed only under `paths` (subtrees that do not nest): recompute those
    subtrees' roll-ups from their findings, and move each ancestor's stored counts by the
    subtree's difference — no query over the whole tree. The nightly `rollup_refresh` recomputes
    everything."""

    steplen = Organization.steplen
    open_findings = Finding.objects.filter(closed_on__isnull=True)
    per_path: dict[str, dict[str, Any]] = defaultdict(empty_counts)
    stored = dict(
        OrgStatus.objects.filter(organization__path__in=paths).values_list(
            "organization__path", "counts"
        )
    )
    for p in paths:
        top = len(p) // steplen
        under = Organization.objects.filter(path__under=p)
        deepest = under.aggregate(d=Max("depth"))["d"] or top
        mine = open_findings.filter(organization__path__under=p)
        for depth in range(top, deepest + 1):
            rows = (
                mine.filter(organization__depth__gte=depth)
                .annotate(prefix=Substr("organization__path", 1, steplen * depth))
                .values("prefix", "severity", "category")
                .annotate(n=Count("pk"))
                .order_by()
            )
            for r in rows:
                _add(per_path[r["prefix"]], r["severity"], r["category"], r["n"])
        for own in mine.values("organization__path").annotate(n=Count("pk")).order_by():
            per_path[own["organization__path"]]["own"] = own["n"]
    ancestors = {p[: steplen * d] for p in paths for d in range(1, len(p) // steplen)}
    # locked (in path order) until the commit: two acts followed at once in sibling branches move
    # the same ancestors one after the other
    current = dict(
        OrgStatus.objects.select_for_update(of=("self",))
        .filter(organization__path__in=ancestors)
        .order_by("organization__path")
        .values_list("organization__path", "counts")
    )
    for a in ancestors - set(current):
        # never rolled up (a new organization, or no scan yet): counted from its findings, which
        # already hold what the subtrees changed
        entry = empty_counts()
        for sev, cat, n in (
            open_findings.filter(organization__path__under=a)
            .values("severity", "category")
            .annotate(n=Count("pk"))
            .order_by()
            .values_list("severity", "category", "n")
        ):
            _add(entry, sev, cat, n)
        entry["own"] = open_findings.filter(organization__path=a).count()
        per_path[a] = entry
    for a in sorted(set(current), key=len):
        entry = current[a]
        for p in paths:
            if p.startswith(a):
                entry = _shift(entry, stored.get(p) or empty_counts(), per_path[p])
        per_path[a] = entry
    subtree = Q(path__in=ancestors)
    for p in paths:
        subtree |= Q(path__under=p)
    orgs = Organization.objects.filter(subtree).values_list("id", "path")
    return _write(
        as_of, per_path, orgs, OrgStatus.objects.filter(organization__in=orgs.values("id"))
    )


def _write(as_of: date, per_path: dict[str, Any], orgs: Any, statuses: Any) -> int:
    existing = {
        oid: (pk, colour, counts)
        for pk, oid, colour, counts in statuses.values_list(
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
