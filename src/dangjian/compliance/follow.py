"""Findings follow the act: after a service's transaction commits, the enabled rules that read
what it changed are re-run over the organizations concerned, so that the finding closes (or
opens), the colours of the organization and its ancestors, the 待办 and the reminders follow
on the next page — no scan needed.

`core.changes` tells what a committed transaction changed ({organization path: {apps}}, from
the audit events every domain write records). Small acts are re-evaluated at once, after the
commit, in the request; an act that touches many organizations (an import, the monthly ledger)
or a large subtree is queued — one row per subtree, coalesced — for the worker.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from dangjian.core.changes import Changes
from dangjian.orgs.models import Organization

from .engine import ScanContext
from .models import FollowQueue, RuleSetting
from .packs import effective_params
from .rollup import rollup_paths
from .services import ScanResult, _upsert, enabled_rules, subject_key
from .signals import scan_finished

logger = logging.getLogger("dangjian.compliance")

# re-evaluated in the request when the subtrees concerned hold at most this many organizations
SYNC_ORGS = 400
# the worker runs a full scan rather than per subtree when this many subtrees are queued
FULL_SCAN_PATHS = 50


# An app whose rule attributes a finding to one organization from data kept at another registers
# here what else a change touches (transfers: a payment at the receiving branch closes the fee gap
# found at the sending one).
EXPANDERS: list[Callable[[Changes], Changes]] = []


def expand(changes: Changes) -> Changes:
    out: Changes = {p: set(a) for p, a in changes.items()}
    for fn in EXPANDERS:
        for path, apps in fn(changes).items():
            out.setdefault(path, set()).update(apps)
    return out


@dataclass
class FollowResult:
    paths: list[str] = field(default_factory=list)
    rules: int = 0
    opened: int = 0
    updated: int = 0
    closed: int = 0
    queued: bool = False


def follow_date() -> date:
    return timezone.localdate()


def coalesce(changes: Changes) -> Changes:
    """Drop a path under another changed path (its subtree is re-run anyway), joining the apps."""

    out: Changes = {}
    for path in sorted(changes, key=lambda p: (len(p), p)):
        top = next((p for p in out if path.startswith(p)), None)
        if top is None:
            out[path] = set(changes[path])
        else:
            out[top] |= changes[path]
    return out


def on_changes(changes: Changes) -> None:
    """The listener (`core.changes`): re-evaluate now, or queue when the act is large. Runs after
    the commit: a failure here is logged and queued, never undoes or fails the act."""

    if not getattr(settings, "FINDINGS_FOLLOW", True):
        return
    paths = coalesce(changes)
    try:
        if _size(paths) > SYNC_ORGS:
            follow_enqueue(paths)
        else:
            findings_follow(paths)
    except Exception:
        logger.exception("re-evaluating findings after an act failed; queued instead")
        try:
            follow_enqueue(paths)
        except Exception:  # the act is committed: the nightly scan catches up
            logger.exception("queueing the re-evaluation failed too")


def _size(paths: Changes) -> int:
    q = Q()
    for p in paths:
        q |= Q(path__under=p)
    return Organization.objects.filter(q).count() if paths else 0


def findings_follow(paths: Changes, *, as_of: date | None = None) -> FollowResult:
    """Re-run, for each subtree, the enabled rules that read one of its changed apps; upsert and
    close the subtree's findings as a scan would, move the roll-up, reminders and cases — one
    transaction."""

    as_of = as_of or follow_date()
    paths = coalesce(expand(paths))
    out = FollowResult(paths=sorted(paths))
    if not paths:
        return out
    overrides = {s.rule_id: s.params for s in RuleSetting.objects.all()}
    rules = enabled_rules()
    result = ScanResult(run=None)
    with transaction.atomic():
        _serialize(paths)
        for path, apps in paths.items():
            for r in rules:
                if not (r.reads & apps):
                    continue
                ctx = ScanContext(
                    as_of=as_of, scope_path=path, params=effective_params(r.id, overrides.get(r.id))
                )
                hits = {subject_key(h): h for h in r.evaluate(ctx)}
                _upsert(r, hits, as_of, path, result)
                out.rules += 1
        changed = result.opened + result.updated + result.closed
        if changed:
            rollup_paths(as_of, list(paths))
            scan_finished.send(sender=FollowQueue, as_of=as_of, paths=list(paths))
    out.opened, out.updated, out.closed = result.opened, result.updated, result.closed
    return out


def _serialize(paths: Changes) -> None:
    """Two acts in nested subtrees (the same branch, or a branch and its committee) followed at
    once: the second waits for the first, then reads what both wrote; acts in sibling subtrees
    run side by side (PostgreSQL; SQLite's writers are serial already). Each re-run takes its own
    path exclusively and every ancestor's shared — intention locks, taken in path order so that
    two re-runs never wait on each other in a circle. The ancestors' roll-up rows are locked
    where they are moved (rollup_paths)."""

    if connection.vendor != "postgresql":
        return
    modes = lock_modes(paths)
    with connection.cursor() as cur:
        for path in sorted(modes):
            key = int.from_bytes(
                hashlib.blake2b(f"follow:{path}".encode(), digest_size=8).digest(),
                "big",
                signed=True,
            )
            fn = "pg_advisory_xact_lock" if modes[path] else "pg_advisory_xact_lock_shared"
            cur.execute(f"SELECT {fn}(%s)", [key])  # noqa: S608 - one of two fixed names


def lock_modes(paths: Iterable[str]) -> dict[str, bool]:
    """{path: exclusive} for a re-run over `paths`: each path exclusive, its ancestors shared."""

    step = Organization.steplen
    modes: dict[str, bool] = {}
    for path in paths:
        for depth in range(1, len(path) // step):
            modes.setdefault(path[: depth * step], False)
        modes[path] = True
    return modes


def follow_enqueue(paths: Changes) -> None:
    """Queue subtrees for the worker, one row each (apps joined with what is already queued)."""

    paths = coalesce(paths)
    with transaction.atomic():
        have = {
            q.path: q for q in FollowQueue.objects.select_for_update().filter(path__in=list(paths))
        }
        fresh = []
        for path, apps in paths.items():
            row = have.get(path)
            if row is None:
                fresh.append(FollowQueue(path=path, apps=sorted(apps)))
            else:  # re-stamped even when nothing is new: the act after a drain began stays queued
                row.apps = sorted(set(row.apps) | apps)
                row.save(update_fields=["apps", "queued_at"])
        FollowQueue.objects.bulk_create(fresh, batch_size=2000, ignore_conflicts=True)

    def drain() -> None:
        from .tasks import follow_drain  # noqa: PLC0415 - tasks call this module

        follow_drain()

    transaction.on_commit(drain)


def follow_queued(*, as_of: date | None = None) -> FollowResult:
    """The worker: take what is queued and re-evaluate it — per subtree, or as one full scan when
    so much is queued that a scan is cheaper."""

    from .services import scan_run  # noqa: PLC0415 - same layer; keeps the import graph flat

    started = timezone.now()
    rows = list(FollowQueue.objects.values_list("id", "path", "apps"))
    if not rows:
        return FollowResult()
    paths: Changes = {}
    for _, path, apps in rows:
        paths.setdefault(path, set()).update(apps)
    paths = coalesce(paths)
    if len(paths) > FULL_SCAN_PATHS or "" in paths:
        scan_run(as_of=as_of or follow_date())
        out = FollowResult(paths=[""])
    else:
        out = findings_follow(paths, as_of=as_of)
    # rows queued while this ran stay for the next pass
    FollowQueue.objects.filter(id__in=[r[0] for r in rows], queued_at__lte=started).delete()
    out.queued = True
    return out
