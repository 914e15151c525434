"""组团帮扶's contributions to 待办: for a town's workers, the villages whose last year's collective
income is not yet entered; for a resident work team member on the phone, today's presence."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Exists, OuterRef
from django.urls import reverse

from dangjian.accounts import policy
from dangjian.core.prepared import Prepared
from dangjian.web import hooks
from dangjian.web.todo import MemberScope, Scope, Todo, gated, member_gated

from .models import Presence, Resident, Village, VillageYear

INCOME_BY_MONTH = 3  # last year's figures are entered in the first quarter
LIMIT = 50


def _not_entered(q: Any, year: Any) -> Any:
    """The villages within `q` whose collective income of `year` is not entered."""
    entered = VillageYear.objects.filter(village_id=OuterRef("pk"), year=year)
    return Village.objects.filter(q).filter(~Exists(entered))


def _villages(s: Scope) -> Any:
    q = s.under("organization__path")
    return None if q is None else _not_entered(q, s.year(-1))


@hooks.register("todo")
@gated(_villages)
def villages_work(user: Any, today: date) -> list[Todo]:
    q = policy.path_q(user, "change", "organization__path")
    if q is None:
        return []
    year = today.year - 1
    rows = (
        _not_entered(q, year)
        .values("town", "district")
        .annotate(n=Count("id"))
        .order_by("district", "town")[:LIMIT]
    )
    if not rows:
        return []
    root = policy.visible_to(user, "change").order_by("depth").first()
    if root is None:
        return []
    url = reverse("villages:list", args=[root.pk])
    return [
        Todo(
            kind="villages",
            title=f"登记{year}年村集体收入",
            url=f"{url}?{urlencode({'year': year, 'weak': 'none', 'town': r['town']})}",
            organization=f"{r['district']}{r['town']}",
            count=r["n"],
            deadline=date(today.year, INCOME_BY_MONTH, 31),
            action="去登记",
        )
        for r in rows
    ]


def _on_post_gate(s: MemberScope) -> Any:
    return _on_post(s.member_id, s.today)


@hooks.register("member_todo")
@member_gated(_on_post_gate)
def my_presence(user: Any, member: Any, today: date) -> list[Todo]:
    return [
        Todo(
            kind="villages",
            title=f"登记今日在岗情况（{village}）",
            url=reverse("villages:my"),
            deadline=today,
            action="去登记",
        )
        for (village,) in _ON_POST.rows(member.pk, today)
    ]


def _on_post(member_id: int, today: date) -> Any:
    """The member's post in a village today, if today's presence is not logged yet."""
    logged = Presence.objects.filter(resident_id=OuterRef("pk"), day=today)
    return (
        Resident.objects.filter(member_id=member_id, arrived_on__lte=today)
        .exclude(left_on__lt=today)
        .filter(~Exists(logged))
        .values_list("village__name")[:1]  # the model's order, as .first() had it
    )


# on every member's 首页: compiled once (core.prepared)
_ON_POST = Prepared(_on_post, int, date)
