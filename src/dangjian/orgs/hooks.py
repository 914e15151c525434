"""orgs' contributions to 待办 (see `web.hooks`): requests to set up an organization waiting for the
committee's reply; re-election requests and results waiting for the higher organization."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Q

from dangjian.accounts import policy
from dangjian.compliance.packs import rule_params
from dangjian.core.dates import add_months
from dangjian.web import hooks
from dangjian.web.links import id_url
from dangjian.web.todo import Scope, Todo, gated

from .models import Election, OrgRequest

LIMIT = 300


def _strictly_below(user: Any, field: str) -> Q | None:
    """Organizations under the user's change roots, the roots themselves excluded (an
    organization's request is answered by the one above it)."""
    roots = policy.roots(user, "change")
    if not roots:
        return None
    q = Q()
    for root in roots:
        q |= Q(**{f"{field}__under": root}) & ~Q(**{field: root})
    return q


def _requests(s: Scope) -> Any:
    q = s.under("committee__path")
    return None if q is None else OrgRequest.objects.filter(q, answered_on__isnull=True)


@hooks.register("todo")
@gated(_requests)
def requests_to_answer(user: Any, today: date) -> list[Todo]:
    q = policy.path_q(user, "change", "committee__path")
    if q is None:
        return []
    months = int(rule_params("ORG-07").get("reply_months", 1))
    rows = (
        OrgRequest.objects.filter(q, answered_on__isnull=True)
        .select_related("committee")
        .order_by("submitted_on")[:LIMIT]
    )
    return [
        Todo(
            kind="organization",
            title=f"批复成立党组织请示：{r.proposed_name}",
            url=id_url("orgs:request_answer", r.committee_id, r.pk),
            organization=r.committee.name,
            deadline=add_months(r.submitted_on, months),
            action="批复",
        )
        for r in rows
    ]


# an election waiting for the answer of the organization above: asked, or reported
WAITING = Q(requested_on__isnull=False, request_approved_on__isnull=True, held_on__isnull=True) | Q(
    reported_on__isnull=False, secretary_approved_on__isnull=True
)


def _elections(s: Scope) -> Any:
    q = s.strictly_below("organization__path")
    return None if q is None else Election.objects.filter(q).filter(WAITING)


@hooks.register("todo")
@gated(_elections)
def elections_to_answer(user: Any, today: date) -> list[Todo]:
    q = _strictly_below(user, "organization__path")
    if q is None:
        return []
    rows = (
        Election.objects.filter(q)
        .filter(WAITING)
        .select_related("organization")
        .order_by("created_at")[:LIMIT]
    )
    items = []
    for e in rows:
        asked = e.reported_on if e.reported_on else e.requested_on
        items.append(
            Todo(
                kind="organization",
                title=("批复选举结果和书记人选：" if e.reported_on else "批复换届请示：")
                + e.organization.name,
                url=id_url("orgs:elections", e.organization_id),
                organization=e.organization.name,
                deadline=add_months(asked, 1) if asked else None,
                action="批复",
            )
        )
    return items
