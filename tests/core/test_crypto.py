import pytest
from cryptography.exceptions import InvalidTag

from dangjian.core import crypto


def test_round_trip_and_random_nonce():
    a = crypto.encrypt("350203199003070015")
    b = crypto.encrypt("350203199003070015")
    assert a != b
    assert a.startswith("v1:")
    assert crypto.decrypt(a) == "350203199003070015"


def test_tampered_ciphertext_is_refused():
    token = crypto.encrypt("13800001234")
    raw = bytearray(token.encode())
    raw[-3] = ord("A") if raw[-3] != ord("A") else ord("B")
    with pytest.raises((InvalidTag, ValueError)):
        crypto.decrypt(raw.decode())


def test_blind_index_is_deterministic_and_normalized():
    assert crypto.blind_index("35020319900307001x") == crypto.blind_index("35020319900307001X")
    assert crypto.blind_index("a") != crypto.blind_index("b")
    assert "350203" not in crypto.blind_index("350203199003070015")
