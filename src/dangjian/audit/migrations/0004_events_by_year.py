"""On PostgreSQL, `audit_auditevent` (审计日志) becomes partitioned by calendar year of `time`
(`dangjian.core.partitions`); rows, constraints, indexes and triggers are kept. SQLite: nothing."""

from django.db import migrations

from dangjian.core.partitions import partition_by_year, unpartition

TABLE = "audit_auditevent"


def forward(apps, schema_editor):
    partition_by_year(schema_editor, TABLE, "time")


def backward(apps, schema_editor):
    unpartition(schema_editor, TABLE)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_keyed_chain")]
    operations = [migrations.RunPython(forward, backward)]
