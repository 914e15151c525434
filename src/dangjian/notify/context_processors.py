"""notify's part of every page: the unread count on the bell (staff frame) and the 消息 tab."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .selectors import unread_count


def badges(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    cached = getattr(request, "_notify_unread", None)
    if cached is None:
        cached = request._notify_unread = unread_count(user)  # type: ignore[attr-defined]
    return {"unread_reminders": cached}
