"""portal's contributions to 待办 (see `web.hooks`): members of a branch who cannot sign in yet."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, Q
from django.urls import reverse

from dangjian.accounts import policy
from dangjian.core.prepared import PreparedLists
from dangjian.members.constants import ON_ROLL_STATUSES
from dangjian.members.models import Member
from dangjian.orgs.models import Organization
from dangjian.web import hooks
from dangjian.web.todo import Scope, Todo, gated


def _without_account(paths: Any) -> Any:
    """Members on the roll of the branches at `paths` who cannot sign in yet."""
    branches = Organization.objects.filter(path__in=paths, kind="branch")
    return Member.objects.filter(organization__in=branches, status__in=ON_ROLL_STATUSES).filter(
        Q(user__isnull=True) | Q(user__password__startswith="!")  # noqa: S106
    )


def _accounts(s: Scope) -> Any:
    roots = s.roots()
    return None if roots is None else _without_account(roots)


@hooks.register("todo")
@gated(_accounts)
def accounts_to_open(user: Any, today: date) -> list[Todo]:
    """In the branches the user's grants name: members on the roll without an open account."""
    roots = policy.roots(user, "change")
    rows = _PER_BRANCH.rows(roots)
    if rows is None:  # more subtrees than the compiled reads take
        rows = list(_per_branch(roots))
    return [
        Todo(
            kind="account",
            title=f"{n}名党员尚未开通账号",
            url=reverse("portal:member_accounts", args=[org_id]),
            organization=org_name,
            count=n,
            detail="创建账号后，提醒党员用手机验证码开通，或打印激活单发给本人",
            action="开通账号",
        )
        for org_id, org_name, n in rows
    ]


def _per_branch(paths: Any) -> Any:
    return (
        _without_account(paths)
        .values("organization_id", "organization__name")
        .annotate(n=Count("pk"))
        .order_by("organization_id")
        .values_list("organization_id", "organization__name", "n")
    )


# on every branch worker's 待办: compiled once per number of subtrees (core.prepared)
_PER_BRANCH = PreparedLists(_per_branch, str)
