"""The audit chain keyed and anchored outside the database (issue 16, C3): someone who can write
the database but holds neither the field key nor the seal file cannot roll the trail back, edit and
rechain a row, insert a forged row or delete the seal without `audit verify` saying so — and verify
reports, never crashes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from dangjian.audit.models import AuditEvent, AuditSeal
from dangjian.audit.services import _canonical, audit_record, audit_seal, audit_verify
from tests.conftest import tamper_audit

pytestmark = pytest.mark.django_db


def _events(n: int, action: str = "demo.event") -> None:
    for i in range(n):
        with transaction.atomic():
            audit_record(actor=None, action=action, object_repr=f"第{i}条")


def _seals() -> list[dict]:
    return [json.loads(x) for x in Path(settings.AUDIT_SEAL_FILE).read_text().splitlines()]


def test_each_seal_is_signed_outside_the_database(db):
    _events(3)
    assert audit_seal() == 3
    _events(2)
    assert audit_seal() == 2
    seals = _seals()
    assert [s["last_id"] for s in seals] == [
        AuditEvent.objects.order_by("id")[2].pk,
        AuditEvent.objects.order_by("-id")[0].pk,
    ]
    result = audit_verify()
    assert result.ok, result.reason
    assert result.external == 2
    assert len(result.public_key) == 64


def test_a_database_rolled_back_to_before_the_last_seal_is_caught(db):
    _events(3)
    audit_seal()
    head = AuditSeal.objects.get()
    kept_id, kept_hash = head.last_id, head.last_hash
    _events(2)
    audit_seal()
    # the attacker restores the database as it was: the two newer rows and the seal row's state
    tamper_audit("DELETE FROM audit_auditevent WHERE id > %s", [kept_id])
    tamper_audit("UPDATE audit_auditseal SET last_id = %s, last_hash = %s", [kept_id, kept_hash])
    result = audit_verify()
    assert not result.ok
    assert "数据库外的封存记录" in result.reason


def test_an_edited_and_rechained_row_is_caught(db):
    _events(4)
    audit_seal()
    rows = list(AuditEvent.objects.order_by("id").values())
    # edit the second row and recompute every link after it the only way one can without the key
    victim = rows[1]
    victim["object_repr"] = "伪造"
    prev = rows[0]["hash"]
    for row in rows[1:]:
        h = hashlib.sha256(prev.encode() + b"\n" + _canonical(row)).hexdigest()
        tamper_audit(
            "UPDATE audit_auditevent SET object_repr = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [row["object_repr"], prev, h, row["id"]],
        )
        prev = h
    tamper_audit("UPDATE audit_auditseal SET last_hash = %s", [prev])
    result = audit_verify()
    assert not result.ok
    assert result.broken_id == victim["id"]


def test_a_forged_insert_is_caught_and_not_sealed(db):
    _events(2)
    audit_seal()
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO audit_auditevent (time, actor_name, role, organization_path, action,"
            " object_type, object_id, object_repr, result, data, ip, request_id, source,"
            " prev_hash, hash, mac) VALUES (%s, '', '', '', 'members.unmask', '', '', '伪造',"
            " 'success', '{}', '', '', '', '', '', %s)",
            ["2026-01-01 00:00:00", "0" * 64],
        )
    forged = AuditEvent.objects.order_by("-id").first()
    _events(1)  # a genuine event after it
    assert audit_seal() == 0  # sealing stops at the forged row
    result = audit_verify()
    assert not result.ok
    assert result.broken_id == forged.pk
    assert "校验码无效" in result.reason


def test_the_seal_row_is_protected_and_its_deletion_reported(db):
    _events(2)
    audit_seal()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditSeal.objects.all().delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditSeal.objects.update(last_id=0, last_hash="")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditSeal.objects.update(keyed_from=999999)
    tamper_audit("DELETE FROM audit_auditseal", [])
    result = audit_verify()  # reports, does not crash
    assert not result.ok
    assert result.reason == "封存记录被删除"


def test_a_forged_line_in_the_seal_file_is_caught(db):
    _events(2)
    audit_seal()
    path = Path(settings.AUDIT_SEAL_FILE)
    line = json.loads(path.read_text().splitlines()[-1])
    line["last_id"] += 1000
    path.write_text(path.read_text() + json.dumps(line) + "\n")
    result = audit_verify()
    assert not result.ok
    assert "签名无效" in result.reason


def test_a_rollback_stays_caught_after_new_events_arrive(db):
    _events(3)
    audit_seal()
    head = AuditSeal.objects.get()
    kept_id, kept_hash = head.last_id, head.last_hash
    _events(2)
    audit_seal()
    tamper_audit("DELETE FROM audit_auditevent WHERE id > %s", [kept_id])
    tamper_audit("UPDATE audit_auditseal SET last_id = %s, last_hash = %s", [kept_id, kept_hash])
    _events(5)  # the platform goes on writing: ids past the deleted ones
    assert audit_seal() == 0  # the seal job does not vouch for the rolled-back trail
    result = audit_verify()
    assert not result.ok
    assert "数据库外的封存记录" in result.reason or "落后" in result.reason


def test_a_copied_row_is_caught(db):
    _events(2)
    audit_seal()
    row = AuditEvent.objects.order_by("id").values().first()
    cols = [c for c in row if c not in ("id", "prev_hash", "hash")]
    names = ", ".join(cols)
    sql = f"INSERT INTO audit_auditevent ({names}, prev_hash, hash) SELECT {names}, '', ''"  # noqa: S608
    tamper_audit(sql + " FROM audit_auditevent WHERE id = %s", [row["id"]])
    result = audit_verify()
    assert not result.ok
    assert "多次" in result.reason
