"""On PostgreSQL, `fees_feemonth` (党费台账) becomes partitioned by calendar year of `month_index`
(`dangjian.core.partitions`); rows, constraints, indexes and triggers are kept. SQLite: nothing."""

from django.db import migrations

from dangjian.core.partitions import partition_by_year, unpartition

TABLE = "fees_feemonth"


def forward(apps, schema_editor):
    partition_by_year(schema_editor, TABLE, "month_index")


def backward(apps, schema_editor):
    unpartition(schema_editor, TABLE)


class Migration(migrations.Migration):
    dependencies = [("fees", "0008_carried_channel")]
    operations = [migrations.RunPython(forward, backward)]
