"""Transfer rules (rules.md §5; rules-contract.md "Transfers"): the sending organization is the
finding's organization; the member is the member."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.db.models import DateField, Exists, Max, OuterRef, Q
from django.db.models.functions import Coalesce

from dangjian.compliance.engine import Citation, Hit, ScanContext, rule
from dangjian.core.dates import add_months
from dangjian.core.sqldates import AddMonths
from dangjian.fees.models import FeeMonth

from .models import LostContact, LostStatus, MobileDirection, MobileMember, Transfer, TransferStatus

ZT = "关于党员组织关系接转工作的通知（组通字〔2006〕45号）"
JY = "中国共产党党员教育管理工作条例"


def _open(ctx: ScanContext):  # type: ignore[no-untyped-def]
    # open letters and letters marked expired: both are still without a receipt
    qs = Transfer.objects.filter(
        accepted_on__isnull=True,
        issued_on__isnull=False,
        status__in=[TransferStatus.OPEN, TransferStatus.EXPIRED],
    ).order_by()
    if ctx.scope_path:
        qs = qs.filter(from_org__path__under=ctx.scope_path)
    return qs


@rule(
    "TRF-02",
    title="介绍信过期未接收（口袋党员）",
    category="transfers",
    severity="high",
    citation=Citation(ZT, "介绍信有效期", "S"),
    expects="党员应在介绍信有效期内到接收党组织报到；接收党组织及时寄回回执。",
    action="联系党员本人和接收党组织，核实是否报到；逾期未报到的，由党员申请、支部出具证明后重新办理。",
)
def trf_02(ctx: ScanContext) -> Iterable[Hit]:
    # D later than issued_on + valid_days: issued_on < D - valid_days, one cut-off per validity in
    # use
    base = _open(ctx)
    for days in base.values_list("valid_days", flat=True).distinct():
        q = base.filter(valid_days=days, issued_on__lt=ctx.as_of - timedelta(days=days))
        for r in q.values(
            "id", "member_id", "from_org_id", "issued_on", "valid_days", "to_org__name", "to_name"
        ):
            end = r["issued_on"] + timedelta(days=r["valid_days"])
            yield Hit(
                r["from_org_id"],
                f"{r['issued_on']:%Y年%m月%d日}开具转往“"
                f"{r['to_org__name'] or r['to_name']}”的介绍信，"
                f"有效期{r['valid_days']}天（至{end:%Y年%m月%d日}），逾期未接收。",
                member_id=r["member_id"],
                subject=f"t{r['id']}",
            )


@rule(
    "TRF-03",
    title="组织关系转接超过30天未接收",
    category="transfers",
    severity="warn",
    citation=Citation(JY, "第二十五条", "S"),
    expects="接收党组织应及时接收；党员在被接收前由原党组织负责管理。",
    action="原党组织和接收党组织的上级党委督促办理接收。",
)
def trf_03(ctx: ScanContext) -> Iterable[Hit]:
    # a letter past its validity is TRF-02 (the higher level of the same matter), not also TRF-03
    q = _open(ctx).filter(status=TransferStatus.OPEN, issued_on__lt=ctx.as_of - timedelta(days=30))
    for days in q.values_list("valid_days", flat=True).distinct():
        yield from _trf_03(
            q.filter(valid_days=days, issued_on__gte=ctx.as_of - timedelta(days=days))
        )


def _trf_03(q):  # type: ignore[no-untyped-def]
    for r in q.values("id", "member_id", "from_org_id", "issued_on", "to_org__name", "to_name"):
        yield Hit(
            r["from_org_id"],
            f"{r['issued_on']:%Y年%m月%d日}开具介绍信转往“{r['to_org__name'] or r['to_name']}”，"
            "超过30天尚未接收。",
            member_id=r["member_id"],
            subject=f"t{r['id']}",
        )


def _d(d: date) -> str:
    return f"{d:%Y年%m月%d日}"


def _mobile_out(ctx: ScanContext):  # type: ignore[no-untyped-def]
    qs = MobileMember.objects.filter(
        direction=MobileDirection.OUT,
        ended_on__isnull=True,
        member__status__in=["full", "probationary"],
    ).order_by()
    if ctx.scope_path:
        qs = qs.filter(organization__path__under=ctx.scope_path)
    return qs


def _lost(ctx: ScanContext, status: str):  # type: ignore[no-untyped-def]
    qs = LostContact.objects.filter(status=status).order_by()
    if ctx.scope_path:
        qs = qs.filter(organization__path__under=ctx.scope_path)
    return qs


def _unmoved(qs):  # type: ignore[no-untyped-def]
    """Outflow records of members who have not started a transfer since they left."""
    moved = Transfer.objects.filter(
        member_id=OuterRef("member_id"),
        started_on__gte=OuterRef("since"),
        status__in=[TransferStatus.OPEN, TransferStatus.ACCEPTED],
    )
    moved_letter = Transfer.objects.filter(
        member_id=OuterRef("member_id"),
        issued_on__gte=OuterRef("since"),
        status__in=[TransferStatus.OPEN, TransferStatus.ACCEPTED],
    )
    return qs.filter(fixed_place=True).exclude(Exists(moved)).exclude(Exists(moved_letter))


def _last_report(qs):  # type: ignore[no-untyped-def]
    return qs.annotate(last=Coalesce(Max("reports__on"), "since", output_field=DateField()))


@rule(
    "TRF-01",
    title="外出半年以上未转接组织关系",
    category="transfers",
    severity="warn",
    citation=Citation(JY, "第二十五条", "V"),
    expects="党员工作单位、经常居住地发生变动，或外出学习工作生活在相对固定处所6个月以上的，应转接组织关系。",
    action="联系党员本人办理组织关系转接；确实无法转接的，发放流动党员活动证并纳入流动党员管理。",
    defaults={"months": 6},
)
def trf_01(ctx: ScanContext) -> Iterable[Hit]:
    n = int(ctx.params.get("months", 6))
    q = _unmoved(_mobile_out(ctx)).alias(due=AddMonths("since", n)).filter(due__lte=ctx.as_of)
    for r in q.values("id", "organization_id", "member_id", "since", "place"):
        yield Hit(
            r["organization_id"],
            f"{_d(r['since'])}起在{r['place']}（相对固定处所），已满{n}个月，未转接组织关系。",
            member_id=r["member_id"],
            subject=f"mo{r['id']}",
        )


@rule(
    "TRF-04",
    title="转接前后党费交纳断档",
    category="transfers",
    reads=("fees",),
    severity="warn",
    citation=Citation(ZT, "党费交纳", "S"),
    expects="党员向原党组织交纳党费至介绍信注明的月份，从下月起向接收党组织交纳。",
    action="接收支部核对该党员介绍信注明的党费交至月份，补收断档月份的党费。",
)
def trf_04(ctx: ScanContext) -> Iterable[Hit]:

    now = f"{ctx.as_of:%Y-%m}"
    paid = FeeMonth.objects.filter(member_id=OuterRef("member_id"), paid_fen__gt=0)
    q = (
        Transfer.objects.filter(
            status=TransferStatus.ACCEPTED,
            to_org__isnull=False,
            accepted_on__gte=add_months(ctx.as_of, -12),
        )
        .exclude(fee_resume="")
        .order_by()
        .filter(~Exists(paid.filter(month=OuterRef("fee_resume"))))
        .filter(Q(fee_resume__lt=now) | Exists(paid.filter(month__gt=OuterRef("fee_resume"))))
    )
    if ctx.scope_path:
        q = q.filter(from_org__path__under=ctx.scope_path)
    for r in q.values(
        "id",
        "from_org_id",
        "member_id",
        "fee_paid_through",
        "fee_resume",
        "to_org__name",
        "accepted_on",
    ):
        yield Hit(
            r["from_org_id"],
            f"介绍信注明党费交至{r['fee_paid_through']}，{r['accepted_on']:%Y年%m月%d日}转入{r['to_org__name']}后，"
            f"{r['fee_resume']}起的党费没有交纳记录。",
            member_id=r["member_id"],
            subject=f"t{r['id']}",
        )


@rule(
    "TRF-05",
    title="流动党员一年内未向原党组织汇报",
    category="transfers",
    severity="warn",
    citation=Citation(JY, "第三十二条", "S"),
    expects="流动党员每年至少向原党组织汇报一次思想、工作情况。",
    action="联系该流动党员，请其书面或当面汇报，并在平台登记。",
    defaults={"months": 12},
)
def trf_05(ctx: ScanContext) -> Iterable[Hit]:
    n = int(ctx.params.get("months", 12))
    q = _last_report(_mobile_out(ctx)).alias(due=AddMonths("last", n)).filter(due__lte=ctx.as_of)
    for r in q.values("id", "organization_id", "member_id", "last", "place"):
        yield Hit(
            r["organization_id"],
            f"外出在{r['place']}，最近一次汇报（或外出）在{_d(r['last'])}，已满{n}个月。",
            member_id=r["member_id"],
            subject=f"mo{r['id']}",
        )


@rule(
    "TRF-06",
    title="失联党员满6个月未作处理",
    category="transfers",
    severity="high",
    citation=Citation(JY, "第二十四条", "V"),
    expects="党员失去联系6个月以上的，由党支部或上级党组织按程序停止其党籍。",
    action="继续查找；确实无法取得联系的，支部提出意见、按程序作出停止党籍的决定（平台不会自动处理）。",
    defaults={"months": 6},
)
def trf_06(ctx: ScanContext) -> Iterable[Hit]:
    n = int(ctx.params.get("months", 6))
    q = _lost(ctx, LostStatus.OPEN).alias(due=AddMonths("since", n)).filter(due__lte=ctx.as_of)
    for r in q.values("id", "organization_id", "member_id", "since"):
        yield Hit(
            r["organization_id"],
            f"{_d(r['since'])}起失去联系，已满{n}个月。",
            member_id=r["member_id"],
            subject=f"lc{r['id']}",
        )


@rule(
    "TRF-07",
    title="停止党籍满2年仍未联系",
    category="transfers",
    severity="high",
    citation=Citation(JY, "第二十四条", "V"),
    expects="停止党籍2年后仍无法取得联系的，按自行脱党予以除名。",
    action="再次查找；仍无法取得联系的，按程序作出除名决定并报上级批准（平台不会自动处理）。",
    defaults={"months": 24},
)
def trf_07(ctx: ScanContext) -> Iterable[Hit]:
    n = int(ctx.params.get("months", 24))
    q = (
        _lost(ctx, LostStatus.SUSPENDED)
        .alias(due=AddMonths("suspended_on", n))
        .filter(due__lte=ctx.as_of)
    )
    for r in q.values("id", "organization_id", "member_id", "suspended_on"):
        yield Hit(
            r["organization_id"],
            f"{_d(r['suspended_on'])}停止党籍，已满{n // 12}年仍未取得联系。",
            member_id=r["member_id"],
            subject=f"lc{r['id']}",
        )


@rule(
    "TRF-00",
    title="组织关系转接期限临近",
    category="transfers",
    severity="info",
    citation=Citation(JY, "第二十四条、第二十五条、第三十二条", "S"),
    expects="介绍信在有效期内办结；外出满6个月前转接；流动党员每年汇报；失联、停止党籍按期处理。",
    action="请在期限前办理，并在平台登记。",
    defaults={"lead_days": 7},
)
def trf_00(ctx: ScanContext) -> Iterable[Hit]:
    """Reminders ahead of TRF-01/02/05/06/07 (never the rules themselves): a letter expiring within
    `lead_days`; month 5 of an absence at a fixed place; month 11 since the last report; month 5 of
    a
    lost contact; month 23 of a suspension."""
    d = ctx.as_of
    lead = int(ctx.params.get("lead_days", 7))
    base = _open(ctx).filter(status=TransferStatus.OPEN)
    for days in base.values_list("valid_days", flat=True).distinct():
        q = base.filter(
            valid_days=days,
            issued_on__gte=d - timedelta(days=days),
            issued_on__lte=d - timedelta(days=days - lead),
        )
        for r in q.values("id", "member_id", "from_org_id", "issued_on", "member__name"):
            end = r["issued_on"] + timedelta(days=days)
            yield Hit(
                r["from_org_id"],
                f"{r['member__name']}的介绍信将于{_d(end)}到期，请督促到接收党组织报到。",
                member_id=r["member_id"],
                subject=f"t{r['id']}:expiry",
                details={"due": end.isoformat()},
            )
    for r in (
        _unmoved(_mobile_out(ctx))
        .alias(a=AddMonths("since", 5), b=AddMonths("since", 6))
        .filter(a__lte=d, b__gt=d)
        .values("id", "organization_id", "member_id", "since", "name")
    ):
        due = add_months(r["since"], 6)
        yield Hit(
            r["organization_id"],
            f"{r['name']}外出将满6个月（{_d(due)}），请办理组织关系转接。",
            member_id=r["member_id"],
            subject=f"mo{r['id']}:move",
            details={"due": due.isoformat()},
        )
    for r in (
        _last_report(_mobile_out(ctx))
        .alias(a=AddMonths("last", 11), b=AddMonths("last", 12))
        .filter(a__lte=d, b__gt=d)
        .values("id", "organization_id", "member_id", "last", "name")
    ):
        due = add_months(r["last"], 12)
        yield Hit(
            r["organization_id"],
            f"{r['name']}应在{_d(due)}前向党组织汇报。",
            member_id=r["member_id"],
            subject=f"mo{r['id']}:report",
            details={"due": due.isoformat()},
        )
    for r in (
        _lost(ctx, LostStatus.OPEN)
        .alias(a=AddMonths("since", 5), b=AddMonths("since", 6))
        .filter(a__lte=d, b__gt=d)
        .values("id", "organization_id", "member_id", "since", "member__name")
    ):
        due = add_months(r["since"], 6)
        yield Hit(
            r["organization_id"],
            f"{r['member__name']}失去联系将满6个月（{_d(due)}），请继续查找并研究处理意见。",
            member_id=r["member_id"],
            subject=f"lc{r['id']}:lost",
            details={"due": due.isoformat()},
        )
    for r in (
        _lost(ctx, LostStatus.SUSPENDED)
        .alias(a=AddMonths("suspended_on", 23), b=AddMonths("suspended_on", 24))
        .filter(a__lte=d, b__gt=d)
        .values("id", "organization_id", "member_id", "suspended_on", "member__name")
    ):
        due = add_months(r["suspended_on"], 24)
        yield Hit(
            r["organization_id"],
            f"{r['member__name']}停止党籍将满2年（{_d(due)}），请研究是否按自行脱党除名。",
            member_id=r["member_id"],
            subject=f"lc{r['id']}:suspended",
            details={"due": due.isoformat()},
        )


def fee_gap_sources(changes: dict[str, set[str]]) -> dict[str, set[str]]:
    """For compliance.follow: TRF-04 is found at the sending organization from the payments made
    at the receiving one — a fee change at a receiving branch re-runs it at the senders."""

    q = Q()
    for path, apps in changes.items():
        if apps & {"fees", "members"}:
            q |= Q(to_org__path__under=path)
    if not q:
        return {}
    senders = (
        Transfer.objects.filter(q, status=TransferStatus.ACCEPTED)
        .exclude(fee_resume="")
        .values_list("from_org__path", flat=True)
        .distinct()
    )
    return {path: {"transfers"} for path in senders}
