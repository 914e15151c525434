"""Calendar month arithmetic inside SQL, month-end clamped exactly like core.dates.add_months
(2025-01-31 + 1 month = 2025-02-28; 2024-02-29 + 12 months = 2025-02-28), on both databases."""

from __future__ import annotations

from typing import Any

from django.db.models import DateField, Func, IntegerField


class AddMonths(Func):
    """`expression + n months` for a constant n (a rule-pack parameter)."""

    output_field = DateField()
    arity = 1

    def __init__(self, expression: Any, months: int, **extra: Any) -> None:
        self.months = int(months)
        super().__init__(expression, **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        n = self.months
        # SQLite rolls an overflowing day into the next month (Jan 31 + 1 month = Mar 3); then the
        # answer is the last day of the target month instead
        return (
            f"(CASE WHEN strftime('%%d', date({sql}, '{n:+d} months')) = strftime('%%d', {sql}) "
            f"THEN date({sql}, '{n:+d} months') ELSE date({sql}, 'start of month', '{n + 1:+d} "
            "months', '-1 day') END)",
            params * 4,
        )

    def as_sql(self, compiler: Any, connection: Any, *args: Any, **extra: Any) -> Any:  # type: ignore[override]  # PostgreSQL
        sql, params = compiler.compile(self.source_expressions[0])
        # PostgreSQL's date + interval clamps to the month's end
        return f"CAST(({sql} + INTERVAL '{self.months} months') AS date)", params


class MonthOf(Func):
    """The month number (1-12) of a date in native SQL (Django's Extract runs as a Python function
    per row on SQLite, far too slow over a year of a committee's meetings)."""

    output_field = IntegerField()
    arity = 1

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST(strftime('%%m', {sql}) AS INTEGER)", params

    def as_sql(self, compiler: Any, connection: Any, *args: Any, **extra: Any) -> Any:  # type: ignore[override]  # PostgreSQL
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST(EXTRACT(MONTH FROM {sql}) AS integer)", params
