"""Party-fee rules (rules.md §1; rules-contract.md "Fees"), each one query over the scope.

Months are integer indexes (year * 12 + month - 1). The last complete month before D is D's month
minus one; periodic rules look back to the month 24 months before D's month, and only at months
the member was a member all month (a month starting on or after joined_on).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import ExtractMonth, ExtractYear

from dangjian.compliance.engine import Citation, Hit, ScanContext, rule
from dangjian.members.constants import FEE_STATUSES
from dangjian.members.models import Member
from dangjian.orgs.models import Organization

from . import bands
from .arrears import FirstFullMonth, unpaid_runs
from .models import (
    AnnualAssessment,
    Assessment,
    CollectionDay,
    FeeMonth,
    Publication,
    month_index,
    month_label,
)

DF = "关于中国共产党党费收缴、使用和管理的规定"
PC = "中国共产党章程"


def _now(ctx: ScanContext) -> int:
    return month_index(ctx.as_of.year, ctx.as_of.month)


def _first_full_month(prefix: str = "") -> Any:
    return FirstFullMonth(F(f"{prefix}joined_on"))


def _runs(ctx: ScanContext) -> Any:
    """Members on the roll with the length of their run of unpaid months ending with the last
    complete month (paid = 0, empty, or no ledger row all count as unpaid)."""
    qs = Member.objects.filter(status__in=FEE_STATUSES, joined_on__lte=ctx.as_of).order_by()
    if ctx.scope_path:
        qs = qs.filter(organization__path__under=ctx.scope_path)
    return unpaid_runs(qs, ctx.as_of)


def _arrears(ctx: ScanContext, low: int, high: int | None, level: str) -> Iterable[Hit]:
    qs = _runs(ctx).filter(run__gte=low)
    if high is not None:
        qs = qs.filter(run__lte=high)
    last = _now(ctx) - 1
    for r in qs.values("id", "organization_id", "run"):
        first = last - r["run"] + 1
        yield Hit(
            r["organization_id"],
            f"自{month_label(first)}至{month_label(last)}连续{r['run']}个月未交纳党费。{level}",
            member_id=r["id"],
            details={"months": r["run"], "from": month_label(first), "to": month_label(last)},
        )


@rule(
    "FEE-02",
    title="连续3个月未交纳党费",
    category="fees",
    severity="warn",
    citation=Citation(DF, "党费收缴工作规范（地方规定）", "L"),
    expects="党员应按月主动足额交纳党费。",
    action="支部与党员谈心谈话，了解原因，督促按时补交。",
)
def fee_02(ctx: ScanContext) -> Iterable[Hit]:
    yield from _arrears(ctx, 3, 4, "请提醒本人按时补交。")


@rule(
    "FEE-03",
    title="连续5个月未交纳党费",
    category="fees",
    severity="high",
    citation=Citation(PC, "第九条", "S"),
    expects="党员无正当理由连续6个月不交纳党费，被认为是自行脱党。",
    action="支部书记与本人谈话，批评教育，限期改正；已有正当理由的，按规定办理少交、免交手续。",
)
def fee_03(ctx: ScanContext) -> Iterable[Hit]:
    yield from _arrears(ctx, 5, 5, "再有1个月即达到《党章》第九条规定的6个月。")


@rule(
    "FEE-04",
    title="连续6个月以上未交纳党费",
    category="fees",
    severity="critical",
    citation=Citation(PC, "第九条", "V"),
    expects="党员没有正当理由，连续6个月不交纳党费，就被认为是自行脱党；支部大会应决定把其除名，并报上级党组织批准。",
    action="支部核实有无正当理由，提交支部委员会研究处置（限期改正或除名须经支部大会决定、上级批准）；平台不自动处理党员。",
)
def fee_04(ctx: ScanContext) -> Iterable[Hit]:
    yield from _arrears(ctx, 6, None, "须由支部研究处置，平台不会自动处理。")


def _complete_months(ctx: ScanContext) -> QuerySet[FeeMonth]:
    now = _now(ctx)
    qs = (
        FeeMonth.objects.filter(
            month_index__gte=now - 24, month_index__lte=now - 1, member__status__in=FEE_STATUSES
        )
        .order_by()
        .alias(first=_first_full_month("member__"))
        .filter(month_index__gte=F("first"))
    )
    if ctx.scope_path:
        qs = qs.filter(member__organization__path__under=ctx.scope_path)
    return qs


@rule(
    "FEE-05",
    title="党费未足额交纳",
    category="fees",
    severity="warn",
    citation=Citation(DF, "按月足额交纳", "S"),
    expects="党员应按月足额交纳党费。",
    action="提醒党员补足差额；收入变化的，重新核定交纳标准。",
)
def fee_05(ctx: ScanContext) -> Iterable[Hit]:
    rows = (
        _complete_months(ctx)
        .filter(paid_fen__gt=0, paid_fen__lt=F("due_fen"))
        .values("member_id", "member__organization_id", "month", "due_fen", "paid_fen")
    )
    for r in rows:
        yield Hit(
            r["member__organization_id"],
            f"{r['month']}应交{bands.yuan(r['due_fen'])}元，实交{bands.yuan(r['paid_fen'])}元，"
            f"差{bands.yuan(r['due_fen'] - (r['paid_fen'] or 0))}元。",
            member_id=r["member_id"],
            period=r["month"],
            details={"due": bands.yuan(r["due_fen"]), "paid": bands.yuan(r["paid_fen"])},
        )


def _band(category: str, base: str) -> Case:
    """The band amount as an SQL expression (integer fen, half up): the same table as bands.
    quote."""

    def pct(per10000: int) -> Any:
        return (F(base) * per10000 + 5000) / 10000

    employed = Q(**{f"{category}__in": ["employed", "other"]})
    retired = Q(**{category: "retired"})
    return Case(
        When(employed & Q(**{f"{base}__lte": 300000}), then=pct(50)),
        When(employed & Q(**{f"{base}__lte": 500000}), then=pct(100)),
        When(employed & Q(**{f"{base}__lte": 1000000}), then=pct(150)),
        When(employed, then=pct(200)),
        When(retired & Q(**{f"{base}__lte": 500000}), then=pct(50)),
        When(retired, then=pct(100)),
        default=Value(bands.FIXED_LOW),
        output_field=IntegerField(),
    )


@rule(
    "FEE-09",
    title="应交金额与交纳标准不符",
    category="fees",
    severity="high",
    citation=Citation(DF, "第二条、第五条、第六条", "S"),
    expects="按党员类别和计算基数核定月交纳额：在职党员按税后工资分档0.5%、1%、1.5%、2%，离退休党员0.5%、1%，农民党员0.2元至1元，学生和生活困难党员0.2元。",
    action="按标准重新核定该党员的月交纳额，多交的可抵后续月份，少交的补足。",
)
def fee_09(ctx: ScanContext) -> Iterable[Hit]:
    wrong = (
        Q(cat="farmer") & (Q(due_fen__lt=bands.FARMER_MIN) | Q(due_fen__gt=bands.FARMER_MAX))
    ) | (~Q(cat="farmer") & ~Q(due_fen=F("band")))
    assessed = Assessment.objects.filter(
        member_id=OuterRef("member_id"), effective_index__lte=OuterRef("month_index")
    )
    # 1. months with no assessment in force (nearly all): the band from the member's own category
    # and base
    plain = (
        _complete_months(ctx)
        .filter(~Exists(assessed))
        .annotate(cat=F("member__fee_category"), base=F("member__fee_base_fen"))
        .alias(band=_band("member__fee_category", "member__fee_base_fen"))
        .filter(wrong)
    )
    # 2. months under an assessment: its category and base, unless an approved reduction or
    # exemption applies
    in_force = assessed.order_by("-effective_index", "-id")
    relief = assessed.filter(kind__in=["reduction", "exemption"], approved_on__isnull=False)
    # (only members who have an assessment at all: a small set, so the database starts from it)
    under = (
        _complete_months(ctx)
        .filter(member_id__in=Assessment.objects.values("member_id"))
        .filter(Exists(assessed))
        .filter(~Exists(relief))
        .annotate(
            cat=Subquery(in_force.values("category")[:1]),
            base=Subquery(in_force.values("base_fen")[:1]),
        )
        .alias(band=_band("cat", "base"))
        .filter(wrong)
    )
    fields = ("member_id", "member__organization_id", "month", "due_fen", "cat", "base")
    for r in [*plain.values(*fields), *under.values(*fields)]:
        q = bands.quote(r["cat"], r["base"])
        expected = (
            f"{bands.yuan(q.minimum_fen)}至{bands.yuan(q.maximum_fen)}元"
            if q.minimum_fen is not None
            else f"{bands.yuan(q.monthly_fen)}元"
        )
        yield Hit(
            r["member__organization_id"],
            f"{r['month']}应交额{bands.yuan(r['due_fen'])}元，按{bands.CATEGORIES[r['cat']]}党员"
            f"（基数{bands.yuan(r['base'])}元，{q.band}）应为{expected}。",
            member_id=r["member_id"],
            period=r["month"],
            details={"due": bands.yuan(r["due_fen"]), "expected": expected},
        )


@rule(
    "FEE-08",
    title="少交免交无上级党委批准记录",
    category="fees",
    severity="high",
    citation=Citation(DF, "第七条", "S"),
    expects="党员少交或免交党费，须经支部大会讨论，报上一级党委批准。",
    action="补办上一级党委批准手续；未经批准的，恢复按标准交纳。",
)
def fee_08(ctx: ScanContext) -> Iterable[Hit]:
    qs = (
        Assessment.objects.filter(
            kind__in=["reduction", "exemption"], member__status__in=FEE_STATUSES
        )
        .filter(Q(approved_on__isnull=True) | Q(approved_by__isnull=True))
        .order_by()
    )
    if ctx.scope_path:
        qs = qs.filter(member__organization__path__under=ctx.scope_path)
    for a in qs.values("id", "member_id", "member__organization_id", "kind", "effective_index"):
        what = "免交" if a["kind"] == "exemption" else "少交"
        yield Hit(
            a["member__organization_id"],
            f"自{month_label(a['effective_index'])}起{what}党费，没有上一级党委的批准记录。",
            member_id=a["member_id"],
            subject=f"as{a['id']}",
        )


@rule(
    "FEE-11",
    title="预备党员党费起交月份不符",
    category="fees",
    severity="warn",
    citation=Citation(DF, "第八条", "S"),
    expects="预备党员从支部大会通过其为预备党员之日起交纳党费。",
    action="按接收为预备党员的月份补建台账并收缴。",
)
def fee_11(ctx: ScanContext) -> Iterable[Hit]:
    now = _now(ctx)
    joined = ExtractYear("joined_on") * 12 + ExtractMonth("joined_on") - 1
    first_row = (  # the earliest: one row read forwards on the (member, month) index
        FeeMonth.objects.filter(member_id=OuterRef("pk"))
        .order_by("month_index")
        .values("month_index")[:1]
    )
    # members admitted in the last 12 complete months: their ledger should start with that month
    qs = (
        Member.objects.filter(status__in=FEE_STATUSES)
        .order_by()
        .alias(joined_idx=joined, first=Subquery(first_row, output_field=IntegerField()))
        .filter(joined_idx__gte=now - 12, joined_idx__lt=now, first__isnull=False)
        .exclude(first=F("joined_idx"))
    )
    if ctx.scope_path:
        qs = qs.filter(organization__path__under=ctx.scope_path)
    for r in qs.annotate(first_month=F("first"), joined_month=F("joined_idx")).values(
        "id", "organization_id", "first_month", "joined_month"
    ):
        yield Hit(
            r["organization_id"],
            f"{month_label(r['joined_month'])}接收为预备党员，党费台账却从{month_label(r['first_month'])}开始。",
            member_id=r["id"],
        )


@rule(
    "FEE-12",
    title="未公布年度党费收缴使用情况",
    category="fees",
    severity="warn",
    citation=Citation(DF, "党费收缴使用公开（中组部通知）", "S"),
    expects="党支部每年至少向党员公布一次党费收缴、使用情况。",
    action="在党员大会或公示栏公布上年度党费收缴、上缴和使用情况，并在平台登记。",
)
def fee_12(ctx: ScanContext) -> Iterable[Hit]:

    year = ctx.as_of.year - 1  # the last complete year
    published = Publication.objects.filter(organization_id=OuterRef("pk"), year=year)
    collected_rows = FeeMonth.objects.filter(
        organization_id=OuterRef("pk"),
        month_index__gte=month_index(year, 1),
        month_index__lt=month_index(year + 1, 1),
        paid_fen__gt=0,
    )

    qs = (
        Organization.objects.filter(kind="branch", is_active=True)
        .order_by()
        .filter(Exists(collected_rows))
        .filter(~Exists(published))
    )
    if ctx.scope_path:
        qs = qs.filter(path__under=ctx.scope_path)
    for oid in qs.values_list("id", flat=True):
        yield Hit(oid, f"{year}年度党费收缴、使用情况尚未向党员公布。", period=str(year))


@rule(
    "FEE-01",
    title="收缴日临近，本月党费未交",
    category="fees",
    severity="info",
    citation=Citation(DF, "按月交纳（地方规定）", "L"),
    expects="党支部每月在相对固定的日期收缴党费，党员按月主动交纳。",
    action="请在收缴日前交纳本月党费（可在“我的党费”线上交纳）。",
    defaults={"lead_days": 3},
)
def fee_01(ctx: ScanContext) -> Iterable[Hit]:

    lead = ctx.params.get("lead_days", 3)
    today = ctx.as_of.day
    now = _now(ctx)
    # branches whose collection day is today or within the next `lead` days
    days = CollectionDay.objects.filter(day__gte=today, day__lte=today + lead).values(
        "organization_id"
    )
    qs = (
        FeeMonth.objects.filter(
            month_index=now, organization_id__in=days, member__status__in=FEE_STATUSES
        )
        .filter(Q(paid_fen__isnull=True) | Q(paid_fen=0))
        .order_by()
    )
    if ctx.scope_path:
        qs = qs.filter(organization__path__under=ctx.scope_path)
    for r in qs.values(
        "member_id", "organization_id", "month", "due_fen", "organization__fee_collection_day__day"
    ):
        yield Hit(
            r["organization_id"],
            f"本支部每月{r['organization__fee_collection_day__day']}日收缴党费，您{r['month']}的党费"
            f"{bands.yuan(r['due_fen'])}元尚未交纳。",
            member_id=r["member_id"],
            period=r["month"],
        )


@rule(
    "FEE-07",
    title="未按时完成年度党费核定",
    category="fees",
    severity="warn",
    citation=Citation(DF, "年初核定（中组部通知）", "S"),
    expects="党支部每年年初核定党员月交纳额，一般在3月底前完成，年内一般不作调整。",
    action="核对每名党员的党费类别和计算基数，完成本年度核定并在平台登记。",
    defaults={"by_month": 3},
)
def fee_07(ctx: ScanContext) -> Iterable[Hit]:

    year, by = ctx.as_of.year, ctx.params.get("by_month", 3)
    if ctx.as_of.month <= by:  # still within the assessment period
        return
    done = AnnualAssessment.objects.filter(organization_id=OuterRef("pk"), year=year)
    has_members = Member.objects.filter(
        organization_id=OuterRef("pk"), status__in=FEE_STATUSES, joined_on__lt=date(year, 1, 1)
    )
    qs = (
        Organization.objects.filter(kind="branch", is_active=True)
        .order_by()
        .filter(Exists(has_members))
        .filter(~Exists(done))
    )
    if ctx.scope_path:
        qs = qs.filter(path__under=ctx.scope_path)
    for oid in qs.values_list("id", flat=True):
        yield Hit(oid, f"{year}年度党费核定应在{by}月底前完成，至今未登记完成。", period=str(year))
