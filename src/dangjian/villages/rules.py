"""组团帮扶's rules on the villages' stored yearly figures, each one set-based query over the scope.

VIL-03  a village's collective income for the last full year below the weak-village threshold
        (a village exactly at the threshold is not weak)
VIL-04  a village's collective income for the last full year lower than the year before

The last full year is the year before the scan's: its figures are the ones a town has entered.
(VIL-01, VIL-02 and VIL-05 — resident teams' presence, household visits, pairings — follow with
the resident teams and rounds.)
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, OuterRef, Subquery

from dangjian.compliance.engine import Citation, Hit, ScanContext, rule

from .models import VillageYear
from .money import wan

LOCAL = "厦门市组团帮扶工作方案（地方规定）"


def _year_rows(ctx: ScanContext, year: int) -> object:
    qs = VillageYear.objects.filter(year=year)
    if ctx.scope_path:
        qs = qs.filter(village__organization__path__startswith=ctx.scope_path)
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
    before = VillageYear.objects.filter(village_id=OuterRef("village_id"), year=year - 1)
    rows = (
        _year_rows(ctx, year)  # type: ignore[attr-defined]
        .annotate(prev=Subquery(before.values("collective_fen")[:1]))
        .filter(prev__isnull=False, collective_fen__lt=F("prev"))
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
