"""Make the audit table append-only in the database itself.

The only UPDATE allowed is the seal job writing `prev_hash`/`hash` once on an unsealed row;
every other UPDATE and every DELETE is refused. On PostgreSQL the application's role should
also lack TRUNCATE on this table (docs/deployment.md).
"""

from django.db import migrations

COLUMNS = [
    "time", "actor_id", "actor_name", "role", "organization_id", "organization_path", "action",
    "object_type", "object_id", "object_repr", "result", "data", "ip", "request_id", "source",
]

SQLITE_SAME = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in ["id", *COLUMNS])

SQLITE_UP = [
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
    f"""CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_auditevent
       WHEN NOT (OLD.hash = '' AND {SQLITE_SAME})
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS audit_event_no_delete;", "DROP TRIGGER IF EXISTS audit_event_no_update;"]

PG_UP = [
    """CREATE OR REPLACE FUNCTION audit_event_guard() RETURNS trigger AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit events are append-only';
      END IF;
      IF OLD.hash <> '' OR (to_jsonb(NEW) - 'hash' - 'prev_hash') IS DISTINCT FROM (to_jsonb(OLD) - 'hash' - 'prev_hash') THEN
        RAISE EXCEPTION 'audit events are append-only';
      END IF;
      RETURN NEW;
    END; $$ LANGUAGE plpgsql;""",
    "DROP TRIGGER IF EXISTS audit_event_guard ON audit_auditevent;",
    """CREATE TRIGGER audit_event_guard BEFORE UPDATE OR DELETE ON audit_auditevent
       FOR EACH ROW EXECUTE FUNCTION audit_event_guard();""",
]
PG_DOWN = ["DROP TRIGGER IF EXISTS audit_event_guard ON audit_auditevent;", "DROP FUNCTION IF EXISTS audit_event_guard();"]


def install_sqlite(connection):  # type: ignore[no-untyped-def]
    with connection.cursor() as cur:
        for sql in SQLITE_UP:
            cur.execute(sql)


def remove_sqlite(connection):  # type: ignore[no-untyped-def]
    with connection.cursor() as cur:
        for sql in SQLITE_DOWN:
            cur.execute(sql)


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    statements = PG_UP if schema_editor.connection.vendor == "postgresql" else SQLITE_UP
    for sql in statements:
        schema_editor.execute(sql)


def remove(apps, schema_editor):  # type: ignore[no-untyped-def]
    statements = PG_DOWN if schema_editor.connection.vendor == "postgresql" else SQLITE_DOWN
    for sql in statements:
        schema_editor.execute(sql)


