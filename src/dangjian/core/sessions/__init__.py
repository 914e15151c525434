"""Session engines: Django's, with the read each request makes compiled once (core.prepared).

`dangjian.core.sessions.db` (sessions in the database) and `dangjian.core.sessions.cached_db`
(read through the shared cache when Redis is configured, written through to the database)."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.models import Session
from django.utils import timezone

from dangjian.core.prepared import Prepared

_SESSION = Prepared(lambda key: Session.objects.filter(session_key=key), str)


def session_row(store: Any) -> Session | None:
    """The stored session of `store`'s key if it has not expired; else forget the key (as
    Django's own read does)."""
    found = _SESSION.instances(Session, store.session_key) if store.session_key else []
    if found and found[0].expire_date > timezone.now():
        return found[0]
    store._session_key = None
    return None
