"""The six kinds of class the regulations name (a deployment adds its own)."""

from django.db import migrations

KINDS = [
    ("activist", "入党积极分子培训班", "activist", 10),
    ("development", "发展对象培训班", "development", 20),
    ("new_member", "新党员培训班", "new_member", 30),
    ("secretary", "支部书记培训班", "secretary", 40),
    ("worker", "党务工作者培训班", "worker", 50),
    ("instructor", "非公党建指导员培训班", "instructor", 60),
]


def install(apps, schema_editor):
    ClassKind = apps.get_model("academy", "ClassKind")
    for code, name, purpose, order in KINDS:
        ClassKind.objects.get_or_create(
            code=code, defaults={"name": name, "purpose": purpose, "order": order}
        )


class Migration(migrations.Migration):
    dependencies = [("academy", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
