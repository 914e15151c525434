"""notify's contributions to other pages (see `web.hooks`): the findings a person must put right,
from the reminders addressed to them (who must act is resolved when reminders are synced)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Min, Q
from django.urls import reverse

from dangjian.compliance.engine import REGISTRY
from dangjian.compliance.packs import rectify_days
from dangjian.web import hooks
from dangjian.web.todo import Scope, Todo, gated

from .models import Reminder

RED = {"high", "critical"}


def _reminders(s: Scope) -> Any:
    return Reminder.objects.filter(user_id=s.user_id, closed_on__isnull=True, level=0)


@hooks.register("todo")
@gated(_reminders)
def findings_to_rectify(user: Any, today: date) -> list[Todo]:
    """Open findings addressed to the user as one who must act (level 0), one item per rule and
    organization; the deadline is the oldest finding's date plus the days to put it right."""
    rows = (
        Reminder.objects.filter(user=user, closed_on__isnull=True, level=0)
        .values(
            "finding__rule_id",
            "finding__organization_id",
            "finding__organization__name",
        )
        .annotate(
            n=Count("id"),
            first=Min("finding__opened_on"),
            red=Count("id", filter=Q(finding__severity__in=RED)),
        )
        .order_by()
    )
    items = []
    for r in rows:
        rule = REGISTRY.get(r["finding__rule_id"])
        severity = "high" if r["red"] else "warn"
        items.append(
            Todo(
                kind="finding",
                title=f"整改：{rule.title if rule else r['finding__rule_id']}",
                url=reverse("compliance:dashboard")
                + f"?org={r['finding__organization_id']}&rule={r['finding__rule_id']}",
                organization=r["finding__organization__name"],
                deadline=r["first"] + timedelta(days=rectify_days(severity)),
                count=r["n"],
                detail=rule.action if rule else "",
                severity="red" if severity in RED else "yellow",
                action="查看并整改",
            )
        )
    return items
