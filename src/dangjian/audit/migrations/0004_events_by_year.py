"""On PostgreSQL, `audit_auditevent` (审计日志) becomes partitioned by calendar year of `time`
(`dangjian.core.partitions`); rows, constraints, indexes and triggers are kept. SQLite: nothing."""

from django.db import migrations

from dangjian.core.partitions import by_year


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_keyed_chain")]
    operations = [by_year("audit_auditevent", "time")]
