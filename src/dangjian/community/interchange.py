"""近邻党建's bundle files (docs/interchange.md):

- places.csv     code, name, community, households, property_party (yes/no), covered_by
- residence.csv  member_no, place
- reports.csv    member_no, community, reported_on
- services.csv   member_no, community, done_on, hours

Checked with the rest of the bundle (all or nothing; every fault named by file, row and column);
an import of what an export wrote changes nothing, and exporting again gives the same files.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from dangjian.core.bundle import (
    NO,
    YES,
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
from dangjian.orgs.interchange import OrgIndex, org_ids, org_index

from .models import Place, Report, Residence, Service
from .selectors import COMMUNITY_KINDS

PLACES = FileSpec(
    "places.csv",
    "小区",
    ("code", "name", "community", "households", "property_party", "covered_by"),
    {
        "code": 32,
        "name": 100,
        "community": 32,
        "households": 7,
        "property_party": 5,
        "covered_by": 32,
    },
    {
        "code": "小区代码",
        "name": "小区名称",
        "community": "所属社区（组织代码）",
        "households": "户数",
        "property_party": "物业企业已建党组织（yes/no）",
        "covered_by": "覆盖的党组织（组织代码，可空）",
    },
)
RESIDENCE = FileSpec(
    "residence.csv",
    "党员居住小区",
    ("member_no", "place"),
    {"member_no": 32, "place": 32},
    {"member_no": "党员编号", "place": "小区代码"},
)
REPORTS = FileSpec(
    "reports.csv",
    "在职党员报到",
    ("member_no", "community", "reported_on"),
    {"member_no": 32, "community": 32, "reported_on": 10},
    {"member_no": "党员编号", "community": "报到社区（组织代码）", "reported_on": "报到日期"},
)
SERVICES = FileSpec(
    "services.csv",
    "社区服务",
    ("member_no", "community", "done_on", "hours"),
    {"member_no": 32, "community": 32, "done_on": 10, "hours": 5},
    {
        "member_no": "党员编号",
        "community": "服务社区（组织代码）",
        "done_on": "服务日期",
        "hours": "时长（小时）",
    },
)
IMPORTED_SERVICE = "社区服务（导入）"


def community_code(index: OrgIndex, code: str) -> str:
    """ "" when `code` is a community (category 社区, a 党委 or 党总支, under a street of category
    社区), else the reason it is not one."""
    if not index.exists(code):
        return f"组织“{code}”不存在"
    parent = index.parent_of.get(code, "")
    if (
        index.category(code) != "community"
        or index.kind_of.get(code) not in COMMUNITY_KINDS
        or not parent
        or index.category(parent) != "community"
    ):
        return f"“{code}”不是社区党组织（应为街道下的社区党委或党总支）"
    return ""


# ---------------------------------------------------------------- places.csv


@dataclass
class PlaceRow:
    line: int
    code: str
    name: str
    community: str
    households: int
    property_party: bool
    covered_by: str


def check_places(ctx: BundleContext, table: Table) -> list[PlaceRow]:
    f = table.label or PLACES.name
    index = org_index(ctx)
    out: list[PlaceRow] = []
    seen: dict[str, int] = {}
    for row, line in zip(table.rows, table.line_numbers, strict=True):
        code, name, comm = row["code"].strip(), row["name"].strip(), row["community"].strip()
        raw_h, raw_p, cover = (
            row["households"].strip(),
            row["property_party"].strip().lower(),
            row["covered_by"].strip(),
        )
        ok = True
        if not code:
            ctx.err(f, line, "code", "小区代码不能为空")
            ok = False
        elif code in seen:
            ctx.err(f, line, "code", f"小区代码“{code}”与第{seen[code]}行重复")
            ok = False
        else:
            seen[code] = line
        if not name:
            ctx.err(f, line, "name", "小区名称不能为空")
            ok = False
        reason = community_code(index, comm)
        if reason:
            ctx.err(f, line, "community", reason)
            ok = False
        if not (raw_h.isdecimal() and int(raw_h) <= 1_000_000):
            ctx.err(f, line, "households", f"户数“{raw_h}”应为0至1000000的整数")
            ok = False
        if raw_p not in YES + NO:
            ctx.err(f, line, "property_party", f"“{raw_p}”应为 yes 或 no")
            ok = False
        if cover and (
            not index.exists(cover) or not (cover == comm or comm in index.ancestors_or_self(cover))
        ):
            ctx.err(f, line, "covered_by", f"“{cover}”不是该社区或其下级党组织")
            ok = False
        if not ok:
            continue
        out.append(PlaceRow(line, code, name, comm, int(raw_h), raw_p in YES, cover))
    return out


def write_places(ctx: BundleContext, rows: list[PlaceRow], counts: FileCounts) -> None:
    if not rows:
        return
    ids = org_ids(ctx)
    existing = {p.code: p for p in Place.objects.filter(code__in=[r.code for r in rows])}
    creates, updates = [], []
    for r in rows:
        values = {
            "name": r.name,
            "community_id": ids[r.community],
            "households": r.households,
            "property_party": r.property_party,
            "covered_by_id": ids[r.covered_by] if r.covered_by else None,
        }
        p = existing.get(r.code)
        if p is None:
            creates.append(Place(code=r.code, **values))
        elif any(getattr(p, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(p, k, v)
            updates.append(p)
        else:
            counts.unchanged += 1
    Place.objects.bulk_create(creates, batch_size=5000)
    Place.objects.bulk_update(updates, list(values), batch_size=5000)
    counts.created += len(creates)
    counts.updated += len(updates)


def _in_scope(scope: ExportScope, field: str) -> dict[str, Any]:
    """Rows whose community (`field`) is in the exported subtree and is still a community there:
    not the subtree's root, whose street the bundle leaves out."""
    if scope.org_ids is None:
        return {}
    ids = scope.org_ids if scope.root is None else scope.org_ids.exclude(pk=scope.root.pk)
    return {f"{field}__in": ids}


def export_places(scope: ExportScope) -> Iterator[tuple[str, ...]]:
    for code, name, comm, h, party, cover in (
        Place.objects.filter(**_in_scope(scope, "community_id"))
        .order_by("code")
        .values_list(
            "code", "name", "community__code", "households", "property_party", "covered_by__code"
        )
    ):
        yield (code, name, comm, str(h), "yes" if party else "no", cover or "")


# ---------------------------------------------------------------- residence.csv


def _places_known(ctx: BundleContext, codes: set[str]) -> dict[str, str]:
    """Place code → its community's code, from places.csv and the database."""
    known = {r.code: r.community for r in ctx.rows.get(PLACES.name, [])}
    missing = codes - set(known)
    if missing:
        known.update(Place.objects.filter(code__in=missing).values_list("code", "community__code"))
    return known


def check_residence(ctx: BundleContext, table: Table) -> list[tuple[int, str, str]]:
    f = table.label or RESIDENCE.name
    members = known_members(ctx, (r["member_no"].strip() for r in table.rows))
    places = _places_known(ctx, {r["place"].strip() for r in table.rows})
    out: list[tuple[int, str, str]] = []
    seen: dict[str, int] = {}
    for row, line in zip(table.rows, table.line_numbers, strict=True):
        no, place = row["member_no"].strip(), row["place"].strip()
        ok = True
        if no not in members:
            ctx.err(f, line, "member_no", f"党员“{no}”不存在")
            ok = False
        elif no in seen:
            ctx.err(f, line, "member_no", f"与第{seen[no]}行重复（一名党员只填一个居住小区）")
            ok = False
        if place not in places:
            ctx.err(f, line, "place", f"小区“{place}”不存在")
            ok = False
        if ok:
            seen[no] = line
            out.append((line, no, place))
    return out


def write_residence(
    ctx: BundleContext, rows: list[tuple[int, str, str]], counts: FileCounts
) -> None:
    if not rows:
        return
    members = member_ids(no for _, no, _ in rows)
    places = dict(Place.objects.filter(code__in={p for _, _, p in rows}).values_list("code", "id"))
    existing = dict(
        Residence.objects.filter(member_id__in=list(members.values())).values_list(
            "member_id", "place_id"
        )
    )
    creates, updates = [], []
    for _, no, code in rows:
        mid, pid = members[no], places[code]
        if mid not in existing:
            creates.append(Residence(member_id=mid, place_id=pid))
        elif existing[mid] != pid:
            updates.append(Residence(member_id=mid, place_id=pid))
        else:
            counts.unchanged += 1
    Residence.objects.bulk_create(creates, batch_size=5000)
    Residence.objects.bulk_update(updates, ["place_id"], batch_size=5000)
    counts.created += len(creates)
    counts.updated += len(updates)


def _members(scope: ExportScope) -> Any:
    return (
        Member.objects.all()
        if scope.org_ids is None
        else Member.objects.filter(organization_id__in=scope.org_ids)
    )


def export_residence(scope: ExportScope) -> Iterator[tuple[str, ...]]:
    # a subtree's bundle names only 小区 it holds (a member living elsewhere is left out)
    yield from (
        Residence.objects.filter(
            member__in=_members(scope), **_in_scope(scope, "place__community_id")
        )
        .order_by("member__member_no")
        .values_list("member__member_no", "place__code")
    )


# ---------------------------------------------------------------- reports.csv


@dataclass
class ReportRow:
    line: int
    member_no: str
    community: str
    reported_on: date


def _file_reports(ctx: BundleContext) -> dict[tuple[str, int], ReportRow]:
    return {(r.member_no, r.reported_on.year): r for r in ctx.rows.get(REPORTS.name, [])}


def check_reports(ctx: BundleContext, table: Table) -> list[ReportRow]:
    f = table.label or REPORTS.name
    index = org_index(ctx)
    members = known_members(ctx, (r["member_no"].strip() for r in table.rows))
    today = timezone.localdate()
    out: list[ReportRow] = []
    seen: dict[tuple[str, int], int] = {}
    for row, line in zip(table.rows, table.line_numbers, strict=True):
        no, comm = row["member_no"].strip(), row["community"].strip()
        ok = True
        if no not in members:
            ctx.err(f, line, "member_no", f"党员“{no}”不存在")
            ok = False
        reason = community_code(index, comm)
        if reason:
            ctx.err(f, line, "community", reason)
            ok = False
        on = ctx.date(f, line, "reported_on", row["reported_on"], "报到日期")
        if on is not None and on > today:
            ctx.err(f, line, "reported_on", "报到日期不能晚于今天")
            ok = False
        if on is None or not ok:
            continue
        if (no, on.year) in seen:
            ctx.err(f, line, "member_no", f"与第{seen[(no, on.year)]}行重复（一年只报到一次）")
            continue
        seen[(no, on.year)] = line
        out.append(ReportRow(line, no, comm, on))
    return out


def write_reports(ctx: BundleContext, rows: list[ReportRow], counts: FileCounts) -> None:
    if not rows:
        return
    members = member_ids(r.member_no for r in rows)
    ids = org_ids(ctx)
    existing = {
        (r.member_id, r.year): r
        for r in Report.objects.filter(member_id__in=list(members.values()))
    }
    creates, updates = [], []
    for r in rows:
        mid, year = members[r.member_no], r.reported_on.year
        cid = ids[r.community]
        old = existing.get((mid, year))
        if old is None:
            creates.append(
                Report(
                    member_id=mid,
                    community_id=cid,
                    year=year,
                    reported_on=r.reported_on,
                    confirmed_on=r.reported_on,  # confirmed where it was recorded
                )
            )
        elif (old.community_id, old.reported_on) != (cid, r.reported_on):
            old.community_id, old.reported_on = cid, r.reported_on
            updates.append(old)
        else:
            counts.unchanged += 1
    Report.objects.bulk_create(creates, batch_size=5000)
    Report.objects.bulk_update(updates, ["community_id", "reported_on"], batch_size=5000)
    counts.created += len(creates)
    counts.updated += len(updates)


def export_reports(scope: ExportScope) -> Iterator[tuple[str, ...]]:
    for no, comm, on in (
        Report.objects.filter(member__in=_members(scope), **_in_scope(scope, "community_id"))
        .order_by("member__member_no", "year")
        .values_list("member__member_no", "community__code", "reported_on")
    ):
        yield (no, comm, on.isoformat())


# ---------------------------------------------------------------- services.csv


@dataclass
class ServiceRow:
    line: int
    member_no: str
    community: str
    done_on: date
    hours: Decimal


def check_services(ctx: BundleContext, table: Table) -> list[ServiceRow]:
    f = table.label or SERVICES.name
    index = org_index(ctx)
    members = known_members(ctx, (r["member_no"].strip() for r in table.rows))
    in_file = _file_reports(ctx)
    in_db = {
        (no, year): (comm, on)
        for no, year, comm, on in Report.objects.filter(
            member__member_no__in={r["member_no"].strip() for r in table.rows}
        ).values_list("member__member_no", "year", "community__code", "reported_on")
    }
    today = timezone.localdate()
    out: list[ServiceRow] = []
    for row, line in zip(table.rows, table.line_numbers, strict=True):
        no, comm, raw = row["member_no"].strip(), row["community"].strip(), row["hours"].strip()
        ok = True
        if no not in members:
            ctx.err(f, line, "member_no", f"党员“{no}”不存在")
            ok = False
        reason = community_code(index, comm)
        if reason:
            ctx.err(f, line, "community", reason)
            ok = False
        try:
            hours = Decimal(raw)
            if not (hours.is_finite() and Decimal("0.5") <= hours <= Decimal(24)) or (
                hours != hours.quantize(Decimal("0.1"))
            ):
                raise InvalidOperation
        except InvalidOperation:
            ctx.err(f, line, "hours", f"时长“{raw}”应为0.5至24的数，最多1位小数")
            ok = False
        on = ctx.date(f, line, "done_on", row["done_on"], "服务日期")
        if on is None or not ok:
            continue
        if on > today:
            ctx.err(f, line, "done_on", "服务日期不能晚于今天")
            continue
        report = in_file.get((no, on.year))
        where, since = (
            (report.community, report.reported_on)
            if report
            else in_db.get((no, on.year), ("", None))
        )
        if since is None or where != comm:
            ctx.err(f, line, "community", f"党员{no} {on.year}年未向“{comm}”报到")
            continue
        if on < since:
            ctx.err(f, line, "done_on", f"服务日期早于报到日期（{since.isoformat()}）")
            continue
        out.append(ServiceRow(line, no, comm, on, hours.quantize(Decimal("0.1"))))
    return out


def write_services(ctx: BundleContext, rows: list[ServiceRow], counts: FileCounts) -> None:
    """Services are added: each (member, community, date, hours) as many times as the file has it,
    less those already recorded (re-importing a file adds nothing)."""
    if not rows:
        return
    members = member_ids(r.member_no for r in rows)
    ids = org_ids(ctx)
    wanted = Counter((members[r.member_no], ids[r.community], r.done_on, r.hours) for r in rows)
    have = Counter(
        (m, c, d, Decimal(h).quantize(Decimal("0.1")))
        for m, c, d, h in Service.objects.filter(member_id__in=list(members.values())).values_list(
            "member_id", "community_id", "done_on", "hours"
        )
    )
    creates = []
    for key, n in wanted.items():
        extra = n - have.get(key, 0)
        counts.unchanged += min(n, have.get(key, 0))
        creates += [
            Service(
                member_id=key[0],
                community_id=key[1],
                done_on=key[2],
                hours=key[3],
                what=IMPORTED_SERVICE,
            )
            for _ in range(max(0, extra))
        ]
    Service.objects.bulk_create(creates, batch_size=5000)
    counts.created += len(creates)


def export_services(scope: ExportScope) -> Iterator[tuple[str, ...]]:
    for no, comm, on, h in (
        Service.objects.filter(member__in=_members(scope), **_in_scope(scope, "community_id"))
        .order_by("member__member_no", "done_on", "community__code", "hours", "id")
        .values_list("member__member_no", "community__code", "done_on", "hours")
    ):
        yield (no, comm, on.isoformat(), f"{Decimal(h).quantize(Decimal('0.1'))}")


register(
    BundleFile(
        PLACES, check_places, write_places, export_places, after=("orgs.csv",), models=(Place,)
    ),
    BundleFile(
        RESIDENCE,
        check_residence,
        write_residence,
        export_residence,
        after=("members.csv", "places.csv"),
        models=(Residence,),
    ),
    BundleFile(
        REPORTS,
        check_reports,
        write_reports,
        export_reports,
        after=("orgs.csv", "members.csv"),
        models=(Report,),
    ),
    BundleFile(
        SERVICES,
        check_services,
        write_services,
        export_services,
        after=("reports.csv",),
        models=(Service,),
    ),
)
