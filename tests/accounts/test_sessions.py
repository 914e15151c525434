"""Sessions carry their user (accounts.Session), and a page reads the session, the user and their
grants in one statement (accounts.sessions): the backend takes the user from that read, with the
same values and grants as its own read, and Django's checks (the session hash, an inactive
account, an expired session) still apply."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.accounts import backends, policy
from dangjian.accounts.backends import READ, ModelBackend, UserRead
from dangjian.accounts.constants import Role
from dangjian.accounts.models import RoleGrant, Session, User
from dangjian.accounts.services import grant_create
from tests.conftest import PASSWORD, login

pytestmark = pytest.mark.django_db


def _no_second_read(monkeypatch: Any) -> None:
    """The backend's own read of the user fails the test if it is asked."""

    def refused(*args: Any) -> Any:
        raise AssertionError("the user was read again")

    monkeypatch.setattr(backends._USER, "rows", refused)


def test_the_session_row_carries_its_user(client: Any, users: dict[str, User]) -> None:
    assert client.get("/accounts/login/").status_code == 200
    r = client.post("/accounts/login/", {"username": "member1", "password": PASSWORD})
    assert r.status_code == 302
    key = client.cookies["sessionid"].value
    assert Session.objects.get(session_key=key).user_id == users["member"].pk
    assert client.get("/me/").status_code == 200
    # the idle clock's write keeps the user
    session = client.session
    session["seen_at"] = session["seen_at"] - 61
    session.save()
    assert client.get("/me/").status_code == 200
    assert Session.objects.get(session_key=key).user_id == users["member"].pk
    # signed out: the session is gone
    client.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=key).exists()
    assert not Session.objects.filter(user=users["member"]).exists()


def test_a_session_without_a_user(client: Any, users: dict[str, User]) -> None:
    from importlib import import_module

    from django.conf import settings

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["note"] = "before sign-in"
    store.save()
    assert Session.objects.get(session_key=store.session_key).user_id is None
    again = import_module(settings.SESSION_ENGINE).SessionStore(store.session_key)
    assert again["note"] == "before sign-in"
    assert again.user_read is None
    # a user id that is not a number is no user
    store[SESSION_KEY] = "x"
    store.save()
    assert Session.objects.get(session_key=store.session_key).user_id is None


def test_a_page_reads_session_user_and_grants_in_one_statement(
    client: Any, tree: Any, users: dict[str, User], monkeypatch: Any
) -> None:
    worker = users["branch_worker"]
    grant_create(actor=None, user=worker, role=Role.BRANCH_WORKER, organization=tree.branch_a2)
    revoked = grant_create(
        actor=None, user=worker, role=Role.BRANCH_WORKER, organization=tree.branch_b1
    )
    RoleGrant.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    login(client, worker)
    assert client.get("/").status_code == 200  # compiled
    _no_second_read(monkeypatch)
    with CaptureQueriesContext(connection) as q:
        r = client.get("/")
    assert r.status_code == 200
    user = r.wsgi_request.user
    assert user.pk == worker.pk
    fresh = User.objects.get(pk=worker.pk)
    for f in User._meta.concrete_fields:
        assert getattr(user, f.attname) == getattr(fresh, f.attname), f.name
    assert policy.grants(user) == policy.grants(fresh)
    assert [g.organization_id for g in policy.grants(user)] == [
        tree.branch_a1.pk,
        tree.branch_a2.pk,
    ]
    first = q.captured_queries[0]["sql"]
    assert "accounts_session" in first
    assert "accounts_rolegrant" in first
    assert sum("accounts_session" in x["sql"] for x in q.captured_queries) == 1
    assert READ.get() is None  # handed over only while the user is read
    # a member with no grant
    monkeypatch.undo()
    client.logout()
    login(client, users["member"], verify=False)
    assert client.get("/me/").status_code == 200
    _no_second_read(monkeypatch)
    r = client.get("/me/")
    assert r.status_code == 200
    assert r.wsgi_request.user.pk == users["member"].pk
    assert policy.grants(r.wsgi_request.user) == []


def test_a_changed_password_or_a_closed_account_ends_the_session(
    client: Any, users: dict[str, User]
) -> None:
    member = users["member"]
    login(client, member, verify=False)
    assert client.get("/me/").status_code == 200
    # the password changed elsewhere: the session's hash no longer matches
    member.set_password("Another-pass-123")
    member.save(update_fields=["password"])
    r = client.get("/me/")
    assert r.status_code == 302
    assert "/accounts/login/" in r["Location"]
    login(client, member, verify=False)
    assert client.get("/me/").status_code == 200
    User.objects.filter(pk=member.pk).update(is_active=False)
    r = client.get("/me/")
    assert r.status_code == 302
    assert "/accounts/login/" in r["Location"]


def test_an_expired_session_is_not_read(client: Any, users: dict[str, User]) -> None:
    login(client, users["member"], verify=False)
    assert client.get("/me/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    r = client.get("/me/")
    assert r.status_code == 302
    assert "/accounts/login/" in r["Location"]


def test_the_backend_uses_a_handed_read_only_for_its_user(users: dict[str, User]) -> None:
    member, other = users["member"], users["no_grant"]
    n = len(backends.USER_FIELDS)
    other_row = tuple(getattr(other, f) for f in backends.USER_FIELDS) + (None,) * 5
    token = READ.set(UserRead(other.pk, [other_row]))
    try:
        # asked for someone else: the backend reads that user itself
        assert ModelBackend().get_user(member.pk).username == "member1"
        assert ModelBackend().get_user(other.pk).username == "nobody"
    finally:
        READ.reset(token)
    assert len(other_row) == n + 5


def test_the_cached_engine_reads_the_user_itself_on_a_cache_hit(
    client: Any, users: dict[str, User], settings: Any
) -> None:
    settings.SESSION_ENGINE = "dangjian.accounts.sessions.cached_db"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "s"}
    }
    r = client.post("/accounts/login/", {"username": "member1", "password": PASSWORD})
    assert r.status_code == 302
    key = client.cookies["sessionid"].value
    assert Session.objects.get(session_key=key).user_id == users["member"].pk
    r = client.get("/me/")  # from the cache: no session read, the backend reads the user
    assert r.status_code == 200
    assert r.wsgi_request.user.pk == users["member"].pk
    from django.core.cache import cache

    cache.clear()
    r = client.get("/me/")  # from the database, with the user
    assert r.status_code == 200
    assert r.wsgi_request.user.pk == users["member"].pk
    assert r.wsgi_request.session.user_read.user_id == users["member"].pk


def test_expired_sessions_are_cleared_at_night(client: Any, users: dict[str, User]) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from dangjian.accounts.tasks import sessions_cleared

    login(client, users["member"], verify=False)
    login(client.__class__(), users["no_grant"], verify=False)
    assert Session.objects.count() == 2
    Session.objects.filter(user=users["no_grant"]).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    sessions_cleared.call_local()
    assert list(Session.objects.values_list("user_id", flat=True)) == [users["member"].pk]
    assert client.get("/me/").status_code == 200
    at = datetime(2026, 12, 5, 1, 5, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert sessions_cleared.s().validate_datetime(timezone.make_naive(at))


def test_a_session_whose_user_is_gone(client: Any, users: dict[str, User]) -> None:
    """The session's user has no constraint in the database: saving a session for a user deleted
    meanwhile succeeds (Django would retry a failed insert for ever), and such a session signs no
    one in."""
    from importlib import import_module

    from django.conf import settings

    engine = import_module(settings.SESSION_ENGINE)
    missing = User.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000
    store = engine.SessionStore()
    store[SESSION_KEY] = str(missing)
    store.create()  # an insert, as at sign-in
    assert Session.objects.get(session_key=store.session_key).user_id == missing
    again = engine.SessionStore(store.session_key)
    assert again[SESSION_KEY] == str(missing)
    assert again.user_read is None
    client.cookies["sessionid"] = store.session_key
    r = client.get("/me/")
    assert r.status_code == 302
    assert "/accounts/login/" in r["Location"]
    # a user deleted through the ORM takes their sessions along
    login(client, users["no_grant"], verify=False)
    users["no_grant"].delete()
    assert not Session.objects.filter(user_id=users["no_grant"].pk).exists()
