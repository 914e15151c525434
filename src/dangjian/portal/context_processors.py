"""portal's part of every staff page: the 待办 count on the bell."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.web import todo


def todo_badge(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if (
        user is None
        or not user.is_authenticated
        or not (policy.is_staff(user) or policy.is_admin(user))
    ):
        return {}
    return {"todo_count": todo.staff_count(user, timezone.localdate())}
