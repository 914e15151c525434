"""Sessions in the database (the default engine)."""

from __future__ import annotations

from django.contrib.sessions.backends import db

from . import SessionWithUser


class SessionStore(SessionWithUser, db.SessionStore):
    pass
