"""Outbound reminders against local servers the tests start: an SMTP server (aiosmtpd) and an HTTP
gateway that checks the signature. Digest, quiet hours, retries with back-off, stop-on-close,
escalation, contact validation."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings
from django.utils import timezone

from dangjian.compliance.services import scan_run
from dangjian.core.errors import DomainError
from dangjian.notify import channels
from dangjian.notify.models import Contact, Delivery, Notice, Reminder
from dangjian.notify.outbound import (
    contact_update,
    delivery_queue_digests,
    delivery_send_due,
    in_quiet_hours,
    quiet_end,
)
from dangjian.notify.services import reminders_sync
from dangjian.orgs.services import post_assign
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
KEY = "test-gateway-key-0123456789"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=timezone.get_default_timezone())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's API
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    notify = _notify(email=True)
    with override_settings(EMAIL_HOST="127.0.0.1", EMAIL_PORT=port, NOTIFY=notify):
        yield inbox
    controller.stop()


class Gateway:
    """A local HTTP gateway: verifies the signature, fails the first `fail` requests with 500."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.rejected = 0
        self.fail = 0
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if not channels.verify(KEY, self.headers, body):
                    gateway.rejected += 1
                    self._answer(401, {"errcode": 401, "errmsg": "bad signature"})
                elif gateway.fail > 0:
                    gateway.fail -= 1
                    self._answer(500, {"errcode": 500})
                else:
                    gateway.requests.append(
                        {"path": self.path, "body": json.loads(body), "headers": dict(self.headers)}
                    )
                    self._answer(200, {"errcode": 0, "errmsg": "ok"})

            def _answer(self, status: int, data: dict[str, Any]) -> None:
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _notify(**over: Any) -> dict[str, Any]:
    from django.conf import settings

    base = {
        **settings.NOTIFY,
        "email": False,
        "sms": {"url": "", "key_id": "k1", "key": ""},
        "wechat": {"url": "", "key_id": "k1", "key": "", "template_id": "TPL1"},
        "quiet_hours": (22, 7),
    }
    base.update(over)
    return base


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    gw = Gateway()
    notify = _notify(
        sms={"url": gw.url + "/sms", "key_id": "k1", "key": KEY},
        wechat={"url": gw.url + "/wechat", "key_id": "k1", "key": KEY, "template_id": "TPL1"},
    )
    with override_settings(NOTIFY=notify):
        yield gw
    gw.server.shutdown()


@pytest.fixture
def findings(tree: Any, users: dict[str, Any]) -> Any:
    scan_run(as_of=date(2026, 1, 15))
    return users["committee_staff"]


def test_email_digest_once_a_day_through_smtp(smtp: Inbox, findings: Any) -> None:
    staff = findings
    contact_update(
        user=staff,
        email="staff@example.org",
        phone="",
        wechat_openid="",
        email_on=True,
        sms_on=False,
        wechat_on=False,
    )
    mine = Reminder.objects.filter(user=staff).count()
    assert mine > 0
    assert delivery_queue_digests(at(16, 8)) == {"deliveries": 1, "reminders": mine}
    assert delivery_send_due(at(16, 8)) == {"sent": 1}
    assert len(smtp.messages) == 1
    msg = smtp.messages[0]
    assert msg.rcpt_tos == ["staff@example.org"]
    text = msg.content.decode("utf-8", "replace")
    assert "Subject:" in text
    d = Delivery.objects.get()
    assert (d.status, d.attempts, d.channel) == ("sent", 1, "email")
    # same day again: nothing new to send; the next day only what is new
    assert delivery_queue_digests(at(16, 12)) == {"deliveries": 0, "reminders": 0}
    assert delivery_send_due(at(16, 12)) == {}
    assert len(smtp.messages) == 1


def test_quiet_hours_defer_sending(smtp: Inbox, findings: Any) -> None:
    contact_update(
        user=findings,
        email="staff@example.org",
        phone="",
        wechat_openid="",
        email_on=True,
        sms_on=False,
        wechat_on=False,
    )
    assert in_quiet_hours(at(16, 23))
    assert in_quiet_hours(at(17, 6, 59))
    assert not in_quiet_hours(at(17, 7))
    assert quiet_end(at(16, 23)) == at(17, 7)
    delivery_queue_digests(at(16, 23))
    assert Delivery.objects.get().next_attempt_at == at(17, 7)
    assert delivery_send_due(at(16, 23, 30)) == {}
    assert delivery_send_due(at(17, 6, 59)) == {}
    assert smtp.messages == []
    assert delivery_send_due(at(17, 7)) == {"sent": 1}
    assert len(smtp.messages) == 1


def test_sms_is_signed_and_retried_with_backoff(gateway: Gateway, findings: Any) -> None:
    contact_update(
        user=findings,
        email="",
        phone="13912345678",
        wechat_openid="",
        email_on=False,
        sms_on=True,
        wechat_on=False,
    )
    gateway.fail = 2
    delivery_queue_digests(at(16, 8))
    assert delivery_send_due(at(16, 8)) == {"pending": 1}
    d = Delivery.objects.get()
    assert (d.attempts, d.next_attempt_at) == (1, at(16, 8, 1))  # back-off 60 s
    assert "HTTP 500" in d.last_error
    assert delivery_send_due(at(16, 8, 0)) == {}  # not yet due
    assert delivery_send_due(at(16, 8, 1)) == {"pending": 1}
    d.refresh_from_db()
    assert (d.attempts, d.next_attempt_at) == (2, at(16, 8, 3))  # then 120 s
    assert delivery_send_due(at(16, 8, 3)) == {"sent": 1}
    d.refresh_from_db()
    assert (d.status, d.attempts, d.last_error) == ("sent", 3, "")
    assert gateway.rejected == 0
    [req] = gateway.requests
    assert req["path"] == "/sms"
    assert req["body"]["phone"] == "13912345678"
    assert "待办预警" in req["body"]["text"]
    assert req["headers"]["X-Dangjian-Key-Id"] == "k1"


def test_wechat_template_message(gateway: Gateway, findings: Any) -> None:
    contact_update(
        user=findings,
        email="",
        phone="",
        wechat_openid="oABCDEFGHIJ_1234567",
        email_on=False,
        sms_on=False,
        wechat_on=True,
    )
    delivery_queue_digests(at(16, 8))
    assert delivery_send_due(at(16, 8)) == {"sent": 1}
    [req] = gateway.requests
    assert req["path"] == "/wechat"
    assert req["body"]["touser"] == "oABCDEFGHIJ_1234567"
    assert req["body"]["template_id"] == "TPL1"
    assert "条" in req["body"]["data"]["keyword1"]["value"]


def test_a_forged_signature_is_refused_by_the_gateway_and_counts_as_failure(
    gateway: Gateway, findings: Any
) -> None:
    from django.conf import settings

    wrong = _notify(sms={**settings.NOTIFY["sms"], "key": "not-the-key"})
    contact_update(
        user=findings,
        email="",
        phone="13912345678",
        wechat_openid="",
        email_on=False,
        sms_on=True,
        wechat_on=False,
    )
    with override_settings(NOTIFY=wrong):
        delivery_queue_digests(at(16, 8))
        delivery_send_due(at(16, 8))
    assert gateway.rejected == 1
    assert gateway.requests == []
    assert "HTTP 401" in Delivery.objects.get().last_error


def test_unreachable_endpoint_gives_up_after_max_attempts(findings: Any) -> None:
    port = _free_port()  # nothing listens there: connections are refused
    notify = _notify(
        sms={"url": f"http://127.0.0.1:{port}/sms", "key_id": "k1", "key": KEY},
        max_attempts=3,
        backoff_seconds=10,
    )
    with override_settings(NOTIFY=notify):
        contact_update(
            user=findings,
            email="",
            phone="13912345678",
            wechat_openid="",
            email_on=False,
            sms_on=True,
            wechat_on=False,
        )
        delivery_queue_digests(at(16, 8))
        moment = at(16, 8)
        for _ in range(3):
            delivery_send_due(moment)
            moment += timedelta(minutes=5)
    d = Delivery.objects.get()
    assert (d.status, d.attempts) == ("failed", 3)
    assert "无法连接网关" in d.last_error


def test_a_digest_whose_findings_closed_is_not_sent(
    smtp: Inbox, tree: Any, users: dict[str, Any]
) -> None:
    scan_run(as_of=date(2026, 1, 15))
    worker = users["branch_worker"]
    contact_update(
        user=worker,
        email="w@example.org",
        phone="",
        wechat_openid="",
        email_on=True,
        sms_on=False,
        wechat_on=False,
    )
    assert Reminder.objects.filter(user=worker).exists()
    # the notice of the fixture's grant is not part of this story: only findings are waiting
    Notice.objects.filter(user=worker).update(read_at=at(16, 22))
    delivery_queue_digests(
        at(16, 23)
    )  # quiet hours: waits for 07:00; meanwhile everything is put right
    d = Delivery.objects.get()
    Reminder.objects.filter(id__in=d.reminder_ids).update(closed_on=date(2026, 1, 16))
    assert delivery_send_due(at(17, 7)) == {"cancelled": 1}
    assert smtp.messages == []


def test_escalation_after_configured_days(tree: Any, users: dict[str, Any]) -> None:
    city_staff = make_user("staff_city", "committee_staff", tree.city)
    post_assign(
        actor=None, organization=tree.branch_a2, member=tree.members["A2-5"], post="secretary"
    )
    scan_run(as_of=date(2026, 1, 15))
    warn = Reminder.objects.filter(
        finding__organization=tree.branch_a1, finding__severity__in=["warn", "info"]
    )
    finding_ids = set(warn.values_list("finding_id", flat=True))
    if not finding_ids:  # make one: A1 is a community branch with a 3-year term (TERM-05 warn)
        pytest.fail("the fixture should give A1 a warn finding")

    def levels(day: date) -> set[tuple[str, int]]:
        reminders_sync(day)
        return set(
            Reminder.objects.filter(finding_id__in=finding_ids)
            .exclude(level=0)
            .values_list("user__username", "level")
        )

    with override_settings(NOTIFY=_notify(escalate_days=7, escalate_levels=2)):
        assert levels(date(2026, 1, 21)) == set()
        assert levels(date(2026, 1, 22)) == {("staff_da", 1)}
        assert levels(date(2026, 1, 29)) == {("staff_da", 1), (city_staff.username, 2)}


def test_contact_is_validated_and_the_phone_encrypted(users: dict[str, Any]) -> None:
    user = users["branch_worker"]
    with pytest.raises(DomainError) as exc:
        contact_update(
            user=user,
            email="not-an-email",
            phone="",
            wechat_openid="",
            email_on=False,
            sms_on=False,
            wechat_on=False,
        )
    assert exc.value.field == "email"
    with pytest.raises(DomainError) as exc:
        contact_update(
            user=user,
            email="",
            phone="12345",
            wechat_openid="",
            email_on=False,
            sms_on=False,
            wechat_on=False,
        )
    assert exc.value.field == "phone"
    with pytest.raises(DomainError) as exc:
        contact_update(
            user=user,
            email="",
            phone="",
            wechat_openid="",
            email_on=False,
            sms_on=True,
            wechat_on=False,
        )
    assert exc.value.field == "phone"
    assert "手机号" in exc.value.message
    c = contact_update(
        user=user,
        email="",
        phone="13912345678",
        wechat_openid="",
        email_on=False,
        sms_on=True,
        wechat_on=False,
    )
    assert c.phone_masked == "139****5678"
    assert "13912345678" not in c.phone_encrypted
    # the masked value shown back in the form keeps the number
    c = contact_update(
        user=user,
        email="",
        phone="139****5678",
        wechat_openid="",
        email_on=False,
        sms_on=True,
        wechat_on=False,
    )
    assert Contact.objects.get(user=user).phone_encrypted == c.phone_encrypted


def test_settings_page_saves_and_the_log_lists(client: Any, users: dict[str, Any]) -> None:
    from tests.conftest import login

    login(client, users["member"])
    resp = client.post(
        "/inbox/settings/", {"email": "", "phone": "", "wechat_openid": "", "sms_on": "on"}
    )
    assert resp.status_code == 200
    assert "开启该提醒方式需要先填写手机号" in resp.content.decode()
    resp = client.post(
        "/inbox/settings/",
        {"email": "", "phone": "13912345678", "wechat_openid": "", "sms_on": "on"},
    )
    assert resp.status_code == 302
    page = client.get("/inbox/settings/").content.decode()
    assert "139****5678" in page
    assert "13912345678" not in page
    Delivery.objects.create(
        user=users["member"],
        channel="sms",
        day=date(2026, 1, 16),
        next_attempt_at=at(16, 8),
        status="failed",
        attempts=6,
        last_error="无法连接网关：refused",
        summary="2条待办预警",
    )
    login(client, users["system_admin"])
    page = client.get("/inbox/deliveries/?status=failed").content.decode()
    assert "无法连接网关" in page
    assert "发送失败" in page
    assert "无法连接网关" not in client.get("/inbox/deliveries/?status=sent").content.decode()


def test_a_meeting_notice_goes_out_in_the_digest(
    smtp: Inbox, tree: Any, users: dict[str, Any]
) -> None:
    from django.utils import timezone

    from dangjian.meetings import services as meetings

    member = users["member"]
    contact_update(
        user=member,
        email="member@example.org",
        phone="",
        wechat_openid="",
        email_on=True,
        sms_on=False,
        wechat_on=False,
    )
    m = meetings.meeting_plan(
        actor=users["branch_worker"],
        organization=tree.branch_a1,
        kind="general_meeting",
        planned_on=timezone.localdate(),
        topic="季度党员大会",
        place="三楼会议室",
    )
    meetings.meeting_publish(actor=users["branch_worker"], meeting=m)
    assert delivery_queue_digests(at(16, 8))["deliveries"] == 1
    d = Delivery.objects.get(user=member)
    assert (d.reminder_ids, len(d.notice_ids), d.summary) == ([], 1, "1条通知")
    assert delivery_send_due(at(16, 8)) == {"sent": 1}
    assert len(smtp.messages) == 1
    body = smtp.messages[0].content.decode("utf-8", "replace")
    assert "member@example.org" in smtp.messages[0].rcpt_tos
    assert "Subject:" in body
    d.refresh_from_db()
    assert d.status == "sent"
    # sent once: the next day's digest does not repeat it
    assert delivery_queue_digests(at(17, 8))["deliveries"] == 0
