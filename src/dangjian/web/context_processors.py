"""The staff frame's context: menu, roles, scope switcher. Apps add their own badges through their
context processors (notify: the unread count)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

from dangjian.accounts import policy

from .menu import menu_for

PAGE_SIZES = (20, 50, 100)


class _Once:
    """A value computed the first time a template asks for it (templates call what is
    callable), then kept."""

    def __init__(self, compute: Callable[[], Any]) -> None:
        self.compute = compute
        self.value: Any = None
        self.done = False

    def __call__(self) -> Any:
        if not self.done:
            self.value, self.done = self.compute(), True
        return self.value


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"page_sizes": PAGE_SIZES}
    if not getattr(request, "_shell_ctx", None):
        request._shell_ctx = {  # type: ignore[attr-defined]
            "page_sizes": PAGE_SIZES,
            # built when a template shows it (the staff frame, twice), not on the phone's pages
            "menu": _Once(lambda: menu_for(user)),
            "role_labels": policy.staff_role_labels(user),
            "is_member_account": policy.is_member_account(user),
            "is_staff_user": policy.is_staff(user),
            "scope_grants": [g for g in policy.grants(user) if g.organization_id],
        }
    return request._shell_ctx  # type: ignore[attr-defined]
