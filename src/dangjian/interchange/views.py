"""The one upload page: a file of the bundle's format from .xlsx or .csv, for every kind an app
declares as uploadable (`core.bundle.Upload`: the roster, payments), with its .xlsx template."""

from __future__ import annotations

import io

import openpyxl
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from openpyxl.comments import Comment

from dangjian.accounts import policy
from dangjian.core import uploads as stored
from dangjian.core.bundle import BundleError, BundleFile, Issue, uploads
from dangjian.core.errors import NotVisible
from dangjian.web import exports
from dangjian.web.access import AuthedRequest, deny, signed_in, staff_required

from . import exporting, importing
from .forms import UploadForm
from .importer import import_tables
from .models import ExportJob, ExportStatus, ImportJob, ImportStatus
from .reader import UPLOAD_MAX, read_upload

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _file(kind: str) -> BundleFile:
    f = uploads().get(kind)
    if f is None or f.upload is None:
        raise Http404("没有这种导入")
    return f


@staff_required("change")
@require_http_methods(["GET", "POST"])
def upload_view(request: AuthedRequest, kind: str) -> HttpResponse:
    """Upload, check every row, write all or nothing; every refused row named by row and column."""
    f = _file(kind)
    up = f.upload
    assert up is not None  # noqa: S101 - _file returns uploadable files only
    form = UploadForm(request.POST or None, request.FILES or None, label=up.file_label)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        name = upload.name or "upload"
        data = upload.read(UPLOAD_MAX + 1)
        if importing.wants_job(data, name):
            job = importing.import_job_start(
                actor=request.user, f=f, kind=kind, name=name, data=data
            )
            return redirect("interchange:import_job", job.pk)
        upload = io.BytesIO(data)
        upload.name = name  # type: ignore[attr-defined]
        try:
            result = import_tables(
                {f.spec.name: read_upload(upload, f.spec)},
                actor=request.user,
                source=f"{kind}:{name[:80]}",
                scope_paths=policy.roots(request.user, "change"),
                audit_action=up.audit_action,
            )
        except BundleError as exc:
            report = exc.issues
        else:
            c = result.counts[f.spec.name]
            messages.success(
                request,
                f"导入完成：新增{c.created}{up.unit}，更新{c.updated}{up.unit}，"
                f"未变{c.unchanged}{up.unit}。",
            )
            return redirect("interchange:upload", kind)
    return render(
        request,
        "interchange/upload.html",
        {"form": form, "report": report, "upload": up, "kind": kind},
    )


@staff_required("change")
def template_view(request: AuthedRequest, kind: str) -> HttpResponse:
    """The .xlsx template: the header row (each cell commented with its rule), an example row, and
    a sheet explaining every column."""
    f = _file(kind)
    up = f.upload
    assert up is not None  # noqa: S101 - _file returns uploadable files only
    labels = f.spec.column_labels
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = up.sheet
    ws.append(list(f.spec.columns))
    for idx, col in enumerate(f.spec.columns, start=1):
        ws.cell(row=1, column=idx).comment = Comment(
            f"{labels.get(col, col)}：{up.rules.get(col, '')}", "党建平台"
        )
    ws.append(list(up.example))
    help_ws = wb.create_sheet("填写说明")
    help_ws.append(["列名", "含义", "规则"])
    for col in f.spec.columns:
        help_ws.append([col, labels.get(col, col), up.rules.get(col, "")])
    help_ws.append([])
    help_ws.append(
        [
            "说明",
            "第2行为示例，请删除后填写。整表任意一行有误则整表不导入，系统会列出文件、行、列和原因。",
            "",
        ]
    )
    out = io.BytesIO()
    wb.save(out)
    resp = HttpResponse(out.getvalue(), content_type=XLSX)
    resp["Content-Disposition"] = f'attachment; filename="{kind}-template.xlsx"'
    return resp


def _export(request: AuthedRequest, name: str) -> exports.Export:
    export = exports.get(name)
    if export is None:
        raise Http404("没有这种导出")
    if not export.allowed(request.user):
        raise deny(request, f"export:{name}")
    return export


@signed_in
@require_http_methods(["GET"])
def export_view(request: AuthedRequest, name: str) -> HttpResponse:
    """The list's current filter as .xlsx; a long one becomes a job (progress, then download)."""
    export = _export(request, name)
    try:
        total = export.count(request.user, request.GET)
    except NotVisible as exc:
        raise Http404 from exc
    if total > exports.JOB_ROWS:
        job = exporting.export_job_start(
            actor=request.user, export=export, params=request.GET, total=total
        )
        return redirect("interchange:export_job", job.pk)
    data, _n = exporting.export_now(actor=request.user, export=export, params=request.GET)
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    return stored.document(data, XLSX, f"{export.title}-{stamp}.xlsx")


@signed_in
@require_http_methods(["GET"])
def print_view(request: AuthedRequest, name: str) -> HttpResponse:
    """The list's current filter laid out for paper (at most web.exports.PRINT_ROWS rows)."""
    export = _export(request, name)
    try:
        ctx = exporting.export_print(actor=request.user, export=export, params=request.GET)
    except NotVisible as exc:
        raise Http404 from exc
    return render(request, "interchange/print.html", ctx)


def _job(request: AuthedRequest, pk: int) -> ExportJob:
    job = ExportJob.objects.filter(pk=pk, user=request.user).first()
    if job is None:
        raise Http404("没有这个导出任务")
    return job


@signed_in
@require_http_methods(["GET"])
def export_job_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """A long export's progress (the page asks again every two seconds) and its download."""
    job = _job(request, pk)
    template = (
        "interchange/partials/export_job.html"
        if getattr(request, "htmx", False)
        else "interchange/export_job.html"
    )
    return render(request, template, {"job": job, "days": exporting.EXPORT_DAYS})


@signed_in
@require_http_methods(["GET"])
def export_download_view(request: AuthedRequest, pk: int) -> FileResponse:
    job = _job(request, pk)
    if job.status != ExportStatus.DONE or not job.path:
        raise Http404("导出尚未完成")
    stamp = timezone.localtime(job.finished_at).strftime("%Y%m%d%H%M")
    return FileResponse(
        stored.open_stored(job.path),
        as_attachment=True,
        filename=f"{job.title}-{stamp}.xlsx",
        content_type=XLSX,
    )


@staff_required("change")
@require_http_methods(["GET"])
def import_job_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """A long upload's progress (the page asks again every two seconds), then its result: the
    counts, or every refused row as the upload page shows them."""
    job = ImportJob.objects.filter(pk=pk, user=request.user).first()
    if job is None:
        raise Http404("没有这个导入任务")
    report = [Issue(**i) for i in job.issues] if job.status == ImportStatus.FAILED else None
    template = (
        "interchange/partials/import_job.html"
        if getattr(request, "htmx", False)
        else "interchange/import_job.html"
    )
    f = uploads().get(job.kind)
    finished = job.status in (ImportStatus.DONE, ImportStatus.FAILED)
    resp = render(
        request,
        template,
        {
            "job": job,
            "report": report,
            "unit": f.upload.unit if f is not None and f.upload is not None else "行",
            "elapsed": int(((job.finished_at or timezone.now()) - job.created_at).total_seconds()),
        },
    )
    if finished and getattr(request, "htmx", False):
        resp["HX-Refresh"] = "true"  # the result column (every refused row) needs the whole page
    return resp
