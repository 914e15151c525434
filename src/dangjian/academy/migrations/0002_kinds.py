"""The six kinds of class the regulations name (a deployment adds its own)."""

from django.db import migrations

from dangjian.academy.constants import KINDS  # the six kinds as installed


def install(apps, schema_editor):
    ClassKind = apps.get_model("academy", "ClassKind")
    for code, name, purpose, order in KINDS:
        ClassKind.objects.get_or_create(
            code=code, defaults={"name": name, "purpose": purpose, "order": order}
        )


class Migration(migrations.Migration):
    dependencies = [("academy", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
