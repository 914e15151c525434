"""`f__any=values` answers as `f__in` on both databases, with the list as one array parameter on
PostgreSQL; `batches` walks a long list whole there and 5,000 at a time elsewhere."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.core.lookups import BATCH, any_sql, batches
from dangjian.members.models import Member

pytestmark = pytest.mark.django_db


def test_any_finds_what_in_finds_on_a_field_and_a_foreign_key(tree):
    branch, other = tree.branch_a2, tree.branch_b1
    a, b, third = Member.objects.filter(organization=branch).order_by("pk")
    c = Member.objects.filter(organization=other).first()
    nos = [a.member_no, c.member_no, "NO-SUCH-NUMBER"]
    with CaptureQueriesContext(connection) as q:
        got = set(Member.objects.filter(member_no__any=nos).values_list("pk", flat=True))
    assert got == set(Member.objects.filter(member_no__in=nos).values_list("pk", flat=True))
    assert got == {a.pk, c.pk}
    assert set(Member.objects.filter(organization_id__any=[branch.pk])) == {a, b, third}
    assert set(Member.objects.filter(organization__any=[other.pk, branch.pk])) == set(
        Member.objects.filter(organization__in=[other, branch])
    )
    assert not Member.objects.filter(member_no__any=[]).exists()
    sql = q.captured_queries[0]["sql"]
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql  # one array parameter, not one parameter per value
    else:
        assert " IN (" in sql


def test_batches_are_the_whole_list_on_postgresql_and_5000_elsewhere():
    values = list(range(12_001))
    got = list(batches(values))
    assert [x for b in got for x in b] == values
    if connection.vendor == "postgresql":
        assert len(got) == 1
    else:
        assert [len(b) for b in got] == [BATCH, BATCH, 2_001]
    assert list(batches([])) == []


def test_any_sql_is_the_same_condition_for_raw_sql(tree):
    ids = list(Member.objects.filter(organization=tree.branch_a2).values_list("pk", flat=True))
    where, params = any_sql("id", ids)
    table = Member._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"SELECT id FROM {table} WHERE {where}", params)  # noqa: S608
        assert {r[0] for r in cur.fetchall()} == set(ids)
    assert len(params) == (1 if connection.vendor == "postgresql" else len(ids))
