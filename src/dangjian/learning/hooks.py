"""learning's contributions to 待办 (see `web.hooks`): for a member, the courses assigned to them
and not finished, by their due date."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse

from dangjian.web import hooks
from dangjian.web.todo import MemberScope, Todo, member_gated

from .selectors import assigned_to, unfinished_assigned


def _unfinished_gate(s: MemberScope) -> Any:
    return unfinished_assigned(s.member_id, *s.paths)


@hooks.register("member_todo")
@member_gated(_unfinished_gate)
def my_assignments(user: Any, member: Any, today: date) -> list[Todo]:
    return [
        Todo(
            kind="study",
            title=f"学习：{a.course.title}（已学{a.done}/{a.total}）",  # type: ignore[attr-defined]
            url=reverse("learning:member_course", args=[a.course_id]),
            deadline=a.due_on,
            action="去学习",
        )
        for a in assigned_to(member)
        if a.total and a.done < a.total  # type: ignore[attr-defined]
    ]
