"""The API's door: who may call it at all (object scope is decided by each view's queryset)."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions

from . import policy


class IsVerifiedStaff(permissions.BasePermission):
    """Signed in, two-factor verified, and holding at least one staff grant.

    Object scope is not decided here: every API view builds its queryset from `visible_to`, so an
    object outside the caller's subtree is simply not found (404).
    """

    message = "需要登录并完成双因素认证，且具有工作人员角色"

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if policy.requires_two_factor(user) and not user.is_verified():
            return False
        return policy.is_staff(user)
