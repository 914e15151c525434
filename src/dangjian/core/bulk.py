"""Fast bulk inserts for the bulk paths (bundle import, seed): COPY on PostgreSQL, executemany on
SQLite.

Django's bulk_create spends most of its time preparing each value and, on SQLite, splits a batch
into ~40-row statements (999 parameters). For hundreds of thousands of rows written inside the
importer's transaction, one COPY (PostgreSQL) or one executemany (SQLite) per batch is several
times faster. Values are plain Python values; JSON fields must be passed as dicts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from django.db import connection, models


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return int(value)
    return value


def _pg_value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def fast_insert(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    batch: int = 20000,
) -> int:
    """Insert rows (tuples in the order of `fields`) into the model's table. Returns the count."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = [str(model._meta.get_field(f).column) for f in fields]  # type: ignore[union-attr]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    count = 0
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            raw = cur.cursor  # the psycopg cursor
            # only the JSON columns need a value converted; the rest go to COPY as they are
            json_at = [
                i
                for i, f in enumerate(fields)
                if isinstance(model._meta.get_field(f), models.JSONField)
            ]
            with raw.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    if json_at:
                        row = list(row)
                        for i in json_at:
                            row[i] = _pg_value(row[i])
                    copy.write_row(row)
                    count += 1
            return count
        # Identifiers come from model metadata, never from input; values are parameters.
        sql = f"INSERT INTO {table} ({quoted}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608 # nosec B608
        chunk: list[list[Any]] = []
        for row in rows:
            chunk.append([_sqlite_value(v) for v in row])
            if len(chunk) >= batch:
                cur.executemany(sql, chunk)
                count += len(chunk)
                chunk = []
        if chunk:
            cur.executemany(sql, chunk)
            count += len(chunk)
    return count


def analyze(models_: Sequence[type[models.Model]]) -> None:
    """Refresh planner statistics after a bulk load (SQLite has none until ANALYZE runs)."""
    with connection.cursor() as cur:
        for model in models_:
            cur.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
