"""Export of an interchange bundle (the whole deployment or one subtree), deterministic and safe."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path
from typing import Any

from django.db import transaction

from dangjian.audit.services import audit_record
from dangjian.core.spreadsheet import escape_cell
from dangjian.members.constants import ON_ROLL_STATUSES
from dangjian.members.models import Member
from dangjian.members.validation import fen_to_yuan
from dangjian.orgs.models import Organization, Post, Term

from .schema import FEES, MEETINGS, MEMBERS, ORGS, POSTS, RECRUITMENT, STUDY, TERMS, TRANSFERS


def _csv(columns: tuple[str, ...], rows: Any) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([escape_cell(v) for v in row])
    return buf.getvalue().encode("utf-8")


def build_bundle(org: Organization | None = None) -> dict[str, bytes]:
    """The files as bytes (fees.csv once there is a ledger). Personal data is exported in full: a bundle is a system-to-system
    transfer made by the CLI operator (audited), never offered to staff through the web."""
    orgs = Organization.objects.filter(is_active=True)
    if org is not None:
        orgs = orgs.filter(path__startswith=org.path)
    org_rows = list(
        orgs.order_by("path").values_list(
            "id", "code", "name", "path", "depth", "kind", "category", "established_on"
        )
    )
    code_by_path = {r[3]: r[1] for r in org_rows}
    ids = {r[0] for r in org_rows}
    files: dict[str, bytes] = {}
    top_depth = org.depth if org is not None else 1

    def parent_code(path: str, depth: int) -> str:
        if depth <= top_depth:
            return ""
        return code_by_path.get(path[: -Organization.steplen], "")

    files[ORGS.name] = _csv(
        ORGS.columns,
        (
            (code, name, parent_code(path, depth), kind, category, est.isoformat())
            for _id, code, name, path, depth, kind, category, est in org_rows
        ),
    )
    terms = (
        Term.objects.filter(organization__in=orgs)
        .order_by("organization__code", "elected_on")
        .values_list("organization__code", "elected_on", "term_years")
    )
    files[TERMS.name] = _csv(TERMS.columns, ((c, d.isoformat(), y) for c, d, y in terms))
    members = (
        Member.objects.filter(organization_id__in=ids, status__in=ON_ROLL_STATUSES)
        if org is not None
        else Member.objects.filter(status__in=ON_ROLL_STATUSES)
    )
    member_rows = members.order_by("member_no").values_list(
        "member_no",
        "name",
        "gender",
        "birth_date",
        "id_number_encrypted",
        "phone_encrypted",
        "organization__code",
        "status",
        "joined_on",
        "full_on",
        "fee_category",
        "fee_base_fen",
    )

    from dangjian.core import crypto

    files[MEMBERS.name] = _csv(
        MEMBERS.columns,
        (
            (
                no,
                name,
                gender,
                birth.isoformat(),
                crypto.decrypt(idn),
                crypto.decrypt(phone),
                code,
                status,
                joined.isoformat(),
                full.isoformat() if full else "",
                cat,
                fen_to_yuan(fee),
            )
            for no, name, gender, birth, idn, phone, code, status, joined, full, cat, fee in member_rows.iterator(
                chunk_size=5000
            )
        ),
    )
    posts = (
        Post.objects.filter(
            organization__in=orgs, ended_on__isnull=True, member__status__in=ON_ROLL_STATUSES
        )
        .order_by("organization__code", "post", "member__member_no")
        .values_list("organization__code", "member__member_no", "post")
    )
    files[POSTS.name] = _csv(POSTS.columns, posts)
    from dangjian.fees.interchange import export_rows

    fee_rows = list(export_rows(members.values("id") if org is not None else None))
    if fee_rows:  # a deployment without a ledger exports no fees.csv
        files[FEES.name] = _csv(FEES.columns, fee_rows)
    from dangjian.meetings.interchange import export_rows as meeting_rows

    meetings = list(meeting_rows(orgs.values("id")))
    if meetings:  # a deployment without meeting records exports no meetings.csv
        files[MEETINGS.name] = _csv(MEETINGS.columns, meetings)
    from dangjian.recruitment.interchange import export_rows as recruitment_rows

    people = list(recruitment_rows(orgs.values("id")))
    if people:  # a deployment without recruitment records exports no recruitment.csv
        files[RECRUITMENT.name] = _csv(RECRUITMENT.columns, people)
    from dangjian.transfers.interchange import export_rows as transfer_rows

    letters = list(transfer_rows(orgs.values("id")))
    if letters:  # a deployment without transfer letters exports no transfers.csv
        files[TRANSFERS.name] = _csv(TRANSFERS.columns, letters)
    from dangjian.learning.interchange import export_rows as study_rows

    years = list(study_rows(orgs.values("id")))
    if years:  # a deployment without study records exports no study.csv
        files[STUDY.name] = _csv(STUDY.columns, years)
    return files


def export_bundle_dir(
    directory: str | Path, *, org: Organization | None = None, actor: Any = None
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
