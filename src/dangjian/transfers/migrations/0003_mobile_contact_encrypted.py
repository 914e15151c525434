"""A mobile member's contact becomes personal data like a member's phone: encrypted, shown masked.
Existing plaintext contacts are encrypted in place before the plaintext column is dropped."""

from django.db import migrations, models

from dangjian.core import crypto, idnumber


def encrypt_contacts(apps, schema_editor):
    MobileMember = apps.get_model("transfers", "MobileMember")
    batch = []
    for mm in MobileMember.objects.exclude(contact="").only("pk", "contact").iterator(
        chunk_size=2000
    ):
        value = mm.contact.strip()[:50]
        mm.contact_encrypted = crypto.encrypt(value) if value else ""
        mm.contact_masked = idnumber.mask_contact(value)
        batch.append(mm)
        if len(batch) >= 2000:
            MobileMember.objects.bulk_update(batch, ["contact_encrypted", "contact_masked"])
            batch = []
    if batch:
        MobileMember.objects.bulk_update(batch, ["contact_encrypted", "contact_masked"])


class Migration(migrations.Migration):
    dependencies = [
        ("transfers", "0002_exchange_mobile_lost"),
    ]

    operations = [
        migrations.AddField(
            model_name="mobilemember",
            name="contact_encrypted",
            field=models.TextField(blank=True, default="", verbose_name="联系方式（密文）"),
        ),
        migrations.AddField(
            model_name="mobilemember",
            name="contact_masked",
            field=models.CharField(blank=True, default="", max_length=50, verbose_name="联系方式"),
        ),
        migrations.RunPython(encrypt_contacts, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="mobilemember",
            name="contact",
        ),
    ]
