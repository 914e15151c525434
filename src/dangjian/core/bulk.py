"""Fast bulk inserts for the bulk paths (bundle import, seed): binary COPY on PostgreSQL,
executemany on SQLite.

Django's bulk_create spends most of its time preparing each value and, on SQLite, splits a batch
into ~40-row statements (999 parameters). For hundreds of thousands of rows written inside the
importer's transaction, one COPY (PostgreSQL; binary, each value packed for its column's type as
the table has it) or one executemany (SQLite) per batch is several times faster. Values are plain
Python values of their columns' types (an int for an integer column, a date for a date, an aware
datetime for a timestamp: binary COPY casts nothing); JSON fields are passed as dicts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
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


def _json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _pg_value(value: Any) -> Any:
    """A JSON column's value for binary COPY (None stays SQL NULL, as before)."""
    # imported here: psycopg is not loaded on SQLite
    from psycopg.types.json import Jsonb  # noqa: PLC0415

    return None if value is None else Jsonb(value, dumps=_json_dumps)


def _pg_column_types(cursor: Any, table: str, columns: list[str]) -> list[int]:
    """The type of each column as the database has it (binary COPY applies no cast)."""
    cursor.execute(
        "SELECT attname, atttypid FROM pg_attribute"
        " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
        [table],
    )
    found = dict(cursor.fetchall())
    return [int(found[c]) for c in columns]


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
            # binary COPY with each column's type as the table has it: the values are packed by
            # the type's dumper, not formatted as text and parsed back by the server (400,000 rows
            # of a ledger's shape, on their own: 1.25 s as text, 0.31 s binary)
            oids = _pg_column_types(raw, table, columns)
            json_at = [
                i
                for i, f in enumerate(fields)
                if isinstance(model._meta.get_field(f), models.JSONField)
            ]
            with raw.copy(f"COPY {table} ({quoted}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(oids)
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


GROWN_SHARE = 0.1  # as PostgreSQL's autovacuum, which analyses a table once a tenth of it changed


def analyze_grown(created: Mapping[type[models.Model], int]) -> list[type[models.Model]]:
    """After a bulk load, refresh the statistics of the tables it grew materially: on PostgreSQL
    those that gained at least a tenth of the rows they held (`pg_class.reltuples`; a partitioned
    table's is its partitions' sum), the rest being left to autovacuum's own ANALYZE; on SQLite,
    which has no autovacuum, every one. A province's district adds 1–2% to each table: some 0.7 s
    of sampling saved per bundle. Returns the models analysed."""
    if connection.vendor != "postgresql":
        chosen = list(created)
    else:
        tables = {str(m._meta.db_table): m for m in created}
        with connection.cursor() as cur:
            cur.execute(
                "SELECT t.name, CASE WHEN p.relkind = 'p' THEN (SELECT COALESCE(SUM(GREATEST("
                "c.reltuples, 0)), 0) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                " WHERE i.inhparent = p.oid) ELSE GREATEST(p.reltuples, 0) END"
                " FROM unnest(%s::text[]) AS t(name)"
                " JOIN pg_class p ON p.oid = to_regclass(t.name)",
                [list(tables)],
            )
            held = {name: float(n) for name, n in cur.fetchall()}
        chosen = [m for name, m in tables.items() if created[m] >= GROWN_SHARE * held.get(name, 0)]
    analyze(chosen)
    return chosen


def check_constraints_now() -> None:
    """Run the deferred constraint checks of the transaction now rather than at its commit
    (PostgreSQL: Django's foreign keys are DEFERRABLE INITIALLY DEFERRED; what is written
    afterwards in the transaction is checked as it is written). SQLite checks at the commit."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
