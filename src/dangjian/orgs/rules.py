"""Organization setup and term rules (rules.md §3; rules-contract.md "Organization setup and terms")
.

Each evaluation is one query over the scope's organizations: member and post counts come from
correlated subqueries, the current term from the latest election on or before the scan date.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, cast

from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from dangjian.compliance.engine import (
    Citation,
    Hit,
    ScanContext,
    latest_on_or_before,
    latest_start,
    rule,
)
from dangjian.core.dates import add_months, format_cn
from dangjian.members.models import Member

from .models import Election, Organization, OrgRequest, Post, Term, Unit
from .services import election_validity

PC = "中国共产党章程"
ZB = "中国共产党支部工作条例（试行）"
RQ = "关于党的基层组织任期的意见"
XJ = "中国共产党基层组织选举工作条例"
TERMED_KINDS = ("committee", "general_branch", "branch")


def _orgs(ctx: ScanContext, kinds: Iterable[str]) -> QuerySet[Organization]:
    qs = Organization.objects.filter(
        is_active=True, kind__in=list(kinds), established_on__lte=ctx.as_of
    )
    if ctx.scope_path:
        qs = qs.filter(path__under=ctx.scope_path)
    return qs.order_by()


def _counts(org_ids: list[int], statuses: tuple[str, ...]) -> dict[int, int]:
    """The member counts of the few organizations a rule matched, for their messages (one query).
    The rule's own filter uses the count as an alias, so the database evaluates it only once."""

    rows = (
        Member.objects.filter(organization_id__in=org_ids, status__in=statuses)
        .order_by()
        .values("organization_id")
        .annotate(n=Count("pk"))
        .values_list("organization_id", "n")
    )
    return dict.fromkeys(org_ids, 0) | dict(rows)


class ScalarCount(Func):
    """COUNT(*) inside a correlated subquery without GROUP BY: one row per outer row, 0 when none
    match, no grouping step (Django only groups around what it knows to be an aggregate)."""

    function = "COUNT"
    template = "COUNT(*)"
    output_field = IntegerField()


def _member_count(statuses: tuple[str, ...]) -> Subquery:

    sub = (
        Member.objects.filter(organization_id=OuterRef("pk"), status__in=statuses)
        .order_by()
        .annotate(n=ScalarCount())
        .values("n")
    )
    return Subquery(sub, output_field=IntegerField())


def _committee_posts() -> Subquery:
    sub = (
        Post.objects.filter(organization_id=OuterRef("pk"), ended_on__isnull=True)
        .exclude(post="group_leader")
        .order_by()
        .annotate(n=ScalarCount())
        .values("n")
    )
    return Subquery(sub, output_field=IntegerField())


@rule(
    "ORG-02",
    title="党支部正式党员不足3人",
    category="setup",
    severity="high",
    citation=Citation(ZB, "第五条", "S"),
    expects="正式党员3人以上的单位成立党支部；不足3人的应与邻近单位成立联合党支部。",
    action="核实党员组织关系；不足3人的，会同上级党组织调整为联合党支部或并入其他支部。",
)
def org_02(ctx: ScanContext) -> Iterable[Hit]:
    minimum = ctx.params["min_full"]
    ids = list(
        _orgs(ctx, ["branch"])
        .filter(is_joint=False)
        .alias(full=_member_count(("full",)))
        .filter(full__lt=minimum)
        .values_list("id", flat=True)
    )
    counts = _counts(ids, ("full",))
    for r in ({"id": i, "full": counts[i]} for i in ids):
        yield Hit(
            r["id"],
            f"本支部正式党员{r['full']}人，少于{minimum}人，且未设为联合党支部。",
            details={"full": r["full"]},
        )


@rule(
    "ORG-03",
    title="应设支部委员会而未设或人数不足",
    category="setup",
    severity="high",
    citation=Citation(ZB, "第二十条", "S"),
    expects="正式党员7人以上的党支部设立支部委员会，委员3至5人，一般不超过7人。",
    action="召开党员大会选举产生支部委员会，并报上级党组织审批。",
)
def org_03(ctx: ScanContext) -> Iterable[Hit]:
    at, minimum = ctx.params["committee_from"], ctx.params["min_committee"]
    pairs = list(
        _orgs(ctx, ["branch"])
        .alias(full=_member_count(("full",)))
        .filter(full__gte=at)
        .alias(committee=_committee_posts())
        .filter(committee__lt=minimum)
        .values_list("id", flat=True)
    )
    counts = _counts(pairs, ("full",))
    posts = dict(
        Post.objects.filter(organization_id__in=pairs, ended_on__isnull=True)
        .exclude(post="group_leader")
        .order_by()
        .values("organization_id")
        .annotate(n=Count("pk"))
        .values_list("organization_id", "n")
    )
    for r in ({"id": i, "full": counts[i], "committee": posts.get(i, 0)} for i in pairs):
        yield Hit(
            r["id"],
            f"本支部正式党员{r['full']}人（{at}人以上应设支部委员会），现有支委{r['committee']}人，少于{minimum}人。",
            details={"full": r["full"], "committee": r["committee"]},
        )


@rule(
    "ORG-04",
    title="党支部党员人数超过50人",
    category="setup",
    severity="warn",
    citation=Citation(ZB, "第四条", "V"),
    expects="党支部党员人数一般不超过50人。",
    action="研究将党支部分设为若干支部，或按规定设立党总支。",
)
def org_04(ctx: ScanContext) -> Iterable[Hit]:
    limit = ctx.params["max_members"]
    ids = list(
        _orgs(ctx, ["branch"])
        .alias(n=_member_count(("full", "probationary")))
        .filter(n__gt=limit)
        .values_list("id", flat=True)
    )
    counts = _counts(ids, ("full", "probationary"))
    for r in ({"id": i, "n": counts[i]} for i in ids):
        yield Hit(
            r["id"],
            f"本支部有党员{r['n']}人（含预备党员），超过{limit}人。",
            details={"members": r["n"]},
        )


@rule(
    "ORG-06",
    title="书记空缺",
    category="setup",
    severity="high",
    citation=Citation(ZB, "第二十一条、第二十三条", "S"),
    expects="党组织应配备书记；书记出缺应及时补选，必要时由上级党组织指派。",
    action="及时补选书记并报上级党组织审批，或由上级党组织指派。",
)
def org_06(ctx: ScanContext) -> Iterable[Hit]:
    has_secretary = Post.objects.filter(
        organization_id=OuterRef("pk"), post="secretary", ended_on__isnull=True
    )
    rows = _orgs(ctx, TERMED_KINDS).filter(~Exists(has_secretary)).values("id", "kind")
    for r in rows:
        yield Hit(r["id"], "本组织未配备书记。")


def _current_terms(ctx: ScanContext) -> QuerySet[Term]:
    """Each termed organization's current term (its latest election on or before the scan date):
    one anti-join on (organization, elected_on) instead of a correlated subquery per column."""
    later = Term.objects.filter(
        organization_id=OuterRef("organization_id"),
        elected_on__gt=OuterRef("elected_on"),
        elected_on__lte=ctx.as_of,
    )
    qs = Term.objects.filter(
        elected_on__lte=ctx.as_of,
        organization__is_active=True,
        organization__kind__in=TERMED_KINDS,
        organization__established_on__lte=ctx.as_of,
    )
    if ctx.scope_path:
        qs = qs.filter(organization__path__under=ctx.scope_path)
    return qs.filter(~Exists(later)).order_by()


def _not_extended_past(d: date) -> Q:
    """No approved postponement, or one that has itself run out on or before d."""
    return Q(extended_until__isnull=True) | Q(extended_until__lte=d)


def _cutoff(cutoffs: dict[int, date]) -> Case:
    """The latest election date for each term length, as one CASE on term_years (lengths 1-10)."""
    return Case(
        *[When(term_years=y, then=Value(c)) for y, c in cutoffs.items()], output_field=DateField()
    )


def _ended_by(d: date) -> Q:
    """Current term ends on or before d: elected_on + term_years years <= d, exact per length."""
    return Q(elected_on__lte=_cutoff({y: latest_on_or_before(d, y) for y in range(1, 11)}))


@rule(
    "TERM-01",
    title="任期即将届满",
    category="term",
    severity="info",
    citation=Citation(RQ, "换届提醒", "S"),
    expects="上级党组织在任期届满前6个月提醒按期换届。",
    action="做好换届准备：提出换届请示、酝酿候选人、制定选举办法。",
)
def term_01(ctx: ScanContext) -> Iterable[Hit]:
    horizon = add_months(ctx.as_of, ctx.params["warn_months"])
    rows = (
        _current_terms(ctx)
        .filter(extended_until__isnull=True)
        .filter(_ended_by(horizon))
        .exclude(_ended_by(ctx.as_of))
        .values("organization_id", "elected_on", "term_years")
    )
    for r in rows:
        end = add_months(r["elected_on"], 12 * r["term_years"])
        yield Hit(
            r["organization_id"],
            f"本届于{format_cn(r['elected_on'])}选举产生，任期{r['term_years']}年，将于{format_cn(end)}届满。",
            details={"elected_on": r["elected_on"].isoformat(), "term_ends": end.isoformat()},
        )


@rule(
    "TERM-03",
    title="任期届满未换届",
    category="term",
    severity="high",
    citation=Citation(XJ, "第三条", "V"),
    expects="任期届满应按期进行换届选举；延期或提前须经上级党组织批准，一般不超过1年。",
    action="立即向上级党组织提出换届请示并组织选举；确需延期的，报上级批准。",
)
def term_03(ctx: ScanContext) -> Iterable[Hit]:
    any_term = Term.objects.filter(organization_id=OuterRef("pk"), elected_on__lte=ctx.as_of)
    for org_id in _orgs(ctx, TERMED_KINDS).filter(~Exists(any_term)).values_list("id", flat=True):
        yield Hit(org_id, "没有换届选举记录，无法确认本届任期。", details={"term": None})
    rows = (
        _current_terms(ctx)
        .filter(_ended_by(ctx.as_of))
        .filter(_not_extended_past(ctx.as_of))
        .values("organization_id", "elected_on", "term_years", "extended_until")
    )
    for r in rows:
        end = add_months(r["elected_on"], 12 * r["term_years"])
        extra = (
            f"经批准延期至{format_cn(r['extended_until'])}，延期也已届满，"
            if r["extended_until"]
            else ""
        )
        yield Hit(
            r["organization_id"],
            f"本届于{format_cn(r['elected_on'])}选举产生，任期{r['term_years']}年，已于{format_cn(end)}届满，{extra}尚未换届。",
            details={
                "elected_on": r["elected_on"].isoformat(),
                "term_ended": end.isoformat(),
                "extended_until": r["extended_until"].isoformat() if r["extended_until"] else None,
            },
        )


@rule(
    "TERM-05",
    title="任期年限不符合规定",
    category="term",
    severity="warn",
    citation=Citation(RQ, "", "S"),
    expects="党的基层委员会每届5年，党总支、党支部每届3年；村、社区党组织每届5年。",
    action="核对换届选举时确定的任期，按规定年限更正或在下次换届时纠正。",
)
def term_05(ctx: ScanContext) -> Iterable[Hit]:
    p = ctx.params
    grassroots = Q(organization__category__in=["village", "community"])
    wrong = (
        (grassroots & ~Q(term_years=p["grassroots_years"]))
        | (
            ~grassroots
            & Q(organization__kind__in=["branch", "general_branch"])
            & ~Q(term_years=p["branch_years"])
        )
        | (~grassroots & Q(organization__kind="committee") & ~Q(term_years=p["committee_years"]))
    )
    rows = (
        _current_terms(ctx)
        .filter(wrong)
        .values(
            "organization_id",
            "term_years",
            kind=F("organization__kind"),
            category=F("organization__category"),
        )
    )
    for r in rows:
        expected = (
            p["grassroots_years"]
            if r["category"] in ("village", "community")
            else (p["committee_years"] if r["kind"] == "committee" else p["branch_years"])
        )
        yield Hit(
            r["organization_id"],
            f"本届任期{r['term_years']}年，按规定应为{expected}年。",
            details={"term_years": r["term_years"], "expected": expected},
        )


# ORG-01's condition on a unit: no party organization of its own (none, dissolved, or only the
# joint branch it shares with others). 非公党建's ENT-01 applies it to enterprises.
def lacks_own_organization(unit: str = "") -> Q:
    """The condition on a unit (reached through `unit`, e.g. "unit__")."""
    return (
        Q(**{f"{unit}organization__isnull": True})
        | Q(**{f"{unit}organization__is_active": False})
        | Q(**{f"{unit}organization__is_joint": True})
    )


@rule(
    "ORG-01",
    title="单位有3名以上正式党员未建党组织",
    category="setup",
    severity="high",
    citation=Citation(PC, "第三十条", "V"),
    expects="企业、农村、机关、学校、社区、社会组织等基层单位，凡是有正式党员3人以上的，都应当成立党的基层组织。",
    action="指导该单位提出成立党组织的请示，按程序批准成立党支部（或党总支、党委），并选举产生支部委员会或书记。",
)
def org_01(ctx: ScanContext) -> Iterable[Hit]:
    minimum = ctx.params["min_full"]
    # an enterprise in 非公党建's register is ENT-01's: the same condition, on the members the
    # register finds employed there (one rule for a unit, never two findings)
    units = (
        Unit.objects.filter(kind="unit", full_members__gte=minimum, committee__is_active=True)
        .filter(enterprise__isnull=True)
        .filter(lacks_own_organization())
    )
    if ctx.scope_path:
        units = units.filter(committee__path__under=ctx.scope_path)
    for u in units.order_by().values(
        "id", "name", "committee_id", "full_members", "organization__is_joint"
    ):
        where = "现纳入联合党支部，" if u["organization__is_joint"] else "尚未成立党组织，"
        yield Hit(
            u["committee_id"],
            f"“{u['name']}”有正式党员{u['full_members']}人（{minimum}人以上应单独建立党组织），{where}应单独建立党组织。",
            subject=f"unit{u['id']}",
            details={"unit": u["name"], "full": u["full_members"]},
        )


@rule(
    "ORG-05",
    title="联合党支部覆盖单位超过5个",
    category="setup",
    severity="warn",
    citation=Citation(ZB, "第五条", "S"),
    expects="联合党支部覆盖的单位一般不超过5个。",
    action="研究拆分联合党支部，或推动党员人数达到要求的单位单独建立党支部。",
)
def org_05(ctx: ScanContext) -> Iterable[Hit]:
    limit = ctx.params["max_units"]
    covered = (
        Unit.objects.filter(organization_id=OuterRef("pk"), kind="unit")
        .order_by()
        .annotate(n=ScalarCount())
        .values("n")
    )
    rows = (
        _orgs(ctx, ["branch"])
        .filter(is_joint=True)
        .annotate(n=Subquery(covered, output_field=IntegerField()))
        .filter(n__gt=limit)
        .values("id", "n")
    )
    for r in rows:
        yield Hit(
            r["id"], f"本联合党支部覆盖{r['n']}个单位，超过{limit}个。", details={"units": r["n"]}
        )


@rule(
    "ORG-07",
    title="成立党组织请示超过1个月未批复",
    category="setup",
    severity="warn",
    citation=Citation(ZB, "第八条", "S"),
    expects="单位提出成立党支部的申请后，上级党组织应在1个月内作出批复。",
    action="尽快研究批复：同意的，指导选举产生支部委员会或书记；不同意的，说明理由。",
)
def org_07(ctx: ScanContext) -> Iterable[Hit]:
    months = ctx.params["reply_months"]
    # unanswered more than `months` after submission: submitted_on + months < D
    cutoff = latest_start(ctx.as_of - timedelta(days=1), months)
    reqs = OrgRequest.objects.filter(
        answered_on__isnull=True, submitted_on__lte=cutoff, committee__is_active=True
    )
    if ctx.scope_path:
        reqs = reqs.filter(committee__path__under=ctx.scope_path)
    for r in reqs.order_by().values("id", "committee_id", "proposed_name", "submitted_on"):
        due = add_months(r["submitted_on"], months)
        yield Hit(
            r["committee_id"],
            f"“{r['proposed_name']}”于{format_cn(r['submitted_on'])}提出成立请示，应在{format_cn(due)}前批复，至今未批复。",
            subject=f"req{r['id']}",
            details={"submitted_on": r["submitted_on"].isoformat(), "due": due.isoformat()},
        )


@rule(
    "ORG-08",
    title="项目有3名以上正式党员未建党支部",
    category="setup",
    severity="warn",
    citation=Citation(ZB, "第五条", "S"),
    expects="工作周期6个月以上的项目，符合条件的应成立党支部。",
    action="指导项目单位提出请示，成立项目党支部（或联合党支部）。",
)
def org_08(ctx: ScanContext) -> Iterable[Hit]:
    minimum, months = ctx.params["min_full"], ctx.params["min_months"]
    projects = (
        Unit.objects.filter(
            kind="project",
            full_members__gte=minimum,
            organization__isnull=True,
            committee__is_active=True,
            started_on__lte=ctx.as_of,
        )
        .filter(Q(finished_on__isnull=True) | Q(finished_on__gt=ctx.as_of))
        .filter(Q(planned_months__isnull=True) | Q(planned_months__gte=months))
    )
    if ctx.scope_path:
        projects = projects.filter(committee__path__under=ctx.scope_path)
    for u in projects.order_by().values(
        "id", "name", "committee_id", "full_members", "started_on", "planned_months"
    ):
        length = (
            f"计划周期{u['planned_months']}个月" if u["planned_months"] is not None else "周期未定"
        )
        yield Hit(
            u["committee_id"],
            f"项目“{u['name']}”自{format_cn(u['started_on'])}开始，{length}，有正式党员{u['full_members']}人，尚未成立党支部。",
            subject=f"unit{u['id']}",
            details={"unit": u["name"], "full": u["full_members"]},
        )


@rule(
    "TERM-02",
    title="任期届满前1个月仍未提出换届请示",
    category="term",
    severity="warn",
    citation=Citation(XJ, "换届请示（地方规定）", "L"),
    expects="任期届满前1至2个月向上级党组织提出换届请示。",
    action="立即向上级党组织报送换届请示（含委员会职数、候选人预备人选、选举办法等）。",
)
def term_02(ctx: ScanContext) -> Iterable[Hit]:
    lead = ctx.params["lead_months"]
    requested = Election.objects.filter(
        organization_id=OuterRef("organization_id"),
        requested_on__isnull=False,
        requested_on__gte=OuterRef("elected_on"),
    )
    # the deadline (term end - lead months) has passed: elected_on + (12 * years - lead) months < D
    yesterday = ctx.as_of - timedelta(days=1)
    deadline_passed = Q(
        elected_on__lte=_cutoff({y: latest_start(yesterday, 12 * y - lead) for y in range(1, 11)})
    )
    rows = (
        _current_terms(ctx)
        .filter(extended_until__isnull=True)
        .filter(deadline_passed)
        .exclude(_ended_by(ctx.as_of))
        .filter(~Exists(requested))
        .values("organization_id", "elected_on", "term_years")
    )
    for r in rows:
        end = add_months(r["elected_on"], 12 * r["term_years"])
        deadline = add_months(r["elected_on"], 12 * r["term_years"] - lead)
        yield Hit(
            r["organization_id"],
            f"本届任期将于{format_cn(end)}届满，应在{format_cn(deadline)}前提出换届请示，至今未提出。",
            details={"term_ends": end.isoformat(), "deadline": deadline.isoformat()},
        )


@rule(
    "TERM-04",
    title="延期或提前换届超过1年",
    category="term",
    severity="critical",
    citation=Citation(XJ, "第三条", "V"),
    expects="延期或提前换届须经上级党组织批准，期限一般不超过1年。",
    action="上级党组织督促尽快组织换届选举，并核查延期（提前）审批依据。",
)
def term_04(ctx: ScanContext) -> Iterable[Hit]:
    limit = ctx.params["max_months"]
    rows = (
        _current_terms(ctx)
        .filter(Q(extension_months__gt=limit) | Q(advance_months__gt=limit))
        .values(
            "organization_id",
            extension=F("extension_months"),
            advance=F("advance_months"),
            until=F("extended_until"),
        )
    )
    for r in rows:
        if r["extension"] > limit:
            msg = (
                f"本届经批准延期{r['extension']}个月（至{format_cn(r['until'])}），"
                f"超过{limit}个月。"
            )
        else:
            msg = f"本届提前{r['advance']}个月换届，超过{limit}个月。"
        yield Hit(
            r["organization_id"],
            msg,
            details={"extension_months": r["extension"], "advance_months": r["advance"]},
        )


@rule(
    "TERM-06",
    title="选举不符合有效性要求",
    category="term",
    severity="high",
    citation=Citation(XJ, "选举有效性（到会、得票、差额）", "S"),
    expects="有选举权的到会人数超过应到会人数的五分之四，选举有效；被选举人获得的赞成票超过实到会有选举权人数的一半，始得当选；委员候选人差额不少于应选人数的20%。",
    action="核查选举材料；选举无效的，报上级党组织研究后重新组织选举。",
)
def term_06(ctx: ScanContext) -> Iterable[Hit]:
    p = ctx.params
    # integer arithmetic only, identical on every backend: present*den <= eligible*num, etc.
    bad = (
        Q(present_x__lte=F("eligible_x"))
        | Q(present__gte=F("min_winner_votes") * 2)
        | Q(candidates_x__lt=F("seats_x"))
    )
    elections = (
        Election.objects.filter(
            held_on__isnull=False,
            held_on__gte=ctx.window_start,
            held_on__lte=ctx.as_of,
            organization__is_active=True,
            eligible__isnull=False,
            present__isnull=False,
            seats__isnull=False,
            candidates__isnull=False,
            min_winner_votes__isnull=False,
        )
        .alias(
            present_x=F("present") * p["present_den"],
            eligible_x=F("eligible") * p["present_num"],
            candidates_x=F("candidates") * 100,
            seats_x=F("seats") * (100 + p["surplus_pct"]),
        )
        .filter(bad)
    )
    if ctx.scope_path:
        elections = elections.filter(organization__path__under=ctx.scope_path)

    fields = (
        "id",
        "organization_id",
        "held_on",
        "eligible",
        "present",
        "seats",
        "candidates",
        "min_winner_votes",
    )
    for row in elections.order_by().values(*fields):
        e = cast(dict[str, Any], row)
        problems = election_validity(
            eligible=e["eligible"],
            present=e["present"],
            seats=e["seats"],
            candidates=e["candidates"],
            min_winner_votes=e["min_winner_votes"],
            params=p,
        )
        yield Hit(
            e["organization_id"],
            f"{format_cn(e['held_on'])}的选举：" + "；".join(r for _f, r in problems) + "。",
            subject=f"el{e['id']}",
            details={"held_on": e["held_on"].isoformat()},
        )


@rule(
    "TERM-07",
    title="选举结果超过1个月未上报或书记未获批准",
    category="term",
    severity="warn",
    citation=Citation(XJ, "选举结果报批（地方规定）", "L"),
    expects="选举结果在选举后1个月内报上级党组织，书记、副书记人选报上级党组织批准。",
    action="立即报送选举结果；书记、副书记人选尚未批复的，向上级党组织催办。",
)
def term_07(ctx: ScanContext) -> Iterable[Hit]:
    months = ctx.params["report_months"]
    cutoff = latest_start(ctx.as_of - timedelta(days=1), months)
    elections = Election.objects.filter(
        held_on__isnull=False, held_on__lte=cutoff, organization__is_active=True
    ).filter(Q(reported_on__isnull=True) | Q(secretary_approved_on__isnull=True))
    if ctx.scope_path:
        elections = elections.filter(organization__path__under=ctx.scope_path)
    for row in elections.order_by().values("id", "organization_id", "held_on", "reported_on"):
        e = cast(dict[str, Any], row)
        due = add_months(e["held_on"], months)
        what = "选举结果尚未上报" if e["reported_on"] is None else "书记、副书记人选尚未获上级批准"
        yield Hit(
            e["organization_id"],
            f"{format_cn(e['held_on'])}选举，应在{format_cn(due)}前完成报批，{what}。",
            subject=f"el{e['id']}",
            details={"held_on": e["held_on"].isoformat(), "due": due.isoformat()},
        )
