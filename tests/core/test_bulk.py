"""core.bulk.fast_insert: binary COPY on PostgreSQL (each value packed for its column's type as
the table has it), executemany on SQLite; what it writes reads back as the ORM would write it."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.utils import timezone

from dangjian.core.bulk import check_constraints_now, fast_insert
from dangjian.members.interchange import EVENT_FIELDS
from dangjian.members.models import MemberEvent

pytestmark = pytest.mark.django_db

FIELDS = list(EVENT_FIELDS)


def test_values_of_every_kind_read_back_as_written(tree, users):
    m = tree.members["A1-1"]
    now = timezone.now()
    data = {"name": ["张三", "张三丰"], "n": 3, "ok": True, "none": None}
    rows = [
        [m.pk, tree.branch_a1.pk, "edited", date(2026, 1, 31), "full", "full", "导入", data,
         users["committee_staff"].pk, now],
        [m.pk, tree.branch_a1.pk, "joined", date(1999, 12, 1), "", "probationary", "", {},
         None, now],
    ]  # fmt: skip
    before = set(MemberEvent.objects.values_list("pk", flat=True))
    assert fast_insert(MemberEvent, FIELDS, rows) == 2
    got = list(MemberEvent.objects.exclude(pk__in=before).order_by("pk").values_list(*FIELDS))
    assert [list(r) for r in got] == rows


def test_a_foreign_key_that_points_nowhere_is_refused_when_checked(tree):
    from django.db import IntegrityError, transaction

    row = [10**9, tree.branch_a1.pk, "edited", date(2026, 1, 1), "", "", "", {}, None,
           timezone.now()]  # fmt: skip

    def write_and_check() -> None:
        with transaction.atomic():
            fast_insert(MemberEvent, FIELDS, [row])
            check_constraints_now()  # PostgreSQL: now, not at the commit
            if connection.vendor != "postgresql":
                connection.check_constraints(table_names=[MemberEvent._meta.db_table])

    with pytest.raises(IntegrityError):
        write_and_check()


def test_statistics_are_refreshed_for_the_tables_a_load_grew_materially(tree):
    """PostgreSQL: ANALYZE what gained a tenth of its rows or more (a partitioned table counts its
    partitions' rows), leaving the rest to autovacuum; SQLite, which has none: every table."""
    from dangjian.core.bulk import analyze, analyze_grown
    from dangjian.fees.models import FeeMonth

    m = tree.members["A1-1"]
    row = [m.pk, tree.branch_a1.pk, "edited", date(2026, 1, 1), "", "", "", {}, None,
           timezone.now()]  # fmt: skip
    fast_insert(MemberEvent, FIELDS, [row] * 40)
    analyze([MemberEvent, FeeMonth])
    events, months = MemberEvent.objects.count(), FeeMonth.objects.count()
    assert events >= 40
    assert months >= 20
    chosen = analyze_grown({MemberEvent: 1, FeeMonth: months // 10 + 1})
    if connection.vendor == "postgresql":
        assert chosen == [FeeMonth]
    else:
        assert chosen == [MemberEvent, FeeMonth]
