"""After the city is imported: 组团帮扶 — the villages of the towns (each village's party
organization in the tree), their collective income over the years (the anchor year reproduces the
city's figures exactly: 村均113.13万元, 同比增长23.1%, and with 147 villages 1.66亿元), the towns'
disposable income (2.9万 → 3.4万), two rounds with areas, teams and “1+1” pairings, resident work
teams with their days on site, household visits, matters and projects, one joint committee across
villages (跨村联建), and about 300 亩 of plots adopted by the city's offices.

Planted findings (VIL-01…05) follow the plant rate; the ground truth is read back from the rows
written, by plain Python over the generated figures (not by the rules' queries)."""

from __future__ import annotations

import random
import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction

from dangjian.members.models import Member
from dangjian.orgs.models import Organization
from dangjian.villages.models import (
    ActivityKind,
    Adoption,
    Area,
    AreaMember,
    JointCommittee,
    JointVillage,
    Matter,
    Pairing,
    Plot,
    PlotActivity,
    Presence,
    Project,
    ProjectStatus,
    ProjectYear,
    Resident,
    ResidentRole,
    Round,
    TownYear,
    Village,
    VillageYear,
    Visit,
)

from . import names

VILLAGES = 147
AVERAGE_FEN = 113_130_000  # 113.13 万元 a village, the anchor year
GROWTH_PER_MILLE = 1231  # +23.1 % over the year before
WEAK_FEN = 10_000_000  # the default weak-village threshold (VIL-03)
MIN_DAYS = 15  # VIL-01's default
DISPOSABLE = {2021: 2_900_000, 2022: 3_150_000, 2023: 3_400_000}  # fen a head, town average
INDUSTRIES = [
    ("鹧鸪养殖品牌", "特色养殖", "结对单位、龙头企业"),
    ("花卉种植与直播带货培训", "花卉电商", "结对单位、电商平台"),
    ("农产品商标注册与包装", "农产品加工", "结对单位、市场监管所"),
    ("高山茶园提升", "茶产业", "茶叶合作社"),
    ("乡村民宿", "乡村旅游", "文旅公司"),
    ("光伏发电", "集体物业", "国有企业"),
]
CROPS = ["水稻", "地瓜", "花生", "蔬菜", "茶叶", "百香果"]
ASKED = ["子女就学", "危房改造", "医保报销", "道路照明", "灌溉水渠", "农产品销路", "就业培训", ""]
LEARNED = ["家中老人独居", "务工收入稳定", "种植地瓜三亩", "有意参加电商培训", "孩子在外地读书"]
MATTERS = ["帮助申请危房改造", "协调修复灌溉水渠", "代办医保报销", "联系就业培训", "对接农产品销路"]
VILLAGE_RE = re.compile(r"([\u4e00-\u9fff]{1,6}村)")


def _name(rng: random.Random) -> str:
    return rng.choice(names.SURNAMES[:60]) + rng.choice(names.GIVEN_MALE + names.GIVEN_FEMALE)


def _village_orgs() -> list[dict[str, Any]]:
    """The village party organizations directly under a town committee (committees first), with
    their town and district, in tree order."""
    towns = {
        o["path"]: o
        for o in Organization.objects.filter(
            category="village", kind="committee", name__endswith="镇委员会", is_active=True
        ).values("path", "name")
    }
    if not towns:
        return []
    districts = dict(
        Organization.objects.filter(path__in={p[:-4] for p in towns}).values_list("path", "name")
    )
    found = []
    for o in (
        Organization.objects.filter(
            category="village", is_active=True, kind__in=("committee", "branch")
        )
        .values("pk", "path", "code", "name", "kind")
        .order_by("path")
    ):
        town = towns.get(o["path"][:-4])
        if town is None:
            continue
        m = VILLAGE_RE.search(o["name"].removeprefix("中共").replace(town["name"][2:-3], "", 1))
        district = districts.get(town["path"][:-4], "")
        found.append(
            {
                **o,
                "village": m.group(1) if m else f"{o['code']}村",
                "town": town["name"].removeprefix("中共").removesuffix("委员会"),
                "district": district.removeprefix("中共厦门市").removesuffix("委员会") or "本区",
            }
        )
    found.sort(key=lambda o: (o["kind"] != "committee", o["path"]))
    return sorted(found[:VILLAGES], key=lambda o: o["path"])


def _spread(rng: random.Random, total: int, weights: list[float]) -> list[int]:
    """`total` fen split by the weights, to the fen (the rest on the largest share)."""
    s = sum(weights)
    parts = [int(total * w / s) for w in weights]
    parts[max(range(len(parts)), key=lambda i: parts[i])] += total - sum(parts)
    return parts


@transaction.atomic
def plant_villages(
    *, today: date, seed: int, rate: float, truth: set[tuple[str, str]]
) -> dict[str, int]:
    rng = random.Random(seed * 7919 + 19)
    orgs = _village_orgs()
    if not orgs:
        return {}
    n = len(orgs)
    villages = Village.objects.bulk_create(
        [
            Village(
                code=f"V{i + 1:04d}",
                name=o["village"],
                town=o["town"],
                district=o["district"],
                organization_id=o["pk"],
                population=(pop := rng.randint(1200, 6500)),
                households=int(pop / rng.uniform(2.9, 3.6)),
                key=rng.random() < 0.4,
            )
            for i, o in enumerate(orgs)
        ]
    )
    code_of = {v.pk: o["code"] for v, o in zip(villages, orgs, strict=True)}
    last = today.year - 1
    anchor = min(2023, last)
    years = list(range(min(2021, anchor - 2), last + 1))
    income = _incomes(rng, villages, years, anchor, last, rate)
    VillageYear.objects.bulk_create(
        [
            VillageYear(
                village=v,
                year=y,
                collective_fen=income[y][i],
                operating_fen=int(income[y][i] * rng.uniform(0.3, 0.8)),
            )
            for y in years
            for i, v in enumerate(villages)
        ]
    )
    for i, v in enumerate(villages):
        now, before = income[last][i], income[last - 1][i]
        if now < WEAK_FEN:
            truth.add(("VIL-03", code_of[v.pk]))
        if now < before:
            truth.add(("VIL-04", code_of[v.pk]))
    _towns(rng, villages, years)
    key = [v for v in villages if v.key]
    rounds = _rounds(rng, today, villages, key, rate, truth, code_of)
    current = next((r for r in rounds if r.starts_on <= today <= r.ends_on), None)
    _residents(rng, today, key, current, rate, truth, code_of)
    _projects(rng, today, key)
    _joint(villages, [o["kind"] for o in orgs])
    _plots(rng, today, key or villages)
    return {"villages": n, "key": len(key)}


def _incomes(
    rng: random.Random, villages: list[Village], years: list[int], anchor: int, last: int,
    rate: float,
) -> dict[int, list[int]]:  # fmt: skip
    """Each village's collective income a year (fen): the anchor year and the one before sum to
    the city's figures exactly; later years grow, except the planted weak and shrinking ones."""
    n = len(villages)
    weights = [rng.lognormvariate(0, 0.6) for _ in range(n)]
    total = n * AVERAGE_FEN
    prev = total * 1000 // GROWTH_PER_MILLE
    income: dict[int, list[int]] = {}
    income[anchor] = _spread(rng, total, weights)
    income[anchor - 1] = _spread(rng, prev, [w * rng.uniform(0.95, 1.05) for w in weights])
    for y in range(anchor - 2, years[0] - 1, -1):
        income[y] = [int(x / rng.uniform(1.05, 1.25)) for x in income[y + 1]]
    planted = max(2, round(n * rate * 2))
    weak = set(rng.sample(range(n), min(planted, n)))
    shrink = set(rng.sample(sorted(set(range(n)) - weak), min(planted, n - len(weak))))
    for y in range(anchor + 1, last + 1):
        income[y] = []
        for i, x in enumerate(income[y - 1]):
            if y == last and i in weak:
                income[y].append(rng.randint(WEAK_FEN // 2, WEAK_FEN - 1))
            elif y == last and i in shrink:
                income[y].append(max(WEAK_FEN, int(x * rng.uniform(0.7, 0.95))))
            else:
                income[y].append(max(WEAK_FEN + 500_000, int(x * rng.uniform(1.02, 1.2))))
    # a village exactly at the threshold is not weak, and not lower than the year before (the
    # boundary; only where neither year is the anchor's, whose totals stand)
    if last - 1 > anchor and n > len(weak) + len(shrink):
        i = next(i for i in range(n) if i not in weak and i not in shrink)
        income[last][i] = WEAK_FEN
        income[last - 1][i] = min(income[last - 1][i], WEAK_FEN)
    return income


def _towns(rng: random.Random, villages: list[Village], years: list[int]) -> None:
    towns = sorted({(v.district, v.town) for v in villages})
    rows = []
    for y in years:
        target = DISPOSABLE.get(y) or int(DISPOSABLE[2023] * (1.07 ** (y - 2023)))
        offsets = [rng.randint(-200_000, 200_000) for _ in towns]
        mean = sum(offsets) // len(offsets)
        offsets = [o - mean for o in offsets]
        offsets[0] -= sum(offsets)  # the towns' average is the year's figure, to the fen
        rows += [
            TownYear(district=d, town=t, year=y, disposable_fen=target + o)
            for (d, t), o in zip(towns, offsets, strict=True)
        ]
    TownYear.objects.bulk_create(rows)


def _units(limit: int = 40) -> list[Organization]:
    """Offices, institutions and state enterprises to pair with (their committees)."""
    return list(
        Organization.objects.filter(
            category__in=("organ", "soe", "institution"),
            kind__in=("committee", "general_branch"),
            is_active=True,
            depth__gte=2,
        ).order_by("path")[:limit]
    )


def _rounds(
    rng: random.Random, today: date, villages: list[Village], key: list[Village], rate: float,
    truth: set[tuple[str, str]], code_of: dict[int, str],
) -> list[Round]:  # fmt: skip
    root = Organization.objects.filter(depth=1).order_by("path").first()
    units = _units()
    if root is None or not units:
        return []
    start = today.year - 1 if today.month < 7 else today.year
    rounds = [
        Round.objects.create(
            name=f"{start - 3}—{start - 1}年组团帮扶",
            organization=root,
            starts_on=date(start - 3, 1, 1),
            ends_on=date(start - 1, 12, 31),
        ),
        Round.objects.create(
            name=f"{start}—{start + 2}年组团帮扶",
            organization=root,
            starts_on=date(start, 1, 1),
            ends_on=date(start + 2, 12, 31),
        ),
    ]
    by_town: dict[tuple[str, str], list[Village]] = defaultdict(list)
    for v in villages:
        by_town[(v.district, v.town)].append(v)
    for r in rounds:
        for k, ((district, town), vs) in enumerate(sorted(by_town.items())):
            leader = units[(k + r.pk) % len(units)]
            a = Area.objects.create(
                round=r,
                name=f"{district}{town}片区",  # two districts may each have a 新圩镇
                team_name=f"{district}{town}片区帮扶团队",
                leader=_name(rng),
                leader_unit=leader,
                contact=_name(rng),
                phone=f"1{rng.randint(3, 9)}{rng.randint(0, 999999999):09d}",
            )
            a.villages.set(vs)
            AreaMember.objects.bulk_create(
                [
                    AreaMember(area=a, name=_name(rng), unit=rng.choice(units), duty=duty)
                    for duty in ("产业发展", "基层治理", "民生服务")
                ]
            )
    current = next((r for r in rounds if r.starts_on <= today <= r.ends_on), None)
    unpaired = set()
    if current is not None and key:
        unpaired = set(rng.sample(range(len(key)), min(len(key), max(1, round(len(key) * rate)))))
    pairs = []
    for r in rounds:
        for i, v in enumerate(key):
            if r is current and i in unpaired:
                truth.add(("VIL-05", code_of[v.pk]))
                continue
            pairs.append(Pairing(round=r, village=v, unit=units[(i * 7 + r.pk) % len(units)]))
    Pairing.objects.bulk_create(pairs)
    return rounds


def _residents(
    rng: random.Random, today: date, key: list[Village], current: Round | None, rate: float,
    truth: set[tuple[str, str]], code_of: dict[int, str],
) -> None:  # fmt: skip
    """Three residents for each key village (第一书记, 队长, 队员) from the offices' members, their
    days on site last month and this month, visits and matters."""
    if not key:
        return
    people = list(
        Member.objects.filter(organization__category="organ", status="full")
        .select_related("organization")
        .order_by("pk")[: len(key) * 3 + 10]
    )
    if len(people) < len(key) * 3:
        return
    paths = {m.organization.path[:12] for m in people}
    unit_of = dict(Organization.objects.filter(path__in=paths).values_list("path", "pk"))
    month_end = today.replace(day=1) - timedelta(days=1)
    month_start = month_end.replace(day=1)
    arrived = min(current.starts_on if current else month_start, month_start - timedelta(days=30))
    residents = []
    for i, v in enumerate(key):
        for k, role in enumerate(
            (ResidentRole.FIRST_SECRETARY, ResidentRole.CAPTAIN, ResidentRole.MEMBER)
        ):
            m = people[i * 3 + k]
            residents.append(
                Resident(
                    village=v,
                    member=m,
                    role=role,
                    unit_id=unit_of.get(m.organization.path[:12], m.organization_id),
                    arrived_on=arrived,
                )
            )
    Resident.objects.bulk_create(residents)
    planted = set(
        rng.sample(range(len(residents)), min(len(residents), max(2, round(len(residents) * rate))))
    )
    boundary = next((j for j in range(len(residents)) if j not in planted), None)
    days_last = [month_start + timedelta(days=d) for d in range((month_end - month_start).days + 1)]
    this_month = [today.replace(day=d) for d in range(1, today.day)]
    rows = []
    short = 0
    for j, r in enumerate(residents):
        if j in planted:
            need = MIN_DAYS - 1 if short == 0 else rng.randint(6, MIN_DAYS - 1)
            short += 1
        elif j == boundary:
            need = MIN_DAYS  # exactly the minimum: no finding
        else:
            need = rng.randint(MIN_DAYS + 2, min(len(days_last), 24))
        on = set(rng.sample(days_last, min(need, len(days_last))))
        away = [d for d in days_last if d not in on][: rng.randint(1, 4)]
        rows += [Presence(resident=r, day=d, on_site=True) for d in sorted(on)]
        rows += [
            Presence(
                resident=r,
                day=d,
                on_site=False,
                reason=rng.choice(["回派出单位述职", "参加培训", "请假"]),
            )
            for d in away
        ]
        rows += [
            Presence(resident=r, day=d, on_site=True) for d in this_month if rng.random() < 0.75
        ]
        if len(on) < MIN_DAYS and r.arrived_on <= month_start:
            truth.add(("VIL-01", code_of[r.village_id]))
    Presence.objects.bulk_create(rows, batch_size=5000)
    no_visit = set(rng.sample(range(len(key)), min(len(key), max(1, round(len(key) * rate)))))
    visits: list[Visit] = []
    matters: list[Matter] = []
    by_village: dict[int, list[Resident]] = defaultdict(list)
    for r in residents:
        by_village[r.village_id].append(r)
    for i, v in enumerate(key):
        team = by_village[v.pk]
        months = [(month_start, month_end)] if i not in no_visit else []
        earlier_end = month_start - timedelta(days=1)
        months.append((earlier_end.replace(day=1), earlier_end))
        if this_month:
            months.append((this_month[0], this_month[-1]))
        for start, end in months:
            for _ in range(rng.randint(2, 6)):
                seen = start + timedelta(days=rng.randint(0, (end - start).days))
                visits.append(
                    Visit(
                        village=v,
                        resident=rng.choice(team),
                        household=f"{_name(rng)}户",
                        visited_on=seen,
                        learned=rng.choice(LEARNED),
                        asked=rng.choice(ASKED),
                    )
                )
        if i in no_visit:
            truth.add(("VIL-02", code_of[v.pk]))
        matters.extend(
            Matter(
                village=v,
                resident=rng.choice(team),
                what=rng.choice(MATTERS),
                for_whom=f"{_name(rng)}户",
                done_on=month_start
                + timedelta(days=rng.randint(0, (month_end - month_start).days)),
                result="已办结",
            )
            for _ in range(rng.randint(1, 3))
        )
    Visit.objects.bulk_create(visits, batch_size=5000)
    Matter.objects.bulk_create(matters, batch_size=5000)


def _projects(rng: random.Random, today: date, key: list[Village]) -> None:
    projects = []
    for v in key:
        for name, industry, partners in rng.sample(INDUSTRIES, rng.randint(1, 2)):
            projects.append(
                Project(
                    village=v,
                    name=name,
                    industry=industry,
                    investment_fen=rng.randint(20, 300) * 1_000_000,
                    partners=partners,
                    status=rng.choice([ProjectStatus.RUNNING] * 3 + [ProjectStatus.BUILDING]),
                    started_on=date(today.year - rng.randint(1, 3), rng.randint(1, 12), 1),
                )
            )
    Project.objects.bulk_create(projects)
    ProjectYear.objects.bulk_create(
        [
            ProjectYear(project=p, year=y, income_fen=rng.randint(5, 60) * 1_000_000)
            for p in projects
            if p.status == ProjectStatus.RUNNING and p.started_on is not None
            for y in range(p.started_on.year, today.year)
        ]
    )


def _joint(villages: list[Village], kinds: list[str]) -> None:
    """The first village committee of the first town joins its town's neighbours (跨村联建)."""
    lead = next((v for v, k in zip(villages, kinds, strict=True) if k == "committee"), None)
    if lead is None:
        return
    members = [v for v in villages if v.town == lead.town][:4]
    if len(members) < 2:
        return
    jc = JointCommittee.objects.create(organization_id=lead.organization_id)
    JointVillage.objects.bulk_create([JointVillage(committee=jc, village=v) for v in members])


def _plots(rng: random.Random, today: date, villages: list[Village]) -> None:
    """About 300 亩 adopted this season by the offices (and last season, harvested)."""
    units = [u for u in _units(60) if u.category == "organ"][:20] or _units(20)
    if not units:
        return
    plots, area = [], Decimal(0)
    target = Decimal(rng.randint(2900, 2990)) / 10  # close to 300 亩
    k = 0
    while area < target:
        size = min(Decimal(rng.randint(25, 80)) / 10, target - area)
        if size <= 0:
            break
        v = villages[k % len(villages)]
        plots.append(Plot(code=f"P{k + 1:04d}", village=v, area_mu=size, crop=rng.choice(CROPS)))
        area += size
        k += 1
    Plot.objects.bulk_create(plots)
    seasons = [str(today.year - 1), str(today.year)]
    adoptions = [
        Adoption(
            plot=p,
            unit=units[i % len(units)],
            season=s,
            agreement="认领一季，结对单位党员参加农事",
            fee_fen=0,
        )  # fmt: skip
        for s in seasons
        for i, p in enumerate(plots)
    ]
    Adoption.objects.bulk_create(adoptions)
    people: dict[int, list[int]] = {}
    for u in units:
        people[u.pk] = list(
            Member.objects.filter(organization__path__under=u.path, status="full")
            .order_by("pk")
            .values_list("pk", flat=True)[:12]
        )
    acts, chosen = [], []
    for a in adoptions:
        year = int(a.season)
        harvest = date(year, rng.randint(6, 10), rng.randint(1, 28))
        for kind, on in (
            (ActivityKind.PLANTING, date(year, 3, rng.randint(1, 28))),
            (ActivityKind.HARVEST, harvest),
        ):
            if on > today:
                continue
            reaped = kind == ActivityKind.HARVEST
            acts.append(
                PlotActivity(
                    adoption=a,
                    kind=kind,
                    done_on=on,
                    note="帮助收割" if reaped else "春耕插秧",
                    yield_kg=Decimal(rng.randint(3000, 9000)) / 10 if reaped else None,
                    destination="捐赠给机关食堂" if reaped else "",
                )
            )
            pool = people[a.unit_id]
            chosen.append(rng.sample(pool, min(len(pool), rng.randint(3, 6))))
    PlotActivity.objects.bulk_create(acts)
    through = PlotActivity.members.through
    through.objects.bulk_create(
        [
            through(plotactivity_id=act.pk, member_id=m)
            for act, ms in zip(acts, chosen, strict=True)
            for m in ms
        ],
        batch_size=5000,
    )
