"""Organization setup and term rules (rules.md §3; rules-contract.md "Organization setup and terms").

Each evaluation is one query over the scope's organizations: member and post counts come from
correlated subqueries, the current term from the latest election on or before the scan date.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from dangjian.compliance.engine import Citation, Hit, ScanContext, latest_on_or_before, rule
from dangjian.core.dates import add_months, format_cn

from .models import Organization, Post, Term

ZB = "中国共产党支部工作条例（试行）"
RQ = "关于党的基层组织任期的意见"
XJ = "中国共产党基层组织选举工作条例"
TERMED_KINDS = ("committee", "general_branch", "branch")


def _orgs(ctx: ScanContext, kinds: Iterable[str]) -> QuerySet[Organization]:
    qs = Organization.objects.filter(is_active=True, kind__in=list(kinds), established_on__lte=ctx.as_of)
    if ctx.scope_path:
        qs = qs.filter(path__startswith=ctx.scope_path)
    return qs


def _member_count(statuses: tuple[str, ...]) -> Coalesce:
    from dangjian.members.models import Member

    sub = (Member.objects.filter(organization_id=OuterRef("pk"), status__in=statuses).order_by()
           .values("organization_id").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))


def _committee_posts() -> Coalesce:
    sub = (Post.objects.filter(organization_id=OuterRef("pk"), ended_on__isnull=True).exclude(post="group_leader")
           .order_by().values("organization_id").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))


@rule("ORG-02", title="党支部正式党员不足3人", category="setup", severity="high",
      citation=Citation(ZB, "第五条", "S"),
      expects="正式党员3人以上的单位成立党支部；不足3人的应与邻近单位成立联合党支部。",
      action="核实党员组织关系；不足3人的，会同上级党组织调整为联合党支部或并入其他支部。")
def org_02(ctx: ScanContext) -> Iterable[Hit]:
    minimum = ctx.params["min_full"]
    rows = (_orgs(ctx, ["branch"]).annotate(full=_member_count(("full",))).filter(full__lt=minimum)
            .values("id", "full"))
    for r in rows:
        yield Hit(r["id"], f"本支部正式党员{r['full']}人，少于{minimum}人，且未设为联合党支部。", details={"full": r["full"]})


@rule("ORG-03", title="应设支部委员会而未设或人数不足", category="setup", severity="high",
      citation=Citation(ZB, "第二十条", "S"),
      expects="正式党员7人以上的党支部设立支部委员会，委员3至5人，一般不超过7人。",
      action="召开党员大会选举产生支部委员会，并报上级党组织审批。")
def org_03(ctx: ScanContext) -> Iterable[Hit]:
    at, minimum = ctx.params["committee_from"], ctx.params["min_committee"]
    rows = (_orgs(ctx, ["branch"]).annotate(full=_member_count(("full",)), committee=_committee_posts())
            .filter(full__gte=at, committee__lt=minimum).values("id", "full", "committee"))
    for r in rows:
        yield Hit(r["id"], f"本支部正式党员{r['full']}人（{at}人以上应设支部委员会），现有支委{r['committee']}人，少于{minimum}人。",
                  details={"full": r["full"], "committee": r["committee"]})


@rule("ORG-04", title="党支部党员人数超过50人", category="setup", severity="warn",
      citation=Citation(ZB, "第四条", "V"),
      expects="党支部党员人数一般不超过50人。",
      action="研究将党支部分设为若干支部，或按规定设立党总支。")
def org_04(ctx: ScanContext) -> Iterable[Hit]:
    limit = ctx.params["max_members"]
    rows = (_orgs(ctx, ["branch"]).annotate(n=_member_count(("full", "probationary"))).filter(n__gt=limit)
            .values("id", "n"))
    for r in rows:
        yield Hit(r["id"], f"本支部有党员{r['n']}人（含预备党员），超过{limit}人。", details={"members": r["n"]})


@rule("ORG-06", title="书记空缺", category="setup", severity="high",
      citation=Citation(ZB, "第二十一条、第二十三条", "S"),
      expects="党组织应配备书记；书记出缺应及时补选，必要时由上级党组织指派。",
      action="及时补选书记并报上级党组织审批，或由上级党组织指派。")
def org_06(ctx: ScanContext) -> Iterable[Hit]:
    has_secretary = Post.objects.filter(organization_id=OuterRef("pk"), post="secretary", ended_on__isnull=True)
    from django.db.models import Exists

    rows = _orgs(ctx, TERMED_KINDS).filter(~Exists(has_secretary)).values("id", "kind")
    for r in rows:
        yield Hit(r["id"], "本组织未配备书记。")


def _with_current_term(ctx: ScanContext) -> QuerySet[Organization]:
    latest = Term.objects.filter(organization_id=OuterRef("pk"), elected_on__lte=ctx.as_of).order_by("-elected_on")
    return _orgs(ctx, TERMED_KINDS).annotate(
        elected_on=Subquery(latest.values("elected_on")[:1]),
        term_years=Subquery(latest.values("term_years")[:1]),
    )


def _ended_by(d: date) -> Q:
    """Current term ends on or before d: elected_on + term_years years <= d, exact per length."""
    q = Q(pk__in=[])
    for years in range(1, 11):
        q |= Q(term_years=years, elected_on__lte=latest_on_or_before(d, years))
    return q


@rule("TERM-01", title="任期即将届满", category="term", severity="info",
      citation=Citation(RQ, "换届提醒", "S"),
      expects="上级党组织在任期届满前6个月提醒按期换届。",
      action="做好换届准备：提出换届请示、酝酿候选人、制定选举办法。")
def term_01(ctx: ScanContext) -> Iterable[Hit]:
    horizon = add_months(ctx.as_of, ctx.params["warn_months"])
    rows = (_with_current_term(ctx).filter(elected_on__isnull=False).filter(_ended_by(horizon)).exclude(_ended_by(ctx.as_of))
            .values("id", "elected_on", "term_years"))
    for r in rows:
        end = add_months(r["elected_on"], 12 * r["term_years"])
        yield Hit(r["id"], f"本届于{format_cn(r['elected_on'])}选举产生，任期{r['term_years']}年，将于{format_cn(end)}届满。",
                  details={"elected_on": r["elected_on"].isoformat(), "term_ends": end.isoformat()})


@rule("TERM-03", title="任期届满未换届", category="term", severity="high",
      citation=Citation(XJ, "第三条", "V"),
      expects="任期届满应按期进行换届选举；延期或提前须经上级党组织批准，一般不超过1年。",
      action="立即向上级党组织提出换届请示并组织选举；确需延期的，报上级批准。")
def term_03(ctx: ScanContext) -> Iterable[Hit]:
    base = _with_current_term(ctx)
    for r in base.filter(elected_on__isnull=True).values("id"):
        yield Hit(r["id"], "没有换届选举记录，无法确认本届任期。", details={"term": None})
    for r in base.filter(_ended_by(ctx.as_of)).values("id", "elected_on", "term_years"):
        end = add_months(r["elected_on"], 12 * r["term_years"])
        yield Hit(r["id"], f"本届于{format_cn(r['elected_on'])}选举产生，任期{r['term_years']}年，已于{format_cn(end)}届满，尚未换届。",
                  details={"elected_on": r["elected_on"].isoformat(), "term_ended": end.isoformat()})


@rule("TERM-05", title="任期年限不符合规定", category="term", severity="warn",
      citation=Citation(RQ, "", "S"),
      expects="党的基层委员会每届5年，党总支、党支部每届3年；村、社区党组织每届5年。",
      action="核对换届选举时确定的任期，按规定年限更正或在下次换届时纠正。")
def term_05(ctx: ScanContext) -> Iterable[Hit]:
    p = ctx.params
    grassroots = Q(category__in=["village", "community"])
    wrong = (
        (grassroots & ~Q(term_years=p["grassroots_years"]))
        | (~grassroots & Q(kind__in=["branch", "general_branch"]) & ~Q(term_years=p["branch_years"]))
        | (~grassroots & Q(kind="committee") & ~Q(term_years=p["committee_years"]))
    )
    rows = _with_current_term(ctx).filter(elected_on__isnull=False).filter(wrong).values("id", "kind", "category", "term_years")
    for r in rows:
        expected = p["grassroots_years"] if r["category"] in ("village", "community") else (
            p["committee_years"] if r["kind"] == "committee" else p["branch_years"])
        yield Hit(r["id"], f"本届任期{r['term_years']}年，按规定应为{expected}年。",
                  details={"term_years": r["term_years"], "expected": expected})
