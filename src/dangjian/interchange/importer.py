"""Import of an interchange bundle: validate everything first, then write all of it or nothing.

The coordinator only: the files, their checks and writes are declared by the apps that own them
(`<app>/interchange.py`, see `core.bundle`). Checks run in dependency order and collect every
issue before anything is written; the writes run in the same order inside one transaction; one
audit event records the whole operation (files, hashes, counts) — design.md §5.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import transaction
from django.db.models import Model

from dangjian.accounts.types import Actor
from dangjian.audit.services import audit_record
from dangjian.core import changes
from dangjian.core.bulk import analyze_grown, check_constraints_now
from dangjian.core.bundle import (
    REGISTRY,
    BundleContext,
    BundleError,
    FileCounts,
    Issue,
    Table,
    ordered,
)
from dangjian.orgs.models import Organization

from .reader import read_csv

__all__ = [
    "FileCounts",
    "ImportResult",
    "import_bundle_dir",
    "import_tables",
    "read_bundle_dir",
    "validate",
]

ANALYZE_AFTER_ROWS = 10000


@dataclass
class ImportResult:
    counts: dict[str, FileCounts] = field(default_factory=dict)

    def summary(self) -> str:
        parts = []
        for name, c in self.counts.items():
            parts.append(f"{name}：新增{c.created}，更新{c.updated}，未变{c.unchanged}")
        return "；".join(parts)


def read_bundle_dir(directory: str | Path) -> dict[str, Table]:
    """Read every file of a bundle folder; refuse files this version does not know."""
    path = Path(directory)
    if not path.is_dir():
        raise BundleError([Issue(str(directory), None, None, "目录不存在")])
    issues: list[Issue] = []
    tables: dict[str, Table] = {}
    for entry in sorted(path.iterdir()):
        name = entry.name
        if name.startswith("."):
            continue
        if name not in REGISTRY:
            issues.append(Issue(name, None, None, "不是数据包 v1 中的文件，请移除"))
            continue
        try:
            tables[name] = read_csv(entry.read_bytes(), REGISTRY[name].spec)
        except BundleError as exc:
            issues.extend(exc.issues)
    if not tables and not issues:
        issues.append(
            Issue(
                str(directory),
                None,
                None,
                "目录中没有可导入的文件（orgs.csv、terms.csv、posts.csv、members.csv）",
            )
        )
    if issues:
        raise BundleError(issues)
    return tables


def validate(tables: dict[str, Table], scope_paths: list[str] | None = None) -> BundleContext:
    """Check every file (each after the files it depends on); raise with every issue found."""
    ctx = BundleContext(tables=tables, scope_paths=scope_paths)
    for f in ordered():
        if f.spec.name in tables:
            ctx.rows[f.spec.name] = f.check(ctx, tables[f.spec.name])
    if ctx.issues:
        raise BundleError(ctx.issues)
    return ctx


def import_tables(
    tables: dict[str, Table],
    *,
    actor: Actor | None = None,
    source: str = "bundle",
    scope_paths: list[str] | None = None,
    audit_action: str = "interchange.import",
    as_of: date | None = None,
) -> ImportResult:
    """Validate all files, then write all of them in one transaction (or nothing).

    `scope_paths` (a web upload) limits the rows to the uploading user's subtrees. `as_of` (the
    seed, which generates a record as of a day of its own): the ledger of the members put on the
    roll is opened through that day's month rather than through this one.
    """
    with transaction.atomic(durable=True):
        ctx = validate(tables, scope_paths)
        ctx.actor = actor
        ctx.as_of = as_of
        files = [f for f in ordered() if f.spec.name in tables]
        result = ImportResult({f.spec.name: FileCounts() for f in files})
        for f in files:
            f.write(ctx, ctx.rows[f.spec.name], result.counts[f.spec.name])
        for f in ordered():
            if f.finish is not None:
                f.finish(ctx)
        # the foreign keys of every row written are checked now (PostgreSQL defers them to the
        # commit: a district's million checks, some 5 s), then the statistics, and only then what
        # holds the deployment's locks until the commit: two imports at once (a province's
        # districts) wait for each other only for that
        check_constraints_now()
        if sum(c.created for c in result.counts.values()) >= ANALYZE_AFTER_ROWS:
            grown: dict[type[Model], int] = {}
            for f in ordered():
                for model in f.models:
                    counts = result.counts.get(f.spec.name)
                    grown[model] = grown.get(model, 0) + (counts.created if counts else 0)
            analyze_grown(grown)
        for work in ctx.last:
            work()
        # findings follow: the uploader's subtrees, or every top organization for a whole bundle
        # (queued for the worker: an import is a write in bulk)
        apps = {str(model._meta.app_label) for f in files for model in f.models}  # type: ignore[attr-defined]
        tops = scope_paths or Organization.objects.filter(depth=1).values_list("path", flat=True)
        for path in tops:
            changes.note(apps, path)
        audit_record(
            actor=actor,
            action=audit_action,
            object_type="interchange.bundle",
            object_repr=source,
            data={
                "files": {n: {"sha256": t.sha256, "rows": len(t.rows)} for n, t in tables.items()},
                "counts": {n: vars(c) for n, c in result.counts.items()},
            },
        )
    return result


def import_bundle_dir(directory: str | Path, *, actor: Actor | None = None) -> ImportResult:
    return import_tables(
        read_bundle_dir(directory), actor=actor, source=f"bundle:{Path(directory).name}"
    )
