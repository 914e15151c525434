"""Sessions read through the shared cache (Redis), written through to the database."""

from __future__ import annotations

from django.contrib.sessions.backends import cached_db

from . import SessionWithUser


class SessionStore(SessionWithUser, cached_db.SessionStore):
    cache_key_prefix = "dangjian.sessions.cached_db"
