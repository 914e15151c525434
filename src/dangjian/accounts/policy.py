"""Who may see and do what: the single scoping choke point (`visible_to`) and its reverse.

A grant (user, role, organization) covers that organization's subtree. Every staff queryset,
page, API view and export builds on `visible_to(user, action)` / `scope_filter(...)`; an object
outside the scope is answered as missing (404), never as forbidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from dangjian.core.prepared import Prepared
from dangjian.orgs.models import Organization

from .constants import ADMIN_ROLES, ROLE_ACTIONS, STAFF_ROLES, Role
from .models import RoleGrant, User

if TYPE_CHECKING:
    from dangjian.orgs.models import Organization


@dataclass(frozen=True)
class ActiveGrant:
    role: str
    organization_id: int | None
    path: str
    can_unmask: bool
    organization_name: str = ""


_GRANTS = Prepared(
    lambda user_id: (
        RoleGrant.objects.filter(user_id=user_id, revoked_at__isnull=True)
        .order_by("pk")
        .values_list(
            "role", "organization_id", "organization__path", "can_unmask", "organization__name"
        )
    ),
    int,
)


def grants(user: Any) -> list[ActiveGrant]:
    """The user's active grants, read once per request (a query compiled once per process) and
    cached on the user object."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_dangjian_grants", None)
    if cached is not None:
        return cached

    return remember(user, _GRANTS.rows(user.pk))


def remember(user: Any, rows: list[tuple[Any, ...]]) -> list[ActiveGrant]:
    """Keep on the user object their active grants as read: (role, organization id, its path,
    can_unmask, its name) per grant. The sign-in backend reads them with the user
    (accounts.backends), so a page reads no more."""
    result = [
        ActiveGrant(
            role=role,
            organization_id=org_id,
            path=path or "",
            can_unmask=can_unmask,
            organization_name=name or "",
        )
        for role, org_id, path, can_unmask, name in rows
    ]
    user._dangjian_grants = result
    return result


def forget(user: Any) -> None:
    if hasattr(user, "_dangjian_grants"):
        del user._dangjian_grants


def roles(user: Any) -> set[str]:
    return {g.role for g in grants(user)}


def is_staff(user: Any) -> bool:
    return any(g.role in STAFF_ROLES for g in grants(user))


def is_admin(user: Any) -> bool:
    """One of the three admins (system, security, audit)."""
    return any(g.role in ADMIN_ROLES for g in grants(user))


def has_admin_role(user: Any, role: str) -> bool:
    return role in ADMIN_ROLES and any(g.role == role for g in grants(user))


def is_member_account(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.member_id)


def requires_two_factor(user: Any) -> bool:
    """Staff and admin roles need TOTP (MLPS 8.1.4.1 d); members sign in with a password."""
    return any(g.role in STAFF_ROLES or g.role in ADMIN_ROLES for g in grants(user))


def roots(user: Any, action: str = "view") -> list[str]:
    """The paths at the top of the user's subtrees for `action` (nested grants folded in)."""
    paths = sorted(
        {g.path for g in grants(user) if g.path and action in ROLE_ACTIONS.get(g.role, frozenset())}
    )
    # Drop paths already covered by a shorter one.
    tops: list[str] = []
    for p in paths:
        if not any(p.startswith(t) for t in tops):
            tops.append(p)
    return tops


def path_q(user: Any, action: str = "view", field: str = "path") -> Q | None:
    """A Q matching `field` (a path) within the user's subtrees for `action`; None = nothing.

    Each subtree is a range on the path (`path__under`), which the path's unique index serves on
    both databases; `startswith` compiles to LIKE, which SQLite answers by reading every
    organization (each 待办 source scanned the whole organization table of the deployment)."""
    tops = roots(user, action)
    if not tops:
        return None
    q = Q()
    for root in tops:
        q |= Q(**{f"{field}__under": root})
    return q


def visible_to(user: Any, action: str = "view") -> QuerySet[Organization]:
    """Organizations the user may act on for `action`: one query, an OR of path prefixes."""

    q = path_q(user, action)
    if q is None:
        return Organization.objects.none()
    return Organization.objects.filter(q)


def scope_filter(
    qs: QuerySet, user: Any, action: str = "view", org_field: str = "organization"
) -> QuerySet:
    """Restrict any queryset whose rows carry an organization FK to the user's subtrees.

    The filter is `org_id IN (SELECT id FROM organizations WHERE path in the subtree's range)`: the
    organization table is searched by its path index, the large table by its organization index
    (a join on the path makes SQLite scan the whole large table).
    """

    q = path_q(user, action)
    if q is None:
        return qs.none()
    return qs.filter(**{f"{org_field}_id__in": Organization.objects.filter(q).values("id")})


def can(user: Any, action: str, organization: Organization | None) -> bool:
    if organization is None:
        return False
    return any(organization.path.startswith(r) for r in roots(user, action))


def can_unmask(user: Any, organization: Organization) -> bool:
    return any(
        g.can_unmask
        and g.role in STAFF_ROLES
        and "view" in ROLE_ACTIONS.get(g.role, frozenset())
        and organization.path.startswith(g.path)
        for g in grants(user)
    )


def role_for(user: Any, organization: Organization | None) -> str:
    """The role under which the user acts on an organization (for the audit trail)."""
    gs = grants(user)
    if organization is not None:
        covering = [g for g in gs if g.path and organization.path.startswith(g.path)]
        if covering:
            # The grant nearest to the organization describes the capacity best.
            return max(covering, key=lambda g: len(g.path)).role
    admin = [g.role for g in gs if g.role in ADMIN_ROLES]
    if admin:
        return admin[0]
    if is_member_account(user):
        return "member"
    return gs[0].role if gs else ""


def users_with_permission(action: str, organization: Organization) -> QuerySet:
    """The reverse question: who may do `action` on this organization (for approvals/reminders)."""

    ancestor_paths = [organization.path[:i] for i in range(4, len(organization.path) + 1, 4)]
    role_list = [r for r, acts in ROLE_ACTIONS.items() if action in acts]
    user_ids = RoleGrant.objects.filter(
        revoked_at__isnull=True, role__in=role_list, organization__path__in=ancestor_paths
    ).values("user_id")
    return User.objects.filter(pk__in=user_ids, is_active=True)


def responsible_for(action: str, organization: Organization) -> QuerySet:
    """Who is responsible for `action` on this organization now: the people granted on the nearest
    organization at or above it that has anyone granted for the action (a branch's own workers;
    for a branch without any, its committee's staff) — not everyone above, who supervise."""
    ancestor_paths = [organization.path[:i] for i in range(4, len(organization.path) + 1, 4)]
    role_list = [r for r, acts in ROLE_ACTIONS.items() if action in acts]
    rows = list(
        RoleGrant.objects.filter(
            revoked_at__isnull=True,
            role__in=role_list,
            organization__path__in=ancestor_paths,
            user__is_active=True,
        ).values_list("organization__path", "user_id")
    )
    if not rows:
        return User.objects.none()
    nearest = max(path for path, _ in rows)
    return User.objects.filter(pk__in=[uid for path, uid in rows if path == nearest])


def staff_role_labels(user: Any) -> list[str]:
    return sorted({Role(g.role).label for g in grants(user)})
