"""Make the audit table append-only in the database itself (statements in _triggers.py)."""

from django.db import migrations

from ._triggers import install, remove


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]
