"""core.partitions: the fee ledger, study days and the audit trail are partitioned by calendar
year on PostgreSQL (rows land in their year, a query carrying the period reads only its years,
the worker creates next year's partitions ahead); SQLite has none and needs none."""

from __future__ import annotations

from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from dangjian.core.partitions import (
    is_partitioned,
    partition_by_year,
    partitions,
    partitions_ahead,
    unpartition,
)
from dangjian.fees.models import FeeMonth, month_index, month_label

TABLES = {"fees_feemonth": "month_index", "learning_studyday": "day", "audit_auditevent": "time"}
pg = pytest.mark.skipif("connection.vendor != 'postgresql'")


def _ledger_row(tree: Any, key: str, year: int, month: int) -> FeeMonth:
    member = tree.members[key]
    index = month_index(year, month)
    row, _ = FeeMonth.objects.get_or_create(  # the tree may have opened this year's ledger
        member=member,
        month_index=index,
        defaults={
            "organization_id": member.organization_id,
            "month": month_label(index),
            "due_fen": 200,
        },
    )
    return row


def _may(role: str, privilege: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT has_table_privilege(%s, 'fees_feemonth', %s)", [role, privilege])
        return bool(cursor.fetchone()[0])


def _where(table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return str(cursor.fetchone()[0])


@pg
@pytest.mark.django_db
def test_the_large_tables_are_partitioned_by_year_with_this_and_next_year() -> None:
    year = timezone.localdate().year
    names = {(p.table, p.name) for p in partitions()}
    for table in TABLES:
        assert is_partitioned(table)
        for y in (year - 1, year, year + 1):
            assert (table, f"{table}_y{y}") in names
        assert (table, f"{table}_default") in names
    assert not is_partitioned("members_member")


@pg
def test_a_row_lands_in_its_years_partition_and_the_constraints_hold(tree: Any) -> None:
    year = timezone.localdate().year
    this_year = _ledger_row(tree, "A1-1", year, 3)
    long_ago = _ledger_row(tree, "A1-1", 1999, 12)
    assert _where("fees_feemonth", this_year.pk) == f"fees_feemonth_y{year}"
    assert _where("fees_feemonth", long_ago.pk) == "fees_feemonth_default"
    assert long_ago.pk > this_year.pk  # one sequence over every partition
    # the unique (member, month) constraint holds in the partitions
    for row in (this_year, long_ago):
        with pytest.raises(IntegrityError), transaction.atomic():
            FeeMonth.objects.create(
                member_id=row.member_id,
                organization_id=row.organization_id,
                month_index=row.month_index,
                month=row.month,
                due_fen=100,
            )
    # the audit trail is still append-only in every partition
    from dangjian.audit.models import AuditEvent

    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    assert _where("audit_auditevent", event.pk).startswith("audit_auditevent_y")
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()


@pg
@pytest.mark.django_db
def test_a_query_carrying_the_period_reads_only_its_year() -> None:
    year = timezone.localdate().year
    plan = FeeMonth.objects.filter(
        month_index__gte=month_index(year, 1), month_index__lte=month_index(year, 12)
    ).explain()
    assert f"fees_feemonth_y{year}" in plan
    assert f"fees_feemonth_y{year - 1}" not in plan
    assert "fees_feemonth_default" not in plan


@pg
@pytest.mark.django_db
def test_the_worker_creates_next_years_partitions_once() -> None:
    out = partitions_ahead(today=date(2031, 6, 1))
    assert sorted(out["created"]) == sorted(f"{t}_y{y}" for t in TABLES for y in (2031, 2032))
    assert out["skipped"] == out["failed"] == []
    assert partitions_ahead(today=date(2031, 6, 1)) == {"created": [], "skipped": [], "failed": []}
    names = {p.name for p in partitions()}
    assert "learning_studyday_y2032" in names


@pg
def test_a_year_already_in_the_default_partition_is_reported_not_created(tree: Any) -> None:
    row = _ledger_row(tree, "B1-8", 2040, 5)
    assert _where("fees_feemonth", row.pk) == "fees_feemonth_default"
    out = partitions_ahead(today=date(2040, 1, 1))
    assert out["skipped"] == ["fees_feemonth_y2040"]
    assert "fees_feemonth_y2041" in out["created"]
    assert "audit_auditevent_y2040" in out["created"]
    assert FeeMonth.objects.get(pk=row.pk).due_fen == 200
    err = StringIO()
    call_command("partitions", "--ahead", stdout=err)  # this year: nothing to create
    assert "今年和明年的分区均已存在" in err.getvalue()


@pg
def test_unpartition_and_partition_again_keep_rows_names_and_the_sequence(tree: Any) -> None:
    two_years_ago = timezone.localdate().year - 2
    rows = sorted(_ledger_row(tree, "A2-5", two_years_ago, m).pk for m in (1, 6, 12))

    def described() -> tuple[set[str], set[str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname FROM pg_constraint WHERE conrelid = 'fees_feemonth'::regclass"
            )
            constraints = {r[0] for r in cursor.fetchall()}
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'fees_feemonth'")
            return constraints, {r[0] for r in cursor.fetchall()}

    with connection.cursor() as cursor:  # roles are transactional: rolled back with the test
        cursor.execute("CREATE ROLE probe_partition_role")
        cursor.execute("GRANT SELECT, INSERT ON fees_feemonth TO probe_partition_role")
        cursor.execute("GRANT UPDATE (paid_fen) ON fees_feemonth TO probe_partition_role")
    before = described()
    with connection.cursor() as cursor:  # a migration starts with no pending checks; this test
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # wrote the tree in its transaction
    with connection.schema_editor() as editor:
        unpartition(editor, "fees_feemonth")
    assert not is_partitioned("fees_feemonth")
    assert described() == before
    with connection.schema_editor() as editor:
        partition_by_year(editor, "fees_feemonth", "month_index")
    assert is_partitioned("fees_feemonth")
    assert described() == before
    assert sorted(FeeMonth.objects.filter(pk__in=rows).values_list("pk", flat=True)) == rows
    assert _where("fees_feemonth", rows[0]) == f"fees_feemonth_y{two_years_ago}"
    newest = FeeMonth.objects.order_by("-pk").values_list("pk", flat=True)[0]
    assert _ledger_row(tree, "A2-5", two_years_ago - 1, 1).pk == newest + 1
    # privileges granted on the table (a restricted role) are granted again on the new one
    for privilege in ("SELECT", "INSERT"):
        assert _may("probe_partition_role", privilege)
    assert not _may("probe_partition_role", "DELETE")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT has_column_privilege('probe_partition_role', 'fees_feemonth', 'paid_fen', "
            "'UPDATE'), has_column_privilege('probe_partition_role', 'fees_feemonth', 'due_fen', "
            "'UPDATE')"
        )
        assert cursor.fetchone() == (True, False)


@pg
@pytest.mark.django_db
def test_a_table_that_cannot_be_partitioned_is_refused_untouched() -> None:
    with connection.schema_editor() as editor:
        with pytest.raises(ValueError, match="foreign keys"):
            partition_by_year(editor, "members_member", "joined_on")
        editor.execute(
            "CREATE TABLE part_probe (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
            "d date NOT NULL, code text UNIQUE)"
        )
        with pytest.raises(ValueError, match="do not include d"):
            partition_by_year(editor, "part_probe", "d")
        with pytest.raises(ValueError, match="cannot partition a text column"):
            partition_by_year(editor, "part_probe", "code")
    assert not is_partitioned("part_probe")
    assert not is_partitioned("members_member")


@pytest.mark.skipif("connection.vendor != 'sqlite'")
@pytest.mark.django_db
def test_sqlite_has_no_partitions_and_says_so() -> None:
    assert partitions() == []
    assert partitions_ahead() == {"created": [], "skipped": [], "failed": []}
    assert not is_partitioned("fees_feemonth")
    out = StringIO()
    call_command("partitions", "--ahead", stdout=out)
    assert "不分区" in out.getvalue()


@pg
@pytest.mark.django_db
def test_a_worker_role_that_may_not_create_partitions_is_reported_and_nothing_breaks(
    caplog: Any,
) -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE probe_worker_role")
        cursor.execute("GRANT USAGE, CREATE ON SCHEMA public TO probe_worker_role")
        cursor.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO probe_worker_role")
        cursor.execute("SET ROLE probe_worker_role")
    try:
        out = partitions_ahead(today=date(2035, 1, 1))
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert out["created"] == []
    assert sorted(out["failed"]) == sorted(f"{t}_y{y}" for t in TABLES for y in (2035, 2036))
    assert "partition audit_auditevent_y2035 not created" in caplog.text
    assert FeeMonth.objects.count() >= 0  # the connection is usable after the refusals
