"""The sign-in backend reads the user and their active grants in one statement (every page needs
both): the same user as the ORM gives and the same grants as policy's own read, revoked grants
left out, an inactive account refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.accounts.backends import ModelBackend
from dangjian.accounts.constants import Role
from dangjian.accounts.models import RoleGrant, User
from dangjian.accounts.services import grant_create

pytestmark = pytest.mark.django_db


def _policy_grants(user_id: int) -> list[policy.ActiveGrant]:
    fresh = User.objects.get(pk=user_id)
    return policy.grants(fresh)


def test_the_user_and_their_grants_in_one_statement(tree: Any, users: dict[str, User]) -> None:
    worker = users["branch_worker"]
    # a second grant, and a revoked one that must not count
    grant_create(actor=None, user=worker, role=Role.BRANCH_WORKER, organization=tree.branch_a2)
    revoked = grant_create(
        actor=None, user=worker, role=Role.BRANCH_WORKER, organization=tree.branch_b1
    )
    RoleGrant.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    backend = ModelBackend()
    for name in ("member", "branch_worker", "committee_staff", "no_grant", "system_admin"):
        u = users[name]
        backend.get_user(u.pk)  # compiled
        with CaptureQueriesContext(connection) as q:
            got = backend.get_user(u.pk)
            held = policy.grants(got)
        assert len(q.captured_queries) == 1, name
        fresh = User.objects.get(pk=u.pk)
        for f in User._meta.concrete_fields:
            assert getattr(got, f.attname) == getattr(fresh, f.attname), (name, f.name)
        assert held == _policy_grants(u.pk), name
    got = backend.get_user(worker.pk)
    assert [g.organization_id for g in policy.grants(got)] == [
        tree.branch_a1.pk,
        tree.branch_a2.pk,
    ]
    assert policy.grants(backend.get_user(users["member"].pk)) == []


def test_an_inactive_or_missing_account_is_no_user(users: dict[str, User]) -> None:
    backend = ModelBackend()
    User.objects.filter(pk=users["committee_staff"].pk).update(is_active=False)
    assert backend.get_user(users["committee_staff"].pk) is None
    assert backend.get_user(0) is None
    assert backend.get_user("x") is None


def test_views_get_the_user_itself_verified_as_the_wrappers_left_it(
    client: Any, tree: Any, users: dict[str, User]
) -> None:
    """accounts.middleware.ResolvedUserMiddleware: past the sign-in checks, `request.user` is the
    user (no lazy wrapper), with django-otp's verification on it."""
    from django.contrib.auth.models import AnonymousUser
    from django.utils.functional import LazyObject

    from tests.conftest import login

    r = client.get("/accounts/login/")
    assert isinstance(r.wsgi_request.user, AnonymousUser)
    login(client, users["member"], verify=False)
    r = client.get("/me/")
    assert r.status_code == 200
    assert type(r.wsgi_request.user) is User
    assert r.wsgi_request.user.pk == users["member"].pk
    login(client, users["committee_staff"])
    r = client.get("/")
    assert r.status_code == 200
    user = r.wsgi_request.user
    assert not isinstance(user, LazyObject)
    assert user.is_verified()
    assert [g.role for g in policy.grants(user)] == [Role.COMMITTEE_STAFF]
    # a staff user not yet through two-factor is still sent to it
    client.logout()
    login(client, users["committee_staff"], verify=False)
    assert client.get("/").status_code == 302
