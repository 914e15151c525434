"""Transfer rules (rules.md §5; rules-contract.md "Transfers"): the sending organization is the
finding's organization; the member is the member."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from dangjian.compliance.engine import Citation, Hit, ScanContext, rule

from .models import Transfer, TransferStatus

ZT = "关于党员组织关系接转工作的通知（组通字〔2006〕45号）"
JY = "中国共产党党员教育管理工作条例"


def _open(ctx: ScanContext):  # type: ignore[no-untyped-def]
    # open letters and letters marked expired: both are still without a receipt
    qs = Transfer.objects.filter(accepted_on__isnull=True, issued_on__isnull=False,
                                 status__in=[TransferStatus.OPEN, TransferStatus.EXPIRED]).order_by()
    if ctx.scope_path:
        qs = qs.filter(from_org__path__startswith=ctx.scope_path)
    return qs


@rule("TRF-02", title="介绍信过期未接收（口袋党员）", category="transfers", severity="high",
      citation=Citation(ZT, "介绍信有效期", "S"),
      expects="党员应在介绍信有效期内到接收党组织报到；接收党组织及时寄回回执。",
      action="联系党员本人和接收党组织，核实是否报到；逾期未报到的，由党员申请、支部出具证明后重新办理。")
def trf_02(ctx: ScanContext) -> Iterable[Hit]:
    # D later than issued_on + valid_days: issued_on < D - valid_days, one cut-off per validity in use
    base = _open(ctx)
    for days in base.values_list("valid_days", flat=True).distinct():
        q = base.filter(valid_days=days, issued_on__lt=ctx.as_of - timedelta(days=days))
        for r in q.values("id", "member_id", "from_org_id", "issued_on", "valid_days", "to_org__name", "to_name"):
            end = r["issued_on"] + timedelta(days=r["valid_days"])
            yield Hit(r["from_org_id"], f"{r['issued_on']:%Y年%m月%d日}开具转往“{r['to_org__name'] or r['to_name']}”的介绍信，"
                      f"有效期{r['valid_days']}天（至{end:%Y年%m月%d日}），逾期未接收。", member_id=r["member_id"], subject=f"t{r['id']}")


@rule("TRF-03", title="组织关系转接超过30天未接收", category="transfers", severity="warn",
      citation=Citation(JY, "第二十五条", "S"),
      expects="接收党组织应及时接收；党员在被接收前由原党组织负责管理。",
      action="原党组织和接收党组织的上级党委督促办理接收。")
def trf_03(ctx: ScanContext) -> Iterable[Hit]:
    q = _open(ctx).filter(status=TransferStatus.OPEN, issued_on__lt=ctx.as_of - timedelta(days=30))
    for r in q.values("id", "member_id", "from_org_id", "issued_on", "to_org__name", "to_name"):
        yield Hit(r["from_org_id"], f"{r['issued_on']:%Y年%m月%d日}开具介绍信转往“{r['to_org__name'] or r['to_name']}”，超过30天尚未接收。",
                  member_id=r["member_id"], subject=f"t{r['id']}")
