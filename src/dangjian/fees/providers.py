"""Payment providers: one interface (create, query, close, verify and parse a callback, refund,
the daily bill) and the built-in sandbox, which behaves like a real provider on the same machine:
it keeps its own record of each transaction, and its callbacks are HMAC-signed and time-stamped.
Which providers a deployment has is decided where payments are made (`online.PROVIDERS`).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from dangjian.core import signing

from .models import SandboxTransaction


class CallbackRefused(Exception):
    """A callback that must not be applied (bad signature, stale, malformed); the text is safe to
    log."""


@dataclass(frozen=True)
class CallbackData:
    notification_id: str
    out_trade_no: str
    transaction_id: str
    amount_fen: int
    success: bool


@dataclass(frozen=True)
class QueryResult:
    status: str  # "paid" | "notpay" | "closed" | "unknown"
    transaction_id: str = ""
    amount_fen: int = 0


@dataclass(frozen=True)
class BillRow:
    out_trade_no: str
    transaction_id: str
    amount_fen: int
    status: str  # "paid" | "refunded"


class Provider(Protocol):
    name: str
    label: str

    def is_configured(self) -> bool: ...  # has what it needs to take payments
    def create_order(
        self, out_trade_no: str, amount_fen: int, description: str
    ) -> str: ...  # the URL to pay at
    def query_order(self, out_trade_no: str) -> QueryResult: ...
    def close_order(self, out_trade_no: str) -> None: ...
    def parse_callback(self, headers: Any, body: bytes) -> CallbackData: ...
    def refund(self, out_trade_no: str, amount_fen: int, reason: str) -> None: ...
    def bill(self, day: date) -> list[BillRow]: ...


def sandbox_key() -> str:
    return str(settings.PAYMENT.get("sandbox_key") or settings.SECRET_KEY)


class SandboxProvider:
    name = "sandbox"
    label = "模拟支付（演示）"

    def is_configured(self) -> bool:
        return True

    def create_order(self, out_trade_no: str, amount_fen: int, description: str) -> str:
        SandboxTransaction.objects.create(
            out_trade_no=out_trade_no, amount_fen=amount_fen, description=description[:100]
        )
        return reverse("fees:sandbox_pay", args=[out_trade_no])

    def query_order(self, out_trade_no: str) -> QueryResult:
        t = SandboxTransaction.objects.filter(out_trade_no=out_trade_no).first()
        if t is None:
            return QueryResult("unknown")
        return QueryResult(t.status, t.transaction_id, t.amount_fen)

    def close_order(self, out_trade_no: str) -> None:
        SandboxTransaction.objects.filter(out_trade_no=out_trade_no, status="notpay").update(
            status="closed"
        )

    def pay(self, out_trade_no: str) -> tuple[dict[str, str], bytes]:
        """The payer confirms in the sandbox cashier: the sandbox books it and returns the signed
        callback it sends to the platform (headers, body)."""
        t = SandboxTransaction.objects.select_for_update().get(out_trade_no=out_trade_no)
        if t.status == "notpay":
            t.status, t.transaction_id, t.paid_at = (
                "paid",
                "SBX" + secrets.token_hex(12).upper(),
                timezone.now(),
            )
            t.save(update_fields=["status", "transaction_id", "paid_at"])
        return self.callback_for(t)

    def callback_for(self, t: SandboxTransaction) -> tuple[dict[str, str], bytes]:
        body = json.dumps(
            {
                "id": f"N{t.transaction_id}",
                "out_trade_no": t.out_trade_no,
                "transaction_id": t.transaction_id,
                "amount": t.amount_fen,
                "trade_state": "SUCCESS" if t.status == "paid" else t.status.upper(),
            },
            ensure_ascii=False,
        ).encode()
        return signing.signed_headers("sandbox", sandbox_key(), body), body

    def parse_callback(self, headers: Any, body: bytes) -> CallbackData:
        if not signing.verify(sandbox_key(), headers, body, max_skew=300):
            raise CallbackRefused("签名无效或时间戳已过期")
        try:
            data = json.loads(body)
            return CallbackData(
                str(data["id"]),
                str(data["out_trade_no"]),
                str(data["transaction_id"]),
                int(data["amount"]),
                data["trade_state"] == "SUCCESS",
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise CallbackRefused("回调内容格式错误") from exc

    def refund(self, out_trade_no: str, amount_fen: int, reason: str) -> None:
        SandboxTransaction.objects.filter(out_trade_no=out_trade_no, status="paid").update(
            status="refunded"
        )

    def bill(self, day: date) -> list[BillRow]:
        rows = SandboxTransaction.objects.filter(
            paid_at__date=day, status__in=["paid", "refunded"]
        ).order_by("out_trade_no")
        return [BillRow(t.out_trade_no, t.transaction_id, t.amount_fen, t.status) for t in rows]
