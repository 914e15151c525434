"""On PostgreSQL, `learning_studyday` (学习记录) becomes partitioned by calendar year of `day`
(`dangjian.core.partitions`); rows, constraints, indexes and triggers are kept. SQLite: nothing."""

from django.db import migrations

from dangjian.core.partitions import partition_by_year, unpartition

TABLE = "learning_studyday"


def forward(apps, schema_editor):
    partition_by_year(schema_editor, TABLE, "day")


def backward(apps, schema_editor):
    unpartition(schema_editor, TABLE)


class Migration(migrations.Migration):
    dependencies = [("learning", "0002_resource_transcript")]
    operations = [migrations.RunPython(forward, backward)]
