"""Exports of the staff lists (web.exports): in the request when short, as a job when long; each
audited. The job's file is written under MEDIA_ROOT/exports and served to its owner only."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from huey.contrib.djhuey import db_task

from dangjian.accounts.types import Actor
from dangjian.audit.services import audit_record
from dangjian.core import context
from dangjian.notify.services import notice_send
from dangjian.web import exports

from .models import ExportJob, ExportStatus

EXPORT_DAYS = 7  # a job's file is kept this long


def _who(user: Any) -> str:
    name = getattr(user, "display_name", "") or ""
    return f"{name}（{user.username}）" if name and name != user.username else user.username


def _audit(
    actor: Actor,
    export: exports.Export,
    params: QueryDict,
    rows: int,
    how: str,
    data: bytes | None = None,
) -> None:
    """Every export logged with its scope, filters, columns, row count and the file's SHA-256
    (the same file can later be matched to this event)."""
    audit_record(
        actor=actor,
        action="exports.export",
        object_type=f"export.{export.name}",
        object_repr=export.title,
        data={
            "export": export.name,
            "rows": rows,
            "how": how,
            "personal": export.personal,
            "scope": export.describe(actor, params).scope,
            "columns": list(export.columns),
            "filters": {k: v for k, v in params.items() if k not in ("page", "page_size")},
            **({"sha256": hashlib.sha256(data).hexdigest()} if data is not None else {}),
            **(export.audit_data(actor, params) if export.audit_data else {}),
        },
    )


def export_now(*, actor: Any, export: exports.Export, params: QueryDict) -> tuple[bytes, int]:
    """A short export, answered in the request (the audit event written first, in its own
    transaction)."""
    data, n = exports.workbook(export, actor, params, who=_who(actor))
    with transaction.atomic():
        _audit(actor, export, params, n, "download", data)
    return data, n


def export_print(*, actor: Any, export: exports.Export, params: QueryDict) -> dict[str, Any]:
    ctx = exports.print_table(export, actor, params, who=_who(actor))
    with transaction.atomic():
        _audit(actor, export, params, len(ctx["rows"]), "print")
    return ctx


@transaction.atomic(durable=True)
def export_job_start(
    *, actor: Any, export: exports.Export, params: QueryDict, total: int
) -> ExportJob:
    """A long export: the job is queued once this transaction commits."""
    job = ExportJob.objects.create(
        user=actor,
        name=export.name,
        title=export.title,
        query=params.urlencode(),
        total=total,
    )
    _audit(actor, export, params, total, "job")
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    export_job_task(job_id)


@db_task()
def export_job_task(job_id: int) -> None:
    """The worker runs the job (in tests, at once)."""
    with context.use(context.RequestContext(source="job")):
        export_job_run(job_id)


def export_job_run(job_id: int) -> ExportJob:
    """The worker's part: write the file, keep the progress, tell the owner when it is ready."""
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    export = exports.get(job.name)
    if export is None or job.status != ExportStatus.QUEUED:
        return job
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING)
    params = QueryDict(job.query)

    def progress(n: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(done_rows=n)

    try:
        data, n = exports.workbook(export, job.user, params, who=_who(job.user), progress=progress)
    except Exception as exc:  # the job records its failure; the owner is told
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.FAILED, error=str(exc)[:300], finished_at=timezone.now()
        )
        raise
    today = timezone.localdate()
    rel = Path("exports") / f"{today:%Y}" / f"{today:%m}" / f"{uuid.uuid4().hex}.xlsx"
    full = Path(settings.MEDIA_ROOT) / rel
    full.parent.mkdir(parents=True, exist_ok=True)
    full.write_bytes(data)
    with transaction.atomic():
        _audit(job.user, export, params, n, "job_done", data)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.DONE,
            done_rows=n,
            total=n,
            path=str(rel),
            size=len(data),
            finished_at=timezone.now(),
        )
        notice_send(
            users=[job.user_id],
            organization=None,
            title=f"导出完成：{job.title}",
            body=f"共{n}行，已可下载（保留{EXPORT_DAYS}天）。",
            url=reverse("interchange:export_job", args=[job.pk]),
            key=f"export:{job.pk}",
        )
    job.refresh_from_db()
    return job


def export_jobs_clean(now: Any = None) -> int:
    """Remove the files of jobs older than EXPORT_DAYS days (and the jobs)."""
    cutoff = (now or timezone.now()) - timedelta(days=EXPORT_DAYS)
    old = list(ExportJob.objects.filter(created_at__lt=cutoff).values_list("pk", "path"))
    for _pk, path in old:
        if path:
            (Path(settings.MEDIA_ROOT) / path).unlink(missing_ok=True)
    ExportJob.objects.filter(pk__in=[pk for pk, _ in old]).delete()
    return len(old)
