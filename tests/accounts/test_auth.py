from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from dangjian.accounts import services
from dangjian.accounts.constants import Role
from dangjian.accounts.models import RoleGrant, User
from dangjian.audit.models import AuditEvent
from dangjian.core.errors import DomainError
from tests.conftest import PASSWORD, login, make_user

pytestmark = pytest.mark.django_db


def _post_login(client, username, password):
    return client.post(reverse("portal:login"), {"username": username, "password": password})


def test_password_login_then_otp_required_for_staff(client, users):
    resp = _post_login(client, "staff_da", PASSWORD)
    assert resp.status_code == 302
    assert resp["Location"] == reverse("portal:otp")
    # every page redirects to the second factor until it is passed
    assert client.get(reverse("members:list"))["Location"] == reverse("portal:otp")
    assert client.get("/api/v1/members/").status_code == 403
    device = StaticDevice.objects.create(user=users["committee_staff"], name="backup")
    StaticToken.objects.create(device=device, token="abcd1234")
    StaticToken.objects.create(device=device, token="efgh5678")
    resp = client.post(reverse("portal:otp"), {"token": "abcd1234"})
    assert resp.status_code == 302
    assert client.get(reverse("members:list")).status_code == 200
    # a backup code works once
    client.logout()
    _post_login(client, "staff_da", PASSWORD)
    resp = client.post(reverse("portal:otp"), {"token": "abcd1234"})
    assert resp.status_code == 200
    assert "动态口令或备用码不正确" in resp.content.decode()


def test_staff_without_device_is_sent_to_setup(client, users):
    _post_login(client, "worker_a1", PASSWORD)
    resp = client.get(reverse("portal:otp"))
    assert resp["Location"] == reverse("portal:otp_setup")
    page = client.get(reverse("portal:otp_setup"))
    assert page.status_code == 200
    assert "<svg" in page.content.decode()


def test_enrolled_user_cannot_enrol_again_without_second_factor(client, users):
    StaticDevice.objects.create(user=users["branch_worker"], name="backup")  # codes used up
    _post_login(client, "worker_a1", PASSWORD)
    assert client.get(reverse("portal:otp_setup"))["Location"] == reverse("portal:otp")


def test_member_needs_no_second_factor(client, users):
    resp = _post_login(client, "member1", PASSWORD)
    assert resp.status_code == 302
    assert client.get(reverse("portal:me")).status_code == 200


def test_lockout_after_five_failures_for_thirty_minutes_by_username(client, users):
    for _ in range(5):
        resp = _post_login(client, "member1", "wrong-password")
        assert resp.status_code in (200, 429)
    # the sixth attempt, even with the right password, is refused
    resp = _post_login(client, "member1", PASSWORD)
    assert resp.status_code == 429
    assert "锁定30分钟" in resp.content.decode()
    # the lock at the fifth failure and the refused sixth attempt are both recorded
    assert AuditEvent.objects.filter(action="accounts.locked", actor_name="member1").count() == 2
    assert AuditEvent.objects.filter(action="accounts.login_failed").count() >= 5
    # another account from the same address is not affected (lockout by username)
    assert _post_login(client, "worker_a1", PASSWORD).status_code == 302


def test_lockout_cools_off_after_thirty_minutes(client, users, settings):
    from axes.models import AccessAttempt

    for _ in range(5):
        _post_login(client, "member1", "wrong-password")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=31))
    assert _post_login(client, "member1", PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "weak", ["short1A", "alllowercase", "ALLUPPER123", "password123", "12345678"]
)
def test_weak_passwords_rejected(users, weak):
    with pytest.raises(ValidationError):
        validate_password(weak, users["member"])


def test_strong_password_accepted_and_history_enforced(users):
    user = users["member"]
    services.password_change(user=user, old_password=PASSWORD, new_password="N3w-Secret#1")
    user.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        services.password_change(user=user, old_password="N3w-Secret#1", new_password=PASSWORD)
    assert "最近5次" in exc.value.message


def test_expired_password_must_be_changed(client, users):
    user = users["member"]
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - timedelta(days=91))
    login(client, user, verify=False)
    resp = client.get(reverse("portal:me"))
    assert resp["Location"] == reverse("portal:password_change")


def test_idle_session_timeout_settings(settings):
    assert settings.SESSION_COOKIE_AGE == 900
    # the idle clock is kept in the session, not by writing the session on every request
    assert settings.SESSION_SAVE_EVERY_REQUEST is False


def test_idle_session_ends_after_15_minutes_and_is_written_once_a_minute(client, users):
    login(client, users["member"], verify=False)
    assert client.get(reverse("portal:me")).status_code == 200
    session = client.session
    seen = session["seen_at"]
    # a page a few seconds later does not write the session (the clock is fresh)
    with CaptureQueriesContext(connection) as q:
        assert client.get(reverse("portal:me")).status_code == 200
    assert not [
        x for x in q.captured_queries if "accounts_session" in x["sql"] and "UPDATE" in x["sql"]
    ]
    assert client.session["seen_at"] == seen
    # a minute on, the clock moves and the session is written
    session["seen_at"] = seen - 61
    session.save()
    assert client.get(reverse("portal:me")).status_code == 200
    assert client.session["seen_at"] > seen - 61
    # fifteen minutes idle: signed out
    session = client.session
    session["seen_at"] = seen - 901
    session.save()
    assert client.get(reverse("portal:me"))["Location"] == reverse("portal:login")


def test_absolute_session_limit(client, users):
    login(client, users["member"], verify=False)
    session = client.session
    session["login_at"] = 0
    session.save()
    resp = client.get(reverse("portal:me"))
    assert resp["Location"] == reverse("portal:login")


def test_logout_clears_site_data_and_session(client, users):
    login(client, users["member"], verify=False)
    resp = client.post(reverse("portal:logout"))
    assert resp["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert client.get(reverse("portal:me"))["Location"].startswith(reverse("portal:login"))


def test_three_admins_are_separate(users):
    sysadmin = users["system_admin"]
    with pytest.raises(DomainError, match="三员分立"):
        services.grant_create(actor=None, user=sysadmin, role=Role.AUDIT_ADMIN)
    with pytest.raises(DomainError, match="业务角色"):
        services.grant_create(
            actor=None,
            user=sysadmin,
            role=Role.COMMITTEE_STAFF,
            organization=users["committee_staff"].grants.first().organization,
        )
    assert RoleGrant.objects.filter(user=sysadmin, revoked_at__isnull=True).count() == 1


def test_only_security_admin_grants_roles(users, tree):
    target = make_user("newstaff")
    with pytest.raises(DomainError):
        services.grant_create(
            actor=users["system_admin"],
            user=target,
            role=Role.BRANCH_WORKER,
            organization=tree.branch_a2,
        )
    grant = services.grant_create(
        actor=users["security_admin"],
        user=target,
        role=Role.BRANCH_WORKER,
        organization=tree.branch_a2,
    )
    assert (
        AuditEvent.objects.filter(
            action="accounts.grant_create", object_id=str(grant.pk), actor=users["security_admin"]
        ).count()
        == 1
    )


def test_argon2_is_the_production_hasher(settings):
    assert "Argon2PasswordHasher" in [h for h in settings.PASSWORD_HASHERS if "MD5" not in h][0]


def test_users_with_permission_answers_the_reverse_question(users, tree):
    from dangjian.accounts import policy

    changers = set(
        policy.users_with_permission("change", tree.branch_a1).values_list("username", flat=True)
    )
    assert changers == {
        "worker_a1",
        "staff_da",
    }  # the branch's worker and its district's staff, not the sibling's
    supervisors = set(
        policy.users_with_permission("supervise", tree.branch_a1).values_list("username", flat=True)
    )
    assert supervisors == {"staff_da", "super_city"}


def test_a_members_own_account_takes_no_staff_role(users, tree):
    with pytest.raises(DomainError, match="党员个人账号不能担任业务角色") as exc:
        services.grant_create(
            actor=users["security_admin"],
            user=users["member"],
            role=Role.COMMITTEE_STAFF,
            organization=tree.district_a,
        )
    assert exc.value.field == "username"
    assert not RoleGrant.objects.filter(user=users["member"]).exists()
