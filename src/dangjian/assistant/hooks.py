"""The assistant's contributions to 待办: opinions waiting for the receiving organization's
reply; for a member, a reply to rate."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.core.prepared import Prepared
from dangjian.web import hooks
from dangjian.web.todo import MemberScope, Scope, Todo, gated, member_gated

from .models import Opinion, OpinionStatus

REPLY_DAYS = 15
LIMIT = 50


def _opinions(s: Scope) -> Any:
    q = s.under("organization__path")
    return None if q is None else Opinion.objects.filter(q, status=OpinionStatus.OPEN)


@hooks.register("todo")
@gated(_opinions)
def opinions_to_answer(user: Any, today: date) -> list[Todo]:
    q = policy.path_q(user, "change", "organization__path")
    if q is None:
        return []
    rows = (
        Opinion.objects.filter(q, status=OpinionStatus.OPEN)
        .select_related("organization")
        .only("pk", "topic", "since", "organization__name")
        .order_by("since")[:LIMIT]
    )
    return [
        Todo(
            kind="opinion",
            title=f"答复党员意见建议：{o.get_topic_display()}",
            url=reverse("assistant:opinion", args=[o.pk]),
            organization=o.organization.name,
            deadline=timezone.localtime(o.since).date() + timedelta(days=REPLY_DAYS),
            action="答复",
        )
        for o in rows
    ]


def _to_rate(member_id: Any) -> Any:
    return Opinion.objects.filter(
        member_id=member_id,
        status__in=[OpinionStatus.REPLIED, OpinionStatus.CLOSED],
        rating=None,
    )


def _to_rate_gate(s: MemberScope) -> Any:
    return _to_rate(s.member_id)


@hooks.register("member_todo")
@member_gated(_to_rate_gate)
def replies_to_rate(user: Any, member: Any, today: date) -> list[Todo]:
    return [
        Todo(
            kind="opinion",
            title=f"党组织已答复您的意见建议，请评价：{text[:16]}",
            url=reverse("assistant:my_opinion", args=[pk]),
            action="查看并评价",
        )
        for pk, text in _TO_RATE.rows(member.pk)
    ]


# on every member's 首页: compiled once (core.prepared)
_TO_RATE = Prepared(
    lambda member_id: _to_rate(member_id).order_by("-replied_at").values_list("pk", "text")[:10],
    int,
)
