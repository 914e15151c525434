"""Session engines: Django's two database engines, with the session kept in `accounts.Session`
(which carries the signed-in user's id) and read in one statement with that user and their active
grants. The sign-in backend then takes the user from this read instead of reading it again
(accounts.backends.READ), so a page's session, user and grants cost one round trip, not two.

`dangjian.accounts.sessions.db` keeps sessions in the database (the default);
`dangjian.accounts.sessions.cached_db` reads them through the shared cache when Redis is
configured and writes them through to the database. A session found in the cache carries no user:
the backend reads the user and grants itself, as before."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.db.models import FilteredRelation, Q, QuerySet
from django.utils import timezone

from dangjian.core.prepared import Prepared

from ..backends import GRANT_FIELDS, USER_FIELDS, UserRead
from ..models import Session

# values of the signed-in user that a layer above asked to have read with the session, by name:
# each an expression on the session's row (OuterRef("user_id") is the user)
_WITH: dict[str, Callable[[], Any]] = {}


def read_with_session(name: str, expression: Callable[[], Any]) -> None:
    """Have a value of the signed-in user read in the session's statement, for a layer above this
    one that needs it on every page (notify's bell): `expression()` is built against the session's
    row, with `OuterRef("user_id")` for the user. Register at start-up (an app's `ready()`), before
    the first session is read; the value is then `request.session.read_with[name]`, as of the
    start of the request, when the session came from the database (not on a cache hit, and not
    for a session without a user)."""
    if _SESSION._compiled:
        raise RuntimeError("read_with_session: register before the first session is read")
    _WITH[name] = expression


def value_read_with(session: Any, user: Any, name: str) -> Any:
    """The value registered as `name`, read with this session for this user; None when it was
    not read (the session came from the cache, or belongs to another user)."""
    read = getattr(session, "user_read", None)
    if read is None or read.user_id != user.pk:
        return None
    return session.read_with.get(name)


def _session_user_grants(key: str) -> QuerySet[Session]:
    """The session's row once per active grant of its user (in the grants' order), or once."""
    return (
        Session.objects.filter(session_key=key)
        .annotate(
            active=FilteredRelation(
                "user__grants", condition=Q(user__grants__revoked_at__isnull=True)
            ),
            **{f"with_{name}": build() for name, build in _WITH.items()},
        )
        .order_by("active__pk")
        .values_list(
            "session_data",
            "expire_date",
            "user_id",
            *(f"with_{name}" for name in _WITH),
            *(f"user__{f}" for f in USER_FIELDS),
            *(f"active__{f}" for f in GRANT_FIELDS),
        )
    )


_SESSION = Prepared(_session_user_grants, str)
# a column the user's row always has (`user__id` is the session's own column, never NULL)
_USER_ROW = USER_FIELDS.index("username")


def _user_id(data: dict[str, Any]) -> int | None:
    try:
        return int(data[SESSION_KEY])
    except (KeyError, TypeError, ValueError):
        return None


class SessionWithUser:
    """What both engines add to Django's: the joined read, and the user's id on every save."""

    session_key: str | None
    _session_key: str | None
    # the user and grants read with the session (None: no user, or not read from the database)
    user_read: UserRead | None = None
    # the values registered with read_with_session, read with it (empty: as for user_read)
    read_with: dict[str, Any] = {}  # noqa: RUF012 - replaced, never changed in place

    @classmethod
    def get_model_class(cls) -> type[Session]:
        return Session

    def _get_session_from_db(self) -> Session | None:
        self.user_read, self.read_with = None, {}
        key = self.session_key
        rows = _SESSION.rows(key) if key else []
        if not key or not rows or rows[0][1] <= timezone.now():
            self._session_key = None  # unknown or expired: forgotten, as Django's read does
            return None
        data, expire_date, user_id = rows[0][:3]
        start = 3 + len(_WITH)
        if user_id is not None and rows[0][start + _USER_ROW] is not None:  # the user's row too
            self.read_with = dict(zip(_WITH, rows[0][3:start], strict=True))
            self.user_read = UserRead(user_id, [r[start:] for r in rows])
        return Session(session_key=key, session_data=data, expire_date=expire_date)

    def create_model_instance(self, data: dict[str, Any]) -> Session:
        obj: Session = super().create_model_instance(data)  # type: ignore[misc]
        obj.user_id = _user_id(data)
        return obj

    async def acreate_model_instance(self, data: dict[str, Any]) -> Session:
        obj: Session = await super().acreate_model_instance(data)  # type: ignore[misc]
        obj.user_id = _user_id(data)
        return obj
