"""The assistant's rule: OPN-01, an opinion without a reply after N days (one set-based query)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta

from django.utils import timezone

from dangjian.compliance.engine import Citation, Hit, ScanContext, rule

from .models import Opinion, OpinionStatus


@rule(
    "OPN-01",
    title="党员意见建议超期未答复",
    category="supervision",
    severity="warn",
    citation=Citation(
        "中国共产党党员权利保障条例", "党员有权向党组织提出意见建议，党组织应当及时答复", "M"
    ),
    expects="党组织收到党员的意见建议后，在规定期限内答复（本平台默认15天）。",
    action="办理党组织尽快答复；超出本级权限的，转上级党组织办理并告知党员。",
    defaults={"days": 15},
)
def opn_01(ctx: ScanContext) -> Iterable[Hit]:
    days = int(ctx.params.get("days", 15))
    cutoff = timezone.make_aware(datetime.combine(ctx.as_of - timedelta(days=days), time.min))
    qs = Opinion.objects.filter(status=OpinionStatus.OPEN, since__lt=cutoff)
    if ctx.scope_path:
        qs = qs.filter(organization__path__under=ctx.scope_path)
    for r in qs.order_by().values("id", "organization_id", "since", "topic"):
        waited = (ctx.as_of - timezone.localtime(r["since"]).date()).days
        yield Hit(
            r["organization_id"],
            f"{timezone.localtime(r['since']):%Y-%m-%d}收到的党员意见建议已{waited}天未答复。",
            subject=f"opinion:{r['id']}",
        )
