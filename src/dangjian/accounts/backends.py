"""Sign-in backend: Django's ModelBackend, with the user read on every request compiled once
(core.prepared) instead of built by the ORM each time, together with the user's active grants
(which every page's scoping and menu read next: accounts.policy.grants).

When the session engine has already read the user and grants with the session (accounts.sessions),
the authentication middleware hands that read over in `READ` for the time of Django's
`auth.get_user`, and the backend takes the user from it instead of reading again."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, NamedTuple

from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.db.models import FilteredRelation, Q, QuerySet

from dangjian.core.prepared import Prepared

from . import policy
from .models import User

USER_FIELDS = [f.attname for f in User._meta.concrete_fields]
GRANT_FIELDS = (
    "role",
    "organization_id",
    "organization__path",
    "can_unmask",
    "organization__name",
)


class UserRead(NamedTuple):
    """A user's row once per active grant (the user's columns, then the grant's), or once with
    no grant (the grant's columns None)."""

    user_id: int
    rows: list[tuple[Any, ...]]


# the read the session engine made with the session, while auth.get_user runs
READ: ContextVar[UserRead | None] = ContextVar("dangjian_user_read", default=None)


def _user_and_grants(pk: int) -> QuerySet[User]:
    """The user's row once per active grant (in the grants' order), or once with no grant."""
    return (
        User.objects.filter(pk=pk)
        .annotate(active=FilteredRelation("grants", condition=Q(grants__revoked_at__isnull=True)))
        .order_by("active__pk")
        .values_list(*USER_FIELDS, *(f"active__{f}" for f in GRANT_FIELDS))
    )


_USER = Prepared(_user_and_grants, int)


class ModelBackend(DjangoModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        read = READ.get()
        rows = read.rows if read is not None and read.user_id == pk else _USER.rows(pk)
        if not rows:
            return None
        n = len(USER_FIELDS)
        user = User.from_db(_USER.using, USER_FIELDS, rows[0][:n])
        if not self.user_can_authenticate(user):
            return None
        policy.remember(user, [r[n:] for r in rows if r[n] is not None])
        return user
