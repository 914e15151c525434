"""Outbound channels: email over SMTP, SMS and WeChat template messages through HTTP gateways.

The HTTP gateways receive a JSON body signed with the deployment's key:

    X-Dangjian-Key-Id:    the key's id
    X-Dangjian-Timestamp: seconds since the epoch
    X-Dangjian-Nonce:     16 random hex bytes, never reused
    X-Dangjian-Signature: hex HMAC-SHA256(key, timestamp + "\\n" + nonce + "\\n" + body)

and answer 2xx with a JSON object whose "errcode" is 0 (or absent). Anything else — a refused
connection, a timeout, a 5xx, a non-zero errcode — raises ChannelError and the delivery is retried.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils import timezone

from dangjian.core.signing import signed_headers, verify  # noqa: F401 - verify: the gateways' side, re-exported
from dangjian.web import site

SMTP = "django.core.mail.backends.smtp.EmailBackend"


def notify_settings() -> dict[str, Any]:
    """settings.NOTIFY, typed (read at call time so tests can override it)."""
    value: dict[str, Any] = settings.NOTIFY
    return value


class ChannelError(Exception):
    """A send that did not go through; the message is safe to log (no secrets)."""


@dataclass(frozen=True)
class Message:
    subject: str
    text: str  # the full text (email)
    short: str  # one line (SMS)
    data: dict[str, Any]  # structured fields (WeChat template)


def _post(
    url: str, key_id: str, key: str, payload: dict[str, Any], timeout: float = 10
) -> dict[str, Any]:
    if not url or not key:
        raise ChannelError("渠道未配置")
    if url.startswith("file://"):
        return _outbox(url[len("file://") :], payload)
    body = json.dumps(payload, ensure_ascii=False).encode()
    req = urllib.request.Request(  # noqa: S310 - configured gateway URL
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            **signed_headers(key_id, key, body),
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 # nosec B310
            raw = resp.read(65536)
    except urllib.error.HTTPError as exc:
        raise ChannelError(f"网关返回HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ChannelError(f"无法连接网关：{getattr(exc, 'reason', exc)}") from exc
    try:
        answer = json.loads(raw or b"{}")
    except ValueError as exc:
        raise ChannelError("网关应答不是JSON") from exc
    if not isinstance(answer, dict) or answer.get("errcode", 0) not in (0, "0"):
        raise ChannelError(
            "网关拒绝："
            f"{str(answer.get('errmsg', answer))[:200] if isinstance(answer, dict) else answer}"
        )
    return answer


def _outbox(path: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A gateway that writes to a local file, one JSON line per message: the demo and a laptop have
    no SMS operator (DANGJIAN_SMS_URL=file:///path/to/sms-outbox.log); never for production."""
    line = json.dumps({"time": timezone.now().isoformat(), **payload}, ensure_ascii=False)
    try:
        with Path(path).open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
    except OSError as exc:
        raise ChannelError(f"无法写入本地短信发件箱：{exc.strerror}") from exc
    return {}


def send_email(to: str, message: Message) -> None:
    if not notify_settings()["email"]:
        raise ChannelError("邮件未配置")
    try:
        # SMTP explicitly: the test runner swaps EMAIL_BACKEND for an in-memory one, the channel
        # must not.
        with get_connection(
            notify_settings().get("email_backend", SMTP), fail_silently=False
        ) as conn:
            EmailMessage(
                message.subject, message.text, settings.DEFAULT_FROM_EMAIL, [to], connection=conn
            ).send()
    except Exception as exc:  # noqa: BLE001 - smtplib and socket errors of every kind mean: retry later
        raise ChannelError(f"邮件发送失败：{type(exc).__name__} {str(exc)[:150]}") from exc


def send_sms(phone: str, message: Message) -> None:
    cfg = notify_settings()["sms"]
    _post(cfg["url"], cfg["key_id"], cfg["key"], {"phone": phone, "text": message.short})


def send_wechat(openid: str, message: Message) -> None:
    cfg = notify_settings()["wechat"]
    _post(
        cfg["url"],
        cfg["key_id"],
        cfg["key"],
        {
            "touser": openid,
            "template_id": cfg["template_id"],
            "url": site.absolute(reverse("notify:inbox")),
            "data": {k: {"value": v} for k, v in message.data.items()},
        },
    )


def configured() -> dict[str, bool]:
    n = notify_settings()
    return {
        "email": bool(n["email"]),
        "sms": bool(n["sms"]["url"] and n["sms"]["key"]),
        "wechat": bool(n["wechat"]["url"] and n["wechat"]["key"]),
    }
