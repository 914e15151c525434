"""组团帮扶's rules on the villages' stored yearly figures, each one set-based query over the scope.

VIL-01  a resident team member on post the whole of the last full month, present on site fewer
        than `min_days` days in it (default 15; exactly 15 is enough)
VIL-02  a key village without a household visit logged in the last full month
VIL-03  a village's collective income for the last full year below the weak-village threshold
        (a village exactly at the threshold is not weak)
VIL-04  a village's collective income for the last full year lower than the year before
VIL-05  a key village with no paired unit in the current round (the round whose period holds the
        scan's date; none running, no finding)

The last full year is the year before the scan's: its figures are the ones a town has entered.
A member posted for part of the month (arrived or left in it) is not held to the month's days.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q

from dangjian.compliance.engine import Citation, Hit, ScanContext, rule

from .models import Pairing, Resident, Round, Village, VillageYear, Visit
from .money import wan

LOCAL = "厦门市组团帮扶工作方案（地方规定）"


def _last_month(as_of: date) -> tuple[date, date]:
    last = as_of.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def _scoped(qs: object, ctx: ScanContext, field: str = "organization") -> object:
    return qs.filter(**{f"{field}__path__under": ctx.scope_path}) if ctx.scope_path else qs  # type: ignore[attr-defined]


@rule(
    "VIL-01",
    title="驻村工作队员在岗天数不足",
    category="villages",
    severity="warn",
    citation=Citation(LOCAL, "驻村工作队员每月在村工作不少于规定天数", "L"),
    expects="驻村工作队员吃住在村，每月在村天数不少于规定天数（本平台默认15天）。",
    action="驻村工作队员每天在手机上登记在岗情况；派出单位和镇（街道）核实离村原因，督促在岗。",
    defaults={"min_days": 15},
)
def vil_01(ctx: ScanContext) -> Iterable[Hit]:
    first, last = _last_month(ctx.as_of)
    need = int(ctx.params.get("min_days", 15))
    rows = (
        _scoped(Resident.objects.all(), ctx, "village__organization")  # type: ignore[attr-defined]
        .filter(arrived_on__lte=first)
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=last))
        .annotate(
            present=Count(
                "days", filter=Q(days__day__gte=first, days__day__lte=last, days__on_site=True)
            )
        )
        .filter(present__lt=need)
    )
    month = f"{first:%Y-%m}"
    for r in rows.order_by().values(
        "pk", "village__name", "village__organization_id", "member__name", "role", "present"
    ):
        yield Hit(
            r["village__organization_id"],
            f"{r['village__name']}驻村工作队员{r['member__name']}{first.year}年{first.month}月"
            f"在村{r['present']}天，少于{need}天。",
            period=month,
            subject=f"resident:{r['pk']}",
            details={"village": r["village__name"], "present": r["present"], "need": need},
        )


@rule(
    "VIL-02",
    title="重点村当月没有入户走访记录",
    category="villages",
    severity="warn",
    citation=Citation(LOCAL, "进万家门、知万家情、解万家忧、办万家事", "L"),
    expects="驻村工作队每月入户走访农户，并在平台登记走访情况。",
    action="驻村工作队安排入户走访，在手机上登记走访的农户、了解的情况和群众诉求。",
)
def vil_02(ctx: ScanContext) -> Iterable[Hit]:
    first, last = _last_month(ctx.as_of)
    visited = Visit.objects.filter(
        village_id=OuterRef("pk"), visited_on__gte=first, visited_on__lte=last
    )
    rows = _scoped(Village.objects.filter(key=True), ctx).filter(~Exists(visited))  # type: ignore[attr-defined]
    for r in rows.order_by().values("pk", "name", "organization_id"):
        yield Hit(
            r["organization_id"],
            f"重点村{r['name']}{first.year}年{first.month}月没有入户走访记录。",
            period=f"{first:%Y-%m}",
            subject=f"village:{r['pk']}",
            details={"village": r["name"]},
        )


def running_rounds(as_of: date) -> list[Round]:
    """The rounds whose period holds the date, the latest begun first (a handful)."""
    return list(
        Round.objects.filter(starts_on__lte=as_of, ends_on__gte=as_of)
        .select_related("organization")
        .order_by("-starts_on", "-pk")
    )


def current_round(as_of: date, org: Any = None) -> Round | None:
    """The round running at the date for a village's organization `org` (its organizer above
    it; the latest begun if two overlap), or for the whole deployment without `org`."""
    for r in running_rounds(as_of):
        if org is None or org.path.startswith(r.organization.path):
            return r
    return None


@rule(
    "VIL-05",
    title="重点村本轮没有结对单位",
    category="villages",
    severity="warn",
    citation=Citation(LOCAL, "每个重点村由一个机关、事业单位或国有企业“1+1”结对帮扶", "L"),
    expects="本轮组团帮扶中，每个重点村都有一个结对单位。",
    action="组织部门为该村确定结对单位（机关、事业单位或国有企业），在“组团帮扶—轮次”中登记。",
)
def vil_05(ctx: ScanContext) -> Iterable[Hit]:
    # a round concerns the villages under its organizer; a village's current round is the latest
    # begun of those running over it (one query per running round: a handful)
    seen: set[int] = set()
    for r in running_rounds(ctx.as_of):
        paired = Pairing.objects.filter(round=r, village_id=OuterRef("pk"))
        under = Village.objects.filter(
            key=True, organization__path__under=r.organization.path
        ).exclude(pk__in=seen)
        for v in (
            _scoped(under, ctx)  # type: ignore[attr-defined]
            .annotate(paired=Exists(paired))
            .order_by()
            .values("pk", "name", "organization_id", "paired")
        ):
            seen.add(v["pk"])
            if v["paired"]:
                continue
            yield Hit(
                v["organization_id"],
                f"重点村{v['name']}在{r.name}中没有结对单位。",
                period=f"{r.starts_on:%Y}-{r.ends_on:%Y}",  # the round's years (10 characters)
                subject=f"village:{v['pk']}",
                details={"village": v["name"], "round": r.name},
            )


def _year_rows(ctx: ScanContext, year: int) -> object:
    qs = VillageYear.objects.filter(year=year)
    if ctx.scope_path:
        qs = qs.filter(village__organization__path__under=ctx.scope_path)
    return qs


@rule(
    "VIL-03",
    title="村集体收入低于薄弱村标准",
    category="villages",
    severity="high",
    citation=Citation(LOCAL, "消除村集体经济薄弱村（年收入低于10万元）", "L"),
    expects="村集体经济年收入达到薄弱村标准以上（本平台默认10万元，部署可设定本地标准）。",
    action="镇（街道）和帮扶团队研究发展村集体经济的项目，结对单位协助对接资源，逐年提高收入。",
    defaults={"weak_yuan": 100000},
)
def vil_03(ctx: ScanContext) -> Iterable[Hit]:
    year = ctx.as_of.year - 1
    weak = int(ctx.params.get("weak_yuan", 100000)) * 100
    rows = _year_rows(ctx, year).filter(collective_fen__lt=weak)  # type: ignore[attr-defined]
    for r in rows.order_by().values(
        "village_id", "village__name", "village__organization_id", "collective_fen"
    ):
        yield Hit(
            r["village__organization_id"],
            f"{r['village__name']}{year}年村集体收入{wan(r['collective_fen'])}万元，"
            f"低于薄弱村标准{wan(weak)}万元。",
            period=str(year),
            subject=f"village:{r['village_id']}",
            details={"village": r["village__name"], "collective_fen": r["collective_fen"]},
        )


@rule(
    "VIL-04",
    title="村集体收入比上年减少",
    category="villages",
    severity="warn",
    citation=Citation(LOCAL, "村集体经济收入逐年增长", "L"),
    expects="村集体经济收入保持增长。",
    action="镇（街道）和帮扶团队分析减收原因（项目停滞、租金减少等），提出增收措施。",
)
def vil_04(ctx: ScanContext) -> Iterable[Hit]:
    year = ctx.as_of.year - 1
    # the year before through the village's own rows: one join, in one filter() (same alias)
    rows = (
        _year_rows(ctx, year)  # type: ignore[attr-defined]
        .filter(
            village__years__year=year - 1,
            collective_fen__lt=F("village__years__collective_fen"),
        )
        .annotate(prev=F("village__years__collective_fen"))
    )
    for r in rows.order_by().values(
        "village_id", "village__name", "village__organization_id", "collective_fen", "prev"
    ):
        yield Hit(
            r["village__organization_id"],
            f"{r['village__name']}{year}年村集体收入{wan(r['collective_fen'])}万元，"
            f"比上年（{wan(r['prev'])}万元）减少。",
            period=str(year),
            subject=f"village:{r['village_id']}",
            details={"collective_fen": r["collective_fen"], "previous_fen": r["prev"]},
        )
