"""Sessions in the database (the default engine)."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db

from . import session_row


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        return session_row(self)
