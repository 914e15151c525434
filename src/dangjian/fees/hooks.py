"""fees' contributions to 待办 (see `web.hooks`): a branch's collection of the month and its yearly
assessment; for a member, the months to pay."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from django.db.models import Count, Exists, F, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse

from dangjian.accounts import policy
from dangjian.core.prepared import Prepared, PreparedLists
from dangjian.orgs.models import Organization
from dangjian.web import hooks
from dangjian.web.todo import MemberScope, Scope, Todo, gated, member_gated

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
    roots = policy.roots(user, "change")
    now = current_index(today)
    rows = _BRANCHES.rows(roots, now, today.year)
    if rows is None:  # more subtrees than the compiled reads take
        rows = list(_branches_of(roots, now, today.year))
    items = []
    for pk, name, unpaid, day, assessed in rows:
        if unpaid:
            items.append(
                Todo(
                    kind="fees",
                    title=f"收缴{month_label(now)}党费（{unpaid}人未交）",
                    url=reverse("fees:grid", args=[pk]),
                    organization=name,
                    deadline=today.replace(day=day) if day else _month_end(today),
                    count=unpaid,
                    action="登记交纳",
                )
            )
        if not assessed and today.month <= 3:
            items.append(
                Todo(
                    kind="fees",
                    title=f"完成{today.year}年度党费核定",
                    url=reverse("fees:grid", args=[pk]),
                    organization=name,
                    deadline=date(today.year, 3, 31),
                    action="核定",
                )
            )
    return items


def _branches_of(paths: list[Any], now: Any, year: Any) -> Any:
    """The branches at `paths` (the tops of a user's subtrees) with, for each, the members who
    have not paid month `now`, the collection day and whether `year` is assessed: one read."""
    unpaid = (
        FeeMonth.objects.filter(UNPAID, organization=OuterRef("pk"), month_index=now, due_fen__gt=0)
        .values("organization")
        .annotate(n=Count("id"))
        .values("n")
    )
    day = CollectionDay.objects.filter(organization=OuterRef("pk")).values("day")[:1]
    assessed = AnnualAssessment.objects.filter(organization=OuterRef("pk"), year=year)
    return (
        Organization.objects.filter(path__in=paths, kind="branch")
        .annotate(unpaid=Subquery(unpaid), day=Subquery(day), assessed=Exists(assessed))
        .order_by("path")
        .values_list("pk", "name", "unpaid", "day", "assessed")
    )


# on every branch worker's 待办: compiled once per number of subtrees (core.prepared)
_BRANCHES = PreparedLists(_branches_of, str, int, int)


def _owed(member_id: Any, now: Any) -> Any:
    """The member's months due up to this one and not (fully) paid."""
    return FeeMonth.objects.filter(UNPAID, member_id=member_id, month_index__lte=now, due_fen__gt=0)


def _owed_gate(s: MemberScope) -> Any:
    return _owed(s.member_id, s.month(0))


@hooks.register("member_todo")
@member_gated(_owed_gate)
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
        _owed(member_id, now)
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
