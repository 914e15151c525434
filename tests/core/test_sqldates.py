"""AddMonths in SQL gives exactly core.dates.add_months on both databases
(month ends, leap days)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.db.models import DateField, Value

from dangjian.audit.models import AuditEvent
from dangjian.core.dates import add_months
from dangjian.core.sqldates import AddMonths

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "d",
    [
        date(2025, 1, 31),
        date(2024, 2, 29),
        date(2024, 12, 31),
        date(2025, 3, 15),
        date(2023, 8, 31),
        date(2024, 1, 30),
    ],
)
@pytest.mark.parametrize("n", [1, 3, 6, 12, 13, 24, -1])
def test_add_months_in_sql(d, n):
    sql, params = (
        AuditEvent.objects.annotate(x=AddMonths(Value(d, output_field=DateField()), n))
        .values("x")
        .query.sql_with_params()
    )
    with connection.cursor() as cur:
        cur.execute("SELECT " + sql.split("SELECT", 1)[1].split(" FROM")[0], params)
        got = cur.fetchone()[0]
    assert (got if isinstance(got, date) else date.fromisoformat(got)) == add_months(d, n)
