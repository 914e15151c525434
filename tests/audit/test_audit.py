import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, transaction

from dangjian.audit.models import AuditEvent
from dangjian.audit.services import audit_record, audit_seal, audit_verify
from dangjian.orgs.services import org_update
from tests.conftest import tamper_audit

pytestmark = pytest.mark.django_db


def test_service_write_records_event_in_same_transaction(tree, users):
    staff = users["committee_staff"]
    org_update(actor=staff, organization=tree.branch_a2, name="甲二联合党支部", category="private")
    ev = AuditEvent.objects.get(action="orgs.update")
    assert ev.actor == staff
    assert ev.role == "committee_staff"
    assert ev.organization_id == tree.branch_a2.pk
    assert ev.data["changes"]["name"] == ["甲二党支部", "甲二联合党支部"]
    assert ev.request_id


def test_chain_verifies_and_names_the_first_edited_row(tree):
    assert audit_seal() > 0
    result = audit_verify()
    assert result.ok
    victim = AuditEvent.objects.order_by("id")[3]
    tamper_audit("UPDATE audit_auditevent SET object_repr = %s WHERE id = %s", ["伪造", victim.pk])
    result = audit_verify()
    assert not result.ok
    assert result.broken_id == victim.pk
    with pytest.raises(CommandError, match=f"ID {victim.pk}"):
        call_command("audit", "verify")


def test_deleted_row_breaks_the_chain(tree):
    audit_seal()
    victim = AuditEvent.objects.order_by("id")[2]
    tamper_audit("DELETE FROM audit_auditevent WHERE id = %s", [victim.pk])
    result = audit_verify()
    assert not result.ok
    assert result.broken_id == victim.pk + 1 or result.broken_id > victim.pk


def test_rows_are_append_only_for_the_application(tree):
    audit_seal()
    ev = AuditEvent.objects.order_by("id").first()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=ev.pk).update(action="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=ev.pk).delete()


def test_unsealed_rows_are_sealed_later(db):
    with transaction.atomic():
        audit_record(actor=None, action="demo.seed", object_repr="x")
    assert AuditEvent.objects.get().hash == ""
    assert audit_seal() == 1
    assert AuditEvent.objects.get().hash != ""
    assert audit_verify().ok
