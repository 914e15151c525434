"""fees.csv in the interchange bundle: member_no, month, due, paid, paid_on (empty when unpaid).

Validated with the rest of the bundle (all or nothing) and written as ledger rows (upserted by
member and month; an unchanged row is not written again)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone

from dangjian.core.bulk import fast_insert
from dangjian.core.bundle import (
    BundleContext,
    BundleFile,
    ExportScope,
    FileCounts,
    FileSpec,
    Table,
    Upload,
    register,
)
from dangjian.core.errors import DomainError
from dangjian.core.lookups import batches
from dangjian.members.interchange import file_members
from dangjian.members.models import Member

from .bands import parse_yuan, yuan
from .models import FeeMonth, FeeRollup, month_index, month_label
from .services import rollup_refresh_touched

FEES = FileSpec(
    "fees.csv",
    "党费",
    ("member_no", "month", "due", "paid", "paid_on"),
    {"member_no": 32, "month": 7, "due": 15, "paid": 15, "paid_on": 10},
    {
        "member_no": "党员编号",
        "month": "月份",
        "due": "应缴",
        "paid": "实缴",
        "paid_on": "缴纳日期",
    },
)

PAYMENTS_UPLOAD = Upload(
    kind="fees",
    title="党费交纳导入",
    unit="条",
    steps=(
        "表头：member_no（党员编号）、month（月份 YYYY-MM）、due（应缴，元）、paid（实缴，元）、"
        "paid_on（交纳日期）。",
        "每行一名党员一个月；只能是您管理范围内的党员、尚未足额交纳的月份，实缴须等于应缴。",
        "上传 .xlsx 或 UTF-8 编码的 .csv 文件（不超过20MB，不能含公式或宏）。",
    ),
    rules={
        "member_no": "必填，您管理范围内的党员编号",
        "month": "交纳的月份 YYYY-MM，尚未足额交纳",
        "due": "应缴金额（元），两位小数，须与台账一致",
        "paid": "实缴金额（元），须等于应缴",
        "paid_on": "交纳日期 YYYY-MM-DD，不晚于今天",
    },
    example=("M0001", "2026-01", "12.00", "12.00", "2026-01-15"),
    sheet="党费交纳",
    file_label="党费交纳文件（.xlsx 或 .csv，UTF-8）",
)


@dataclass
class FeeRow:
    line: int
    member_no: str
    month_index: int
    due_fen: int
    paid_fen: int | None
    paid_on: date | None


def parse_month(raw: str) -> int | None:
    text = (raw or "").strip()
    if len(text) != 7 or text[4] != "-" or not (text[:4].isdecimal() and text[5:].isdecimal()):
        return None
    year, month = int(text[:4]), int(text[5:])
    if not (1921 <= year <= 2100 and 1 <= month <= 12):
        return None
    return month_index(year, month)


def check_fees(ctx: BundleContext, table: Table) -> list[FeeRow]:
    """Check every row; issues go to the context (file, line, column, reason)."""
    f = table.label or FEES.name
    members_in_file = file_members(ctx)
    wanted = sorted({r["member_no"] for r in table.rows} - set(members_in_file))
    known: dict[str, date] = {}
    paths: dict[str, str] = {}
    mids: dict[str, int] = {}
    for batch in batches(wanted):
        for no, joined, path, mid in Member.objects.filter(member_no__any=batch).values_list(
            "member_no", "joined_on", "organization__path", "id"
        ):
            known[no], paths[no], mids[no] = joined, path, mid
    # the web import of payments (scope_paths set) is stricter than a bundle: only members in the
    # user's scope, only months not yet paid in full, and each amount exactly what is due
    strict = ctx.scope_paths is not None
    ledger: dict[tuple[int, int], tuple[int, int | None]] = {}
    if strict:
        ids = sorted(mids.values())
        for id_batch in batches(ids):
            for mid, m_idx, due, paid in FeeMonth.objects.filter(
                member_id__any=id_batch
            ).values_list("member_id", "month_index", "due_fen", "paid_fen"):
                ledger[(mid, m_idx)] = (due, paid)
    for m in members_in_file.values():
        known[m.member_no] = m.joined_on
    out: list[FeeRow] = []
    seen: dict[tuple[str, int], int] = {}
    fen_of: dict[str, int] = {}  # a ledger repeats few amounts: each text parsed once
    month_of = functools.cache(parse_month)  # a year of months: each text parsed once
    today = date.today()  # noqa: DTZ011 - a calendar bound only
    bad = object()

    def amount(raw: str, col: str, label: str, line: int) -> Any:
        try:
            fen = fen_of[raw] = parse_yuan(raw, col, label)
        except DomainError as exc:
            ctx.err(f, line, col, exc.message)
            return bad
        return fen

    # one pass over a district's 400,000 months: each check inline, amounts and dates from caches
    for row, line in zip(table.rows, table.line_numbers, strict=True):
        ok = True
        no = row["member_no"].strip()
        if no not in known:
            ctx.err(f, line, "member_no", f"党员“{no}”不存在")
            ok = False
        idx = month_of(row["month"])
        if idx is None:
            ctx.err(f, line, "month", f"月份“{row['month']}”应为YYYY-MM")
            ok = False
        raw = row["due"].strip()
        due_fen = fen_of.get(raw)
        if due_fen is None and (due_fen := amount(raw, "due", "应缴", line)) is bad:
            ok, due_fen = False, None
        raw = row["paid"].strip()
        paid_fen = fen_of.get(raw) if raw else None
        if raw and paid_fen is None and (paid_fen := amount(raw, "paid", "实缴", line)) is bad:
            ok, paid_fen = False, None
        paid_on = None
        if row["paid_on"].strip():
            paid_on = ctx.date(f, line, "paid_on", row["paid_on"], "缴纳日期", required=False)
            if paid_on is None:
                ok = False
            elif paid_on > today:
                ctx.err(f, line, "paid_on", "缴纳日期不能晚于今天")
                ok = False
        if ok and paid_fen and paid_fen > 0 and paid_on is None:
            ctx.err(f, line, "paid_on", "已缴纳的月份须填写缴纳日期")
            ok = False
        if ok and not paid_fen and paid_on is not None:
            ctx.err(f, line, "paid_on", "未缴纳的月份缴纳日期应为空")
            ok = False
        if ok and strict and idx is not None:
            if no in members_in_file or not any(
                paths.get(no, "").startswith(p) for p in ctx.scope_paths or []
            ):
                ctx.err(f, line, "member_no", f"党员“{no}”不在您的管理范围内")
                ok = False
            else:
                due_now, paid_now = ledger.get((mids[no], idx), (None, None))
                if (
                    paid_now is not None
                    and due_now is not None
                    and paid_now >= due_now
                    and paid_now > 0
                ):
                    ctx.err(f, line, "month", f"{row['month']}已足额缴纳")
                    ok = False
                elif due_now is not None and due_fen != due_now:
                    ctx.err(f, line, "due", f"应缴{row['due']}元与台账（{yuan(due_now)}元）不符")
                    ok = False
                elif paid_fen is not None and paid_fen != due_fen:
                    ctx.err(
                        f,
                        line,
                        "paid",
                        f"实缴{row['paid']}元与应缴{row['due']}元不一致（应足额交纳）",
                    )
                    ok = False
        if ok and idx is not None:
            key = (no, idx)
            if key in seen:
                ctx.err(f, line, "month", f"与第{seen[key]}行重复（同一党员同一月份）")
            else:
                out.append(FeeRow(line, no, idx, due_fen or 0, paid_fen, paid_on))
            seen[key] = line
    return out


def write_fees(ctx: BundleContext, rows: list[FeeRow], counts: FileCounts) -> None:
    """Upsert ledger rows by (member, month): new rows in bulk, changed rows updated, the rest
    untouched."""
    nos = sorted({r.member_no for r in rows})
    members: dict[str, tuple[int, int]] = {}
    for batch in batches(nos):
        for no, mid, oid in Member.objects.filter(member_no__any=batch).values_list(
            "member_no", "id", "organization_id"
        ):
            members[no] = (mid, oid)
    existing: dict[tuple[int, int], tuple[int, int, int | None, date | None, int]] = {}
    mids = sorted({m for m, _o in members.values()})
    for id_batch in batches(mids):
        for pk, mid, idx, due, paid, paid_on, oid in FeeMonth.objects.filter(
            member_id__any=id_batch
        ).values_list(
            "id", "member_id", "month_index", "due_fen", "paid_fen", "paid_on", "organization_id"
        ):
            existing[(mid, idx)] = (pk, due, paid, paid_on, oid)
    touched: set[int] = set()  # organizations whose roll-up moves
    now = timezone.now()
    creates, updates = [], []
    label_of = functools.cache(month_label)
    for r in rows:
        mid, oid = members[r.member_no]
        old = existing.get((mid, r.month_index))
        if old is None:
            touched.add(oid)
            creates.append(
                (
                    mid,
                    oid,
                    r.month_index,
                    label_of(r.month_index),
                    r.due_fen,
                    r.paid_fen,
                    r.paid_on,
                    "import" if r.paid_fen else "",
                    now,
                    now,
                )
            )
        elif (old[1], old[2], old[3]) != (r.due_fen, r.paid_fen, r.paid_on):
            touched.add(old[4])  # the ledger row's own organization (it stays where it was paid)
            updates.append(
                FeeMonth(
                    id=old[0],
                    due_fen=r.due_fen,
                    paid_fen=r.paid_fen,
                    paid_on=r.paid_on,
                    channel="import" if r.paid_fen else "",
                )
            )
        else:
            counts.unchanged += 1
    fast_insert(
        FeeMonth,
        [
            "member_id",
            "organization_id",
            "month_index",
            "month",
            "due_fen",
            "paid_fen",
            "paid_on",
            "channel",
            "created_at",
            "updated_at",
        ],
        creates,
    )
    FeeMonth.objects.bulk_update(
        updates, ["due_fen", "paid_fen", "paid_on", "channel"], batch_size=2000
    )
    if creates or updates:
        # last in the import: the refresh holds the deployment's roll-up lock until the commit
        months, orgs = sorted({r.month_index for r in rows}), sorted(touched)
        ctx.at_end(lambda: rollup_refresh_touched(months, orgs))
    counts.created += len(creates)
    counts.updated += len(updates)


def export_fees(scope: ExportScope) -> Any:
    """Every ledger row of the deployment, or of the scope's members on the roll."""
    qs = (
        FeeMonth.objects.all()
        if scope.whole
        else FeeMonth.objects.filter(member_id__in=scope.member_ids)
    )
    for no, month, due, paid, paid_on in (
        qs.order_by("member__member_no", "month_index")
        .values_list("member__member_no", "month", "due_fen", "paid_fen", "paid_on")
        .iterator(chunk_size=20000)
    ):
        yield (no, month, yuan(due), yuan(paid), paid_on.isoformat() if paid_on else "")


register(
    BundleFile(
        FEES,
        check_fees,
        write_fees,
        export_fees,
        after=("members.csv",),
        models=(FeeMonth, FeeRollup),
        upload=PAYMENTS_UPLOAD,
    )
)
