"""WeChat Pay API v3 (Native payment: the member scans a QR code), the real protocol.

- Requests are signed with the merchant's RSA key: Authorization: WECHATPAY2-SHA256-RSA2048
  mchid, nonce_str, timestamp, serial_no, signature = base64(RSA-SHA256(method\\npath\\nts\\nnonce\\
  nbody\\n)).
- Responses and callbacks are signed by the platform: Wechatpay-Timestamp / -Nonce / -Signature /
  -Serial over ts\\nnonce\\nbody\\n, verified with the platform public key; a timestamp more than
  5 minutes old is refused.
- A callback's resource is AEAD_AES_256_GCM-encrypted with the APIv3 key (nonce, associated_data).
- Notification ids are de-duplicated by the caller (fees.online, unique constraint).
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from .providers import BillRow, CallbackData, CallbackRefused, QueryResult

MAX_SKEW = 300


class WeChatPayError(Exception):
    pass


def rsa_sign(private_key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa_verify(public_key: rsa.RSAPublicKey, message: bytes, signature_b64: str) -> bool:
    try:
        public_key.verify(
            base64.b64decode(signature_b64), message, padding.PKCS1v15(), hashes.SHA256()
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def aes_gcm_decrypt(
    apiv3_key: bytes, nonce: str, ciphertext_b64: str, associated_data: str
) -> bytes:
    return AESGCM(apiv3_key).decrypt(
        nonce.encode(), base64.b64decode(ciphertext_b64), associated_data.encode()
    )


def _load_private(path_or_pem: str) -> rsa.RSAPrivateKey:
    data = (
        Path(path_or_pem).read_bytes()
        if not path_or_pem.startswith("-----")
        else path_or_pem.encode()
    )
    key = serialization.load_pem_private_key(data, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)  # noqa: S101 - configuration error otherwise
    return key


def _load_public(path_or_pem: str) -> rsa.RSAPublicKey:
    data = (
        Path(path_or_pem).read_bytes()
        if not path_or_pem.startswith("-----")
        else path_or_pem.encode()
    )
    key = serialization.load_pem_public_key(data)
    assert isinstance(key, rsa.RSAPublicKey)  # noqa: S101
    return key


class WeChatPayProvider:
    name = "wechat"
    label = "微信支付"

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self._config = config

    REQUIRED = ("mchid", "appid", "serial_no", "private_key", "apiv3_key", "platform_public_key")

    def is_configured(self) -> bool:
        cfg = self.cfg
        return all(cfg.get(k) for k in self.REQUIRED)

    @property
    def cfg(self) -> dict[str, Any]:
        cfg = self._config if self._config is not None else settings.PAYMENT.get("wechat", {})
        return dict(cfg)

    # --- signing ---

    def _authorization(self, method: str, path: str, body: str) -> str:
        cfg = self.cfg
        ts, nonce = str(int(time.time())), secrets.token_hex(16)
        message = f"{method}\n{path}\n{ts}\n{nonce}\n{body}\n".encode()
        signature = rsa_sign(_load_private(cfg["private_key"]), message)
        return (
            f'WECHATPAY2-SHA256-RSA2048 mchid="{cfg["mchid"]}",nonce_str="{nonce}",'
            f'signature="{signature}",'
            f'timestamp="{ts}",serial_no="{cfg["serial_no"]}"'
        )

    def verify_platform(self, headers: Any, body: bytes, *, now: float | None = None) -> None:
        """The platform's signature over a response or a callback, and its freshness."""
        ts = headers.get("Wechatpay-Timestamp", "") or ""
        nonce = headers.get("Wechatpay-Nonce", "") or ""
        signature = headers.get("Wechatpay-Signature", "") or ""
        serial = headers.get("Wechatpay-Serial", "") or ""
        if (
            not ts.isdecimal()
            or abs((now if now is not None else time.time()) - int(ts)) > MAX_SKEW
        ):
            raise CallbackRefused("时间戳缺失或超过5分钟")
        if serial != self.cfg["platform_serial"]:
            raise CallbackRefused("平台证书序列号不符")
        if not rsa_verify(
            _load_public(self.cfg["platform_public_key"]),
            ts.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n",
            signature,
        ):
            raise CallbackRefused("平台签名验证失败")

    def _request(
        self, method: str, path: str, payload: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        body = (
            json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
            if payload is not None
            else ""
        )
        req = urllib.request.Request(  # noqa: S310 - configured
            self.cfg["base_url"].rstrip("/") + path,
            method=method,
            data=body.encode() if payload is not None else None,
            headers={
                "Authorization": self._authorization(method, path, body),
                "Accept": "application/json",
                "Content-Type": "application/json",
                "User-Agent": "dangjian",
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 # nosec B310
                raw, status, headers = resp.read(), resp.status, resp.headers
        except urllib.error.HTTPError as exc:
            raw, status, headers = exc.read(), exc.code, exc.headers
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise WeChatPayError(f"无法连接微信支付：{getattr(exc, 'reason', exc)}") from exc
        if raw:
            self.verify_platform(headers, raw)
        data = json.loads(raw) if raw else {}
        if status >= 400:
            raise WeChatPayError(
                f"微信支付返回{status}：{data.get('code', '')} {data.get('message', '')}"
            )
        return status, data

    # --- the provider interface ---

    def create_order(self, out_trade_no: str, amount_fen: int, description: str) -> str:
        cfg = self.cfg
        _status, data = self._request(
            "POST",
            "/v3/pay/transactions/native",
            {
                "appid": cfg["appid"],
                "mchid": cfg["mchid"],
                "description": description[:127],
                "out_trade_no": out_trade_no,
                "notify_url": cfg["notify_url"],
                "amount": {"total": amount_fen, "currency": "CNY"},
            },
        )
        return str(data["code_url"])

    def query_order(self, out_trade_no: str) -> QueryResult:
        trade = urllib.parse.quote(out_trade_no)
        path = f"/v3/pay/transactions/out-trade-no/{trade}?mchid={self.cfg['mchid']}"
        _status, data = self._request("GET", path)
        state = {
            "SUCCESS": "paid",
            "NOTPAY": "notpay",
            "CLOSED": "closed",
            "REFUND": "refunded",
        }.get(data.get("trade_state", ""), "unknown")
        return QueryResult(
            state, data.get("transaction_id", ""), int(data.get("amount", {}).get("total", 0))
        )

    def close_order(self, out_trade_no: str) -> None:
        self._request(
            "POST",
            f"/v3/pay/transactions/out-trade-no/{urllib.parse.quote(out_trade_no)}/close",
            {"mchid": self.cfg["mchid"]},
        )

    def parse_callback(self, headers: Any, body: bytes) -> CallbackData:
        self.verify_platform(headers, body)
        try:
            envelope = json.loads(body)
            res = envelope["resource"]
            if res.get("algorithm") != "AEAD_AES_256_GCM":
                raise CallbackRefused("不支持的加密算法")
            plain = aes_gcm_decrypt(
                self.cfg["apiv3_key"].encode(),
                res["nonce"],
                res["ciphertext"],
                res.get("associated_data", ""),
            )
            txn = json.loads(plain)
            if txn.get("mchid") != self.cfg["mchid"]:
                raise CallbackRefused("商户号不符")
            return CallbackData(
                str(envelope["id"]),
                str(txn["out_trade_no"]),
                str(txn.get("transaction_id", "")),
                int(txn["amount"]["total"]),
                txn.get("trade_state") == "SUCCESS",
            )
        except CallbackRefused:
            raise
        except Exception as exc:  # noqa: BLE001 - any malformed or undecryptable resource is refused
            raise CallbackRefused("回调内容无法解密或格式错误") from exc

    def refund(self, out_trade_no: str, amount_fen: int, reason: str) -> None:
        self._request(
            "POST",
            "/v3/refund/domestic/refunds",
            {
                "out_trade_no": out_trade_no,
                "out_refund_no": f"R{out_trade_no}"[:64],
                "reason": reason[:80],
                "amount": {"refund": amount_fen, "total": amount_fen, "currency": "CNY"},
            },
        )

    def bill(self, day: date) -> list[BillRow]:
        _status, data = self._request("GET", f"/v3/bill/tradebill?bill_date={day.isoformat()}")
        url = urllib.parse.urlsplit(data["download_url"])
        _s, text = self._download(url.path + (f"?{url.query}" if url.query else ""))
        return parse_tradebill(text)

    def _download(self, path: str) -> tuple[int, str]:
        req = urllib.request.Request(  # noqa: S310
            self.cfg["base_url"].rstrip("/") + path,
            method="GET",
            headers={"Authorization": self._authorization("GET", path, "")},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 # nosec B310
                return resp.status, resp.read().decode("utf-8-sig")
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise WeChatPayError(f"下载对账单失败：{exc}") from exc


def parse_tradebill(text: str) -> list[BillRow]:
    """WeChat's trade bill CSV: a header, rows whose fields start with a backtick, then totals."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        return []
    header = [h.strip() for h in lines[0].split(",")]
    try:
        i_txn, i_out, i_state, i_total = (
            header.index("微信订单号"),
            header.index("商户订单号"),
            header.index("交易状态"),
            header.index("订单金额"),
        )
    except ValueError as exc:
        raise WeChatPayError("对账单格式无法识别") from exc
    rows = []
    for line in lines[1:]:
        if not line.startswith("`"):
            break  # the totals section
        fields = [f.lstrip("`").strip() for f in line.split(",")]
        state = {"SUCCESS": "paid", "REFUND": "refunded"}.get(
            fields[i_state], fields[i_state].lower()
        )
        rows.append(
            BillRow(fields[i_out], fields[i_txn], int(round(float(fields[i_total]) * 100)), state)
        )
    return rows
