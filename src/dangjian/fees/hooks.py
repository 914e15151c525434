"""fees' contributions to 待办 (see `web.hooks`): a branch's collection of the month and its yearly
assessment; for a member, the months to pay."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from django.db.models import Count, F, Min, Q, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse

from dangjian.accounts import policy
from dangjian.core.prepared import Prepared
from dangjian.orgs.models import Organization
from dangjian.web import hooks
from dangjian.web.todo import Scope, Todo, gated

from .bands import yuan
from .models import AnnualAssessment, CollectionDay, FeeMonth, current_index, month_label

UNPAID = Q(paid_fen__isnull=True) | Q(paid_fen__lt=F("due_fen"))


def _month_end(today: date) -> date:
    return today.replace(day=calendar.monthrange(today.year, today.month)[1])


def _branches(s: Scope) -> Any:
    roots = s.roots()
    return None if roots is None else Organization.objects.filter(path__in=roots, kind="branch")


@hooks.register("todo")
@gated(_branches)
def branch_collection(user: Any, today: date) -> list[Todo]:
    """In the branches the user's grants name: members who have not paid this month (by the
    branch's collection day, else the month's end), and the yearly assessment in the first
    quarter."""
    branches = list(
        Organization.objects.filter(path__in=policy.roots(user, "change"), kind="branch")
    )
    if not branches:
        return []
    now = current_index(today)
    unpaid = dict(
        FeeMonth.objects.filter(UNPAID, organization__in=branches, month_index=now, due_fen__gt=0)
        .values("organization_id")
        .annotate(n=Count("id"))
        .values_list("organization_id", "n")
    )
    days = dict(
        CollectionDay.objects.filter(organization__in=branches).values_list(
            "organization_id", "day"
        )
    )
    assessed = set(
        AnnualAssessment.objects.filter(organization__in=branches, year=today.year).values_list(
            "organization_id", flat=True
        )
    )
    items = []
    for b in branches:
        if unpaid.get(b.pk):
            day = days.get(b.pk)
            items.append(
                Todo(
                    kind="fees",
                    title=f"收缴{month_label(now)}党费（{unpaid[b.pk]}人未交）",
                    url=reverse("fees:grid", args=[b.pk]),
                    organization=b.name,
                    deadline=today.replace(day=day) if day else _month_end(today),
                    count=unpaid[b.pk],
                    action="登记交纳",
                )
            )
        if b.pk not in assessed and today.month <= 3:
            items.append(
                Todo(
                    kind="fees",
                    title=f"完成{today.year}年度党费核定",
                    url=reverse("fees:grid", args=[b.pk]),
                    organization=b.name,
                    deadline=date(today.year, 3, 31),
                    action="核定",
                )
            )
    return items


@hooks.register("member_todo")
def my_fees(user: Any, member: Any, today: date) -> list[Todo]:
    """The member's months due up to this one and not (fully) paid."""
    rows = _OWED.rows(member.pk, current_index(today))
    if not rows or not rows[0][0]:
        return []
    n, owed, oldest = rows[0]
    first_month = date(oldest // 12, oldest % 12 + 1, 1)
    return [
        Todo(
            kind="pay",
            title=f"交纳党费：{n}个月，共{yuan(owed)}元",
            url=reverse("fees:my"),
            deadline=_month_end(first_month),
            count=n,
            action="去交纳",
        )
    ]


# on every member's 首页: compiled once (core.prepared)
_OWED = Prepared(
    lambda member_id, now: (
        FeeMonth.objects.filter(UNPAID, member_id=member_id, month_index__lte=now, due_fen__gt=0)
        .values("member_id")
        .annotate(
            n=Count("id"),
            owed=Coalesce(Sum(F("due_fen") - Coalesce(F("paid_fen"), 0)), 0),
            oldest=Min("month_index"),
        )
        .order_by()
        .values_list("n", "owed", "oldest")
    ),
    int,
    int,
)
