"""members' contributions to 待办 (see `web.hooks`): members' requests to correct their own record,
waiting for the branch."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.urls import reverse

from dangjian.accounts import policy
from dangjian.web import hooks
from dangjian.web.todo import Scope, Todo, gated

from .models import Correction, CorrectionStatus

DECIDE_DAYS = 15  # answered within a fortnight
LIMIT = 500


def _corrections(s: Scope) -> Any:
    q = s.under("organization__path")
    return None if q is None else Correction.objects.filter(q, status=CorrectionStatus.PENDING)


@hooks.register("todo")
@gated(_corrections)
def corrections_to_decide(user: Any, today: date) -> list[Todo]:
    q = policy.path_q(user, "change", "organization__path")
    if q is None:
        return []
    rows = (
        Correction.objects.filter(q, status=CorrectionStatus.PENDING)
        .select_related("member", "organization")
        .only("pk", "field", "requested_at", "member__name", "organization__name")
        .order_by("requested_at")[:LIMIT]
    )
    return [
        Todo(
            kind="member",
            title=f"审核个人信息更正：{c.member.name}（{c.get_field_display()}）",
            url=reverse("members:detail", args=[c.member_id]) + "#corrections",
            organization=c.organization.name,
            deadline=c.requested_at.date() + timedelta(days=DECIDE_DAYS),
            action="审核",
        )
        for c in rows
    ]
