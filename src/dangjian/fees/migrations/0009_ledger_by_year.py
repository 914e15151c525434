"""On PostgreSQL, `fees_feemonth` (党费台账) becomes partitioned by calendar year of `month_index`
(`dangjian.core.partitions`); rows, constraints, indexes and triggers are kept. SQLite: nothing."""

from django.db import migrations

from dangjian.core.partitions import by_year


class Migration(migrations.Migration):
    dependencies = [("fees", "0008_carried_channel")]
    operations = [by_year("fees_feemonth", "month_index")]
