"""A local server speaking WeChat Pay API v3 (the parts dangjian uses), for the tests.

It checks the merchant's request signatures, signs its responses with its own platform key,
encrypts callback resources with the APIv3 key (AEAD_AES_256_GCM) and serves a trade bill.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import urllib.parse
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from dangjian.fees.wechatpay import rsa_sign, rsa_verify

MCHID, APPID, MERCHANT_SERIAL, PLATFORM_SERIAL = (
    "1900000109",
    "wxd930ea5d5a258f4f",
    "MERCHANT-SERIAL-1",
    "PLATFORM-SERIAL-1",
)
APIV3_KEY = "0123456789abcdef0123456789abcdef"


def _pem_private(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _pem_public(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


class Simulator:
    def __init__(self) -> None:
        self.merchant_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.platform_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.orders: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        self.rejected = 0
        sim = self

        class Handler(BaseHTTPRequestHandler):
            def _body(self) -> bytes:
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def _check(self, body: bytes) -> bool:
                auth = self.headers.get("Authorization", "")
                if not auth.startswith("WECHATPAY2-SHA256-RSA2048 "):
                    return False
                fields = dict(p.split("=", 1) for p in auth.split(" ", 1)[1].split(","))
                fields = {k: v.strip('"') for k, v in fields.items()}
                if fields.get("mchid") != MCHID or fields.get("serial_no") != MERCHANT_SERIAL:
                    return False
                if abs(time.time() - int(fields.get("timestamp", "0"))) > 300:
                    return False
                message = (
                    f"{self.command}\n{self.path}\n{fields['timestamp']}\n"
                    f"{fields['nonce_str']}\n{body.decode()}\n"
                ).encode()
                return rsa_verify(
                    sim.merchant_key.public_key(), message, fields.get("signature", "")
                )

            def _answer(
                self, status: int, data: Any = None, raw: bytes | None = None, sign: bool = True
            ) -> None:
                body = (
                    raw
                    if raw is not None
                    else (json.dumps(data).encode() if data is not None else b"")
                )
                self.send_response(status)
                if sign and body:
                    for k, v in sim.platform_headers(body).items():
                        self.send_header(k, v)
                self.send_header(
                    "Content-Type",
                    "application/json" if raw is None else "text/plain; charset=utf-8",
                )
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802
                body = self._body()
                sim.requests.append(("POST", self.path))
                if not self._check(body):
                    sim.rejected += 1
                    return self._answer(401, {"code": "SIGN_ERROR", "message": "签名错误"})
                data = json.loads(body or b"{}")
                if self.path == "/v3/pay/transactions/native":
                    sim.orders[data["out_trade_no"]] = {
                        "amount": data["amount"]["total"],
                        "state": "NOTPAY",
                        "transaction_id": "",
                        "paid_at": None,
                        "notify_url": data["notify_url"],
                    }
                    return self._answer(
                        200, {"code_url": f"weixin://wxpay/bizpayurl?pr={secrets.token_hex(6)}"}
                    )
                if self.path.endswith("/close"):
                    no = urllib.parse.unquote(self.path.split("/")[-2])
                    if sim.orders.get(no, {}).get("state") == "NOTPAY":
                        sim.orders[no]["state"] = "CLOSED"
                    return self._answer(204)
                if self.path == "/v3/refund/domestic/refunds":
                    sim.orders[data["out_trade_no"]]["state"] = "REFUND"
                    return self._answer(
                        200, {"status": "PROCESSING", "out_refund_no": data["out_refund_no"]}
                    )
                return self._answer(404, {"code": "NOT_FOUND"})

            def do_GET(self) -> None:  # noqa: N802
                sim.requests.append(("GET", self.path))
                if not self._check(b""):
                    sim.rejected += 1
                    return self._answer(401, {"code": "SIGN_ERROR", "message": "签名错误"})
                url = urllib.parse.urlsplit(self.path)
                if url.path.startswith("/v3/pay/transactions/out-trade-no/"):
                    no = urllib.parse.unquote(url.path.rsplit("/", 1)[1])
                    o = sim.orders.get(no)
                    if o is None:
                        return self._answer(404, {"code": "ORDER_NOT_EXIST"})
                    return self._answer(
                        200,
                        {
                            "out_trade_no": no,
                            "trade_state": o["state"],
                            "transaction_id": o["transaction_id"],
                            "amount": {"total": o["amount"], "currency": "CNY"},
                            "mchid": MCHID,
                        },
                    )
                if url.path == "/v3/bill/tradebill":
                    return self._answer(
                        200,
                        {
                            "download_url": f"{sim.url}/v3/billdownload/file?token=abc",
                            "hash_type": "SHA1",
                        },
                    )
                if url.path == "/v3/billdownload/file":
                    return self._answer(200, raw=sim.tradebill().encode(), sign=False)
                return self._answer(404, {"code": "NOT_FOUND"})

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def config(self, tmp_path: Any) -> dict[str, str]:
        key = tmp_path / "apiclient_key.pem"
        key.write_text(_pem_private(self.merchant_key))
        pub = tmp_path / "platform_pub.pem"
        pub.write_text(_pem_public(self.platform_key.public_key()))
        return {
            "base_url": self.url,
            "mchid": MCHID,
            "appid": APPID,
            "serial_no": MERCHANT_SERIAL,
            "private_key": str(key),
            "apiv3_key": APIV3_KEY,
            "platform_public_key": str(pub),
            "platform_serial": PLATFORM_SERIAL,
            "notify_url": "https://dangjian.example/fees/callback/wechat/",
        }

    def platform_headers(
        self,
        body: bytes,
        ts: int | None = None,
        key: rsa.RSAPrivateKey | None = None,
        serial: str = PLATFORM_SERIAL,
    ) -> dict[str, str]:
        ts_s, nonce = str(ts if ts is not None else int(time.time())), secrets.token_hex(16)
        signature = rsa_sign(
            key or self.platform_key, ts_s.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n"
        )
        return {
            "Wechatpay-Timestamp": ts_s,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": signature,
            "Wechatpay-Serial": serial,
        }

    def pay(self, out_trade_no: str, amount: int | None = None) -> tuple[dict[str, str], bytes]:
        """The payer pays: the order is booked and the encrypted, signed callback is returned."""
        o = self.orders[out_trade_no]
        o["state"], o["transaction_id"], o["paid_at"] = (
            "SUCCESS",
            "4200" + secrets.token_hex(10),
            datetime.now(),  # noqa: DTZ005
        )
        return self.callback(out_trade_no, amount)

    def callback(
        self, out_trade_no: str, amount: int | None = None, notification_id: str | None = None
    ) -> tuple[dict[str, str], bytes]:
        o = self.orders[out_trade_no]
        resource = json.dumps(
            {
                "mchid": MCHID,
                "appid": APPID,
                "out_trade_no": out_trade_no,
                "transaction_id": o["transaction_id"],
                "trade_state": "SUCCESS",
                "amount": {
                    "total": amount if amount is not None else o["amount"],
                    "payer_total": o["amount"],
                    "currency": "CNY",
                },
            }
        ).encode()
        nonce = secrets.token_hex(6)
        ciphertext = base64.b64encode(
            AESGCM(APIV3_KEY.encode()).encrypt(nonce.encode(), resource, b"transaction")
        ).decode()
        body = json.dumps(
            {
                "id": notification_id or secrets.token_hex(16),
                "create_time": datetime.now().isoformat(),  # noqa: DTZ005
                "resource_type": "encrypt-resource",
                "event_type": "TRANSACTION.SUCCESS",
                "summary": "支付成功",
                "resource": {
                    "original_type": "transaction",
                    "algorithm": "AEAD_AES_256_GCM",
                    "ciphertext": ciphertext,
                    "associated_data": "transaction",
                    "nonce": nonce,
                },
            }
        ).encode()
        return self.platform_headers(body), body

    def tradebill(self) -> str:
        head = (
            "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,"
            "交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,"
            "商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,"
            "手续费,费率,订单金额,申请退款金额,费率备注"
        )
        rows = []
        for no, o in self.orders.items():
            if o["state"] in ("SUCCESS", "REFUND"):
                amount = f"{o['amount'] / 100:.2f}"
                fields = [
                    o["paid_at"].strftime("%Y-%m-%d %H:%M:%S"),
                    APPID,
                    MCHID,
                    "0",
                    "",
                    o["transaction_id"],
                    no,
                    "oUser",
                    "NATIVE",
                    o["state"],
                    "OTHERS",
                    "CNY",
                    amount,
                    "0.00",
                    "0",
                    "0",
                    "0.00",
                    "0.00",
                    "",
                    "",
                    "党费",
                    "",
                    "0.00",
                    "0.60%",
                    amount,
                    "0.00",
                    "",
                ]
                rows.append(",".join("`" + f for f in fields))
        total = (
            "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,"
            "订单总金额,申请退款总金额"
        )
        return (
            "\n".join([head, *rows, total, f"`{len(rows)},`0.00,`0.00,`0.00,`0.00,`0.00,`0.00"])
            + "\n"
        )
