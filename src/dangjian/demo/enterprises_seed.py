"""After the city is imported: 非公党建 — the private enterprises whose party organizations are in
the tree (each enterprise-named organization of the non-public sector is its enterprise's own
organization; its members are the ones employed there), parks with their joint committees (the
districts' non-public committees: 软件园, 产业园, 创业园, 高新城 in that order), enterprises
without an organization of their own (in a joint branch, or with an instructor, or with neither),
instructors from one station per park with their assignments and a year of visits (one a
quarter), follow-ups (some overdue) and a few members found in the relationship check.

Planted findings follow the plant rate: ENT-01 (3 full members employed, no organization of its
own), ENT-02 (members, no organization and no instructor), ENT-03 (no visit in the last full
quarter). The ground truth is read from the rows written, by plain Python (not by the rules'
queries). Bulk writes; nothing issues a query per organization."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count

from dangjian.core.creditcode import CHARSET, check_character
from dangjian.core.dates import add_months
from dangjian.enterprises.models import (
    Assignment,
    Brand,
    CommandoTeam,
    Enterprise,
    FollowUp,
    Honour,
    InnovationCase,
    Instructor,
    InstructorVisit,
    JointEvent,
    KeyPosition,
    Milestone,
    Park,
    ServiceCentre,
    Station,
)
from dangjian.members.constants import ACTIVE_STATUSES
from dangjian.members.models import Member
from dangjian.orgs.models import Organization, Unit

from . import names

PARKS = ["软件园", "产业园", "创业园", "高新城"]
INDUSTRIES = [
    "软件和信息技术",
    "集成电路",
    "生物医药",
    "新材料",
    "先进制造",
    "跨境电商",
    "文化创意",
]
TOPICS = ["setup", "life", "recruit", "fees", "relations", "study"]
FOLLOWUPS = [
    "指导提交成立党支部的请示",
    "督促按期召开支部委员会",
    "协助排查流动党员组织关系",
    "指导做好党费收缴登记",
    "推荐入党积极分子参加培训",
]
STEP = Organization.steplen


def credit_code(rng: random.Random, region: str = "350200") -> str:
    body = "91" + region + "".join(rng.choice(CHARSET) for _ in range(9))
    return body + check_character(body)


def _name(rng: random.Random) -> str:
    return rng.choice(names.SURNAMES) + "".join(rng.sample(names.GIVEN_ANY, 2))


def _enterprise_name(org_name: str) -> str:
    n = org_name.removeprefix("中共")
    for suffix in ("总支部委员会", "委员会", "党支部", "支部委员会"):
        n = n.removesuffix(suffix)
    return n


@transaction.atomic
def plant_enterprises(
    *, today: date, seed: int, rate: float, truth: set[tuple[str, str]]
) -> dict[str, int]:
    rng = random.Random(seed * 7919 + 23)
    orgs = list(
        Organization.objects.filter(is_active=True, category="private", name__contains="有限公司")
        .exclude(kind="group")
        .exclude(is_joint=True)
        .order_by("path")
        .values("pk", "code", "name", "path", "depth")
    )
    committees = list(
        Organization.objects.filter(
            is_active=True, kind="committee", name__endswith="非公有制经济组织委员会"
        )
        .order_by("path")
        .values("pk", "code", "path")[: len(PARKS)]
    )
    if not orgs or not committees:
        return {}
    # an enterprise's own organization, not the branches inside it (sorted by path: a parent
    # comes before what is under it)
    kept: list[dict[str, Any]] = []
    for o in orgs:
        if not kept or not o["path"].startswith(kept[-1]["path"]):
            kept.append(o)
    orgs = kept
    parent_of = dict(
        Organization.objects.filter(
            path__in={o["path"][:-STEP] for o in orgs if o["depth"] > 1}
        ).values_list("path", "pk")
    )
    parks = [
        Park.objects.create(name=name, organization_id=c["pk"])
        for name, c in zip(PARKS, committees, strict=False)
    ]
    stations = Station.objects.bulk_create(
        [
            Station(
                name=f"{p.name}党建工作指导站",
                area=p.name,
                organization_id=p.organization_id,
                address=f"{p.name}综合服务中心",
            )
            for p in parks
        ]
    )
    park_of_path = {c["path"]: p for c, p in zip(committees, parks, strict=False)}
    used = set(Unit.objects.exclude(credit_code="").values_list("credit_code", flat=True))

    def new_code(region: str) -> str:
        while True:
            c = credit_code(rng, region)
            if c not in used:
                used.add(c)
                return c

    # 1. enterprises with their own organization
    units: list[Unit] = []
    profiles: list[tuple[dict[str, Any], Park | None]] = []
    for o in orgs:
        committee = parent_of.get(o["path"][:-STEP])
        if committee is None:
            continue
        park = next((p for path, p in park_of_path.items() if o["path"].startswith(path)), None)
        if park is None and rng.random() < 0.5:
            park = rng.choice(parks)
        units.append(
            Unit(
                kind="unit",
                name=_enterprise_name(o["name"])[:100],
                credit_code=new_code("350200"),
                category="private",
                committee_id=committee,
                organization_id=o["pk"],
            )
        )
        profiles.append((o, park))
    # 2. enterprises without an organization of their own: in a joint branch, with an instructor
    # only, planted ENT-01 / ENT-02, and small ones without members
    joint_units = dict(
        Unit.objects.filter(organization__is_joint=True, organization__is_active=True)
        .values("organization_id")
        .annotate(n=Count("pk"))
        .values_list("organization_id", "n")
    )
    joints = list(
        Organization.objects.filter(is_joint=True, is_active=True, kind="branch")
        .order_by("path")
        .values_list("pk", "path")
    )
    joint_slots = [(pk, path) for pk, path in joints if joint_units.get(pk, 0) <= 3]
    joint_parent = dict(
        Organization.objects.filter(
            path__in={path[:-STEP] for _pk, path in joint_slots}
        ).values_list("path", "pk")
    )
    kinds: list[str] = []
    n_own = len(units)
    n_other = max(12, n_own // 3)
    for _ in range(n_other):
        r = rng.random()
        if r < rate * 2:
            kinds.append("ent01")
        elif r < rate * 4:
            kinds.append("ent02")
        elif r < 0.25 and joint_slots:
            kinds.append("joint")
        elif r < 0.6:
            kinds.append("instructor")
        else:
            kinds.append("none")
    if "ent01" not in kinds:
        kinds[0] = "ent01"
    if "ent02" not in kinds:
        kinds[1] = "ent02"
    others: list[tuple[Unit, Park, str]] = []
    joint_use: dict[int, int] = defaultdict(int)
    for k in kinds:
        park = rng.choice(parks)
        org_id = None
        committee = park.organization_id
        if k == "joint":
            free = (s for s in joint_slots if joint_units.get(s[0], 0) + joint_use[s[0]] < 5)
            slot = next(free, None)
            if slot is None:
                k = "instructor"
            else:
                org_id = slot[0]
                joint_use[slot[0]] += 1
                committee = joint_parent[slot[1][:-STEP]]
        u = Unit(
            kind="unit",
            name=f"厦门{''.join(rng.sample(names.ENTERPRISE_A, 2))}"
            f"{rng.choice(names.ENTERPRISE_B)}有限公司",
            credit_code=new_code("350200"),
            category="private",
            committee_id=committee,
            organization_id=org_id,
        )
        others.append((u, park, k))
    Unit.objects.bulk_create(units + [u for u, _p, _k in others], batch_size=2000)
    wanted = [u.credit_code for u in units] + [u.credit_code for u, _p, _k in others]
    created = {u.credit_code: u for u in Unit.objects.filter(credit_code__in=wanted)}
    code_of = dict(
        Organization.objects.filter(pk__in={u.committee_id for u in created.values()}).values_list(
            "pk", "code"
        )
    )
    enterprises = [
        Enterprise(
            unit=created[u.credit_code],
            park=park,
            industry=rng.choice(INDUSTRIES),
            employees=rng.randint(30, 1200),
            above_size=rng.random() < 0.4,
            legal_rep=_name(rng),
            legal_rep_phone=f"139{rng.randint(10_000_000, 99_999_999)}",
            contact=_name(rng),
            contact_phone=f"138{rng.randint(10_000_000, 99_999_999)}",
        )
        for u, (_o, park) in zip(units, profiles, strict=True)
    ] + [
        Enterprise(
            unit=created[u.credit_code],
            park=park,
            industry=rng.choice(INDUSTRIES),
            employees=rng.randint(10, 300),
            above_size=rng.random() < 0.2,
            legal_rep=_name(rng),
            legal_rep_phone=f"139{rng.randint(10_000_000, 99_999_999)}",
        )
        for u, park, _k in others
    ]
    Enterprise.objects.bulk_create(enterprises, batch_size=2000)
    # members employed: those of each enterprise's own organization (the nearest enterprise
    # organization above the member's); members of elsewhere for the others
    unit_of_org = {created[u.credit_code].organization_id: created[u.credit_code].pk for u in units}
    path_unit = {o["path"]: unit_of_org[o["pk"]] for o in orgs if o["pk"] in unit_of_org}
    employ: list[Member] = []
    taken: set[int] = set()
    for mid, path in Member.objects.filter(status__in=ACTIVE_STATUSES).values_list(
        "pk", "organization__path"
    ):
        p = path
        while p:
            if p in path_unit:
                employ.append(Member(pk=mid, employer_id=path_unit[p]))
                taken.add(mid)
                break
            p = p[:-STEP]
    pool = list(
        Member.objects.filter(status="full", organization__category__in=["community", "organ"])
        .exclude(pk__in=taken)
        .order_by("pk")
        .values_list("pk", flat=True)[: 20 * len(others) + 100]
    )
    rng.shuffle(pool)
    joint_members: dict[int, list[int]] = defaultdict(list)
    for mid, org_id in Member.objects.filter(
        organization_id__in=[u.organization_id for u, _p, k in others if k == "joint"],
        status="full",
    ).values_list("pk", "organization_id"):
        joint_members[org_id].append(mid)
    for u, _park, k in others:
        unit = created[u.credit_code]
        committee = code_of[unit.committee_id]
        if k in ("ent01", "ent02") and len(pool) < 3:
            k = "none"
        if k == "ent01":
            picks = [pool.pop() for _ in range(3)]
            truth.add(("ENT-01", committee))
        elif k == "ent02":
            picks = [pool.pop() for _ in range(rng.randint(1, 2))]
            truth.add(("ENT-02", committee))
        elif k == "instructor":
            picks = [pool.pop() for _ in range(min(rng.randint(0, 2), len(pool)))]
        elif k == "joint":
            joined = [m for m in joint_members[unit.organization_id or 0] if m not in taken]
            picks = joined[: rng.randint(1, 2)]
        else:
            picks = []
        for mid in picks:
            taken.add(mid)
            employ.append(Member(pk=mid, employer_id=unit.pk))
    Member.objects.bulk_update(employ, ["employer_id"], batch_size=2000)
    # 3. instructors, one station a park; assignments and a year of visits
    to_assign = [created[u.credit_code] for u, _p, k in others if k in ("instructor", "ent01")]
    to_assign += [created[u.credit_code] for u in units if rng.random() < 0.3]
    per_park: dict[int, list[Unit]] = defaultdict(list)
    park_of_unit = {e.unit_id: e.park_id for e in enterprises}
    for target in to_assign:
        per_park[park_of_unit[target.pk] or parks[0].pk].append(target)
    instructors: list[Instructor] = []
    plan: list[tuple[int, Unit]] = []
    n = 0
    for park, station in zip(parks, stations, strict=True):
        mine = per_park.get(park.pk, [])
        count = max(2, len(mine) // 8)
        start = len(instructors)
        for _ in range(count):
            n += 1
            instructors.append(
                Instructor(
                    ref=f"ZDY{n:05d}",
                    name=_name(rng),
                    kind="full" if rng.random() < 0.4 else "part",
                    unit=rng.choice(["区委组织部", "园区管委会", "退休干部", "人社局", "工商联"]),
                    phone=f"137{rng.randint(10_000_000, 99_999_999)}",
                    started_on=today - timedelta(days=rng.randint(500, 2000)),
                    organization_id=park.organization_id,
                    station=station,
                )
            )
        for i, assigned in enumerate(mine):
            plan.append((start + i % count, assigned))
    # the demo's member login (demo_logins_create: the first full member of the first branch with
    # full members) is the first instructor, so that the phone page can be walked through
    branch = (
        Organization.objects.filter(kind="branch", is_active=True, members__status="full")
        .order_by("path")
        .distinct()
        .first()
    )
    demo = Member.objects.filter(organization=branch, status="full").order_by("member_no").first()
    if demo is not None and instructors:
        instructors[0].member, instructors[0].name = demo, demo.name
    Instructor.objects.bulk_create(instructors)
    quarter = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    last_q = add_months(quarter, -3)
    assignments, visits = [], []
    for idx, unit in plan:
        ins = instructors[idx]
        since = today - timedelta(days=rng.randint(400, 1100))
        assignments.append(Assignment(instructor=ins, enterprise_id=unit.pk, since=since))
        skip = rng.random() < rate * 3
        if skip:
            truth.add(("ENT-03", code_of[unit.committee_id]))
        q = add_months(quarter, -12)
        while q <= today:
            end = min(add_months(q, 3) - timedelta(days=1), today)
            if q >= since and not (skip and q == last_q) and end >= q:
                on = q + timedelta(days=rng.randint(0, (end - q).days))
                visits.append(
                    InstructorVisit(
                        instructor=ins,
                        enterprise_id=unit.pk,
                        visited_on=on,
                        met=f"企业负责人{_name(rng)}",
                        topics=rng.sample(TOPICS, rng.randint(1, 3)),
                        notes="了解企业党建工作开展情况，宣讲有关政策。",
                        problems=""
                        if rng.random() < 0.7
                        else "党员底数不清，部分党员组织关系未转入",
                    )
                )
            q = add_months(q, 3)
    Assignment.objects.bulk_create(assignments, batch_size=2000)
    InstructorVisit.objects.bulk_create(visits, batch_size=2000)
    rows = []
    for v in visits:
        if rng.random() < 0.25:
            due = v.visited_on + timedelta(days=rng.randint(10, 40))
            # most follow-ups are done in time; some recent ones are still open, a few overdue
            done: date | None = due - timedelta(days=rng.randint(0, 8))
            if due > today - timedelta(days=60) and rng.random() < 0.5:
                done = None
            if done is not None and not v.visited_on <= done <= today:
                done = None
            rows.append(
                FollowUp(
                    visit=v,
                    text=rng.choice(FOLLOWUPS),
                    due_on=due,
                    done_on=done,
                    result="已办理" if done else "",
                )
            )
    FollowUp.objects.bulk_create(rows, batch_size=2000)
    shown = _showcase(rng, today, [created[u.credit_code] for u in units], employ, parks)
    return {
        "enterprises": len(enterprises),
        "parks": len(parks),
        "instructors": len(instructors),
        "visits": len(visits),
        "employed": len(employ),
        **shown,
    }


BRANDS = ["蓝海红帆", "蝉先锋", "红色引擎", "鹭岛先锋", "红心向党", "芯火燎原", "党建+创新"]
HONOURS = [
    ("先进基层党组织", "city", "中共厦门市委"),
    ("五星级党组织", "district", "区委组织部"),
    ("全省非公企业党建示范点", "province", "中共福建省委组织部"),
    ("全国先进基层党组织", "national", "中共中央"),
    ("党建工作示范点", "district", "区委组织部"),
]
TITLES = [("tech", "首席技术官"), ("dept", "研发部经理"), ("project", "核心项目负责人")]


def _showcase(
    rng: random.Random,
    today: date,
    own_units: list[Unit],
    employed: list[Member],
    parks: list[Park],
) -> dict[str, int]:
    """双培养's key positions (about two in three held by members), some key staff marked for
    cultivation, brands and honours of enterprise organizations and parks, a few commando teams
    and joint meetings of each park's committee with its enterprises' organizations."""
    by_unit: dict[int, list[int]] = defaultdict(list)
    for m in employed:
        by_unit[m.employer_id or 0].append(m.pk)
    positions = []
    for unit in own_units[: max(1, len(own_units) // 2)]:
        for kind, title in TITLES:
            staff = by_unit.get(unit.pk) or []
            if staff and rng.random() < 0.65:
                positions.append(
                    KeyPosition(
                        enterprise_id=unit.pk, kind=kind, title=title, member_id=rng.choice(staff)
                    )
                )
            else:
                positions.append(
                    KeyPosition(
                        enterprise_id=unit.pk,
                        kind=kind,
                        title=title,
                        holder=_name(rng),
                        cultivate=rng.random() < 0.3,
                    )  # fmt: skip
                )
    KeyPosition.objects.bulk_create(positions, batch_size=2000)
    orgs = [u.organization_id for u in own_units if u.organization_id]
    picked = rng.sample(orgs, min(len(orgs), 12))
    brands = [
        Brand(
            organization_id=o,
            name=name,
            since=rng.randint(2015, today.year - 1),
            description="以党建引领企业发展，党员在攻坚一线当先锋。",
        )  # fmt: skip
        for o, name in zip(picked, BRANDS, strict=False)
    ]
    Brand.objects.bulk_create(brands)
    honours = []
    for o in rng.sample(orgs, min(len(orgs), 20)) + [p.organization_id for p in parks]:
        title, level, body = rng.choice(HONOURS)
        honours.append(
            Honour(
                organization_id=o,
                title=title,
                awarded_by=body,
                level=level,
                year=rng.randint(today.year - 5, today.year - 1),
            )  # fmt: skip
        )
    Honour.objects.bulk_create(honours)
    InnovationCase.objects.bulk_create(
        [
            InnovationCase(
                organization_id=p.organization_id,
                title=f"{p.name}“五联”工作机制",
                award="全市党建创新案例",
                year=today.year - 1,
            )  # fmt: skip
            for p in parks
        ]
    )
    ServiceCentre.objects.bulk_create(
        [
            ServiceCentre(
                organization_id=p.organization_id,
                kind="service",
                name=f"{p.name}党群服务中心",
                address=f"{p.name}综合服务楼一层",
                hours="周一至周日 9:00-21:00",
                facilities="党员活动室、职工书屋、会议室",
            )  # fmt: skip
            for p in parks
        ]
    )
    teams = []
    for unit in rng.sample(own_units, min(len(own_units), 5)):
        staff = by_unit.get(unit.pk) or []
        if len(staff) < 2 or unit.organization_id is None:
            continue
        start = today - timedelta(days=rng.randint(60, 400))
        t = CommandoTeam.objects.create(
            organization_id=unit.organization_id, enterprise_id=unit.pk, kind="commando",
            name=f"{unit.name[2:6]}攻坚党员突击队", project="关键技术攻关",
            starts_on=start, ends_on=start + timedelta(days=365),
        )  # fmt: skip
        t.members.set(rng.sample(staff, min(len(staff), 5)))
        Milestone.objects.create(team=t, on=start + timedelta(days=30), text="完成攻关方案论证")
        teams.append(t)
    for p in parks:
        members = [u.organization_id for u in own_units if u.organization_id][:4]
        e = JointEvent.objects.create(
            organizer_id=p.organization_id, kind="meeting", title=f"{p.name}党建联席会议",
            held_on=today - timedelta(days=rng.randint(10, 80)), place=f"{p.name}党群服务中心",
            summary="通报园区党建工作，研究联合开展主题党日和党建品牌联创。",
        )  # fmt: skip
        e.participants.set([p.organization_id, *members])
    return {"positions": len(positions), "brands": len(brands), "honours": len(honours),
            "teams": len(teams)}  # fmt: skip
