"""notify's part of every page: the unread count on the bell (staff frame) and the 消息 tab."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from dangjian.accounts.sessions import value_read_with

from .selectors import unread_count


def badges(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    cached = getattr(request, "_notify_unread", None)
    if cached is None:
        # read with the session at the start of the request (NotifyConfig.ready), else now
        cached = value_read_with(getattr(request, "session", None), user, "notify_unread")
        if cached is None:
            cached = unread_count(user)
        request._notify_unread = cached  # type: ignore[attr-defined]
    return {"unread_reminders": cached}
