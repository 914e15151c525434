"""study.csv in the interchange bundle: member_no, year, hours — a member's study hours in a
calendar
year (the total, from whatever system counted them). Validated with the rest of the bundle (all or
nothing). Imports store the part of the total not already measured here (online study and offline
sessions), so the year's hours become exactly the file's; exports write the year's total."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
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
    register,
)
from dangjian.members.interchange import known_members
from dangjian.members.models import Member
from dangjian.members.selectors import member_ids

from .models import OfflineAttendance, StudyDay, StudyYear
from .selectors import measured, online_hours

STUDY = FileSpec(
    "study.csv",
    "学习学时",
    ("member_no", "year", "hours"),
    {"member_no": 32, "year": 4, "hours": 7},
    {"member_no": "党员编号", "year": "年度", "hours": "学时"},
)


@dataclass
class StudyRow:
    line: int
    member_no: str
    year: int
    hours: Decimal


def check_study(ctx: BundleContext, table: Table) -> list[StudyRow]:
    f = table.label or STUDY.name
    this_year = timezone.localdate().year
    known = known_members(ctx, (r["member_no"].strip() for r in table.rows))
    out: list[StudyRow] = []
    seen: dict[tuple[str, int], int] = {}
    for row, line in zip(table.rows, table.line_numbers, strict=True):
        no, raw_year, raw_hours = (
            row["member_no"].strip(),
            row["year"].strip(),
            row["hours"].strip(),
        )
        ok = True
        if no not in known:
            ctx.err(f, line, "member_no", f"党员“{no}”不存在")
            ok = False
        year = int(raw_year) if raw_year.isdecimal() else 0
        if not 2000 <= year <= this_year:
            ctx.err(f, line, "year", f"年度“{raw_year}”应为2000至{this_year}年")
            ok = False
        try:
            hours = Decimal(raw_hours)
            if (
                not hours.is_finite()
                or hours < 0
                or hours > 2000
                or hours != hours.quantize(Decimal("0.1"))
            ):
                raise InvalidOperation
        except InvalidOperation:
            ctx.err(f, line, "hours", f"学时“{raw_hours}”应为0至2000的数，最多1位小数")
            ok = False
        if not ok:
            continue
        if (no, year) in seen:
            ctx.err(f, line, None, f"与第{seen[(no, year)]}行重复（同一党员同一年度）")
            continue
        seen[(no, year)] = line
        out.append(StudyRow(line, no, year, hours.quantize(Decimal("0.1"))))
    return out


def _measured(members: Any, years: set[int]) -> dict[tuple[int, int], Decimal]:
    """Hours measured here (online + offline) per (member, year), as the platform shows them."""
    if not (StudyDay.objects.exists() or OfflineAttendance.objects.exists()):
        return {}
    return {
        (mid, y): online_hours(secs) + offline
        for y in years
        for mid, (secs, offline) in measured(members, y).items()
    }


def write_study(ctx: BundleContext, rows: list[StudyRow], counts: FileCounts) -> None:
    if not rows:
        return
    members = member_ids(r.member_no for r in rows)
    years = {r.year for r in rows}
    ids = sorted(set(members.values()))
    if len(ids) * 2 > Member.objects.count():
        # most of the deployment: the years' measured hours and imported rows of every member
        # (grouped queries; no list of ids)
        here = _measured(None, years)
        existing = {(s.member_id, s.year): s for s in StudyYear.objects.filter(year__in=years)}
    else:
        # a part (a district's bundle into a province): its members only, by id in batches
        here, existing = {}, {}
        for i in range(0, len(ids), 5000):
            batch = ids[i : i + 5000]
            here.update(_measured(batch, years))
            existing.update(
                {
                    (s.member_id, s.year): s
                    for s in StudyYear.objects.filter(year__in=years, member_id__in=batch)
                }
            )
    creates: list[tuple[int, int, Decimal]] = []
    updates: list[StudyYear] = []
    for r in rows:
        mid = members[r.member_no]
        imported = max(Decimal(0), r.hours - here.get((mid, r.year), Decimal(0)))
        s = existing.get((mid, r.year))
        if s is None:
            creates.append((mid, r.year, imported))
        elif s.hours != imported:
            s.hours = imported
            updates.append(s)
        else:
            counts.unchanged += 1

    fast_insert(StudyYear, ["member_id", "year", "hours"], creates)
    StudyYear.objects.bulk_update(updates, ["hours"], batch_size=5000)
    counts.created += len(creates)
    counts.updated += len(updates)


def export_study(scope: ExportScope) -> Iterator[tuple[str, ...]]:
    org_ids = scope.org_ids
    """member_no, year, hours: every member-year with imported or measured hours (the total)."""
    members = (
        Member.objects.all()
        if org_ids is None
        else Member.objects.filter(organization_id__in=org_ids)
    )
    ids_by_no = dict(members.values_list("id", "member_no"))
    totals: dict[tuple[int, int], Decimal] = {}
    for mid, y, h in StudyYear.objects.filter(member_id__in=members.values("id")).values_list(
        "member_id", "year", "hours"
    ):
        totals[(mid, y)] = Decimal(h)
    years = {
        d.year
        for d in StudyDay.objects.filter(member_id__in=members.values("id")).dates("day", "year")
    }
    years |= {
        d.year
        for d in OfflineAttendance.objects.filter(member_id__in=members.values("id")).dates(
            "session__held_on", "year"
        )
    }
    for key, h in _measured(members.values("id"), years).items():
        totals[key] = totals.get(key, Decimal(0)) + h
    for (mid, y), h in sorted(
        totals.items(), key=lambda kv: (ids_by_no.get(kv[0][0], ""), kv[0][1])
    ):
        if mid in ids_by_no and h > 0:
            yield (ids_by_no[mid], str(y), f"{h.quantize(Decimal('0.1'))}".rstrip("0").rstrip("."))


register(
    BundleFile(
        STUDY,
        check_study,
        write_study,
        export_study,
        after=("members.csv",),
        models=(StudyYear,),
    )
)
