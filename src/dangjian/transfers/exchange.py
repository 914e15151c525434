"""Signed letters and receipts between dangjian deployments (issue 7, item 3).

A message is a body (canonical JSON: sorted keys, no spaces, UTF-8) signed with the sending
deployment's Ed25519 key. It travels as one line of text, the token

    DJ1.<base64url(zlib(json({"key": key_id, "sig": base64url(signature), "body": body})))>

which is both the downloadable file's content and the QR code on the printed letter. The receiving
deployment verifies the signature against the sender's published key (registered by its security
admin), refuses a message whose (key, nonce) it has already imported (replay), a letter past its
validity and a message of the wrong kind. Nothing here writes: services do, in their transaction.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import zlib
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from dangjian.core import crypto
from dangjian.core.errors import DomainError

from .models import ExchangeKey, TrustedKey

PREFIX = "DJ1."
MAX_TOKEN = 8000  # a letter is ~1 kB; anything much larger is not ours


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def key_id_of(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:16]


def new_keypair() -> tuple[str, str, str]:
    """(key_id, public key base64, private key encrypted with the deployment's field key)."""
    private = Ed25519PrivateKey.generate()
    raw_private = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    raw_public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return (
        key_id_of(raw_public),
        base64.b64encode(raw_public).decode(),
        crypto.encrypt(base64.b64encode(raw_private).decode()),
    )


def active_key() -> ExchangeKey:
    key = ExchangeKey.objects.filter(active=True).first()
    if key is None:
        raise DomainError(
            "no_key",
            "本部署尚未生成签名密钥：请安全管理员在“跨系统转接密钥”页面生成后再开具电子介绍信",
        )
    return key


def sign(body: dict[str, Any], key: ExchangeKey | None = None) -> str:
    """The token of `body`, signed with the active key (or `key`, fetched once for a batch); a fresh
    nonce is added."""
    key = key or active_key()
    body = {
        **body,
        "nonce": secrets.token_hex(16),
        "issuer_key": key.key_id,
        "issuer": key.deployment,
    }
    private = Ed25519PrivateKey.from_private_bytes(
        base64.b64decode(crypto.decrypt(key.private_encrypted))
    )
    envelope = {"key": key.key_id, "sig": _b64(private.sign(canonical(body))), "body": body}
    return PREFIX + _b64(zlib.compress(canonical(envelope), 9))


@dataclass(frozen=True)
class Verified:
    key_id: str
    deployment: str
    body: dict[str, Any]


def verify(token: str, kind: str) -> Verified:
    """Decode and verify a token; refuse it (DomainError naming the reason) unless its signature
    verifies
    against a trusted, unrevoked key and it is a message of `kind`."""
    token = (token or "").strip()
    if not token.startswith(PREFIX) or len(token) > MAX_TOKEN:
        raise DomainError(
            "format",
            "不是本系统的电子介绍信或回执（应为以 DJ1. 开头的文件或二维码内容）",
            field="token",
        )
    try:
        envelope = json.loads(zlib.decompress(_unb64(token[len(PREFIX) :]), bufsize=MAX_TOKEN * 4))
        key_id, sig, body = str(envelope["key"]), _unb64(envelope["sig"]), envelope["body"]
        if not isinstance(body, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError, zlib.error, binascii.Error) as exc:
        raise DomainError("format", "电子介绍信内容已损坏，无法读取", field="token") from exc
    trusted = TrustedKey.objects.filter(key_id=key_id).first()
    if trusted is None:
        raise DomainError(
            "unknown_key",
            f"签名密钥 {key_id} 不在信任列表中：请安全管理员先登记对方部署公布的公钥",
            field="token",
        )
    if trusted.revoked:
        raise DomainError(
            "revoked_key", f"签名密钥 {key_id}（{trusted.deployment}）已停用", field="token"
        )
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(trusted.public_key)).verify(
            sig, canonical(body)
        )
    except (InvalidSignature, ValueError) as exc:
        raise DomainError(
            "signature", "签名验证失败：内容被改动或不是该部署签发的，已拒绝", field="token"
        ) from exc
    if body.get("kind") != kind or body.get("issuer_key") != key_id or not body.get("nonce"):
        raise DomainError(
            "kind",
            "文件类型不符：" + ("请上传介绍信" if kind == "letter" else "请上传回执"),
            field="token",
        )
    return Verified(key_id, trusted.deployment, body)


def published() -> dict[str, Any]:
    """What this deployment publishes: its public keys (the active one first)."""
    keys = list(
        ExchangeKey.objects.order_by("-active", "-created_at").values(
            "key_id", "deployment", "public_key", "active"
        )
    )
    return {
        "format": "dangjian-keys/1",
        "deployment": keys[0]["deployment"] if keys else "",
        "keys": keys,
    }


def parse_published(text: str) -> list[dict[str, str]]:
    """The keys in another deployment's published key file (refused with a reason if malformed)."""
    try:
        data = json.loads(text)
        keys = data["keys"]
        out = []
        for k in keys:
            raw = base64.b64decode(k["public_key"], validate=True)
            if len(raw) != 32 or key_id_of(raw) != k["key_id"]:
                raise ValueError("key id")
            out.append(
                {
                    "key_id": k["key_id"],
                    "public_key": k["public_key"],
                    "deployment": str(k.get("deployment") or data.get("deployment") or "")[:100],
                }
            )
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise DomainError(
            "format",
            "公钥文件格式不正确（应为对方部署“公布的公钥”页面下载的 JSON 文件）",
            field="keys",
        ) from exc
    if not out:
        raise DomainError("format", "公钥文件中没有公钥", field="keys")
    return out
