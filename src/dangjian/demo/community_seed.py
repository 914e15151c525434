"""After the city is imported: 近邻党建 — every community's 小区 (each covered by one of the
community's branches), where members live (a community's members in its 小区, in-service members
anywhere in the city), this year's 报到 and services of the in-service members, and neighbourhood
issues. At the plant rate, irregular ones with their ground truth: a 小区 with 3 full members and
no branch (NBR-01), an in-service member not reported after March (NBR-03), fewer than 2
services from October (NBR-04), an issue undecided for more than 15 days (NBR-05). Bulk writes."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction

from dangjian.community.constants import IN_SERVICE_CATEGORIES
from dangjian.community.models import (
    Alliance,
    AllianceActivity,
    Issue,
    IssueStatus,
    Place,
    Report,
    Residence,
    Service,
    Team,
    TeamActivity,
    UnitRegistration,
)
from dangjian.community.rules import _deadline, in_service
from dangjian.community.selectors import communities
from dangjian.members.constants import ACTIVE_STATUSES
from dangjian.members.models import Member
from dangjian.orgs.models import Organization

NAMES = "海景 翠湖 金山 银溪 阳光 书香 锦绣 和谐 幸福 望海 滨湖 紫荆 碧水 莲花 梧桐 凤凰".split()
SUFFIX = ["花园", "小区", "苑", "新村", "公寓", "家园"]
COMPANIES = ["鹭城物业", "海湾物业", "特房物业", "建发物业", "国贸物业"]
ISSUES = [
    ("美食街装卸货车位被占", "早上装卸货车位被私家车占用，货车堵在路口"),
    ("楼道堆放杂物", "3号楼楼道长期堆放杂物，有消防隐患"),
    ("路灯不亮", "小区东门路灯坏了一周"),
    ("电动车充电难", "小区缺少集中充电桩，有居民飞线充电"),
]


def _places_for(rng: random.Random, community: Organization, branches: list[Organization], k: int):
    out = []
    for i in range(k):
        cover = branches[i % len(branches)] if branches else None
        out.append(
            Place(
                code=f"{community.code}-{i + 1:02d}",
                name=f"{rng.choice(NAMES)}{rng.choice(SUFFIX)}",
                community=community,
                households=rng.randint(120, 1500),
                buildings=rng.randint(4, 30),
                property_company=rng.choice(COMPANIES),
                property_party=rng.random() < 0.4,
                owners_committee=rng.random() < 0.6,
                covered_by=cover,
            )
        )
    return out


@transaction.atomic
def plant_community(
    *, today: date, seed: int, rate: float, truth: set[tuple[str, str]]
) -> dict[str, int]:
    rng = random.Random(seed * 104729 + 3)
    comms = list(communities().order_by("path"))
    if not comms:
        return {}
    # the branches and groups inside each community (a 小区党支部 or 网格 党小组 covers a 小区)
    inside: dict[int, list[Organization]] = {c.pk: [] for c in comms}
    by_path = {c.path: c for c in comms}
    for o in Organization.objects.filter(
        kind__in=("branch", "group"), is_active=True, category="community"
    ).order_by("path"):
        for depth in range(len(o.path) - 4, 0, -4):
            c = by_path.get(o.path[:depth])
            if c is not None:
                inside[c.pk].append(o)
                break
    places: list[Place] = []
    for c in comms:
        places += _places_for(rng, c, inside[c.pk], rng.randint(2, 4) if inside[c.pk] else 1)
    Place.objects.bulk_create(places, batch_size=5000)
    places = list(Place.objects.select_related("community").order_by("code"))
    covered: dict[int, list[Place]] = {c.pk: [] for c in comms}
    for p in places:
        if p.covered_by_id:
            covered[p.community_id].append(p)
    # a community's members live in its covered 小区
    residences: list[Residence] = []
    living: dict[int, list[tuple[int, str]]] = {}  # community → its members (id, status)
    members = Member.objects.filter(status__in=ACTIVE_STATUSES).values_list(
        "id", "status", "organization__path"
    )
    for mid, status, path in members.iterator(chunk_size=20_000):
        for depth in range(len(path), 0, -4):
            c = by_path.get(path[:depth])
            if c is not None:
                if covered[c.pk]:
                    living.setdefault(c.pk, []).append((mid, status))
                break
    for c in comms:
        for j, (mid, _status) in enumerate(living.get(c.pk, [])):
            residences.append(Residence(member_id=mid, place=covered[c.pk][j % len(covered[c.pk])]))
    # planted NBR-01: three full members of a community move to a new 小区 without a branch
    planted = 0
    for c in comms:
        full = [mid for mid, status in living.get(c.pk, []) if status == "full"]
        if len(full) < 3 or rng.random() >= rate:
            continue
        p = Place.objects.create(
            code=f"{c.code}-N1", name=f"{rng.choice(NAMES)}新苑", community=c, households=300
        )
        moving = set(full[:3])
        residences = [r for r in residences if r.member_id not in moving]
        residences += [Residence(member_id=mid, place=p) for mid in moving]
        truth.add(("NBR-01", c.code))
        planted += 1
    # in-service members live anywhere in the city, report in the first quarter, serve
    workers = list(in_service("").order_by("member_no").values_list("id", "organization__code"))
    housed = {r.member_id for r in residences}
    all_covered = [p for p in places if p.covered_by_id]
    deadline = _deadline(today.year, 3)
    late = today > deadline
    start = date(today.year, 1, 2)
    reports: list[Report] = []
    services: list[Service] = []
    skipped: set[str] = set()
    short: set[str] = set()
    for mid, org_code in workers:
        home = rng.choice(all_covered) if all_covered else None
        if home is None:
            break
        if mid not in housed:
            residences.append(Residence(member_id=mid, place=home))
        if late and org_code not in skipped and rng.random() < rate / 10:
            skipped.add(org_code)  # planted NBR-03: one member of the unit did not report
            truth.add(("NBR-03", org_code))
            continue
        last = min(today, deadline)
        if last < start:
            continue
        on = start + timedelta(days=rng.randint(0, (last - start).days))
        reports.append(
            Report(
                member_id=mid,
                community=home.community,
                year=today.year,
                reported_on=on,
                confirmed_on=on,
            )
        )
        span = (today - on).days
        n = 2
        if today.month >= 10 and org_code not in short and rng.random() < rate / 10:
            short.add(org_code)  # planted NBR-04: one service only, in the last quarter
            truth.add(("NBR-04", org_code))
            n = 1
        services += [
            Service(
                member_id=mid,
                community=home.community,
                what=rng.choice(["文明劝导", "楼道清理", "关爱独居老人", "垃圾分类督导"]),
                done_on=on + timedelta(days=rng.randint(0, span)),
                hours=Decimal(rng.choice(["1.0", "1.5", "2.0", "3.0"])),
            )
            for _ in range(n)
        ]
    Residence.objects.bulk_create(residences, batch_size=10_000)
    Report.objects.bulk_create(reports, batch_size=10_000)
    Service.objects.bulk_create(services, batch_size=10_000)
    # issues: most decided or confirmed; planted NBR-05: one raised 20–40 days ago, undecided
    issues: list[Issue] = []
    for c in comms:
        for k in range(rng.randint(0, 2)):
            title, text = rng.choice(ISSUES)
            raised = today - timedelta(days=rng.randint(16, 120))
            decided = raised + timedelta(days=rng.randint(1, 14))
            issues.append(
                Issue(
                    community=c,
                    title=title,
                    text=text,
                    raiser_name="邻长",
                    raised_on=raised,
                    status=IssueStatus.CONFIRMED if k else IssueStatus.DECIDED,
                    decided_on=decided,
                    decision="联席会议议定：社区牵头，共建单位和物业配合，一周内解决",
                    closed_on=min(today, decided + timedelta(days=rng.randint(1, 10)))
                    if k
                    else None,
                    result="已按议定办结，居民满意" if k else "",
                )
            )
        if rng.random() < rate:
            title, text = rng.choice(ISSUES)
            issues.append(
                Issue(
                    community=c,
                    title=title,
                    text=text,
                    raiser_name="居民",
                    raised_on=today - timedelta(days=rng.randint(20, 40)),
                )
            )
            truth.add(("NBR-05", c.code))
    Issue.objects.bulk_create(issues, batch_size=5000)
    extra = _co_building(rng, today, comms, living)
    return {
        **extra,
        "places": len(places) + planted,
        "residences": len(residences),
        "reports": len(reports),
        "services": len(services),
        "issues": len(issues),
    }


SHOPS = ["美食街商户联合会", "鹭江超市", "社区卫生服务站", "辖区派出所", "共建中学"]


def _co_building(
    rng: random.Random, today: date, comms: list[Organization], living: dict[int, list[Any]]
) -> dict[str, int]:
    """Units registered with communities (组织报到), co-building agreements (some due for renewal)
    with their activities, and volunteer teams of the community's members with their activities
    this year. None of it is planted: no rule reads it."""
    units = list(
        Organization.objects.filter(
            kind__in=("committee", "general_branch", "branch"),
            category__in=IN_SERVICE_CATEGORIES,
            is_active=True,
        )
        .order_by("path")
        .values_list("id", flat=True)[: len(comms) * 2]
    )
    registrations = [
        UnitRegistration(
            unit_id=uid,
            community=comms[i % len(comms)],
            registered_on=date(today.year, 1, 2) + timedelta(days=rng.randint(0, 80)),
            contact_name=rng.choice(["王主任", "李书记", "陈科长"]),
            resources=rng.choice(["法律咨询、义诊", "场地、志愿者", "技能培训", "图书捐赠"]),
        )
        for i, uid in enumerate(units)
    ]
    UnitRegistration.objects.bulk_create(registrations, batch_size=5000, ignore_conflicts=True)
    alliances = [
        Alliance(
            community=c,
            name=f"{c.name.removeprefix('中共').removesuffix('委员会')}共建共管共享协议",
            parties="\n".join(rng.sample(SHOPS, 3)),
            commitments="装卸货车位错时共用；商户轮流值守劝导；共建单位每季度开展一次志愿服务",
            started_on=date(today.year - 1, rng.randint(1, 12), 1),
            ends_on=today + timedelta(days=rng.choice([20, 45, 200, 300])),
        )
        for c in comms[::3]
    ]
    Alliance.objects.bulk_create(alliances, batch_size=5000)
    saved = list(Alliance.objects.filter(community__in=comms[::3]).order_by("id"))
    AllianceActivity.objects.bulk_create(
        [
            AllianceActivity(
                alliance=a,
                held_on=max(a.started_on, today - timedelta(days=rng.randint(1, 150))),
                what=rng.choice(["装卸货车位联合巡查", "共建单位义诊", "垃圾分类宣传"]),
                parties=a.party_names[0],
                result="劝导占道车辆，车位恢复畅通",
            )
            for a in saved
            for _ in range(2)
        ],
        batch_size=5000,
    )
    teams, members = [], []
    for c in comms[::4]:
        people = [mid for mid, _status in living.get(c.pk, [])][:6]
        if len(people) < 3:
            continue
        teams.append(
            Team(
                owner=c,
                name="巡查劝导先锋队",
                purpose="美食街和小区的文明劝导、占道巡查",
                leader_id=people[0],
                residents="商户甲\n商户乙",
                formed_on=date(today.year, 1, 5),
            )
        )
        members.append(people)
    Team.objects.bulk_create(teams, batch_size=5000)
    saved_teams = list(Team.objects.filter(owner__in=comms[::4]).order_by("owner__path", "id"))
    through = Team.members.through
    through.objects.bulk_create(
        [
            through(team_id=t.pk, member_id=mid)
            for t, people in zip(saved_teams, members, strict=True)
            for mid in people
        ],
        batch_size=10_000,
    )
    acts = [
        TeamActivity(
            team=t,
            held_on=min(today, date(today.year, month, rng.randint(1, 28))),
            place="美食街",
            hours=Decimal("2.0"),
            residents=rng.randint(0, 6),
            result="劝导占道车辆，清理乱堆放",
        )
        for t in saved_teams
        for month in range(1, today.month + 1)
    ]
    TeamActivity.objects.bulk_create(acts, batch_size=5000)
    saved_acts = list(
        TeamActivity.objects.filter(team__in=saved_teams).values_list("id", "team_id")
    )
    by_team = {t.pk: people for t, people in zip(saved_teams, members, strict=True)}
    part = TeamActivity.participants.through
    part.objects.bulk_create(
        [
            part(teamactivity_id=aid, member_id=mid)
            for aid, tid in saved_acts
            for mid in by_team[tid][: 3 + aid % 3]
        ],
        batch_size=10_000,
    )
    return {
        "units": len(registrations),
        "alliances": len(alliances),
        "teams": len(saved_teams),
        "activities": len(acts),
    }
