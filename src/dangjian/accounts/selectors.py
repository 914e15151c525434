"""Reads of accounts for the admins' console: accounts by name, grants in force."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Q, QuerySet

from dangjian.core.errors import NotVisible

from .models import RoleGrant, User


def users_search(q: str = "") -> QuerySet[User]:
    """Accounts by user name or name (the system admin's list), with their grants."""
    users = User.objects.order_by("username")
    if q:
        users = users.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
    return users.prefetch_related("grants")


def users_by_username(names: list[str]) -> QuerySet[User]:
    return User.objects.filter(username__in=names).order_by("username")


def staff_awaiting_activation() -> QuerySet[User]:
    """Staff accounts (no member) opened or reset and not yet activated by their person: the
    security admin prints their slip's second part."""
    unusable = {"password__startswith": UNUSABLE_PASSWORD_PREFIX}
    return User.objects.filter(is_active=True, member__isnull=True, **unusable).order_by("username")


def user_get(pk: Any) -> User:
    user = User.objects.filter(pk=pk).first() if str(pk or "").isdecimal() else None
    if user is None:
        raise NotVisible("账号不存在")
    return user


def user_by_username(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def grants_in_force() -> QuerySet[RoleGrant]:
    return (
        RoleGrant.objects.filter(revoked_at__isnull=True)
        .select_related("user", "organization")
        .order_by("user__username", "role")
    )


def grant_get(pk: Any) -> RoleGrant:
    grant = RoleGrant.objects.filter(pk=pk).first() if str(pk or "").isdecimal() else None
    if grant is None:
        raise NotVisible("授权记录不存在")
    return grant
