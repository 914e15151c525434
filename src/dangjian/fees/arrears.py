"""Arrears as the rules count them (rules-contract.md "Fees"), in one place for the rules, the
branch's grid and the member's page: a member's run of consecutive unpaid months (paid = 0, empty,
or no ledger row) ending with the last complete month, counted from the first month they were a
member all month and over the last 24 months at most."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import F, Func, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest

from .models import FeeMonth, month_index

WINDOW = 24


class FirstFullMonth(Func):
    """The index of the first month a member was a member all month (joined on the 1st: that month;
    else the next), in native SQL on each database — Django's Extract runs as a Python function on
    SQLite, far too slow across millions of ledger rows."""

    output_field = IntegerField()
    arity = 1

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        part = "CAST(strftime('%%{0}', {1}) AS INTEGER)"
        y, m, d = (part.format(c, sql) for c in "Ymd")
        return f"({y} * 12 + {m} - 1 + ({d} > 1))", params * 3

    def as_sql(self, compiler: Any, connection: Any, *args: Any, **extra: Any) -> Any:  # type: ignore[override]  # PostgreSQL, default
        sql, params = compiler.compile(self.source_expressions[0])
        return (
            f"(EXTRACT(YEAR FROM {sql})::int * 12 + EXTRACT(MONTH FROM {sql})::int - 1 "
            f"+ CASE WHEN EXTRACT(DAY FROM {sql}) > 1 THEN 1 ELSE 0 END)"
        ), params * 4


def unpaid_runs(members: QuerySet[Any], as_of: date) -> QuerySet[Any]:
    """`members` annotated with `run`: their unpaid months ending with the last complete month
    before `as_of` (0 when the last complete month is paid)."""
    now = month_index(as_of.year, as_of.month)
    last = now - 1
    # only the window's months can decide the run (a payment before it puts the start at the
    # window's first month, as no payment does): bounded, the read touches the window's years of
    # the ledger (one or two partitions on PostgreSQL) instead of every year
    last_paid = (
        FeeMonth.objects.filter(
            member_id=OuterRef("pk"),
            month_index__gte=now - WINDOW,
            month_index__lte=last,
            paid_fen__gt=0,
        )
        .order_by("-month_index")
        .values("month_index")[:1]  # the latest: read backwards on the (member, month) index
    )
    start = Greatest(
        Coalesce(Subquery(last_paid, output_field=IntegerField()), Value(-1)) + 1,
        FirstFullMonth(F("joined_on")),
        Value(now - WINDOW),
        output_field=IntegerField(),
    )
    return members.alias(start=start).annotate(run=Value(last + 1) - F("start"))
