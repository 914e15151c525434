"""After the city is imported: units, projects, joint branches, set-up requests and elections —
regular ones and, at the plant rate, irregular ones (ORG-01/05/07/08, TERM-04/06/07) with their
ground truth. Bulk writes; no loop issues a query per organization."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Sum

from dangjian.core.dates import add_months, months_between
from dangjian.fees.models import AnnualAssessment, FeeMonth, Publication, month_index
from dangjian.members.models import Member
from dangjian.orgs.models import Election, Organization, OrgRequest, Term, Unit

CATEGORIES = ["private", "social", "soe", "institution"]
SUFFIXES = [
    "科技有限公司",
    "商贸有限公司",
    "物业服务中心",
    "建设工程有限公司",
    "行业协会",
    "文化传媒有限公司",
    "餐饮管理有限公司",
]
PLACES = ["海沧", "湖里", "思明", "集美", "同安", "翔安", "鼓浪", "五缘", "杏林", "东渡"]


@transaction.atomic
def plant_setup(
    *, today: date, seed: int, rate: float, truth: set[tuple[str, str]]
) -> dict[str, int]:
    rng = random.Random(seed * 7919 + 17)
    committees = list(
        Organization.objects.filter(kind="committee", is_active=True, depth__gte=2)
        .order_by("path")
        .values_list("id", "code", "path")
    )
    if not committees:
        return {}
    taken = {code for _rule, code in truth}
    has_three_full = Exists(
        Member.objects.filter(organization_id=OuterRef("pk"), status="full").values("pk")[2:3]
    )
    # branches with 3+ full members and nothing planted on them: candidates for joint branches
    branches = list(
        Organization.objects.filter(kind="branch", is_active=True)
        .filter(has_three_full)
        .exclude(code__in=taken)
        .order_by("path")
        .values_list("id", "code", "path")
    )
    names = iter(
        f"{rng.choice(PLACES)}{rng.choice(PLACES)}{i:04d}{rng.choice(SUFFIXES)}"
        for i in range(10**6)
    )
    units: list[Unit] = []
    n_committees = len(committees)

    by_path = {cpath: cid for cid, _code, cpath in committees}

    def committee_of(path: str) -> int:
        """The nearest committee above a branch (walking up its materialized path)."""
        for end in range(len(path) - Organization.steplen, 0, -Organization.steplen):
            if path[:end] in by_path:
                return by_path[path[:end]]
        return committees[0][0]

    # regular units: each with its own branch (3+ full members), or small ones under a joint branch
    sample = rng.sample(branches, min(len(branches), max(1, len(branches) // 10)))
    joint_ids: list[int] = []
    for bid, code, path in sample:
        cid = committee_of(path)
        if rng.random() < 0.2:  # a joint branch of 2-5 small units, or planted: more than 5
            over = rng.random() < rate * 5
            k = rng.randint(6, 8) if over else rng.randint(2, 5)
            units += [
                Unit(
                    kind="unit",
                    name=next(names),
                    category=rng.choice(CATEGORIES),
                    committee_id=cid,
                    organization_id=bid,
                    full_members=rng.randint(1, 2),
                )
                for _ in range(k)
            ]
            joint_ids.append(bid)
            if over:
                truth.add(("ORG-05", code))
        else:
            units.append(
                Unit(
                    kind="unit",
                    name=next(names),
                    category=rng.choice(CATEGORIES),
                    committee_id=cid,
                    organization_id=bid,
                    full_members=rng.randint(3, 40),
                )
            )
    Organization.objects.filter(pk__in=joint_ids).update(is_joint=True)
    # units without an organization: small ones are regular; 3+ full members is ORG-01 on the
    # committee
    for cid, code, _path in committees:
        for _ in range(rng.randint(0, 2)):
            units.append(
                Unit(
                    kind="unit",
                    name=next(names),
                    category=rng.choice(CATEGORIES),
                    committee_id=cid,
                    full_members=rng.randint(0, 2),
                )
            )
        if rng.random() < rate * 3:
            units.append(
                Unit(
                    kind="unit",
                    name=next(names),
                    category=rng.choice(CATEGORIES),
                    committee_id=cid,
                    full_members=rng.randint(3, 9),
                )
            )
            truth.add(("ORG-01", code))
    # projects: finished, short, with a branch, or (planted) long with 3+ full members and no branch
    for cid, code, _path in committees:
        if rng.random() < 0.3:
            start = today - timedelta(days=rng.randint(30, 500))
            end = add_months(start, rng.choice([3, 4, 5]))
            units.append(
                Unit(
                    kind="project",
                    name=next(names).replace("有限公司", "项目"),
                    category="soe",
                    committee_id=cid,
                    full_members=rng.randint(3, 8),
                    started_on=start,
                    ends_on=end,
                    planned_months=months_between(start, end),
                )
            )
        if rng.random() < rate * 3:
            start = today - timedelta(days=rng.randint(10, 300))
            end = add_months(start, rng.choice([8, 12, 24]))
            units.append(
                Unit(
                    kind="project",
                    name=next(names).replace("有限公司", "工程"),
                    category="soe",
                    committee_id=cid,
                    full_members=rng.randint(3, 12),
                    started_on=start,
                    ends_on=end,
                    planned_months=months_between(start, end),
                )
            )
            truth.add(("ORG-08", code))
    Unit.objects.bulk_create(units, batch_size=5000)
    # requests to set up an organization: answered, recent, or (planted) unanswered over a month
    requests: list[OrgRequest] = []
    for cid, code, _path in committees:
        if rng.random() < 0.2:
            sub = today - timedelta(days=rng.randint(40, 400))
            requests.append(
                OrgRequest(
                    committee_id=cid,
                    proposed_name=f"中共{next(names)}支部委员会",
                    submitted_on=sub,
                    answered_on=sub + timedelta(days=rng.randint(5, 28)),
                    decision="approved",
                    reply="同意成立",
                )
            )
        if rng.random() < 0.1:
            requests.append(
                OrgRequest(
                    committee_id=cid,
                    proposed_name=f"中共{next(names)}支部委员会",
                    submitted_on=today - timedelta(days=rng.randint(0, 25)),
                )
            )
        if rng.random() < rate * 3:
            requests.append(
                OrgRequest(
                    committee_id=cid,
                    proposed_name=f"中共{next(names)}支部委员会",
                    submitted_on=add_months(today, -1) - timedelta(days=rng.randint(1, 90)),
                )
            )
            truth.add(("ORG-07", code))
    OrgRequest.objects.bulk_create(requests, batch_size=5000)
    _plant_elections(today, rng, rate, truth)
    _plant_publications(today, rng, rate, truth)
    return {
        "units": len(units),
        "requests": len(requests),
        "joint": len(joint_ids),
        "committees": n_committees,
    }


def _plant_elections(
    today: date, rng: random.Random, rate: float, truth: set[tuple[str, str]]
) -> None:
    """Elections behind current terms elected in the last 24 months, reported in time; at the plant
    rate one stored invalid (TERM-06, as if entered before validation) or unreported (TERM-07);
    and, planted, a postponement beyond a year (TERM-04)."""
    taken = {code for rule, code in truth if rule.startswith("TERM")}
    window = add_months(today.replace(day=1), -24)
    later = Term.objects.filter(
        organization_id=OuterRef("organization_id"),
        elected_on__gt=OuterRef("elected_on"),
        elected_on__lte=today,
    )
    current = list(
        Term.objects.filter(
            elected_on__lte=today,
            organization__is_active=True,
            organization__kind__in=["committee", "general_branch", "branch"],
        )
        .filter(~Exists(later))
        .exclude(organization__code__in=taken)
        .order_by("organization__path")
        .values_list("id", "organization_id", "organization__code", "elected_on", "term_years")
    )
    report_by = add_months(today, -1)
    elections: list[Election] = []
    extend: list[Term] = []
    for tid, oid, code, elected, years in current:
        end = add_months(elected, 12 * years)
        if elected >= window and rng.random() < 0.5:
            eligible = rng.randint(5, 60)
            present = eligible - rng.randint(0, eligible // 10)
            seats = rng.choice([3, 5, 7])
            e = Election(
                organization_id=oid,
                term_id=tid,
                requested_on=elected - timedelta(days=rng.randint(20, 50)),
                request_approved_on=elected - timedelta(days=rng.randint(5, 15)),
                held_on=elected,
                eligible=eligible,
                present=present,
                seats=seats,
                candidates=seats + max(1, (seats + 4) // 5),
                min_winner_votes=present // 2 + 1 + rng.randint(0, present // 3),
                reported_on=min(elected + timedelta(days=rng.randint(3, 25)), today),
                secretary_approved_on=min(elected + timedelta(days=rng.randint(10, 28)), today),
            )
            roll = rng.random()
            if roll < rate:
                e.present = eligible * 4 // 5  # not more than 4/5 present
                e.min_winner_votes = e.present // 2 + 1
                truth.add(("TERM-06", code))
            elif roll < 2 * rate and elected <= report_by - timedelta(days=1):
                e.reported_on, e.secretary_approved_on = None, None
                truth.add(("TERM-07", code))
            elections.append(e)
        elif end > add_months(today, 7) and rng.random() < rate:
            extend.append(
                Term(
                    id=tid,
                    extended_until=add_months(end, 13),
                    extension_months=13,
                    extension_approved_on=today - timedelta(days=30),
                    extension_reason="演示数据",
                )
            )
            truth.add(("TERM-04", code))
    Election.objects.bulk_create(elections, batch_size=5000)
    Term.objects.bulk_update(
        extend,
        ["extended_until", "extension_months", "extension_approved_on", "extension_reason"],
        batch_size=2000,
    )


def _plant_publications(
    today: date, rng: random.Random, rate: float, truth: set[tuple[str, str]]
) -> None:
    """Each branch that collected fees last year published them to its members early this year;
    at the plant rate one did not (FEE-12)."""

    year = today.year - 1
    paid = FeeMonth.objects.filter(
        organization_id=OuterRef("pk"),
        month_index__gte=month_index(year, 1),
        month_index__lt=month_index(year + 1, 1),
        paid_fen__gt=0,
    )
    branches = list(
        Organization.objects.filter(kind="branch", is_active=True)
        .filter(Exists(paid))
        .order_by("path")
        .values_list("id", "code")
    )

    sums = dict(
        FeeMonth.objects.filter(
            month_index__gte=month_index(year, 1), month_index__lt=month_index(year + 1, 1)
        )
        .order_by()
        .values("organization_id")
        .annotate(s=Sum("paid_fen"))
        .values_list("organization_id", "s")
    )
    rows = []
    for oid, code in branches:
        if rng.random() < rate:
            truth.add(("FEE-12", code))
            continue
        published = min(date(today.year, 1, rng.randint(5, 28)), today)
        rows.append(
            Publication(
                organization_id=oid,
                year=year,
                published_on=published,
                collected_fen=sums.get(oid) or 0,
                remitted_fen=0,
                method=rng.choice(["党员大会通报", "支部公示栏公布", "党员微信群公布"]),
            )
        )
    Publication.objects.bulk_create(rows, batch_size=5000)
    _plant_annual_assessments(today, rng, rate, truth)


def _plant_annual_assessments(
    today: date, rng: random.Random, rate: float, truth: set[tuple[str, str]]
) -> None:
    """Each branch with members confirmed this year's assessment in the first quarter; at the plant
    rate one did not (FEE-07, reported from April)."""

    members = Member.objects.filter(
        organization_id=OuterRef("pk"),
        status__in=["full", "probationary"],
        joined_on__lt=date(today.year, 1, 1),
    )
    branches = list(
        Organization.objects.filter(kind="branch", is_active=True)
        .filter(Exists(members))
        .order_by("path")
        .values_list("id", "code")
    )
    rows = []
    for oid, code in branches:
        if rng.random() < rate:
            if today.month > 3:
                truth.add(("FEE-07", code))
            continue
        done = min(date(today.year, rng.randint(1, 3), rng.randint(1, 28)), today)
        rows.append(AnnualAssessment(organization_id=oid, year=today.year, done_on=done, members=0))
    AnnualAssessment.objects.bulk_create(rows, batch_size=5000)
