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


# From 0003: the row's MAC (set at insert) is as unchangeable as its content.
SQLITE_SAME_V2 = SQLITE_SAME + " AND NEW.mac IS OLD.mac"
SQLITE_EVENT_V2 = [
    SQLITE_UP[0],
    "DROP TRIGGER IF EXISTS audit_event_no_update;",
    f"""CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_auditevent
       WHEN NOT (OLD.hash = '' AND {SQLITE_SAME_V2})
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
]

# The seal row: never deleted; its last id only grows; where keyed hashing starts never moves.
SEAL_SQLITE_UP = [
    """CREATE TRIGGER IF NOT EXISTS audit_seal_no_delete BEFORE DELETE ON audit_auditseal
       BEGIN SELECT RAISE(ABORT, 'the audit seal is append-only'); END;""",
    """CREATE TRIGGER IF NOT EXISTS audit_seal_forward BEFORE UPDATE ON audit_auditseal
       WHEN NOT (NEW.id IS OLD.id AND NEW.last_id >= OLD.last_id
                 AND NEW.keyed_from IS OLD.keyed_from)
       BEGIN SELECT RAISE(ABORT, 'the audit seal only moves forward'); END;""",
]
SEAL_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_seal_no_delete;",
    "DROP TRIGGER IF EXISTS audit_seal_forward;",
]
SEAL_PG_UP = [
    """CREATE OR REPLACE FUNCTION audit_seal_guard() RETURNS trigger AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the audit seal is append-only';
      END IF;
      IF NEW.id <> OLD.id OR NEW.last_id < OLD.last_id OR NEW.keyed_from <> OLD.keyed_from THEN
        RAISE EXCEPTION 'the audit seal only moves forward';
      END IF;
      RETURN NEW;
    END; $$ LANGUAGE plpgsql;""",
    "DROP TRIGGER IF EXISTS audit_seal_guard ON audit_auditseal;",
    """CREATE TRIGGER audit_seal_guard BEFORE UPDATE OR DELETE ON audit_auditseal
       FOR EACH ROW EXECUTE FUNCTION audit_seal_guard();""",
]
SEAL_PG_DOWN = [
    "DROP TRIGGER IF EXISTS audit_seal_guard ON audit_auditseal;",
    "DROP FUNCTION IF EXISTS audit_seal_guard();",
]


def install_sqlite(connection):  # type: ignore[no-untyped-def]
    """All the audit triggers (tests reinstall them after flushing or tampering)."""
    with connection.cursor() as cur:
        for sql in SQLITE_EVENT_V2 + SEAL_SQLITE_UP:
            cur.execute(sql)


def remove_sqlite(connection):  # type: ignore[no-untyped-def]
    with connection.cursor() as cur:
        for sql in SQLITE_DOWN + SEAL_SQLITE_DOWN:
            cur.execute(sql)


def install_seal(apps, schema_editor):  # type: ignore[no-untyped-def]
    pg = schema_editor.connection.vendor == "postgresql"
    for sql in SEAL_PG_UP if pg else SQLITE_EVENT_V2 + SEAL_SQLITE_UP:
        schema_editor.execute(sql)


def remove_seal(apps, schema_editor):  # type: ignore[no-untyped-def]
    pg = schema_editor.connection.vendor == "postgresql"
    for sql in SEAL_PG_DOWN if pg else SEAL_SQLITE_DOWN:
        schema_editor.execute(sql)


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    statements = PG_UP if schema_editor.connection.vendor == "postgresql" else SQLITE_UP
    for sql in statements:
        schema_editor.execute(sql)


def remove(apps, schema_editor):  # type: ignore[no-untyped-def]
    statements = PG_DOWN if schema_editor.connection.vendor == "postgresql" else SQLITE_DOWN
    for sql in statements:
        schema_editor.execute(sql)


