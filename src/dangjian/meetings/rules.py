"""Organizational-life rules (rules.md §2; rules-contract.md "Organizational life").

Periodic rules look at every complete month, quarter or year (its last day before D) that starts on
or after the branch's established_on and on or after the window start (the first day of the month 24
months before D's month). Each rule is one statement: the calendar of complete periods (at most 24
rows) as a UNION ALL of anti-joins `NOT EXISTS (a held meeting of the kind in the period)` over the
branches in scope, each probing the (organization, kind, held_on) index.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)

from dangjian.compliance.engine import Citation, Hit, ScanContext, rule
from dangjian.core.dates import add_months
from dangjian.members.constants import FEE_STATUSES
from dangjian.orgs.models import Organization, Post

from .constants import AttendanceStatus, Grade, MeetingKind, MeetingStatus
from .models import Appraisal, Attendance, Leave, LeaveStatus, Meeting

ZB = "中国共产党支部工作条例（试行）"
PC = "中国共产党章程"
LABELS = dict(MeetingKind.choices)


def periods(ctx: ScanContext, unit: str) -> list[tuple[str, date, date]]:
    """The complete periods of the window as (label, first day, last day), oldest first."""
    step = {"month": 1, "quarter": 3, "year": 12}[unit]
    start = ctx.window_start
    if unit == "quarter":
        while (start.month - 1) % 3:
            start = add_months(start, 1)
    elif unit == "year":
        while start.month != 1:
            start = add_months(start, 1)
    out: list[tuple[str, date, date]] = []
    while True:
        end = add_months(start, step) - timedelta(days=1)
        if end >= ctx.as_of:
            return out
        if unit == "month":
            label = f"{start:%Y-%m}"
        elif unit == "quarter":
            label = f"{start.year}-Q{(start.month - 1) // 3 + 1}"
        else:
            label = str(start.year)
        out.append((label, start, end))
        start = add_months(start, step)


def _orgs(ctx: ScanContext, kind: str = "branch") -> QuerySet[Organization]:
    qs = Organization.objects.filter(kind=kind, is_active=True).order_by()
    if ctx.scope_path:
        qs = qs.filter(path__under=ctx.scope_path)
    return qs


def missing(
    ctx: ScanContext, orgs: QuerySet[Organization], kind: str, unit: str
) -> list[tuple[int, str]]:
    """(organization id, period label) for every complete period in which `orgs` held no `kind`."""
    cal = periods(ctx, unit)
    if not cal:
        return []
    held = Meeting.objects.filter(
        organization_id=OuterRef("pk"), kind=kind, status=MeetingStatus.HELD
    )
    parts = [
        orgs.filter(established_on__lte=start)
        .filter(~Exists(held.filter(held_on__gte=start, held_on__lte=end)))
        .annotate(period=Value(label, output_field=CharField()))
        .values_list("id", "period")
        for label, start, end in cal
    ]
    return list(parts[0].union(*parts[1:], all=True)) if len(parts) > 1 else list(parts[0])


def _say(period: str) -> str:
    if "-Q" in period:
        y, q = period.split("-Q")
        return f"{y}年第{q}季度"
    if "-" in period:
        y, m = period.split("-")
        return f"{y}年{int(m)}月"
    return f"{period}年度"


def _absent(
    ctx: ScanContext, orgs: QuerySet[Organization], kind: str, unit: str, what: str
) -> Iterable[Hit]:
    for oid, period in missing(ctx, orgs, kind, unit):
        yield Hit(oid, f"{_say(period)}没有召开{what}的记录。", period=period)


@rule(
    "LIFE-01",
    title="本季度未召开支部党员大会",
    category="life",
    severity="high",
    citation=Citation(ZB, "第十一条", "V"),
    expects="支部党员大会一般每季度召开1次。",
    action="安排召开支部党员大会，并在平台登记会议记录；已召开的请补录。",
)
def life_01(ctx: ScanContext) -> Iterable[Hit]:
    yield from _absent(ctx, _orgs(ctx), MeetingKind.GENERAL, "quarter", "支部党员大会")


def committee_branches(ctx: ScanContext) -> QuerySet[Organization]:
    """Branches with a committee: 3 or more current posts other than group leader. A grouped
    semi-join
    (computed once per statement), not a count per branch and period."""

    with_committee = (
        Post.objects.filter(ended_on__isnull=True)
        .exclude(post="group_leader")
        .order_by()
        .values("organization_id")
        .annotate(n=Count("id"))
        .filter(n__gte=3)
        .values("organization_id")
    )
    return _orgs(ctx).filter(pk__in=with_committee)


@rule(
    "LIFE-02",
    title="本月未召开支部委员会会议",
    category="life",
    severity="warn",
    citation=Citation(ZB, "第十二条", "V"),
    expects="设立支部委员会的党支部，支部委员会会议一般每月召开1次。",
    action="安排召开支部委员会会议，研究本月工作，并登记会议记录。",
)
def life_02(ctx: ScanContext) -> Iterable[Hit]:
    yield from _absent(
        ctx, committee_branches(ctx), MeetingKind.COMMITTEE, "month", "支部委员会会议"
    )


@rule(
    "LIFE-03",
    title="本月未召开党小组会",
    category="life",
    severity="warn",
    citation=Citation(ZB, "第十三条", "V"),
    expects="党小组会一般每月召开1次。",
    action="党小组长安排召开党小组会，并登记会议记录。",
)
def life_03(ctx: ScanContext) -> Iterable[Hit]:
    yield from _absent(ctx, _orgs(ctx, "group"), MeetingKind.GROUP, "month", "党小组会")


@rule(
    "LIFE-04",
    title="本季度未上党课",
    category="life",
    severity="warn",
    citation=Citation(ZB, "第十六条；每季度至少1次为地方规定", "L"),
    expects="党支部按期上党课，一般每季度至少1次，支部书记每年至少讲1次。",
    action="安排本季度党课（可在主题党日进行），并登记主讲人和内容。",
)
def life_04(ctx: ScanContext) -> Iterable[Hit]:
    yield from _absent(ctx, _orgs(ctx), MeetingKind.LECTURE, "quarter", "党课")


@rule(
    "LIFE-05",
    title="本月未开展主题党日",
    category="life",
    severity="warn",
    citation=Citation(ZB, "第五章", "S"),
    expects="党支部每月相对固定1天开展主题党日活动。",
    action="在本支部固定的主题党日开展活动，并登记活动记录。",
)
def life_05(ctx: ScanContext) -> Iterable[Hit]:
    yield from _absent(ctx, _orgs(ctx), MeetingKind.THEME_DAY, "month", "主题党日活动")


@rule(
    "LIFE-06",
    title="年度未召开组织生活会",
    category="life",
    severity="high",
    citation=Citation(ZB, "第十七条", "S"),
    expects="党支部每年至少召开1次组织生活会，一般安排在第四季度。",
    action="会前学习和谈心谈话，会上开展批评和自我批评，会后制定整改清单，并登记会议记录。",
)
def life_06(ctx: ScanContext) -> Iterable[Hit]:
    yield from _absent(ctx, _orgs(ctx), MeetingKind.LIFE, "year", "组织生活会")


@rule(
    "LIFE-07",
    title="年度未开展民主评议党员",
    category="life",
    severity="high",
    citation=Citation(ZB, "第十七条；民主评议党员", "S"),
    expects="党支部每年开展1次民主评议党员，评定为优秀的一般不超过党员总数的三分之一。",
    action="组织党员自评、互评和民主测评，评定等次并登记；优秀比例超过三分之一的，重新评定。",
)
def life_07(ctx: ScanContext) -> Iterable[Hit]:
    yield from _absent(ctx, _orgs(ctx), MeetingKind.REVIEW, "year", "民主评议党员")
    # an appraisal on file with more than a third graded 优秀 (imported or kept from before the
    # limit)
    qs = (
        Appraisal.objects.filter(
            meeting__held_on__gte=ctx.window_start,
            meeting__held_on__lt=ctx.as_of,
            meeting__organization__kind="branch",
            meeting__organization__is_active=True,
        )
        .order_by()
        .values("meeting_id", "meeting__organization_id", "meeting__held_on")
        .annotate(total=Count("id"), excellent=Count("id", filter=Q(grade=Grade.EXCELLENT)))
        .filter(excellent__gt=0)
    )
    if ctx.scope_path:
        qs = qs.filter(meeting__organization__path__under=ctx.scope_path)
    for r in qs:
        if r["excellent"] * 3 > r["total"]:
            yield Hit(
                r["meeting__organization_id"],
                f"{r['meeting__held_on']:%Y年}民主评议党员评定优秀{r['excellent']}人，"
                f"超过参评{r['total']}人的三分之一。",
                period=f"{r['meeting__held_on']:%Y}",
                severity="warn",
                subject=f"review{r['meeting_id']}",
            )


@rule(
    "LIFE-11",
    title="支部党员大会到会人数未过半",
    category="life",
    severity="high",
    citation=Citation(ZB, "第十一条", "V"),
    expects="支部党员大会进行表决，须有半数以上有表决权的党员到会；表决事项以超过应到会有表决权党员的半数同意为通过。",
    action="核实到会人数；到会不过半数的会议不能作出决定，请重新召开并登记。",
)
def life_11(ctx: ScanContext) -> Iterable[Hit]:
    qs = (
        Meeting.objects.filter(
            kind=MeetingKind.GENERAL,
            status=MeetingStatus.HELD,
            held_on__gte=ctx.window_start,
            held_on__lt=ctx.as_of,
            organization__kind="branch",
            organization__is_active=True,
        )
        .filter(held_on__gte=F("organization__established_on"))
        .alias(twice=F("attended") * 2)
        .filter(twice__lte=F("expected"))
    )
    if ctx.scope_path:
        qs = qs.filter(organization__path__under=ctx.scope_path)
    for r in qs.order_by().values("id", "organization_id", "held_on", "attended", "expected"):
        yield Hit(
            r["organization_id"],
            f"{r['held_on']:%Y年%m月%d日}支部党员大会应到{r['expected']}人，实到{r['attended']}人，"
            "未超过半数。",
            period=f"{r['held_on']:%Y-%m-%d}",
            subject=f"m{r['id']}",
        )


@rule(
    "LIFE-12",
    title="会议记录要素不全",
    category="life",
    severity="warn",
    citation=Citation(ZB, "会议记录（地方规范）", "L"),
    expects="会议记录应有时间、地点、主持人、记录人、应到实到人数、缺席人员及原因、议程、决定事项和表决情况。",
    action="补全会议记录中缺少的要素。",
)
def life_12(ctx: ScanContext) -> Iterable[Hit]:
    absent_no_reason = Attendance.objects.filter(
        meeting_id=OuterRef("pk"),
        reason="",
        status__in=[AttendanceStatus.ABSENT, AttendanceStatus.LEAVE],
    )
    qs = (
        Meeting.objects.filter(
            source="web",
            status=MeetingStatus.HELD,
            held_on__gte=ctx.window_start,
            held_on__lt=ctx.as_of,
        )
        .order_by()
        .annotate(no_reason=Exists(absent_no_reason))
        .filter(
            Q(expected=0)
            | Q(no_reason=True)
            | Q(minutes="")
            | Q(kind__in=[MeetingKind.GENERAL, MeetingKind.COMMITTEE], decisions="")
            | (~Q(motion="") & Q(votes_for__isnull=True))
        )
    )
    if ctx.scope_path:
        qs = qs.filter(organization__path__under=ctx.scope_path)
    for r in qs.values(
        "id",
        "organization_id",
        "kind",
        "held_on",
        "expected",
        "no_reason",
        "minutes",
        "decisions",
        "motion",
        "votes_for",
    ):
        gaps = [
            name
            for name, lacking in (
                ("出席情况", r["expected"] == 0),
                ("缺席人员原因", r["no_reason"]),
                ("会议记录", not r["minutes"]),
                (
                    "决定事项",
                    r["kind"] in (MeetingKind.GENERAL, MeetingKind.COMMITTEE)
                    and not r["decisions"],
                ),
                ("表决情况", bool(r["motion"]) and r["votes_for"] is None),
            )
            if lacking
        ]
        yield Hit(
            r["organization_id"],
            f"{r['held_on']:%Y年%m月%d日}{LABELS[r['kind']]}的记录缺少：{'、'.join(gaps)}。",
            period=f"{r['held_on']:%Y-%m-%d}",
            subject=f"m{r['id']}",
        )


# ------------------------------------------------------------------ per-member absence


def absence_runs(ctx: ScanContext, span: int) -> dict[int, tuple[int, int]]:
    """member id -> (organization id, run) for members absent (marked absent without reason
    approved,
    present at nothing) in each of the complete months ending with the last one, up to `span`
    months;
    months covered by an approved leave, or with no record of them at all, end a run."""
    last = ctx.as_of.year * 12 + ctx.as_of.month - 2
    first = max(last - span + 1, ctx.window_start.year * 12 + ctx.window_start.month - 1)
    rows = (
        Attendance.objects.filter(
            month_index__gte=first,
            month_index__lte=last,
            member__status__in=FEE_STATUSES,
            meeting__status=MeetingStatus.HELD,
        )
        .order_by()
        .values("member_id", "month_index")
        .annotate(
            present=Max(
                Case(
                    When(status=AttendanceStatus.PRESENT, then=1),
                    default=0,
                    output_field=IntegerField(),
                )
            ),
            absent=Max(
                Case(
                    When(status=AttendanceStatus.ABSENT, then=1),
                    default=0,
                    output_field=IntegerField(),
                )
            ),
            org=Max("member__organization_id"),
        )
        .filter(present=0, absent=1)
    )
    if ctx.scope_path:
        rows = rows.filter(member__organization__path__under=ctx.scope_path)
    months: dict[int, set[int]] = defaultdict(set)
    orgs: dict[int, int] = {}
    for r in rows:
        months[r["member_id"]].add(r["month_index"])
        orgs[r["member_id"]] = r["org"]
    candidates = [mid for mid, ms in months.items() if last in ms]
    if not candidates:
        return {}
    lo = date(first // 12, first % 12 + 1, 1)
    leaves: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for i in range(0, len(candidates), 5000):
        for mid, s, e in Leave.objects.filter(
            member_id__in=candidates[i : i + 5000],
            ends_on__gte=lo,
            status=LeaveStatus.APPROVED,
            meeting__isnull=True,
        ).values_list("member_id", "starts_on", "ends_on"):
            leaves[mid].append((s, e))
    out = {}
    for mid in candidates:
        run, m = 0, last
        while m >= first and m in months[mid]:
            start = date(m // 12, m % 12 + 1, 1)
            end = add_months(start, 1) - timedelta(days=1)
            if any(s <= end and e >= start for s, e in leaves[mid]):
                break
            run, m = run + 1, m - 1
        if run:
            out[mid] = (orgs[mid], run)
    return out


def _month(i: int) -> str:
    return f"{i // 12}年{i % 12 + 1}月"


@rule(
    "LIFE-09",
    title="党员连续3个月未参加组织生活",
    category="life",
    severity="warn",
    citation=Citation(PC, "第九条（地方预警规范）", "S"),
    expects="党员应参加党的组织生活；因故不能参加的应向党支部请假。",
    action="支部与本人谈心谈话，了解原因，督促参加；确有正当理由的办理请假。",
    defaults={"months": 3},
)
def life_09(ctx: ScanContext) -> Iterable[Hit]:
    low = ctx.params.get("months", 3)
    last = ctx.as_of.year * 12 + ctx.as_of.month - 2
    for mid, (oid, run) in absence_runs(ctx, 24).items():
        if low <= run < 6:
            yield Hit(
                oid,
                f"自{_month(last - run + 1)}起连续{run}个月未参加组织生活，也没有请假。",
                member_id=mid,
                details={"months": run},
            )


@rule(
    "LIFE-10",
    title="党员连续6个月不参加组织生活",
    category="life",
    severity="critical",
    citation=Citation(PC, "第九条", "V"),
    expects="党员没有正当理由，连续6个月不参加党的组织生活，就被认为是自行脱党；支部大会应决定把其除名，并报上级党组织批准。",
    action="已启动处置程序：支部核实有无正当理由，提交支部委员会研究，须经支部大会决定、上级批准；平台不自动处理党员。",
)
def life_10(ctx: ScanContext) -> Iterable[Hit]:
    last = ctx.as_of.year * 12 + ctx.as_of.month - 2
    for mid, (oid, run) in absence_runs(ctx, 24).items():
        if run >= 6:
            yield Hit(
                oid,
                f"自{_month(last - run + 1)}起连续{run}个月未参加组织生活，也没有正当理由。",
                member_id=mid,
                details={"months": run},
            )
