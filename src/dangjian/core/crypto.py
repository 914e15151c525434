"""Field encryption for personal data and keyed blind indexes for exact search, in one of two
schemes a deployment chooses with DANGJIAN_CRYPTO:

- ``aes`` (default): AES-256-GCM; blind indexes and the audit chain with HMAC-SHA256;
- ``sm`` (国密): SM4-GCM (GB/T 32907, as RFC 8998 uses it); HMAC-SM3 (GB/T 32905).

Both come from `cryptography` (PyCA, already the platform's cryptography library; it calls
OpenSSL's SM4 and SM3 and offers SM4 in GCM mode, which gmssl, pure Python with ECB/CBC only,
does not). Known-answer tests run when the platform starts (`self_test`) and in the test suite.

Ciphertext: "v1:" (AES-GCM) or "s1:" (SM4-GCM) + urlsafe-base64(nonce(12) || ciphertext || tag);
`decrypt` reads both, so a database part-way through `dangjian reencrypt` keeps working. The key
comes from DANGJIAN_FIELD_KEY: 32 bytes in base64, or any passphrase (stretched with HKDF-SHA256).
The blind index is an HMAC under a separate key derived from the same secret, so the index never
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
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings

VERSION = "v1"  # AES-256-GCM
SM_VERSION = "s1"  # SM4-GCM
PREFIX = {"aes": VERSION, "sm": SM_VERSION}


def scheme() -> str:
    return getattr(settings, "CRYPTO_SCHEME", "aes")


def _master() -> bytes:
    return _decoded(settings.FIELD_KEY)


@functools.lru_cache(maxsize=4)
def _decoded(raw: str) -> bytes:
    """The key's bytes, decoded once per key text (an import encrypts and indexes every member's
    id number and phone: three times each)."""
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


def _index_key_sm() -> bytes:
    return _derive(_master(), b"blind-index-sm3")


def _sm4_gcm_encrypt(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    enc = Cipher(algorithms.SM4(key[:16]), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(aad)
    ct = enc.update(plaintext) + enc.finalize()
    return ct + enc.tag


def _sm4_gcm_decrypt(key: bytes, nonce: bytes, data: bytes, aad: bytes) -> bytes:
    dec = Cipher(algorithms.SM4(key[:16]), modes.GCM(nonce, data[-16:])).decryptor()
    dec.authenticate_additional_data(aad)
    return dec.update(data[:-16]) + dec.finalize()


def _hmac_sm3(key: bytes, message: bytes) -> str:
    mac = crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(message)
    return mac.finalize().hex()


def encrypt(plaintext: str) -> str:
    """The value under the deployment's scheme; "" stays ""."""
    if plaintext == "":
        return ""
    nonce = os.urandom(12)
    if scheme() == "sm":
        ct = _sm4_gcm_encrypt(
            _derive(_master(), b"encrypt-sm4"), nonce, plaintext.encode(), SM_VERSION.encode()
        )
        return SM_VERSION + ":" + base64.urlsafe_b64encode(nonce + ct).decode()
    ct = AESGCM(_enc_key()).encrypt(nonce, plaintext.encode(), VERSION.encode())
    return VERSION + ":" + base64.urlsafe_b64encode(nonce + ct).decode()


def decrypt(token: str) -> str:
    """Either scheme's ciphertext (its prefix says which)."""
    if token == "":
        return ""
    version, _, body = token.partition(":")
    if version not in (VERSION, SM_VERSION):
        raise ValueError("unknown ciphertext version")
    data = base64.urlsafe_b64decode(body)
    if version == SM_VERSION:
        key = _derive(_master(), b"encrypt-sm4")
        return _sm4_gcm_decrypt(key, data[:12], data[12:], SM_VERSION.encode()).decode()
    return AESGCM(_enc_key()).decrypt(data[:12], data[12:], VERSION.encode()).decode()


def is_current(token: str) -> bool:
    """Whether a stored ciphertext is already in the deployment's scheme ("" always is)."""
    return token == "" or token.startswith(PREFIX[scheme()] + ":")


def blind_index(value: str) -> str:
    """Deterministic keyed digest of a normalized value, for exact-match lookups: HMAC-SHA256,
    or HMAC-SM3 under the 国密 scheme (`dangjian reencrypt` recomputes the stored ones)."""
    if value == "":
        return ""
    normalized = value.strip().upper().encode()
    if scheme() == "sm":
        return _hmac_sm3(_index_key_sm(), normalized)
    return hmac.new(_index_key(), normalized, hashlib.sha256).hexdigest()


def audit_mac(message: bytes) -> str:
    """HMAC of an audit row or link (SHA-256, or SM3 under the 国密 scheme), under a key derived
    from the field key: the database does not hold it, so someone who can only write the database
    cannot recompute the chain."""
    if scheme() == "sm":
        return _hmac_sm3(_derive(_master(), b"audit-chain-sm3"), message)
    return hmac.new(_derive(_master(), b"audit-chain"), message, hashlib.sha256).hexdigest()


def audit_mac_matches(message: bytes, mac: str) -> bool:
    """Whether `mac` is the audit HMAC of `message` under either scheme: rows written before a
    deployment switched schemes keep verifying (both keys come from the same secret)."""
    sha = hmac.new(_derive(_master(), b"audit-chain"), message, hashlib.sha256).hexdigest()
    if hmac.compare_digest(sha, mac):
        return True
    return hmac.compare_digest(_hmac_sm3(_derive(_master(), b"audit-chain-sm3"), message), mac)


def audit_signing_key() -> Ed25519PrivateKey:
    """The deployment's Ed25519 key signing the audit seals written outside the database."""
    return Ed25519PrivateKey.from_private_bytes(_derive(_master(), b"audit-seal-ed25519"))


def audit_public_key_hex() -> str:
    return audit_signing_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


class SelfTestError(RuntimeError):
    pass


# Known answers from the standards: SM4 (GB/T 32907-2016, appendix A.1), SM3 (GB/T 32905-2016,
# example 1), SM4-GCM (RFC 8998, appendix A.1), AES-256-GCM (NIST GCM spec, test case 16).
_SM4_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")
_SM4_BLOCK = "681edf34d206965e86b3e94f536e4246"
_SM3_ABC = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
# HMAC-SM3 (key = _SM4_KEY, message "abc"): from `openssl dgst -sm3 -mac HMAC`; the test suite
# recomputes it with the RFC 2104 construction over SM3
_HMAC_SM3_ABC = "28d8a61be67d8bf7652c4eda7092b612f88be62184f55005c57ddf076e764199"
_GCM_IV = bytes.fromhex("00001234567800000000abcd")
_GCM_AAD = bytes.fromhex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
_GCM_PT = bytes.fromhex(
    "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdddddddddddddddd"
    "eeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa"
)
_SM4_GCM_CT_TAG = (
    "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735"
    "d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d"
    "83de3541e4c2b58177e065a9bf7b62ec"
)
_AES_KEY = bytes.fromhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
_AES_IV = bytes.fromhex("cafebabefacedbaddecaf888")
_AES_AAD = bytes.fromhex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
_AES_PT = bytes.fromhex(
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
)
_AES_CT_TAG = (
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
    "76fc6ece0f4e1768cddf8853bb2d551b"
)


def self_test() -> None:
    """Known-answer tests of every algorithm the platform may use; raises SelfTestError.

    Run when the platform starts (a library or OpenSSL build that computes SM4 or AES wrongly
    must not encrypt anyone's ID number) and by tests/core/test_crypto_sm.py."""
    failures = []
    # one block through the bare cipher: the standard's known answer (never used for data)
    enc = Cipher(algorithms.SM4(_SM4_KEY), modes.ECB()).encryptor()  # noqa: S305 # nosec B305
    if (enc.update(_SM4_KEY) + enc.finalize()).hex() != _SM4_BLOCK:
        failures.append("SM4")
    digest = hashes.Hash(hashes.SM3())
    digest.update(b"abc")
    if digest.finalize().hex() != _SM3_ABC:
        failures.append("SM3")
    if _hmac_sm3(_SM4_KEY, b"abc") != _HMAC_SM3_ABC:
        failures.append("HMAC-SM3")
    if _sm4_gcm_encrypt(_SM4_KEY, _GCM_IV, _GCM_PT, _GCM_AAD).hex() != _SM4_GCM_CT_TAG:
        failures.append("SM4-GCM")
    try:
        if _sm4_gcm_decrypt(_SM4_KEY, _GCM_IV, bytes.fromhex(_SM4_GCM_CT_TAG), _GCM_AAD) != _GCM_PT:
            failures.append("SM4-GCM decrypt")
    except Exception:  # noqa: BLE001 - any failure of the primitive is a failed self-test
        failures.append("SM4-GCM decrypt")
    if AESGCM(_AES_KEY).encrypt(_AES_IV, _AES_PT, _AES_AAD).hex() != _AES_CT_TAG:
        failures.append("AES-256-GCM")
    if failures:
        raise SelfTestError("密码算法自检失败：" + "、".join(failures))
