"""Field encryption for personal data (AES-256-GCM) and keyed blind indexes for exact search.

Ciphertext format: "v1:" + urlsafe-base64(nonce(12) || ciphertext || tag). The key comes from
DANGJIAN_FIELD_KEY: 32 bytes in base64, or any passphrase (stretched with HKDF-SHA256). The blind
index is HMAC-SHA256 under a separate key derived from the same secret, so the index never
reveals the value and cannot be used to decrypt.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings

VERSION = "v1"


def _master() -> bytes:
    raw = settings.FIELD_KEY
    try:
        decoded = base64.b64decode(raw, validate=True)
        if len(decoded) == 32:
            return decoded
    except (binascii.Error, ValueError):
        pass
    return raw.encode()


@functools.lru_cache(maxsize=4)
def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"dangjian-field-key", info=purpose
    ).derive(master)


def _enc_key() -> bytes:
    return _derive(_master(), b"encrypt")


def _index_key() -> bytes:
    return _derive(_master(), b"blind-index")


def encrypt(plaintext: str) -> str:
    if plaintext == "":
        return ""
    nonce = os.urandom(12)
    ct = AESGCM(_enc_key()).encrypt(nonce, plaintext.encode(), VERSION.encode())
    return VERSION + ":" + base64.urlsafe_b64encode(nonce + ct).decode()


def decrypt(token: str) -> str:
    if token == "":
        return ""
    version, _, body = token.partition(":")
    if version != VERSION:
        raise ValueError("unknown ciphertext version")
    data = base64.urlsafe_b64decode(body)
    return AESGCM(_enc_key()).decrypt(data[:12], data[12:], VERSION.encode()).decode()


def blind_index(value: str) -> str:
    """Deterministic keyed digest of a normalized value, for exact-match lookups."""
    if value == "":
        return ""
    return hmac.new(_index_key(), value.strip().upper().encode(), hashlib.sha256).hexdigest()


def audit_mac(message: bytes) -> str:
    """HMAC-SHA256 of an audit row or link, under a key derived from the field key: the database
    does not hold it, so someone who can only write the database cannot recompute the chain."""
    return hmac.new(_derive(_master(), b"audit-chain"), message, hashlib.sha256).hexdigest()


def audit_signing_key() -> Ed25519PrivateKey:
    """The deployment's Ed25519 key signing the audit seals written outside the database."""
    return Ed25519PrivateKey.from_private_bytes(_derive(_master(), b"audit-seal-ed25519"))


def audit_public_key_hex() -> str:
    return audit_signing_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
