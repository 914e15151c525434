"""督查督办 exported and printed (web.exports): the list's box and filters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import QueryDict

from dangjian.web.exports import Described, Export, filter_label, register

from . import selectors
from .models import AssignmentStatus


def _rows(user: Any, params: QueryDict) -> Iterator[list[Any]]:
    _box, qs = selectors.assignments_list(user, params)
    for a in qs.iterator(chunk_size=2000):
        yield [
            a.task.title,
            a.task.issuer_org.name,
            a.organization.name,
            a.task.deadline,
            a.get_status_display(),
            a.replied_at,
            a.reply,
        ]


def _describe(user: Any, params: QueryDict) -> Described:
    box, _qs = selectors.assignments_list(user, params)
    status = params.get("status", "")
    return Described(
        "我方下达的督办" if box == "issued" else "交办给我方的督办",
        [
            (
                "状态",
                "待办理（含退回）"
                if status == "open"
                else filter_label(AssignmentStatus.choices, status),
            ),
            ("督办事项", (params.get("q") or "").strip()),
        ],
    )


register(
    Export(
        name="supervision",
        title="督查督办",
        columns=["督办事项", "下达单位", "督办对象", "期限", "状态", "回复时间", "办理情况"],
        widths=[30, 22, 22, 12, 12, 18, 40],
        rows=_rows,
        count=lambda user, params: selectors.assignments_list(user, params)[1].count(),
        describe=_describe,
    )
)
