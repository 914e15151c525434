"""Sign-in backend: Django's ModelBackend, with the user read on every request compiled once
(core.prepared) instead of built by the ORM each time, together with the user's active grants
(which every page's scoping and menu read next: accounts.policy.grants)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.db.models import FilteredRelation, Q, QuerySet

from dangjian.core.prepared import Prepared

from . import policy
from .models import User

_FIELDS = [f.attname for f in User._meta.concrete_fields]
_GRANT_FIELDS = (
    "role",
    "organization_id",
    "organization__path",
    "can_unmask",
    "organization__name",
)


def _user_and_grants(pk: int) -> QuerySet[User]:
    """The user's row once per active grant (in the grants' order), or once with no grant."""
    return (
        User.objects.filter(pk=pk)
        .annotate(active=FilteredRelation("grants", condition=Q(grants__revoked_at__isnull=True)))
        .order_by("active__pk")
        .values_list(*_FIELDS, *(f"active__{f}" for f in _GRANT_FIELDS))
    )


_USER = Prepared(_user_and_grants, int)


class ModelBackend(DjangoModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        rows = _USER.rows(pk)
        if not rows:
            return None
        user = User.from_db(_USER.using, _FIELDS, rows[0][: len(_FIELDS)])
        if not self.user_can_authenticate(user):
            return None
        policy.remember(user, [r[len(_FIELDS) :] for r in rows if r[len(_FIELDS)] is not None])
        return user
