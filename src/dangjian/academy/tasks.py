"""The certificate print job: every valid certificate of a class in one PDF, written by the
worker (300 certificates well within a minute: bench/academy.py)."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from huey.contrib.djhuey import db_task

from dangjian.core.pdf import watermark_text
from dangjian.web.site import absolute

from .documents import certificates_pdf
from .models import Certificate, CertificateBatch


def verify_url(cert: Certificate) -> str:
    return absolute(reverse("academy:verify", args=[cert.token]))


def batch_build(batch_id: int) -> CertificateBatch:
    batch = CertificateBatch.objects.select_related("klass", "requested_by").get(pk=batch_id)
    started = time.perf_counter()
    certs = (
        Certificate.objects.filter(enrolment__klass=batch.klass, revoked_at__isnull=True)
        .select_related("enrolment__klass__organizer", "enrolment__klass__kind")
        .order_by("number")
    )
    who = getattr(batch.requested_by, "display_name", "") or getattr(
        batch.requested_by, "username", ""
    )
    data = certificates_pdf(certs, verify_url=verify_url, footer=watermark_text(who))
    rel = Path("academy") / f"certificates-{batch.klass_id}-{batch.pk}.pdf"
    target = Path(settings.MEDIA_ROOT) / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    batch.path = str(rel)
    batch.count = certs.count()
    batch.finished_at = timezone.now()
    batch.seconds = round(time.perf_counter() - started, 2)
    batch.save(update_fields=["path", "count", "finished_at", "seconds"])
    return batch


@db_task()
def certificate_batch(batch_id: int) -> None:
    batch_build(batch_id)
