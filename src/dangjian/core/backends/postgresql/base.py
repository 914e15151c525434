"""Django's PostgreSQL backend, with a connection health check that costs no round trip.

With `CONN_HEALTH_CHECKS`, Django asks a kept connection `SELECT 1` before the first query of
every request: a round trip (about 40 µs of the web worker's CPU and as much waiting) on every
page. Here the check first looks at the connection's socket without waiting: a connection with
no query in flight receives nothing unless the server ended it (a restart, an administrator's
`pg_terminate_backend`, an idle timeout: the server sends its error and closes) or sent a notice.
Nothing to read, and psycopg not knowing it closed or broken: the connection is used as it is.
Something to read (or the socket in error): Django's `SELECT 1` decides, as before.

What this does not see: a database host gone without closing its connections (a power cut, a
network partition). There the first query of a request fails as it would in the middle of one,
the request answers 500, and Django drops the connection at the request's end."""

from __future__ import annotations

import select

from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLWrapper


class DatabaseWrapper(PostgreSQLWrapper):
    def is_usable(self) -> bool:
        conn = self.connection
        if conn is None or conn.closed or conn.broken:
            return False
        try:
            poller = select.poll()
            poller.register(conn.fileno(), select.POLLIN)
            events = poller.poll(0)
        except (OSError, ValueError):
            return False
        if events:
            return super().is_usable()
        return True
