"""After the city is imported: the academy's classes consistent with the record, and planted
EDU-02/03 cases that only the academy explains.

The city academy (the root organization) runs, for the two years before `today` and this year so
far, a yearly 支部书记培训班 and 党务工作者培训班 for every secretary and committee member
(concentrated training, EDU-02), a monthly 支部书记培训班 for new secretaries (within six months of
taking office, EDU-03), monthly 新党员培训班 for probationary and newly converted members (EDU-04),
a 发展对象培训班 ending on each candidate's recorded training date (the recruitment record's
training step, now filled from the academy), 入党积极分子培训班 for activists and a 非公党建指导员
培训班; plus a class open for nominations and one under way for the demo. Completed classes count
as study hours, so members planted below their hours in the last year get their classes outside
it. Planted at the rate: a judged leader whose class of the last year was not completed (EDU-02),
and a new secretary trained only in a 党务工作者培训班, not a secretaries' class (EDU-03)."""

from __future__ import annotations

import random
import secrets
from collections import Counter, defaultdict
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from dangjian.academy.constants import KINDS
from dangjian.academy.models import (
    Certificate,
    ClassKind,
    ClassSession,
    ClassStatus,
    Enrolment,
    EnrolmentStatus,
    Nominee,
    Outline,
    Rating,
    Teacher,
    TrainingClass,
)
from dangjian.core.dates import add_months
from dangjian.learning.constants import LEADER_POSTS
from dangjian.learning.models import StudyYear
from dangjian.members.constants import FEE_STATUSES
from dangjian.members.models import Member
from dangjian.orgs.models import Organization, Post
from dangjian.recruitment.models import Candidate

TEACHERS = [
    ("林海燕", "市委党校", "教授", "党章党规、党的建设"),
    ("陈建国", "市委组织部", "组织一处处长", "基层组织建设、发展党员"),
    ("黄丽华", "厦门大学马克思主义学院", "副教授", "党的创新理论"),
    ("吴志强", "市纪委监委", "宣教室主任", "党风廉政、纪律教育"),
    ("郑晓敏", "市委党校", "讲师", "党务实务、组织生活"),
    ("许文彬", "思明区委组织部", "组织员", "党费收缴、组织关系转接"),
]
OUTLINES = [
    ("党章和党内法规", "党章党规", 0),
    ("发展党员工作细则解读", "发展党员", 1),
    ("新时代党的创新理论", "理论学习", 2),
    ("党员的纪律和规矩", "纪律教育", 3),
    ("三会一课和主题党日实务", "组织生活", 4),
    ("党费收缴与组织关系转接", "党务实务", 5),
]
SESSIONS = [(time(9), time(12)), (time(14), time(17))]
BATCH = 5000  # rows written (and read back) at a time


def ensure_kinds() -> dict[str, ClassKind]:
    for code, name, purpose, order in KINDS:
        ClassKind.objects.get_or_create(
            code=code, defaults={"name": name, "purpose": purpose, "order": order}
        )
    return {k.code: k for k in ClassKind.objects.all()}


class _Plan:
    """Classes and enrolments to write in bulk."""

    def __init__(self, root: Organization, kinds: dict[str, ClassKind], today: date) -> None:
        self.root, self.kinds, self.today = root, kinds, today
        self.classes: dict[str, dict[str, Any]] = {}
        self.rows: list[dict[str, Any]] = []

    def klass(self, code: str, kind: str, title: str, ends: date, days: int, hours: int) -> str:
        if code not in self.classes:
            self.classes[code] = {
                "kind": self.kinds[kind],
                "title": title,
                "starts_on": ends - timedelta(days=days - 1),
                "ends_on": ends,
                "hours": Decimal(hours),
            }
        return code

    def enrol(self, code: str, **row: Any) -> None:
        self.rows.append({"klass": code, **row})


def _monthly(today: date, since: date) -> list[date]:
    """A class ending on the 20th of each month from `since` to yesterday, and one ending
    yesterday (so that someone who joined this month can have been trained)."""
    out = []
    d = since.replace(day=20)
    while d < today:
        out.append(d)
        d = add_months(d, 1)
    if today - timedelta(days=1) not in out and today - timedelta(days=1) >= since:
        out.append(today - timedelta(days=1))
    return sorted(out)


@transaction.atomic
def plant_academy(
    *, today: date, seed: int, rate: float, truth: set[tuple[str, str]]
) -> dict[str, int]:
    rng = random.Random(seed * 104729 + 31)
    root = Organization.objects.filter(depth=1).order_by("path").first()
    if root is None:
        return {}
    kinds = ensure_kinds()
    plan = _Plan(root, kinds, today)
    last = today.year - 1
    window = add_months(today.replace(day=1), -24)
    months = _monthly(today, add_months(window, -1))
    codes = dict(Organization.objects.values_list("pk", "code"))
    established = dict(Organization.objects.values_list("pk", "established_on"))

    members: dict[int, dict[str, Any]] = {
        m["pk"]: dict(m)
        for m in Member.objects.filter(status__in=FEE_STATUSES).values(
            "pk", "name", "organization_id", "status", "joined_on", "full_on"
        )
    }
    leaders: dict[int, set[str]] = defaultdict(set)
    for mid, post in Post.objects.filter(
        post__in=LEADER_POSTS, ended_on__isnull=True, member_id__in=members
    ).values_list("member_id", "post"):
        leaders[mid].add(post)
    need = {mid: (56 if mid in leaders else 32) for mid in members}
    # members below their hours in the last year (planted by the city's generator): their
    # classes go outside that year, so that the hours they lack stay lacking
    low = {
        mid
        for mid, hours in StudyYear.objects.filter(year=last, member_id__in=members).values_list(
            "member_id", "hours"
        )
        if hours < need[mid]
    }

    def judged(mid: int, year: int) -> bool:
        m = members[mid]
        start = date(year, 1, 1)
        return m["joined_on"] <= start and (established.get(m["organization_id"]) or start) <= start

    # EDU-03: new secretaries (their posts dated within the window), most trained within six
    # months in a secretaries' class, some (planted) only in a 党务工作者培训班
    sec_posts = sorted(
        (pk, mid, org)
        for pk, mid, org in Post.objects.filter(
            post="secretary", ended_on__isnull=True, member_id__in=members
        ).values_list("pk", "member_id", "organization_id")
        if mid not in low
    )
    held = Counter(mid for _pk, mid, _org in sec_posts)
    sec_posts = [p for p in sec_posts if held[p[1]] == 1]  # secretaries of one organization
    new_count = min(len(sec_posts), max(4, int(len(sec_posts) * rate)))
    new_posts = rng.sample(sec_posts, new_count) if sec_posts else []
    new_secs = {mid for _pk, mid, _org in new_posts}
    planted_03 = {mid for _pk, mid, _org in new_posts[: max(1, new_count // 4)]}
    for pk, mid, org in new_posts:
        s = add_months(today, -rng.randint(7, 20)).replace(day=rng.randint(1, 28))
        s = max(s, window + timedelta(days=1))
        Post.objects.filter(pk=pk).update(started_on=s)
        if mid in planted_03:
            truth.add(("EDU-03", codes[org]))
            continue
        due = add_months(s, 6)
        end = next((d for d in months if s <= d <= due), None)
        if end is not None:
            code = plan.klass(
                f"PX{end:%Y%m}SJ", "secretary", f"{end:%Y年%-m月}新任支部书记培训班", end, 3, 24
            )
            plan.enrol(code, member=mid, completed=True)

    # EDU-02: every secretary and committee member trained each year (the yearly classes); at the
    # rate per branch a judged leader of the last year did not complete
    planted_02: set[int] = set()
    by_branch: dict[int, list[int]] = defaultdict(list)
    for mid in leaders:
        if mid not in low and mid not in new_secs and judged(mid, last):
            by_branch[members[mid]["organization_id"]].append(mid)
    for org, mids in sorted(by_branch.items()):
        if rng.random() < rate:
            mid = rng.choice(sorted(mids))
            planted_02.add(mid)
            truth.add(("EDU-02", codes[org]))
    for year in (last - 1, last):
        sec_end = date(year, 4, 25)
        worker_end = date(year, 9, 18)
        sec = plan.klass(f"PX{year}SJ", "secretary", f"{year}年支部书记轮训班", sec_end, 3, 24)
        work = plan.klass(f"PX{year}DW", "worker", f"{year}年党务工作者培训班", worker_end, 2, 16)
        for mid, posts in leaders.items():
            if year == last and mid in low:
                continue
            code = sec if "secretary" in posts and mid not in planted_03 else work
            if year == last and mid in planted_02:
                plan.enrol(code, member=mid, completed=False, pct=Decimal("37.5"))
            else:
                plan.enrol(code, member=mid, completed=True)

    # EDU-04: probationary and newly converted members in a 新党员培训班 after joining
    for mid, m in members.items():
        if m["status"] != "probationary" and not (m["full_on"] and m["full_on"] >= window):
            continue
        ends = [d for d in months if d >= m["joined_on"] and not (mid in low and d.year == last)]
        if not ends:
            continue
        end = ends[0]
        code = plan.klass(
            f"PX{end:%Y%m%d}XDY", "new_member", f"{end:%Y年%-m月}新党员培训班", end, 2, 16
        )
        plan.enrol(code, member=mid, completed=True)

    # the recruitment record: a 发展对象培训班 ending on each recorded training; activists
    for t in Candidate.objects.filter(trained_on__isnull=False).values(
        "pk", "trained_on", "training_days", "training_hours"
    ):
        end = t["trained_on"]
        if end is None:
            continue
        code = plan.klass(
            f"PX{end:%Y%m%d}FZ",
            "development",
            f"{end:%Y年%-m月}发展对象培训班",
            end,
            max(t["training_days"] or 3, 1),
            t["training_hours"] or 24,
        )
        plan.enrol(code, candidate=t["pk"], completed=True)
    for c in Candidate.objects.filter(
        activist_on__isnull=False, target_on__isnull=True, closed_on__isnull=True
    ).values("pk", "activist_on"):
        ends = [d for d in months if c["activist_on"] and d >= c["activist_on"]]
        if ends:
            code = plan.klass(
                f"PX{ends[0]:%Y%m}JJ",
                "activist",
                f"{ends[0]:%Y年%-m月}入党积极分子培训班",
                ends[0],
                2,
                16,
            )
            plan.enrol(code, candidate=c["pk"], completed=True)
    counts = _write(plan, rng, members)
    counts.update(_demo_classes(root, kinds, today, members, leaders, rng))
    return counts


def _write(plan: _Plan, rng: random.Random, members: dict[int, dict[str, Any]]) -> dict[str, int]:
    root = plan.root
    teachers = Teacher.objects.bulk_create(
        [Teacher(organization=root, name=n, unit=u, title=t, topics=p) for n, u, t, p in TEACHERS]
    )
    outlines = Outline.objects.bulk_create(
        [
            Outline(organization=root, title=t, topic=p, hours=3, teacher=teachers[i])
            for t, p, i in OUTLINES
        ]
    )
    roster_size: dict[str, int] = defaultdict(int)
    for r in plan.rows:
        roster_size[r["klass"]] += 1
    classes = TrainingClass.objects.bulk_create(
        [
            TrainingClass(
                code=code,
                organizer=root,
                status=ClassStatus.CLOSED,
                closed_on=v["ends_on"] + timedelta(days=1),
                capacity=max(50, roster_size[code]),
                place="城市党建学院",
                min_attendance=80,
                pass_score=None,
                published_at=timezone.now(),
                **v,
            )
            for code, v in sorted(plan.classes.items())
        ],
        batch_size=2000,
    )
    by_code = {k.code: k for k in classes}
    sessions = []
    for k in classes:
        n = max(1, k.days * 2)
        per = (k.hours / n).quantize(Decimal("0.1"))
        for i in range(n):
            o = outlines[i % len(outlines)]
            sessions.append(
                ClassSession(
                    klass=k,
                    on=k.starts_on + timedelta(days=i // 2),
                    starts_at=SESSIONS[i % 2][0],
                    ends_at=SESSIONS[i % 2][1],
                    topic=o.title,
                    outline=o,
                    teacher=o.teacher,
                    hours=per,
                    token=secrets.token_urlsafe(32),
                )
            )
    ClassSession.objects.bulk_create(sessions, batch_size=5000)
    names = dict(Candidate.objects.values_list("pk", "name"))
    orgs = dict(Candidate.objects.values_list("pk", "organization_id"))
    now = timezone.now()
    seen: set[tuple[str, str]] = set()
    # written a batch at a time: a province's enrolments as model objects do not fit in memory
    enrolments: list[Enrolment] = []
    written = 0

    def flush() -> None:
        nonlocal written
        Enrolment.objects.bulk_create(enrolments, batch_size=BATCH)
        written += len(enrolments)
        enrolments.clear()

    for r in plan.rows:
        if len(enrolments) >= BATCH:
            flush()
        k = by_code[r["klass"]]
        person = f"m{r['member']}" if "member" in r else f"c{r['candidate']}"
        if (k.code, person) in seen:
            continue
        seen.add((k.code, person))
        done = r["completed"]
        if "member" in r:
            m = members[r["member"]]
            name, org = m["name"], m["organization_id"]
        else:
            name, org = names[r["candidate"]], orgs[r["candidate"]]
        enrolments.append(
            Enrolment(
                klass=k,
                member_id=r.get("member"),
                candidate_id=r.get("candidate"),
                name=name,
                nominee=(
                    Nominee.DEVELOPMENT
                    if "candidate" in r and k.kind.purpose == "development"
                    else Nominee.ACTIVIST
                    if "candidate" in r
                    else Nominee.PROBATIONARY
                    if members[r["member"]]["status"] == "probationary"
                    else Nominee.MEMBER
                ),
                nominated_by_id=org,
                status=EnrolmentStatus.ACCEPTED,
                nominated_at=now,
                decided_at=now,
                attendance_pct=r.get("pct") or Decimal(rng.choice((87.5, 100, 100, 100))),
                completed=done,
                pass_token="" if "member" in r else secrets.token_urlsafe(32),
            )
        )
    flush()
    # certificates of the completed, numbered per class in the class's order, a batch at a time
    by_id = {k.pk: k for k in classes}
    done = (
        Enrolment.objects.filter(completed=True, klass__in=classes)
        .order_by("klass__code", "pk")
        .values_list("pk", "klass_id", "candidate_id")
    )
    # the ratings' sample, drawn by position as from a list of them, noted in the same pass
    n_done = done.count()
    picks = rng.sample(range(n_done), min(n_done, 400))
    wanted = set(picks)
    at: dict[int, tuple[int, int]] = {}
    numbers: dict[int, int] = defaultdict(int)
    certs: list[Certificate] = []
    cert_of: dict[int, tuple[str, TrainingClass]] = {}  # candidate -> (certificate, class)
    for i, (pk, klass_id, candidate_id) in enumerate(done.iterator(chunk_size=BATCH)):
        if i in wanted:
            at[i] = (pk, klass_id)
        k = by_id[klass_id]
        numbers[klass_id] += 1
        number = f"JY{k.ends_on:%Y}-{klass_id:05d}-{numbers[klass_id]:04d}"
        certs.append(
            Certificate(
                enrolment_id=pk,
                number=number,
                token=secrets.token_urlsafe(24),
                issued_on=k.closed_on or k.ends_on,
            )
        )
        if candidate_id:
            cert_of[candidate_id] = (number, k)
        if len(certs) >= BATCH:
            Certificate.objects.bulk_create(certs, batch_size=BATCH)
            certs.clear()
    Certificate.objects.bulk_create(certs, batch_size=BATCH)
    # the recruitment record's training step: filled from the class
    updates = []
    for c in Candidate.objects.filter(pk__in=cert_of, trained_on__isnull=False):
        number, k = cert_of[c.pk]
        if k.kind.purpose != "development":
            continue
        c.training_source = "academy"
        c.training_note = f"{k.title}（{k.code}），结业证书{number}"[:200]
        updates.append(c)
    Candidate.objects.bulk_update(updates, ["training_source", "training_note"], batch_size=2000)
    # anonymous ratings of the sampled enrolments' first two sessions
    first_two: dict[int, list[ClassSession]] = defaultdict(list)
    for s in sessions:
        if len(first_two[s.klass.pk]) < 2:
            first_two[s.klass.pk].append(s)
    ratings = [
        Rating(session=s, enrolment_id=at[i][0], score=rng.choice((5, 5, 5, 4, 4, 3)), comment="")
        for i in picks
        for s in first_two[at[i][1]]
    ]
    Rating.objects.bulk_create(ratings, batch_size=5000, ignore_conflicts=True)
    return {"classes": len(classes), "enrolments": written, "certificates": n_done}


def _demo_classes(
    root: Organization,
    kinds: dict[str, ClassKind],
    today: date,
    members: dict[int, dict[str, Any]],
    leaders: dict[int, set[str]],
    rng: random.Random,
) -> dict[str, int]:
    """For the demo: a secretaries' class open for nominations next month, with a few branches'
    nominations waiting; and an instructors' class under way this week."""
    starts = add_months(today, 1).replace(day=10)
    open_k = TrainingClass.objects.create(
        code=f"PX{starts:%Y%m}SJ-OPEN",
        kind=kinds["secretary"],
        organizer=root,
        title=f"{starts:%Y年%-m月}支部书记示范培训班",
        starts_on=starts,
        ends_on=starts + timedelta(days=2),
        capacity=60,
        place="城市党建学院",
        eligible=["secretary", "committee"],
        hours=Decimal(24),
        min_attendance=80,
        pass_score=60,
        status=ClassStatus.OPEN,
    )
    running = TrainingClass.objects.create(
        code=f"PX{today:%Y%m%d}ZDY",
        kind=kinds["instructor"],
        organizer=root,
        title=f"{today:%Y年%-m月}非公党建指导员培训班",
        starts_on=today,
        ends_on=today + timedelta(days=1),
        capacity=40,
        place="城市党建学院",
        hours=Decimal(12),
        min_attendance=80,
        pass_score=None,
        status=ClassStatus.PUBLISHED,
        published_at=timezone.now(),
    )
    outlines = list(Outline.objects.filter(organization=root).order_by("pk"))
    for k in (open_k, running):
        for i in range(k.days * 2):
            o = outlines[i % len(outlines)]
            ClassSession.objects.create(
                klass=k,
                on=k.starts_on + timedelta(days=i // 2),
                starts_at=SESSIONS[i % 2][0],
                ends_at=SESSIONS[i % 2][1],
                topic=o.title,
                outline=o,
                teacher=o.teacher,
                hours=Decimal(3),
                token=secrets.token_urlsafe(32),
            )
    now = timezone.now()
    secs = sorted(mid for mid, p in leaders.items() if "secretary" in p)[:12]
    Enrolment.objects.bulk_create(
        [
            Enrolment(
                klass=open_k,
                member_id=mid,
                name=members[mid]["name"],
                nominee=Nominee.SECRETARY,
                nominated_by_id=members[mid]["organization_id"],
                status=EnrolmentStatus.NOMINATED,
                nominated_at=now,
                note="新任书记",
            )
            for mid in secs
        ]
    )
    trainees = sorted(
        mid for mid in members if members[mid]["status"] == "full" and mid not in leaders
    )[:20]
    Enrolment.objects.bulk_create(
        [
            Enrolment(
                klass=running,
                member_id=mid,
                name=members[mid]["name"],
                nominee=Nominee.MEMBER,
                nominated_by_id=members[mid]["organization_id"],
                status=EnrolmentStatus.ACCEPTED,
                nominated_at=now,
                decided_at=now,
            )
            for mid in trainees
        ]
    )
    return {"demo_classes": 2}


__all__ = ["ensure_kinds", "plant_academy"]
