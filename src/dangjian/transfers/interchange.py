"""transfers.csv in the interchange bundle: member_no, from_org_code, to_org_code (empty when
leaving the
deployment), to_name, issued_on, valid_days, accepted_on (empty while open). Validated with the
rest of
the bundle (all or nothing); upserted by (member, issued_on)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from dangjian.core.bundle import (
    BundleContext,
    BundleFile,
    ExportScope,
    FileCounts,
    FileSpec,
    Table,
    register,
)
from dangjian.core.lookups import batches
from dangjian.members.interchange import known_members
from dangjian.members.selectors import member_ids
from dangjian.orgs.interchange import org_ids, org_index
from dangjian.orgs.models import Organization

from .models import Transfer, TransferStatus

MAX_VALID_DAYS = 180  # rules.md §5: configurable, default 3 months, hard maximum 6


TRANSFERS = FileSpec(
    "transfers.csv",
    "组织关系转接",
    (
        "member_no",
        "from_org_code",
        "to_org_code",
        "to_name",
        "issued_on",
        "valid_days",
        "accepted_on",
    ),
    {
        "member_no": 32,
        "from_org_code": 32,
        "to_org_code": 32,
        "to_name": 100,
        "issued_on": 10,
        "valid_days": 4,
        "accepted_on": 10,
    },
    {
        "member_no": "党员编号",
        "from_org_code": "转出组织代码",
        "to_org_code": "转入组织代码",
        "to_name": "接收组织名称",
        "issued_on": "开具日期",
        "valid_days": "有效期（天）",
        "accepted_on": "接收日期",
    },
)


@dataclass
class TransferRow:
    line: int
    member_no: str
    from_code: str
    to_code: str
    to_name: str
    issued_on: date
    valid_days: int
    accepted_on: date | None


def check_transfers(ctx: BundleContext, table: Table) -> list[TransferRow]:
    f = table.label or TRANSFERS.name
    orgs = org_index(ctx)
    today = timezone.localdate()
    nos = sorted({r["member_no"].strip() for r in table.rows})
    known = known_members(ctx, nos)
    codes = sorted(
        {r[c].strip() for r in table.rows for c in ("from_org_code", "to_org_code") if r[c].strip()}
    )
    kinds = dict(Organization.objects.filter(code__in=codes).values_list("code", "kind"))
    kinds.update({o.code: o.kind for o in orgs.file.values()})
    db_open: dict[str, date | None] = {}
    for batch in batches(nos):
        db_open.update(
            Transfer.objects.filter(
                member__member_no__any=batch, status=TransferStatus.OPEN
            ).values_list("member__member_no", "issued_on")
        )
    closed_in_file = {
        (r["member_no"].strip(), r["issued_on"].strip())
        for r in table.rows
        if r["accepted_on"].strip()
    }
    out: list[TransferRow] = []
    seen: dict[tuple[str, date], int] = {}
    open_rows: dict[str, int] = {}
    for row, line in zip(table.rows, table.line_numbers, strict=True):
        ok = True
        no = row["member_no"].strip()
        if no not in known:
            ctx.err(f, line, "member_no", f"党员“{no}”不存在")
            ok = False
        src, dst, name = (
            row["from_org_code"].strip(),
            row["to_org_code"].strip(),
            row["to_name"].strip(),
        )
        if not orgs.exists(src):
            ctx.err(f, line, "from_org_code", f"组织“{src}”不存在")
            ok = False
        if dst:
            if not orgs.exists(dst):
                ctx.err(f, line, "to_org_code", f"组织“{dst}”不存在")
                ok = False
            elif dst == src:
                ctx.err(f, line, "to_org_code", "不能转入本组织")
                ok = False
            elif kinds.get(dst) == "group":
                ctx.err(f, line, "to_org_code", f"“{dst}”是党小组，组织关系应转入党支部")
                ok = False
        elif not name:
            ctx.err(f, line, "to_name", "转出本系统的，请填写接收党组织名称")
            ok = False
        issued = ctx.date(f, line, "issued_on", row["issued_on"], "介绍信开具日期")
        if issued is not None and issued > today:
            ctx.err(f, line, "issued_on", "介绍信开具日期不能晚于今天")
            ok = False
        raw_days = row["valid_days"].strip()
        days = int(raw_days) if raw_days.isdecimal() else 0
        if not 1 <= days <= MAX_VALID_DAYS:
            ctx.err(
                f, line, "valid_days", f"有效期“{raw_days}”应为1至{MAX_VALID_DAYS}天（最长6个月）"
            )
            ok = False
        accepted = None
        if row["accepted_on"].strip():
            accepted = ctx.date(
                f, line, "accepted_on", row["accepted_on"], "接收日期", required=False
            )
            if accepted is None:
                ok = False
            elif accepted > today or (issued is not None and accepted < issued):
                ctx.err(f, line, "accepted_on", "接收日期应在开具日期之后、今天之前")
                ok = False
        if issued is None:
            ok = False
        if ok and issued is not None:
            if (no, issued) in seen:
                ctx.err(f, line, None, f"与第{seen[(no, issued)]}行重复（同一党员同一天的介绍信）")
                continue
            seen[(no, issued)] = line
            if accepted is None:
                other = db_open.get(no)
                if (
                    other is not None
                    and other != issued
                    and (no, f"{other:%Y-%m-%d}") not in closed_in_file
                ):
                    ctx.err(
                        f,
                        line,
                        "member_no",
                        f"党员“{no}”已有正在办理的转接（{other:%Y-%m-%d}开具的介绍信）",
                    )
                    continue
                if no in open_rows:
                    ctx.err(
                        f, line, "member_no", f"党员“{no}”已有正在办理的转接（第{open_rows[no]}行）"
                    )
                    continue
                open_rows[no] = line
            out.append(TransferRow(line, no, src, dst, name, issued, days, accepted))
    return out


def write_transfers(ctx: BundleContext, rows: list[TransferRow], counts: FileCounts) -> None:
    ids_by_code = org_ids(ctx)
    if not rows:
        return
    members = member_ids(r.member_no for r in rows)
    existing = {
        (t.member_id, t.issued_on): t
        for t in Transfer.objects.filter(member_id__in=members.values())
    }
    creates, updates = [], []
    fields = ["from_org_id", "to_org_id", "to_name", "valid_days", "accepted_on", "status"]
    for r in rows:
        values = {
            "from_org_id": ids_by_code[r.from_code],
            "to_org_id": ids_by_code[r.to_code] if r.to_code else None,
            "to_name": r.to_name[:100],
            "valid_days": r.valid_days,
            "accepted_on": r.accepted_on,
            "status": TransferStatus.ACCEPTED if r.accepted_on else TransferStatus.OPEN,
        }
        t = existing.get((members[r.member_no], r.issued_on))
        if t is None:
            creates.append(
                Transfer(
                    member_id=members[r.member_no],
                    issued_on=r.issued_on,
                    source="import",
                    letter_no=f"ZJ{r.issued_on:%Y%m%d}-{r.member_no}"[:30],
                    **values,
                )
            )
        elif any(getattr(t, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(t, k, v)
            updates.append(t)
        else:
            counts.unchanged += 1
    Transfer.objects.bulk_update(
        updates, fields, batch_size=2000
    )  # closes letters first: one open letter per member
    Transfer.objects.bulk_create(creates, batch_size=2000)
    counts.created += len(creates)
    counts.updated += len(updates)


def export_transfers(scope: ExportScope) -> Iterator[tuple[str, ...]]:
    org_ids = scope.org_ids
    qs = Transfer.objects.exclude(
        status__in=[TransferStatus.REJECTED, TransferStatus.CANCELLED]
    ).filter(issued_on__isnull=False)
    if org_ids is not None:
        qs = qs.filter(from_org_id__in=org_ids)
    for r in qs.order_by("member__member_no", "issued_on").values(
        "member__member_no",
        "from_org__code",
        "to_org__code",
        "to_name",
        "issued_on",
        "valid_days",
        "accepted_on",
    ):
        yield (
            r["member__member_no"],
            r["from_org__code"],
            r["to_org__code"] or "",
            r["to_name"],
            f"{r['issued_on']:%Y-%m-%d}",
            str(r["valid_days"]),
            f"{r['accepted_on']:%Y-%m-%d}" if r["accepted_on"] else "",
        )


register(
    BundleFile(
        TRANSFERS,
        check_transfers,
        write_transfers,
        export_transfers,
        after=("orgs.csv", "members.csv"),
        models=(Transfer,),
    )
)
