"""An overdue supervision task is itself a finding (SUP-01), so it escalates like any other: the
assignee's people are reminded, and at once the committee above them (severity high); it turns
the organization red on the dashboard until the assignee replies."""

from __future__ import annotations

from collections.abc import Iterable

from dangjian.compliance.engine import Citation, Hit, ScanContext, rule
from dangjian.core.dates import format_cn

from .models import Assignment, AssignmentStatus


@rule(
    "SUP-01",
    title="督办事项逾期未办结",
    category="supervision",
    severity="high",
    citation=Citation("督查督办工作规定", "", "L"),
    expects="督办事项应在办结期限内办理并回复。",
    action="立即办理并在督办任务中回复办理情况；确有困难的，向下达单位说明。",
)
def sup_01(ctx: ScanContext) -> Iterable[Hit]:
    overdue = (
        Assignment.objects.filter(
            status__in=[AssignmentStatus.PENDING, AssignmentStatus.RETURNED],
            task__deadline__lt=ctx.as_of,
            organization__is_active=True,
        )
        .order_by()
        .values("id", "organization_id", "task__title", "task__deadline", "task__issuer_org__name")
    )
    if ctx.scope_path:
        overdue = overdue.filter(organization__path__under=ctx.scope_path)
    for a in overdue:
        days = (ctx.as_of - a["task__deadline"]).days
        yield Hit(
            a["organization_id"],
            f"{a['task__issuer_org__name']}督办的“{a['task__title']}”应于{format_cn(a['task__deadline'])}前办结，已逾期{days}天。",
            subject=f"task{a['id']}",
            details={"deadline": a["task__deadline"].isoformat(), "days": days},
        )
