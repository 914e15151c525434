"""transfers' contributions to 待办 (see `web.hooks`): letters waiting for the user's act (the
sending committee issues, the receiving committee agrees, the receiving branch accepts), letters
from outside to accept; for a member, the transfer waiting for them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.urls import reverse

from dangjian.accounts import policy
from dangjian.core.prepared import Prepared
from dangjian.web import hooks
from dangjian.web.links import id_url
from dangjian.web.todo import MemberScope, Scope, Todo, gated, member_gated

from .models import IncomingLetter, IncomingStatus, Stage, Transfer, TransferStatus
from .selectors import committees_of

ISSUE_DAYS = 7  # a request is approved (or refused) within a week
OPEN_LIMIT = 500


# what the items read, nothing more (a member row carries encrypted fields no item shows)
_FIELDS = (
    "id",
    "stage",
    "started_on",
    "issued_on",
    "valid_days",
    "to_name",
    "member__name",
    "from_org__name",
    "from_org__path",
    "to_org__name",
    "to_org__path",
)


def _open(q: Any, **filters: Any) -> list[Transfer]:
    return list(
        Transfer.objects.filter(q, status=TransferStatus.OPEN, **filters)
        .select_related("member", "from_org", "to_org")
        .only(*_FIELDS)
        .order_by("id")[:OPEN_LIMIT]
    )


def _destination(t: Transfer) -> str:
    return t.to_org.name if t.to_org else t.to_name


def _letters_waiting(s: Scope) -> Any:
    q_from, q_to = s.under("from_org__path"), s.under("to_org__path")
    if q_from is None or q_to is None:
        return None
    # the three reads of the source, each asked on its own: an OR across the two organizations
    # would join them both and read every organization
    open_ = Transfer.objects.filter(status=TransferStatus.OPEN)
    return [
        open_.filter(q_from, stage=Stage.STARTED),
        open_.filter(q_to, stage=Stage.ISSUED, to_org__isnull=False),
        open_.filter(q_to, stage=Stage.RECEIVING_APPROVED),
    ]


@hooks.register("todo")
@gated(_letters_waiting)
def transfers_to_act(user: Any, today: date) -> list[Todo]:
    """Open letters whose next step is the user's: approve and issue (the sending committee),
    agree (the receiving committee), accept (the receiving branch)."""
    q_from = policy.path_q(user, "change", "from_org__path")
    q_to = policy.path_q(user, "change", "to_org__path")
    if q_from is None or q_to is None:
        return []
    started = _open(q_from, stage=Stage.STARTED)
    issued = _open(q_to, stage=Stage.ISSUED, to_org__isnull=False)
    receiving = _open(q_to, stage=Stage.RECEIVING_APPROVED)
    committees = committees_of(
        [t.from_org for t in started] + [t.to_org for t in issued if t.to_org is not None]
    )
    items: list[Todo] = []
    for t in started:
        c = committees.get(t.from_org_id)
        if c is not None and policy.can(user, "change", c):
            items.append(
                Todo(
                    kind="transfer",
                    title=f"审批转接申请：{t.member.name}转往{_destination(t)}",
                    url=id_url("transfers:detail", t.pk),
                    organization=t.from_org.name,
                    deadline=(t.started_on or today) + timedelta(days=ISSUE_DAYS),
                    action="审批",
                )
            )
    for t in issued:
        c = committees.get(t.to_org_id) if t.to_org_id else None
        if c is not None and policy.can(user, "change", c):
            items.append(
                Todo(
                    kind="transfer",
                    title=f"同意转入：{t.member.name}（来自{t.from_org.name}）",
                    url=id_url("transfers:detail", t.pk),
                    organization=t.to_org.name if t.to_org else "",
                    deadline=t.expires_on,
                    action="审批",
                )
            )
    items.extend(
        Todo(
            kind="transfer",
            title=f"接收转入党员：{t.member.name}",
            url=id_url("transfers:detail", t.pk),
            organization=t.to_org.name,
            deadline=t.expires_on,
            action="接收",
        )
        for t in receiving
        if t.to_org is not None and policy.can(user, "change", t.to_org)
    )
    return items


def _incoming(s: Scope) -> Any:
    q = s.under("to_org__path")
    return None if q is None else IncomingLetter.objects.filter(q, status=IncomingStatus.PENDING)


@hooks.register("todo")
@gated(_incoming)
def letters_from_outside(user: Any, today: date) -> list[Todo]:
    """Letters from outside the deployment waiting at a branch the user works for."""
    q = policy.path_q(user, "change", "to_org__path")
    if q is None:
        return []
    rows = (
        IncomingLetter.objects.filter(q, status=IncomingStatus.PENDING)
        .select_related("to_org")
        .order_by("issued_on")[:OPEN_LIMIT]
    )
    return [
        Todo(
            kind="transfer",
            title=f"接收外来介绍信：{lt.name}（{lt.from_name}）",
            url=id_url("transfers:incoming", lt.pk),
            organization=lt.to_org.name,
            deadline=lt.issued_on + timedelta(days=lt.valid_days),
            action="接收",
        )
        for lt in rows
    ]


def _issued(member_id: Any) -> Any:
    """The member's open transfer whose letter is issued: the next step is theirs."""
    return Transfer.objects.filter(
        member_id=member_id, status=TransferStatus.OPEN, stage=Stage.ISSUED
    )


def _issued_gate(s: MemberScope) -> Any:
    return _issued(s.member_id)


@hooks.register("member_todo")
@member_gated(_issued_gate)
def my_transfer(user: Any, member: Any, today: date) -> list[Todo]:
    """The member's own open transfer, when the next step is theirs: report to the receiving
    organization with the letter."""
    return [
        Todo(
            kind="transfer",
            title=f"持介绍信到{to_org or to_name}报到",
            url=reverse("transfers:my"),
            # the last valid day: issued_on + valid_days (Transfer.expires_on)
            deadline=issued_on + timedelta(days=valid_days) if issued_on else None,
            action="查看",
        )
        for to_org, to_name, issued_on, valid_days in _ISSUED.rows(member.pk)
    ]


# on every member's 首页: compiled once (core.prepared)
_ISSUED = Prepared(
    lambda member_id: (
        _issued(member_id)
        .order_by("pk")
        .values_list("to_org__name", "to_name", "issued_on", "valid_days")[:1]
    ),
    int,
)
