"""国密 (issue 16, item 7): SM4-GCM field encryption, HMAC-SM3 blind indexes and audit chain, the
known-answer self-test, and `dangjian reencrypt` interrupted and resumed with nothing lost."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from django.core.management import call_command
from django.db import transaction

from dangjian.audit.models import AuditEvent
from dangjian.audit.services import audit_record, audit_seal, audit_verify
from dangjian.core import crypto, reencrypt
from dangjian.members.models import Member
from dangjian.members.selectors import member_search
from dangjian.notify.models import Contact
from dangjian.transfers.models import MobileMember
from tests.conftest import make_user


def _sm3(data: bytes) -> bytes:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


def test_self_test_passes_and_catches_a_wrong_primitive(monkeypatch):
    crypto.self_test()
    monkeypatch.setattr(crypto, "_sm4_gcm_encrypt", lambda *a: b"\0" * 80)
    with pytest.raises(crypto.SelfTestError, match="SM4-GCM"):
        crypto.self_test()


def test_sm4_known_answer():
    """GB/T 32907-2016 appendix A.1 and RFC 8998 appendix A.1 (SM4-GCM)."""
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    iv = bytes.fromhex("00001234567800000000abcd")
    aad = bytes.fromhex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
    pt = bytes.fromhex(
        "aa" * 8 + "bb" * 8 + "cc" * 8 + "dd" * 8 + "ee" * 8 + "ff" * 8 + "ee" * 8 + "aa" * 8
    )
    out = crypto._sm4_gcm_encrypt(key, iv, pt, aad)
    assert out[-16:].hex() == "83de3541e4c2b58177e065a9bf7b62ec"
    assert out[:16].hex() == "17f399f08c67d5ee19d0dc9969c4bb7d"
    assert crypto._sm4_gcm_decrypt(key, iv, out, aad) == pt


def test_hmac_sm3_is_rfc2104_over_sm3():
    key = bytes.fromhex("0123456789abcdeffedcba9876543210").ljust(64, b"\0")
    inner = _sm3(bytes(k ^ 0x36 for k in key) + b"abc")
    expected = _sm3(bytes(k ^ 0x5C for k in key) + inner).hex()
    assert crypto._hmac_sm3(bytes.fromhex("0123456789abcdeffedcba9876543210"), b"abc") == expected
    assert _sm3(b"abc").hex() == crypto._SM3_ABC


def test_sm_scheme_encrypts_with_sm4_and_reads_both(settings):
    aes = crypto.encrypt("350203198005170011")
    aes_index = crypto.blind_index("350203198005170011")
    settings.CRYPTO_SCHEME = "sm"
    sm = crypto.encrypt("350203198005170011")
    assert sm.startswith("s1:")
    assert aes.startswith("v1:")
    assert crypto.decrypt(sm) == crypto.decrypt(aes) == "350203198005170011"
    assert crypto.blind_index("350203198005170011") != aes_index
    assert crypto.is_current(sm)
    assert not crypto.is_current(aes)
    data = bytearray(base64.urlsafe_b64decode(sm[3:]))
    data[14] ^= 1  # one bit of the ciphertext
    with pytest.raises(InvalidTag):
        crypto.decrypt("s1:" + base64.urlsafe_b64encode(bytes(data)).decode())


@pytest.mark.django_db
def test_the_audit_chain_verifies_across_a_switch_to_sm3(settings):
    for i in range(3):
        with transaction.atomic():
            audit_record(actor=None, action="demo.event", object_repr=f"甲{i}")
    assert audit_seal() == 3
    settings.CRYPTO_SCHEME = "sm"
    for i in range(2):
        with transaction.atomic():
            audit_record(actor=None, action="demo.event", object_repr=f"乙{i}")
    assert audit_seal() == 2
    last = AuditEvent.objects.order_by("-id").first()
    sm_mac = crypto._hmac_sm3(crypto._derive(crypto._master(), b"audit-chain-sm3"), b"x")
    assert len(sm_mac) == len(last.mac) == 64
    result = audit_verify()
    assert result.ok, result.reason
    assert result.checked == 5


def _originals() -> dict[int, tuple[str, str]]:
    return {m.pk: (m.id_number(), m.phone()) for m in Member.objects.all()}


@pytest.mark.django_db
def test_reencrypt_interrupted_and_resumed_loses_nothing(tree, settings, monkeypatch):
    user = make_user("u1", "branch_worker", tree.branch_a1)
    Contact.objects.create(user=user, phone_encrypted=crypto.encrypt("13900001111"))
    mobile = MobileMember(
        direction="in",
        organization=tree.branch_a1,
        name="流动甲",
        place="本市",
        reason="务工",
        since=date(2025, 1, 1),
    )
    mobile.set_contact("13700002222")
    mobile.save()
    before = _originals()
    assert len(before) == 10

    settings.CRYPTO_SCHEME = "sm"
    assert reencrypt.pending()["members.Member.id_number_encrypted"] == 10

    real = crypto.encrypt
    calls = {"n": 0}

    def dies_on_the_fifth(value: str) -> str:
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt  # the operator's Ctrl-C, or the host going down
        return real(value)

    monkeypatch.setattr(crypto, "encrypt", dies_on_the_fifth)
    with pytest.raises(KeyboardInterrupt):
        reencrypt.reencrypt(batch=3)
    monkeypatch.setattr(crypto, "encrypt", real)

    # the first batch of 3 committed; the second rolled back whole; every row still reads
    stored = list(Member.objects.order_by("pk").values_list("id_number_encrypted", flat=True))
    assert [t[:2] for t in stored] == ["s1"] * 3 + ["v1"] * 7
    assert _originals() == before
    assert reencrypt.pending()["members.Member.id_number_encrypted"] == 7

    call_command("reencrypt", batch=3)
    assert all(v == 0 for v in reencrypt.pending().values())
    assert _originals() == before
    for m in Member.objects.all():
        assert m.id_number_encrypted.startswith("s1:")
        assert m.phone_encrypted.startswith("s1:")
        assert m.id_number_index == crypto.blind_index(before[m.pk][0])
        assert m.phone_index == crypto.blind_index(before[m.pk][1])
    contact = Contact.objects.get(user=user)
    assert contact.phone_encrypted.startswith("s1:")
    assert crypto.decrypt(contact.phone_encrypted) == "13900001111"
    mobile.refresh_from_db()
    assert mobile.contact_encrypted.startswith("s1:")
    assert mobile.contact() == "13700002222"
    # search by ID number finds the member through the recomputed HMAC-SM3 index
    staff = make_user("u2", "committee_staff", tree.district_a, can_unmask=True)
    one = tree.members["A1-1"]
    found: Any = member_search(staff, q=before[one.pk][0])
    assert [m.pk for m in found] == [one.pk]
    assert AuditEvent.objects.filter(action="crypto.reencrypt").count() == 1


@pytest.mark.django_db
def test_reencrypt_check_only_counts(tree, settings, capsys):
    settings.CRYPTO_SCHEME = "sm"
    call_command("reencrypt", check=True)
    assert "待转换" in capsys.readouterr().out
    assert reencrypt.pending()["members.Member.id_number_encrypted"] == 10
