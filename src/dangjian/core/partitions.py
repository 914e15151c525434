"""Large tables partitioned by calendar year on PostgreSQL (declarative range partitioning).

The fee ledger (`fees_feemonth`, by `month_index`), study days (`learning_studyday`, by `day`)
and the audit trail (`audit_auditevent`, by `time`) grow by a city's members every month. On
PostgreSQL each is a table partitioned by range, one partition per year named `<table>_y<year>`
plus `<table>_default` for anything outside the years created (an import of old years, say), so
an insert never fails for want of a partition. Queries that carry the period (the rules'
24-month window, a member's year, an audit search by date) read only the years they need; an
old year can be detached and archived as one table.

`partition_by_year` turns an existing table into a partitioned one inside a migration, keeping
its rows, column defaults, identity, constraints (under their names), indexes (under their
names) and triggers; the primary key becomes (id, key column), which PostgreSQL requires. Every
unique constraint must include the key column, and no other table may reference the table by a
foreign key: both are checked, and the migration stops with the reason otherwise. The new
table gets a partition for each year its rows cover, the five years before this one (imports of
recent history) and next year.
`unpartition` reverses it. On SQLite both do nothing: a single-machine deployment has no table
that needs it.

`partitions_ahead` (the worker, nightly, and `dangjian partitions --ahead`) creates this year's
and next year's partitions of every partitioned table that lack them, so a new year's first
rows never land in the default partition. Years are calendar years; for the audit trail's
`time` (timestamp with time zone) the boundary is midnight UTC.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import DatabaseError, migrations, transaction
from django.db import connection as default_connection
from django.utils import timezone

# the tables partitioned by the migrations, and their year column: the nightly job touches these
# and nothing else it may find in the catalog
TABLES = {"audit_auditevent": "time", "fees_feemonth": "month_index", "learning_studyday": "day"}
YEARS_AHEAD = 1  # partitions exist through next year
logger = logging.getLogger(__name__)
YEARS_BEHIND = 5  # a new partitioned table also gets the five years before this one (imports)


@dataclass(frozen=True)
class Partition:
    table: str
    name: str
    bounds: str
    rows: int  # PostgreSQL's estimate; -1 before the table's first ANALYZE


def _kind(cursor: Any, table: str, column: str) -> str:
    cursor.execute(
        """SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
           WHERE a.attrelid = %s::regclass AND a.attname = %s AND NOT a.attisdropped""",
        [table, column],
    )
    row = cursor.fetchone()
    if row is None:
        raise ValueError(f"{table} has no column {column}")
    kind = str(row[0])
    if kind in ("integer", "bigint", "smallint"):
        return "month_index"  # year * 12 + month - 1, as fees.models.month_index
    if kind == "date":
        return "date"
    if kind == "timestamp with time zone":
        return "timestamptz"
    raise ValueError(f"{table}.{column}: cannot partition a {kind} column by year")


def _bounds(kind: str, year: int) -> tuple[str, str]:
    if kind == "month_index":
        return str(year * 12), str((year + 1) * 12)
    if kind == "date":
        return f"'{year:04d}-01-01'", f"'{year + 1:04d}-01-01'"
    return f"'{year:04d}-01-01 00:00:00+00'", f"'{year + 1:04d}-01-01 00:00:00+00'"


def _year_of(kind: str) -> str:
    """SQL giving the calendar year of the key column `k`."""
    if kind == "month_index":
        return "(k / 12)"
    if kind == "date":
        return "extract(year FROM k)::int"
    return "extract(year FROM k AT TIME ZONE 'UTC')::int"


def _rows(cursor: Any, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    cursor.execute(sql, params)
    return list(cursor.fetchall())


def _role(cursor: Any, oid: int) -> str:
    if oid == 0:
        return "PUBLIC"
    cursor.execute("SELECT quote_ident(rolname) FROM pg_roles WHERE oid = %s", [oid])
    return str(cursor.fetchone()[0])


def _create_year(cursor: Any, table: str, kind: str, year: int) -> None:
    low, high = _bounds(kind, year)
    cursor.execute(
        f'CREATE TABLE "{table}_y{year:04d}" PARTITION OF "{table}" '  # noqa: S608 - names are ours
        f"FOR VALUES FROM ({low}) TO ({high})"
    )


def _rebuild(
    schema_editor: Any, table: str, column: str | None, old_key: str | None = None
) -> None:
    """Copy `table` into a new table of the same name, partitioned by year of `column` (or plain
    when `column` is None, dropping `old_key` from the primary key), with the same columns,
    constraints, indexes and triggers under the same names."""
    alias = schema_editor.connection.alias
    with transaction.atomic(using=alias), schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT %s::regclass::oid", [table])
        oid = cursor.fetchone()[0]
        referencing = _rows(
            cursor,
            "SELECT conrelid::regclass::text, conname FROM pg_constraint "
            "WHERE confrelid = %s AND contype = 'f' AND conrelid <> %s",
            [oid, oid],
        )
        if referencing:
            raise ValueError(f"{table} is referenced by foreign keys: {referencing}")
        # definitions are read before anything is renamed: they name the table and themselves as
        # they are, so they re-create the same on the new table
        constraints = _rows(
            cursor,
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s AND contype IN ('p', 'u', 'c', 'f', 'x') ORDER BY conname",
            [oid],
        )
        indexes = _rows(
            cursor,
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid "
            "AND k.conrelid = %s) ORDER BY c.relname",
            [oid, oid],
        )
        triggers = _rows(
            cursor,
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE tgrelid = %s AND NOT tgisinternal ORDER BY tgname",
            [oid],
        )
        # privileges granted to others than the owner, on the table and on its columns
        grants = _rows(
            cursor,
            "SELECT grantee, privilege_type, is_grantable FROM "
            "(SELECT (aclexplode(relacl)).* FROM pg_class WHERE oid = %s) a "
            "WHERE grantee <> (SELECT relowner FROM pg_class WHERE oid = %s)",
            [oid, oid],
        )
        column_grants = _rows(
            cursor,
            "SELECT a.attname, x.grantee, x.privilege_type, x.is_grantable FROM pg_attribute a, "
            "LATERAL aclexplode(a.attacl) x WHERE a.attrelid = %s AND a.attacl IS NOT NULL",
            [oid],
        )
        identity = [
            r[0]
            for r in _rows(
                cursor,
                "SELECT a.attname FROM pg_attribute a WHERE a.attrelid = %s AND a.attnum > 0 "
                "AND NOT a.attisdropped AND a.attidentity <> ''",
                [oid],
            )
        ]
        kind = _kind(cursor, table, column) if column else ""
        if column:
            # every unique constraint or index must include the key, or PostgreSQL refuses it
            lacking = [
                r[0]
                for r in _rows(
                    cursor,
                    "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                    "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attname = %s "
                    "WHERE i.indrelid = %s AND i.indisunique AND NOT i.indisprimary "
                    "AND NOT (a.attnum = ANY (i.indkey::int2[]))",
                    [column, oid],
                )
            ]
            if lacking:
                raise ValueError(
                    f"{table}: the unique constraints {lacking} do not include {column}; "
                    "a table partitioned by it cannot enforce them"
                )
        old = f"{table}__old"
        cursor.execute(f'ALTER TABLE "{table}" RENAME TO "{old}"')
        for name, _contype, _definition in constraints:
            cursor.execute(f'ALTER TABLE "{old}" RENAME CONSTRAINT "{name}" TO "{name}__old"')
        for name, _definition in indexes:
            cursor.execute(f'ALTER INDEX "{name}" RENAME TO "{name}__old"')
        for name, _definition in triggers:
            cursor.execute(f'DROP TRIGGER "{name}" ON "{old}"')
        partition = f' PARTITION BY RANGE ("{column}")' if column else ""
        cursor.execute(
            f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS INCLUDING IDENTITY '
            f"INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMMENTS){partition}"
        )
        foreign = [c for c in constraints if c[1] == "f"]
        for name, contype, definition in constraints:
            if contype == "f":
                continue  # after the copy: one check of the whole table, not one per row
            if contype == "p" and column:
                definition = definition.replace(")", f', "{column}")', 1)
            elif contype == "p" and old_key:
                definition = re.sub(rf',\s*"?{old_key}"?\)', ")", definition)
            cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        for _name, definition in indexes:
            cursor.execute(definition)
        if column:
            this_year = timezone.localdate().year
            years = set(range(this_year - YEARS_BEHIND, this_year + YEARS_AHEAD + 1))
            cursor.execute(
                f"SELECT DISTINCT {_year_of(kind)} FROM "  # noqa: S608 # nosec B608 - names are ours
                f'(SELECT "{column}" AS k FROM "{old}") t'
            )
            years |= {int(r[0]) for r in cursor.fetchall()}
            for year in sorted(years):
                _create_year(cursor, table, kind, year)
            cursor.execute(f'CREATE TABLE "{table}_default" PARTITION OF "{table}" DEFAULT')
        overriding = " OVERRIDING SYSTEM VALUE" if identity else ""
        cursor.execute(f'INSERT INTO "{table}"{overriding} SELECT * FROM "{old}"')  # noqa: S608 # nosec B608
        for name, _contype, definition in foreign:
            cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        for _name, definition in triggers:
            cursor.execute(definition)
        # privileges granted on the old table (the audit trail's restricted role, say) carry over
        for grantee, privilege, grantable in grants:
            cursor.execute(
                f'GRANT {privilege} ON "{table}" TO {_role(cursor, grantee)}'
                + (" WITH GRANT OPTION" if grantable else "")
            )
        for attname, grantee, privilege, grantable in column_grants:
            cursor.execute(
                f'GRANT {privilege} ("{attname}") ON "{table}" TO {_role(cursor, grantee)}'
                + (" WITH GRANT OPTION" if grantable else "")
            )
        cursor.execute(f'DROP TABLE "{old}"')
        for col in identity:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [f'"{table}"', col])
            sequence = cursor.fetchone()[0]
            cursor.execute(
                f'SELECT setval(%s, coalesce((SELECT max("{col}") FROM "{table}"), 0) + 1, false)',  # noqa: S608 # nosec B608
                [sequence],
            )
            wanted = f"{table}_{col}_seq"
            if sequence.split(".")[-1].strip('"') != wanted:
                cursor.execute(f'ALTER SEQUENCE {sequence} RENAME TO "{wanted}"')
        # the planner's statistics of the new table and its partitions (autovacuum never
        # analyzes a partitioned parent): without them the first queries after the upgrade plan
        # blind
        cursor.execute(f'ANALYZE "{table}"')


def partition_by_year(schema_editor: Any, table: str, column: str) -> None:
    """Migration step: `table` becomes partitioned by calendar year of `column` (PostgreSQL)."""
    if schema_editor.connection.vendor != "postgresql" or is_partitioned(
        table, schema_editor.connection
    ):
        return
    _rebuild(schema_editor, table, column)


def unpartition(schema_editor: Any, table: str) -> None:
    """The reverse: `table` becomes one plain table again, rows kept."""
    if schema_editor.connection.vendor != "postgresql" or not is_partitioned(
        table, schema_editor.connection
    ):
        return
    with schema_editor.connection.cursor() as cursor:
        key = dict(_tables(cursor))[table]
    _rebuild(schema_editor, table, None, old_key=key)


def by_year(table: str, column: str) -> migrations.RunPython:
    """The migration operation that partitions `table` by year of `column` (and back)."""

    def forward(apps: Any, schema_editor: Any) -> None:
        partition_by_year(schema_editor, table, column)

    def backward(apps: Any, schema_editor: Any) -> None:
        unpartition(schema_editor, table)

    return migrations.RunPython(forward, backward)


def is_partitioned(table: str, connection: Any = None) -> bool:
    connection = connection or default_connection
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "WHERE c.relname = %s AND pg_table_is_visible(c.oid)",
            [table],
        )
        return cursor.fetchone() is not None


def _tables(cursor: Any) -> list[tuple[str, str]]:
    """(table, key column) of the known tables (TABLES) that are partitioned by range on that
    column."""
    cursor.execute(
        "SELECT c.relname, a.attname FROM pg_partitioned_table p "
        "JOIN pg_class c ON c.oid = p.partrelid "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = p.partattrs[0] "
        "WHERE p.partstrat = 'r' AND p.partnatts = 1 AND pg_table_is_visible(c.oid) "
        "AND c.relname = ANY(%s) ORDER BY c.relname",
        [list(TABLES)],
    )
    return [(r[0], r[1]) for r in cursor.fetchall() if TABLES.get(r[0]) == r[1]]


def partitions(connection: Any = None) -> list[Partition]:
    """Every partition of every partitioned table, with its bounds and (estimated) rows."""
    connection = connection or default_connection
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT parent.relname, child.relname, pg_get_expr(child.relpartbound, child.oid), "
            "child.reltuples::bigint FROM pg_inherits i "
            "JOIN pg_class parent ON parent.oid = i.inhparent "
            "JOIN pg_class child ON child.oid = i.inhrelid "
            "JOIN pg_partitioned_table p ON p.partrelid = parent.oid "
            "WHERE pg_table_is_visible(parent.oid) ORDER BY parent.relname, child.relname"
        )
        return [Partition(*row) for row in cursor.fetchall()]


def partitions_ahead(today: date | None = None, connection: Any = None) -> dict[str, Any]:
    """Create this year's and the next YEARS_AHEAD years' partitions where missing. A year whose
    rows already sit in the default partition (written before its partition existed) is left
    there and reported: creating it would have to move them, which is an operator's decision
    (`docs/scale.md`)."""
    connection = connection or default_connection
    result: dict[str, Any] = {"created": [], "skipped": [], "failed": []}
    if connection.vendor != "postgresql":
        return result
    year = (today or timezone.localdate()).year
    with connection.cursor() as cursor:
        for table, column in _tables(cursor):
            kind = _kind(cursor, table, column)
            for y in range(year, year + YEARS_AHEAD + 1):
                name = f"{table}_y{y:04d}"
                cursor.execute("SELECT to_regclass(%s)", [f'"{name}"'])
                if cursor.fetchone()[0] is not None:
                    continue
                low, high = _bounds(kind, y)
                try:
                    with transaction.atomic(using=connection.alias):
                        # creating a partition locks the parent: rather than queue every write
                        # behind a long reader (a backup, say), give up and try again tomorrow
                        cursor.execute("SET LOCAL lock_timeout = '5s'")
                        cursor.execute(
                            f'SELECT EXISTS (SELECT 1 FROM "{table}_default" '  # noqa: S608 # nosec B608
                            f'WHERE "{column}" >= {low} AND "{column}" < {high})'
                        )
                        if cursor.fetchone()[0]:
                            logger.error(
                                "partition %s not created: the default partition holds rows "
                                "of that year (docs/scale.md)",
                                name,
                            )
                            result["skipped"].append(name)
                            continue
                        _create_year(cursor, table, kind, y)
                except DatabaseError as exc:  # no privilege, a lock not granted in time
                    logger.error("partition %s not created: %s", name, exc)
                    result["failed"].append(name)
                    continue
                result["created"].append(name)
    return result
