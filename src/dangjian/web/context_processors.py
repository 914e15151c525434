"""The staff frame's context: menu, roles, scope switcher. Apps add their own badges through their
context processors (notify: the unread count)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from dangjian.accounts import policy

from .menu import menu_for

PAGE_SIZES = (20, 50, 100)


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"page_sizes": PAGE_SIZES}
    if not getattr(request, "_shell_ctx", None):
        request._shell_ctx = {  # type: ignore[attr-defined]
            "page_sizes": PAGE_SIZES,
            # built when a template shows it (the staff frame, twice), not on the phone's pages
            "menu": SimpleLazyObject(lambda: menu_for(user)),
            "role_labels": policy.staff_role_labels(user),
            "is_member_account": policy.is_member_account(user),
            "is_staff_user": policy.is_staff(user),
            "scope_grants": [g for g in policy.grants(user) if g.organization_id],
        }
    return request._shell_ctx  # type: ignore[attr-defined]
