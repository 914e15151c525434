"""The one upload page: a file of the bundle's format from .xlsx or .csv, for every kind an app
declares as uploadable (`core.bundle.Upload`: the roster, payments), with its .xlsx template."""

from __future__ import annotations

import io

import openpyxl
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from openpyxl.comments import Comment

from dangjian.accounts import policy
from dangjian.core.bundle import BundleError, BundleFile, uploads
from dangjian.web.access import AuthedRequest, staff_required

from .forms import UploadForm
from .importer import import_tables
from .reader import read_upload

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
