"""The PostgreSQL backend's health check (core/backends/postgresql): a kept connection with
nothing to read is used without a round trip; one the server ended is found unusable and
replaced before the request's first query."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from django.db import connection
from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLWrapper

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's backend"),
]


@pytest.fixture
def other():
    """A second connection to the test database, with health checks on (the test's own runs
    inside its transaction and must not be ended)."""
    wrapper = connection.copy()
    wrapper.settings_dict["CONN_HEALTH_CHECKS"] = True
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def _request_starts(wrapper) -> None:
    """What Django does when a request starts (`close_old_connections`)."""
    wrapper.close_if_unusable_or_obsolete()


def test_idle_connection_is_used_without_a_round_trip(other):
    assert type(other).__module__ == "dangjian.core.backends.postgresql.base"
    first = other.connection
    with mock.patch.object(PostgreSQLWrapper, "is_usable", side_effect=AssertionError("SELECT 1")):
        for _ in range(3):
            _request_starts(other)
            with other.cursor() as cursor:
                cursor.execute("SELECT 2")
                assert cursor.fetchone() == (2,)
    assert other.connection is first


def test_connection_ended_by_the_server_is_replaced(other):
    pid = other.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while other.is_usable() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert other.is_usable() is False

    _request_starts(other)
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


def test_something_to_read_asks_the_server(other):
    """A notice or anything else waiting on an idle connection: Django's SELECT 1 decides."""
    with (
        mock.patch("select.poll") as poll,
        mock.patch.object(PostgreSQLWrapper, "is_usable", return_value=True) as asked,
    ):
        poll.return_value.poll.return_value = [(other.connection.fileno(), 1)]
        assert other.is_usable() is True
    asked.assert_called_once()


def test_closed_connection_is_unusable(other):
    other.connection.close()
    assert other.is_usable() is False
