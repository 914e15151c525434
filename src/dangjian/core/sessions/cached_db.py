"""Sessions read through the shared cache (Redis), written through to the database."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import cached_db

from . import session_row


class SessionStore(cached_db.SessionStore):
    def _get_session_from_db(self) -> Any:
        return session_row(self)
