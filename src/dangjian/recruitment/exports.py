"""发展党员 exported and printed (web.exports): the open records of an organization's subtree with
their stage, the dates of the main steps and the next step."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import QueryDict

from dangjian.core.errors import NotVisible
from dangjian.orgs import selectors as org_selectors
from dangjian.web.exports import Described, Export, register

from .constants import STEP_BY_NO, Stage
from .models import Candidate
from .selectors import next_step


def _org(user: Any, params: QueryDict) -> Any:
    raw = params.get("org", "")
    if not raw.isdecimal():
        raise NotVisible()
    return org_selectors.org_get(user, int(raw))


def _open(user: Any, params: QueryDict) -> Any:
    return Candidate.objects.filter(
        organization__path__under=_org(user, params).path,
        closed_on__isnull=True,
        cancelled_on__isnull=True,
        archived_on__isnull=True,
    ).select_related("organization")


def _rows(user: Any, params: QueryDict) -> Iterator[list[Any]]:
    for c in _open(user, params).order_by("organization__path", "applied_on").iterator(2000):
        nxt = next_step(c)
        yield [
            c.person_no,
            c.name,
            c.gender,
            c.organization.name,
            Stage(c.stage).label,
            c.applied_on,
            c.activist_on,
            c.target_on,
            c.admitted_on,
            c.approved_on,
            STEP_BY_NO[nxt[0]].label if nxt else "",
            nxt[1] if nxt else None,
        ]


register(
    Export(
        name="recruitment",
        title="发展党员工作台账",
        columns=[
            "编号",
            "姓名",
            "性别",
            "党支部",
            "阶段",
            "递交申请",
            "确定积极分子",
            "确定发展对象",
            "接收为预备党员",
            "上级批准",
            "下一步",
            "下一步日期",
        ],  # fmt: skip
        widths=[14, 10, 6, 22, 14, 12, 12, 12, 14, 12, 24, 12],
        rows=_rows,
        count=lambda user, params: _open(user, params).count(),
        describe=lambda user, params: Described(
            f"{_org(user, params).name}（含下级）", [("范围", "在办的发展党员记录")]
        ),
        personal=True,
    )
)
