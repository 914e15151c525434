"""HMAC request signing shared by the outbound gateways and the sandbox payment provider.

signature = hex(HMAC-SHA256(key, timestamp + "\\n" + nonce + "\\n" + body)); a timestamp more than
`max_skew` seconds away from now is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any


def sign(key: str, timestamp: str, nonce: str, body: bytes) -> str:
    mac = hmac.new(
        key.encode(), timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body, hashlib.sha256
    )
    return mac.hexdigest()


def signed_headers(key_id: str, key: str, body: bytes, now: float | None = None) -> dict[str, str]:
    ts, nonce = str(int(now if now is not None else time.time())), secrets.token_hex(16)
    return {
        "X-Dangjian-Key-Id": key_id,
        "X-Dangjian-Timestamp": ts,
        "X-Dangjian-Nonce": nonce,
        "X-Dangjian-Signature": sign(key, ts, nonce, body),
    }


def verify(
    key: str, headers: Any, body: bytes, *, max_skew: int = 300, now: float | None = None
) -> bool:
    ts = headers.get("X-Dangjian-Timestamp", "") or ""
    nonce = headers.get("X-Dangjian-Nonce", "") or ""
    given = headers.get("X-Dangjian-Signature", "") or ""
    if not ts.isdecimal() or abs((now if now is not None else time.time()) - int(ts)) > max_skew:
        return False
    return hmac.compare_digest(sign(key, ts, nonce, body), given)
