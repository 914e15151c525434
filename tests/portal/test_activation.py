"""Every member can log in (issue 15, item 3): accounts opened in bulk for a subtree (a second run
creates nothing), activation by an SMS code or a printed slip, with the limits that keep it safe —
the same answer for every name and number, codes valid 10 minutes, five wrong codes lock for 30
minutes, an SMS at most once a minute and five times a day — and accounts closed when a member
leaves the roll."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from dangjian.accounts.models import Activation, User
from dangjian.members.services import member_accounts_open, member_change_status
from dangjian.portal import services

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Jia-Yi-2026!"


@pytest.fixture
def outbox(tmp_path):
    path = tmp_path / "sms.log"
    notify = {**settings.NOTIFY, "sms": {"url": f"file://{path}", "key_id": "t", "key": "k"}}
    with override_settings(NOTIFY=notify):
        yield path


def _codes(path) -> list[tuple[str, str]]:
    if not path.exists():
        return []
    return [
        (m["phone"], re.search(r"验证码：(\d{6})", m["text"]).group(1))
        for m in map(json.loads, path.read_text(encoding="utf-8").splitlines())
    ]


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    """Run what waits for the commit (the SMS goes out once the code is stored)."""
    return django_capture_on_commit_callbacks


@pytest.fixture
def opened(tree, users):
    n = member_accounts_open(actor=users["committee_staff"], organization=tree.district_a)
    return n


def test_bulk_creation_covers_the_subtree_once(tree, users, opened):
    # district A has 7 members, one of whom (A1-2) already has an account
    assert opened == 6
    assert member_accounts_open(actor=users["committee_staff"], organization=tree.district_a) == 0
    u = User.objects.get(member=tree.members["A1-1"])
    assert (u.username, u.has_usable_password()) == (tree.members["A1-1"].member_no, False)
    assert not User.objects.filter(member=tree.members["B1-8"]).exists()  # another district


def _start(client, name, ident):
    return client.post(reverse("portal:activate"), {"name": name, "identifier": ident})


def test_the_same_answer_for_every_name_and_number(client, tree, opened, outbox, commits):
    m = tree.members["A1-1"]
    answers = []
    for name, ident in (
        (m.name, m.member_no),  # right
        ("别人", m.member_no),  # wrong name
        (m.name, "M9999"),  # unknown number
        (tree.members["A1-2"].name, tree.members["A1-2"].member_no),  # account already open
    ):
        client.cookies.clear()
        with commits(execute=True):
            resp = _start(client, name, ident)
        answers.append((resp.status_code, resp["Location"]))
        page = client.get(resp["Location"]).content.decode()
        assert "验证码" in page
    assert len(set(answers)) == 1
    assert [to for to, _code in _codes(outbox)] == ["13800000001"]  # only the right pair


def test_activation_by_sms_code_then_sign_in(client, tree, opened, outbox, commits):
    m = tree.members["A1-1"]
    with commits(execute=True):
        _start(client, m.name, m.member_no)
    [(to, code)] = _codes(outbox)
    url = reverse("portal:activate_code")
    resp = client.post(url, {"code": code, "password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert resp.status_code == 302
    assert resp["Location"] == reverse("portal:login")
    u = User.objects.get(member=m)
    assert u.check_password(NEW_PASSWORD)
    assert u.activated_at is not None
    resp = client.post(reverse("portal:login"), {"username": m.member_no, "password": NEW_PASSWORD})
    assert resp.status_code == 302
    assert resp["Location"] != reverse("portal:login")
    client.logout()
    with commits(execute=True):
        _start(client, m.name, m.member_no)
    assert len(_codes(outbox)) == 1  # an open account gets no more codes


def test_codes_expire_and_five_wrong_codes_lock(client, tree, opened, outbox, commits):
    m = tree.members["A1-3"]
    start = timezone.now()
    with freeze_time(start), commits(execute=True):
        _start(client, m.name, m.member_no)
    [(_to, code)] = _codes(outbox)
    ticket = client.session["activation_ticket"]
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    with freeze_time(start + timedelta(minutes=1)):
        for _ in range(5):
            with pytest.raises(services.DomainError, match="验证码错误"):
                services.activation_finish(
                    ticket=ticket, code=wrong, password=NEW_PASSWORD, password2=NEW_PASSWORD
                )
        # locked: even the right code is refused now
        with pytest.raises(services.DomainError, match="30分钟后再试"):
            services.activation_finish(
                ticket=ticket, code=code, password=NEW_PASSWORD, password2=NEW_PASSWORD
            )
    # ten minutes on, the code has expired
    with freeze_time(start + timedelta(minutes=31)), pytest.raises(services.DomainError):
        services.activation_finish(
            ticket=ticket, code=code, password=NEW_PASSWORD, password2=NEW_PASSWORD
        )
    assert not User.objects.get(member=m).has_usable_password()
    # a fresh code, used within ten minutes, works
    with (
        freeze_time(start + timedelta(minutes=40)),
        commits(execute=True),
    ):
        ticket = services.activation_start(name=m.name, member_no=m.member_no).ticket
    code = _codes(outbox)[-1][1]
    with freeze_time(start + timedelta(minutes=49)):
        services.activation_finish(
            ticket=ticket, code=code, password=NEW_PASSWORD, password2=NEW_PASSWORD
        )
    assert User.objects.get(member=m).has_usable_password()


def test_at_most_one_sms_a_minute_and_five_a_day(tree, opened, outbox, commits):
    m = tree.members["A2-5"]
    start = timezone.now().replace(hour=1, minute=0)
    for minutes in (0, 0.5, 2, 4, 6, 8, 10, 12):
        with (
            freeze_time(start + timedelta(minutes=minutes)),
            commits(execute=True),
        ):
            services.activation_start(name=m.name, member_no=m.member_no)
    # 0 and 0.5 are a minute apart at most: one; then 2, 4, 6, 8: the day's five
    assert len(_codes(outbox)) == 5
    assert Activation.objects.filter(user__member=m).count() == 5
    with (
        freeze_time(start + timedelta(days=1, minutes=1)),
        commits(execute=True),
    ):
        services.activation_start(name=m.name, member_no=m.member_no)
    assert len(_codes(outbox)) == 6


def test_a_printed_slip_opens_the_account(client, tree, users, opened):
    m = tree.members["A2-6"]
    [slip] = services.slips_issue(actor=users["committee_staff"], members=[m])
    resp = client.post(
        reverse("portal:activate_slip"),
        {"name": "别人", "code": slip.code, "password": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert "姓名或激活码不正确" in resp.content.decode()
    resp = client.post(
        reverse("portal:activate_slip"),
        {"name": m.name, "code": slip.code, "password": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert resp.status_code == 302
    assert User.objects.get(member=m).check_password(NEW_PASSWORD)


def test_leaving_the_roll_closes_the_account(tree, users):
    u = users["member"]
    member_change_status(
        actor=users["committee_staff"],
        member=tree.members["A1-2"],
        to_status="transferred_out",
        on=date.today(),  # noqa: DTZ011
        reason="转出",
    )
    u.refresh_from_db()
    assert not u.is_active
