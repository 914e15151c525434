"""On PostgreSQL, `learning_studyday` (学习记录) becomes partitioned by calendar year of `day`
(`dangjian.core.partitions`); rows, constraints, indexes and triggers are kept. SQLite: nothing."""

from django.db import migrations

from dangjian.core.partitions import by_year


class Migration(migrations.Migration):
    dependencies = [("learning", "0002_resource_transcript")]
    operations = [by_year("learning_studyday", "day")]
