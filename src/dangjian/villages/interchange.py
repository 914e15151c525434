"""组团帮扶's bundle files (docs/interchange.md):

- villages.csv        code, name, town, district, org_code, population, households, key (yes/no)
- village_income.csv  village_code, year, collective_income, operating_income (yuan, 2 decimals)
- rounds.csv          name, org_code, starts_on, ends_on (the rounds pairings.csv names)
- pairings.csv        round, village_code, unit_org_code
- plots.csv           code, village_code, area_mu, crop, unit_org_code, season (one row per plot
                      and season adopted; a plot not adopted has both empty)

Checked with the rest of the bundle (all or nothing; every fault named by file, row and column);
an import of what an export wrote changes nothing, and exporting again gives the same files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
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
from dangjian.core.dates import parse_date
from dangjian.core.errors import DomainError, FieldError
from dangjian.orgs.interchange import org_ids, org_index

from .models import Adoption, Pairing, Plot, Round, Village, VillageYear
from .money import parse_yuan, yuan
from .services import ceiling, check_season, parse_mu

VILLAGES = FileSpec(
    "villages.csv",
    "行政村",
    ("code", "name", "town", "district", "org_code", "population", "households", "key"),
    {
        "code": 32,
        "name": 50,
        "town": 50,
        "district": 50,
        "org_code": 32,
        "population": 9,
        "households": 9,
        "key": 5,
    },  # fmt: skip
    {
        "code": "村代码",
        "name": "村名",
        "town": "镇（街道）",
        "district": "区",
        "org_code": "村党组织代码",
        "population": "户籍人口",
        "households": "户数",
        "key": "重点村（yes/no）",
    },
)
INCOME = FileSpec(
    "village_income.csv",
    "村集体收入",
    ("village_code", "year", "collective_income", "operating_income"),
    {"village_code": 32, "year": 4, "collective_income": 20, "operating_income": 20},
    {
        "village_code": "村代码",
        "year": "年度",
        "collective_income": "村集体收入（元）",
        "operating_income": "其中经营性收入（元）",
    },
)
ROUNDS = FileSpec(
    "rounds.csv",
    "帮扶轮次",
    ("name", "org_code", "starts_on", "ends_on"),
    {"name": 50, "org_code": 32, "starts_on": 10, "ends_on": 10},
    {
        "name": "轮次",
        "org_code": "组织部门（组织代码）",
        "starts_on": "开始日期",
        "ends_on": "结束日期",
    },
)
PAIRINGS = FileSpec(
    "pairings.csv",
    "“1+1”结对",
    ("round", "village_code", "unit_org_code"),
    {"round": 50, "village_code": 32, "unit_org_code": 32},
    {"round": "轮次", "village_code": "村代码", "unit_org_code": "结对单位（组织代码）"},
)
PLOTS = FileSpec(
    "plots.csv",
    "认领地块",
    ("code", "village_code", "area_mu", "crop", "unit_org_code", "season"),
    {"code": 32, "village_code": 32, "area_mu": 8, "crop": 30, "unit_org_code": 32, "season": 6},
    {
        "code": "地块代码",
        "village_code": "村代码",
        "area_mu": "面积（亩）",
        "crop": "作物",
        "unit_org_code": "认领单位（组织代码，可空）",
        "season": "认领季节（如2024或2024春，可空）",
    },
)


def _count(ctx: BundleContext, f: str, line: int, column: str, raw: str, label: str) -> int | None:
    if raw.isdecimal() and int(raw) <= 10_000_000:
        return int(raw)
    ctx.err(f, line, column, f"{label}“{raw}”应为0至10000000的整数")
    return None


# ---------------------------------------------------------------- villages.csv


@dataclass
class VillageRow:
    line: int
    code: str
    name: str
    town: str
    district: str
    org_code: str
    population: int
    households: int
    key: bool


def check_villages(ctx: BundleContext, table: Table) -> list[VillageRow]:
    f = table.label or VILLAGES.name
    index = org_index(ctx)
    out: list[VillageRow] = []
    seen: dict[str, int] = {}
    for row, line in zip(table.rows, table.line_numbers, strict=True):
        cells = {k: row[k].strip() for k in VILLAGES.columns}
        ok = True
        code = cells["code"]
        if not code:
            ctx.err(f, line, "code", "村代码不能为空")
            ok = False
        elif code in seen:
            ctx.err(f, line, "code", f"村代码“{code}”与第{seen[code]}行重复")
            ok = False
        else:
            seen[code] = line
        for column, label in (("name", "村名"), ("town", "镇（街道）"), ("district", "区")):
            if not cells[column]:
                ctx.err(f, line, column, f"{label}不能为空")
                ok = False
        org = cells["org_code"]
        if not index.exists(org):
            ctx.err(f, line, "org_code", f"组织“{org}”不存在")
            ok = False
        elif index.category(org) != "village":
            ctx.err(f, line, "org_code", f"“{org}”不是农村党组织")
            ok = False
        population = _count(ctx, f, line, "population", cells["population"], "户籍人口")
        households = _count(ctx, f, line, "households", cells["households"], "户数")
        key = cells["key"].lower()
        if key not in YES + NO:
            ctx.err(f, line, "key", f"“{cells['key']}”应为 yes 或 no")
            ok = False
        if not ok or population is None or households is None:
            continue
        out.append(
            VillageRow(
                line,
                code,
                cells["name"],
                cells["town"],
                cells["district"],
                org,
                population,
                households,
                key in YES,
            )  # fmt: skip
        )
    return out


def write_villages(ctx: BundleContext, rows: list[VillageRow], counts: FileCounts) -> None:
    if not rows:
        return
    ids = org_ids(ctx)
    existing = {v.code: v for v in Village.objects.filter(code__in=[r.code for r in rows])}
    creates, updates = [], []
    fields = ["name", "town", "district", "organization_id", "population", "households", "key"]
    for r in rows:
        values = dict(zip(fields, (r.name, r.town, r.district, ids[r.org_code], r.population,
                                   r.households, r.key), strict=True))  # fmt: skip
        v = existing.get(r.code)
        if v is None:
            creates.append(Village(code=r.code, **values))
        elif any(getattr(v, k) != x for k, x in values.items()):
            for k, x in values.items():
                setattr(v, k, x)
            updates.append(v)
        else:
            counts.unchanged += 1
    Village.objects.bulk_create(creates, batch_size=5000)
    Village.objects.bulk_update(updates, fields, batch_size=5000)
    counts.created += len(creates)
    counts.updated += len(updates)


def _scoped(scope: ExportScope, field: str) -> dict[str, Any]:
    return {} if scope.org_ids is None else {f"{field}__in": scope.org_ids}


def export_villages(scope: ExportScope) -> Iterator[tuple[str, ...]]:
    for v in (
        Village.objects.filter(**_scoped(scope, "organization_id"))
        .order_by("code")
        .values_list(
            "code",
            "name",
            "town",
            "district",
            "organization__code",
            "population",
            "households",
            "key",
        )  # fmt: skip
    ):
        yield (*v[:5], str(v[5]), str(v[6]), "yes" if v[7] else "no")


def _village_orgs(ctx: BundleContext, codes: set[str]) -> dict[str, str]:
    """Village code → its party organization's code, from villages.csv and the database."""
    known = {r.code: r.org_code for r in ctx.rows.get(VILLAGES.name, [])}
    missing = codes - set(known)
    if missing:
        known.update(
            Village.objects.filter(code__in=missing).values_list("code", "organization__code")
        )
    return known


def _villages_known(ctx: BundleContext, codes: set[str]) -> dict[str, bool]:
    """Village code → key village or not, from villages.csv and the database."""
    known = {r.code: r.key for r in ctx.rows.get(VILLAGES.name, [])}
    missing = codes - set(known)
    if missing:
        known.update(Village.objects.filter(code__in=missing).values_list("code", "key"))
    return known


# ---------------------------------------------------------------- village_income.csv


def check_income(ctx: BundleContext, table: Table) -> list[tuple[int, str, int, int, int]]:
    f = table.label or INCOME.name
    villages = _villages_known(ctx, {r["village_code"].strip() for r in table.rows})
    this_year = timezone.localdate().year
    out: list[tuple[int, str, int, int, int]] = []
    seen: dict[tuple[str, int], int] = {}
    for row, line in zip(table.rows, table.line_numbers, strict=True):
        code, raw_year = row["village_code"].strip(), row["year"].strip()
        ok = True
        if code not in villages:
            ctx.err(f, line, "village_code", f"村“{code}”不存在")
            ok = False
        year = int(raw_year) if raw_year.isdecimal() else None
        if year is None or not 2000 <= year <= this_year:
            ctx.err(f, line, "year", f"年度“{raw_year}”应为2000至{this_year}年（不能是将来的年份）")
            ok = False
        amounts = []
        for column, label in (
            ("collective_income", "村集体收入"),
            ("operating_income", "经营性收入"),
        ):
            try:
                amounts.append(parse_yuan(row[column].strip() or "0", field=column, label=label,
                                          ceiling=ceiling()))  # fmt: skip
            except DomainError as exc:
                ctx.err(f, line, column, exc.message)
                ok = False
        if ok and amounts[1] > amounts[0]:
            ctx.err(f, line, "operating_income", "经营性收入不能多于村集体收入")
            ok = False
        if not ok or year is None:
            continue
        if (code, year) in seen:
            ctx.err(
                f, line, "year", f"村“{code}”{year}年与第{seen[(code, year)]}行重复（一村一年一行）"
            )
            continue
        seen[(code, year)] = line
        out.append((line, code, year, amounts[0], amounts[1]))
    return out


def write_income(
    ctx: BundleContext, rows: list[tuple[int, str, int, int, int]], counts: FileCounts
) -> None:
    if not rows:
        return
    ids = dict(Village.objects.filter(code__in={r[1] for r in rows}).values_list("code", "id"))
    existing = {
        (y.village_id, y.year): y for y in VillageYear.objects.filter(village_id__in=ids.values())
    }
    creates, updates = [], []
    for _line, code, year, total, part in rows:
        old = existing.get((ids[code], year))
        if old is None:
            creates.append(VillageYear(village_id=ids[code], year=year, collective_fen=total,
                                       operating_fen=part))  # fmt: skip
        elif (old.collective_fen, old.operating_fen) != (total, part):
            old.collective_fen, old.operating_fen = total, part
            updates.append(old)
        else:
            counts.unchanged += 1
    VillageYear.objects.bulk_create(creates, batch_size=5000)
    VillageYear.objects.bulk_update(updates, ["collective_fen", "operating_fen"], batch_size=5000)
    counts.created += len(creates)
    counts.updated += len(updates)


def export_income(scope: ExportScope) -> Iterator[tuple[str, ...]]:
    for code, year, total, part in (
        VillageYear.objects.filter(**_scoped(scope, "village__organization_id"))
        .order_by("village__code", "year")
        .values_list("village__code", "year", "collective_fen", "operating_fen")
    ):
        yield (code, str(year), yuan(total), yuan(part))


# ---------------------------------------------------------------- rounds.csv


def _period_date(
    ctx: BundleContext, f: str, line: int, column: str, value: str, label: str
) -> date | None:
    """A round's date (a round runs years ahead: a date to come is allowed)."""
    try:
        return parse_date(value, label, allow_future=True)
    except FieldError as exc:
        ctx.err(f, line, column, str(exc))
        return None


@dataclass
class RoundRow:
    line: int
    name: str
    org_code: str
    starts_on: date
    ends_on: date


def check_rounds(ctx: BundleContext, table: Table) -> list[RoundRow]:
    f = table.label or ROUNDS.name
    index = org_index(ctx)
    out: list[RoundRow] = []
    seen: dict[str, int] = {}
    for row, line in zip(table.rows, table.line_numbers, strict=True):
        name, org = row["name"].strip(), row["org_code"].strip()
        ok = True
        if not name:
            ctx.err(f, line, "name", "轮次名称不能为空")
            ok = False
        elif name in seen:
            ctx.err(f, line, "name", f"轮次“{name}”与第{seen[name]}行重复")
            ok = False
        else:
            seen[name] = line
        if not index.exists(org):
            ctx.err(f, line, "org_code", f"组织“{org}”不存在")
            ok = False
        starts, ends = (
            _period_date(ctx, f, line, column, row[column], label)
            for column, label in (("starts_on", "开始日期"), ("ends_on", "结束日期"))
        )
        if starts and ends and ends < starts:
            ctx.err(f, line, "ends_on", "结束日期不能早于开始日期")
            ok = False
        if ok and starts and ends:
            out.append(RoundRow(line, name, org, starts, ends))
    return out


def write_rounds(ctx: BundleContext, rows: list[RoundRow], counts: FileCounts) -> None:
    ids = org_ids(ctx)
    existing = {r.name: r for r in Round.objects.filter(name__in=[r.name for r in rows])}
    for r in rows:
        values = {
            "organization_id": ids[r.org_code],
            "starts_on": r.starts_on,
            "ends_on": r.ends_on,
        }
        old = existing.get(r.name)
        if old is None:
            Round.objects.create(name=r.name, **values)
            counts.created += 1
        elif any(getattr(old, k) != v for k, v in values.items()):
            Round.objects.filter(pk=old.pk).update(**values)
            counts.updated += 1
        else:
            counts.unchanged += 1


def export_rounds(scope: ExportScope) -> Iterator[tuple[str, ...]]:
    # a subtree's bundle names the rounds its pairings belong to
    rounds = Round.objects.all()
    if scope.org_ids is not None:
        rounds = rounds.filter(pairings__village__organization_id__in=scope.org_ids).distinct()
    for name, org, starts, ends in rounds.order_by("name").values_list(
        "name", "organization__code", "starts_on", "ends_on"
    ):
        yield (name, org, starts.isoformat(), ends.isoformat())


# ---------------------------------------------------------------- pairings.csv


def _rounds_known(ctx: BundleContext) -> dict[str, str]:
    """Round name → its organizer's code, from rounds.csv and the database."""
    known = dict(Round.objects.values_list("name", "organization__code"))
    known.update({r.name: r.org_code for r in ctx.rows.get(ROUNDS.name, [])})
    return known


def check_pairings(ctx: BundleContext, table: Table) -> list[tuple[int, str, str, str]]:
    f = table.label or PAIRINGS.name
    index = org_index(ctx)
    rounds = _rounds_known(ctx)
    codes = {r["village_code"].strip() for r in table.rows}
    villages, village_org = _villages_known(ctx, codes), _village_orgs(ctx, codes)
    out: list[tuple[int, str, str, str]] = []
    seen: dict[tuple[str, str], int] = {}
    for row, line in zip(table.rows, table.line_numbers, strict=True):
        name, code, unit = (
            row["round"].strip(),
            row["village_code"].strip(),
            row["unit_org_code"].strip(),
        )
        ok = True
        if name not in rounds:
            ctx.err(f, line, "round", f"轮次“{name}”不存在（在 rounds.csv 中列出）")
            ok = False
        if code not in villages:
            ctx.err(f, line, "village_code", f"村“{code}”不存在")
            ok = False
        elif not villages[code]:
            ctx.err(f, line, "village_code", f"村“{code}”不是重点村")
            ok = False
        elif name in rounds and rounds[name] not in index.ancestors_or_self(village_org[code]):
            ctx.err(f, line, "village_code", f"村“{code}”不在该轮组织部门的范围内")
            ok = False
        if not index.exists(unit):
            ctx.err(f, line, "unit_org_code", f"结对单位“{unit}”不在组织树中")
            ok = False
        elif name in rounds and rounds[name] not in index.ancestors_or_self(unit):
            ctx.err(f, line, "unit_org_code", f"结对单位“{unit}”不在该轮组织部门的下级组织中")
            ok = False
        elif index.category(unit) == "village":
            ctx.err(f, line, "unit_org_code", "结对单位应为机关、事业单位或国有企业")
            ok = False
        if not ok:
            continue
        if (name, code) in seen:
            ctx.err(
                f,
                line,
                "village_code",
                f"与第{seen[(name, code)]}行重复（一个重点村一轮一个结对单位）",
            )
            continue
        seen[(name, code)] = line
        out.append((line, name, code, unit))
    return out


def write_pairings(
    ctx: BundleContext, rows: list[tuple[int, str, str, str]], counts: FileCounts
) -> None:
    if not rows:
        return
    ids = org_ids(ctx)
    rounds = dict(Round.objects.values_list("name", "id"))
    villages = dict(Village.objects.filter(code__in={r[2] for r in rows}).values_list("code", "id"))
    existing = {
        (p.round_id, p.village_id): p
        for p in Pairing.objects.filter(village_id__in=villages.values())
    }
    creates, updates = [], []
    for _line, name, code, unit in rows:
        key = (rounds[name], villages[code])
        old = existing.get(key)
        if old is None:
            creates.append(Pairing(round_id=key[0], village_id=key[1], unit_id=ids[unit]))
        elif old.unit_id != ids[unit]:
            old.unit_id = ids[unit]
            updates.append(old)
        else:
            counts.unchanged += 1
    Pairing.objects.bulk_create(creates, batch_size=5000)
    Pairing.objects.bulk_update(updates, ["unit_id"], batch_size=5000)
    counts.created += len(creates)
    counts.updated += len(updates)


def export_pairings(scope: ExportScope) -> Iterator[tuple[str, ...]]:
    yield from (
        Pairing.objects.filter(**_scoped(scope, "village__organization_id"))
        .order_by("round__name", "village__code")
        .values_list("round__name", "village__code", "unit__code")
    )


# ---------------------------------------------------------------- plots.csv


@dataclass
class PlotRow:
    line: int
    code: str
    village_code: str
    area_mu: Decimal
    crop: str
    unit: str
    season: str


def check_plots(ctx: BundleContext, table: Table) -> list[PlotRow]:
    f = table.label or PLOTS.name
    index = org_index(ctx)
    villages = _villages_known(ctx, {r["village_code"].strip() for r in table.rows})
    out: list[PlotRow] = []
    plots: dict[str, tuple[int, str, Decimal, str]] = {}
    seasons: dict[tuple[str, str], int] = {}
    # an adoption already recorded keeps its unit (its work and members are the unit's)
    held = {
        (c, season): unit
        for c, season, unit in Adoption.objects.filter(
            plot__code__in={r["code"].strip() for r in table.rows}
        ).values_list("plot__code", "season", "unit__code")
    }
    for row, line in zip(table.rows, table.line_numbers, strict=True):
        cells = {k: row[k].strip() for k in PLOTS.columns}
        code, village, unit, season = (
            cells["code"],
            cells["village_code"],
            cells["unit_org_code"],
            cells["season"],
        )
        ok = True
        if not code:
            ctx.err(f, line, "code", "地块代码不能为空")
            ok = False
        if village not in villages:
            ctx.err(f, line, "village_code", f"村“{village}”不存在")
            ok = False
        area = None
        try:
            area = parse_mu(cells["area_mu"])
        except DomainError as exc:
            ctx.err(f, line, "area_mu", exc.message)
            ok = False
        if not cells["crop"]:
            ctx.err(f, line, "crop", "作物不能为空")
            ok = False
        if bool(unit) != bool(season):
            ctx.err(
                f,
                line,
                "season" if unit else "unit_org_code",
                "认领单位和认领季节应同时填写或同时留空",
            )
            ok = False
        elif unit:
            if not index.exists(unit):
                ctx.err(f, line, "unit_org_code", f"认领单位“{unit}”不在组织树中")
                ok = False
            try:
                check_season(season)
            except DomainError as exc:
                ctx.err(f, line, "season", exc.message)
                ok = False
        if not ok or area is None:
            continue
        if unit and held.get((code, season), unit) != unit:
            ctx.err(
                f, line, "unit_org_code",
                f"地块“{code}”{season}已由“{held[(code, season)]}”认领（导入不改变已有的认领）",
            )  # fmt: skip
            continue
        first = plots.get(code)
        if first is not None and first[1:] != (village, area, cells["crop"]):
            ctx.err(f, line, "code", f"地块“{code}”的村、面积或作物与第{first[0]}行不一致")
            continue
        plots.setdefault(code, (line, village, area, cells["crop"]))
        if (code, season) in seasons:
            ctx.err(
                f,
                line,
                "season",
                f"地块“{code}”{season or '（未认领）'}与第{seasons[(code, season)]}行重复",
            )
            continue
        seasons[(code, season)] = line
        out.append(PlotRow(line, code, village, area, cells["crop"], unit, season))
    return out


def write_plots(ctx: BundleContext, rows: list[PlotRow], counts: FileCounts) -> None:
    if not rows:
        return
    ids = org_ids(ctx)
    villages = dict(
        Village.objects.filter(code__in={r.village_code for r in rows}).values_list("code", "id")
    )
    existing = {p.code: p for p in Plot.objects.filter(code__in={r.code for r in rows})}
    creates, updates, done = [], [], set()
    for r in rows:
        if r.code in done:
            continue
        done.add(r.code)
        values = {"village_id": villages[r.village_code], "area_mu": r.area_mu, "crop": r.crop}
        p = existing.get(r.code)
        if p is None:
            creates.append(Plot(code=r.code, **values))
        elif any(getattr(p, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(p, k, v)
            updates.append(p)
        else:
            counts.unchanged += 1
    Plot.objects.bulk_create(creates, batch_size=5000)
    Plot.objects.bulk_update(updates, ["village_id", "area_mu", "crop"], batch_size=5000)
    counts.created += len(creates)
    counts.updated += len(updates)
    plot_ids = dict(Plot.objects.filter(code__in=done).values_list("code", "id"))
    held = {
        (a.plot_id, a.season): a for a in Adoption.objects.filter(plot_id__in=plot_ids.values())
    }
    adopt, change = [], []
    for r in rows:
        if not r.unit:
            continue
        old = held.get((plot_ids[r.code], r.season))
        if old is None:
            adopt.append(Adoption(plot_id=plot_ids[r.code], unit_id=ids[r.unit], season=r.season))
        elif old.unit_id != ids[r.unit]:
            old.unit_id = ids[r.unit]
            change.append(old)
    Adoption.objects.bulk_create(adopt, batch_size=5000)
    Adoption.objects.bulk_update(change, ["unit_id"], batch_size=5000)


def export_plots(scope: ExportScope) -> Iterator[tuple[str, ...]]:
    plots = Plot.objects.filter(**_scoped(scope, "village__organization_id")).order_by("code")
    held: dict[int, list[tuple[str, str]]] = {}
    for pid, unit, season in (
        Adoption.objects.filter(plot__in=plots)
        .order_by("season")
        .values_list("plot_id", "unit__code", "season")
    ):
        held.setdefault(pid, []).append((unit, season))
    for pid, code, village, area, crop in plots.values_list(
        "pk", "code", "village__code", "area_mu", "crop"
    ):
        for unit, season in held.get(pid, [("", "")]):
            yield (code, village, f"{Decimal(area).quantize(Decimal('0.1'))}", crop, unit, season)


register(
    BundleFile(
        VILLAGES,
        check_villages,
        write_villages,
        export_villages,
        after=("orgs.csv",),
        models=(Village,),
    ),  # fmt: skip
    BundleFile(
        INCOME,
        check_income,
        write_income,
        export_income,
        after=("villages.csv",),
        models=(VillageYear,),
    ),  # fmt: skip
    BundleFile(ROUNDS, check_rounds, write_rounds, export_rounds, after=("orgs.csv",)),
    BundleFile(
        PAIRINGS,
        check_pairings,
        write_pairings,
        export_pairings,
        after=("villages.csv", "rounds.csv"),
        models=(Pairing,),
    ),  # fmt: skip
    BundleFile(
        PLOTS,
        check_plots,
        write_plots,
        export_plots,
        after=("villages.csv",),
        models=(Plot, Adoption),
    ),  # fmt: skip
)
