"""The audit chain keyed (HMAC under a key the database does not hold) from the next row on; each
new row carries its own MAC; the seal row protected like the events. Rows sealed before this
migration keep their plain SHA-256 links (verified as such up to `keyed_from`)."""

from django.db import migrations, models

from ._triggers import install_seal, remove_seal


def keyed_from_next(apps, schema_editor):
    AuditSeal = apps.get_model("audit", "AuditSeal")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    head = AuditSeal.objects.filter(pk=1).first()
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    if head is not None or last:
        # everything written so far (sealed or not) stays on the plain chain
        AuditSeal.objects.update_or_create(pk=1, defaults={"keyed_from": last + 1})


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]
    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="mac",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="auditseal",
            name="keyed_from",
            field=models.BigIntegerField(default=1),
        ),
        migrations.RunPython(keyed_from_next, migrations.RunPython.noop),
        migrations.RunPython(install_seal, remove_seal),
    ]
