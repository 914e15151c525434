"""Export of an interchange bundle (the whole deployment or one subtree), deterministic and safe."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path
from typing import Any

from django.db import transaction

from dangjian.accounts.types import Actor
from dangjian.audit.services import audit_record
from dangjian.core.bundle import ExportScope, ordered
from dangjian.core.spreadsheet import escape_cell
from dangjian.members.constants import ON_ROLL_STATUSES
from dangjian.members.models import Member
from dangjian.orgs.models import Organization


def _csv(columns: tuple[str, ...], rows: Any) -> tuple[bytes, int]:
    """The file's bytes (rows streamed in) and its number of rows."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([escape_cell(v) for v in row])
        count += 1
    return buf.getvalue().encode("utf-8"), count


def build_bundle(org: Organization | None = None) -> dict[str, bytes]:
    """The files as bytes, each written by the app that owns it (`core.bundle`): the record's own
    files always, the others when they have rows. Personal data is exported in full: a bundle is a
    system-to-system transfer made by the CLI operator (audited), never offered to staff through
    the web."""
    orgs = Organization.objects.filter(is_active=True)
    members = Member.objects.filter(status__in=ON_ROLL_STATUSES)
    if org is not None:
        orgs = orgs.filter(path__under=org.path)
        members = members.filter(organization_id__in=orgs.values("id"))
    scope = ExportScope(root=org, org_ids=orgs.values("id"), member_ids=members.values("id"))
    files: dict[str, bytes] = {}
    for f in ordered():
        data, count = _csv(f.spec.columns, f.export(scope))
        if count or f.export_empty:
            files[f.spec.name] = data
    return files


def export_bundle_dir(
    directory: str | Path, *, org: Organization | None = None, actor: Actor = None
) -> dict[str, int]:
    """Write the bundle into a folder; one audit event records scope, files and their hashes."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    files = build_bundle(org)
    summary = {}
    for name, data in files.items():
        (path / name).write_bytes(data)
        summary[name] = data.count(b"\n") - 1
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="interchange.export",
            object_type="interchange.bundle",
            organization=org,
            object_repr=str(path.name),
            data={
                "scope": org.code if org else "全部",
                "files": {
                    n: {"rows": summary[n], "sha256": hashlib.sha256(d).hexdigest()}
                    for n, d in files.items()
                },
            },
        )
    return summary
