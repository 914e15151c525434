"""督查督办 pages: tasks issued and received, creation (also from a finding), reply and decision."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts import policy
from dangjian.core import uploads
from dangjian.core.errors import DomainError
from dangjian.orgs import selectors as org_selectors
from dangjian.orgs.models import Organization
from dangjian.web.access import staff_required
from dangjian.web.forms import BootstrapMixin, DateInput, submit

from . import services
from .models import Assignment, Task


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is validated by core.uploads in the service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(d, initial) for d in items]


ACCEPT = ".pdf,.png,.jpg,.jpeg,.docx,.xlsx,.pptx,.txt"


class TaskForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label="督办事项", max_length=100)
    body = forms.CharField(label="具体要求", widget=forms.Textarea(attrs={"rows": 4}))
    deadline = forms.DateField(label="办结期限", widget=DateInput())
    organizations = forms.ModelMultipleChoiceField(
        label="督办对象",
        queryset=Organization.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    attachments = MultipleFileField(
        label="附件",
        help_text="可选，最多10个，每个不超过10MB：PDF、图片、Word、Excel、PowerPoint、文本",
    )


@staff_required("view")
def list_view(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    received = list(services.assignments_received(request.user)[:200])
    issued = (
        list(services.tasks_issued(request.user)[:100])
        if policy.path_q(request.user, "supervise")
        else []
    )
    return render(
        request,
        "supervision/list.html",
        {
            "received": received,
            "issued": issued,
            "today": today,
            "can_issue": policy.path_q(request.user, "supervise") is not None,
        },
    )


@staff_required("supervise")
@require_http_methods(["GET", "POST"])
def create_view(request: HttpRequest) -> HttpResponse:
    from dangjian.compliance.models import Finding

    finding = None
    raw_finding = request.GET.get("finding", "")
    if raw_finding.isdigit():
        finding = Finding.objects.select_related("organization").filter(pk=int(raw_finding)).first()
        if finding is None or not policy.can(request.user, "view", finding.organization):
            raise Http404("未找到该预警")
    raw_org = request.GET.get("org", "")
    issuer_org: Organization | None
    if raw_org.isdigit():
        issuer_org = org_selectors.org_get(request.user, int(raw_org), "supervise")
    elif finding is not None:
        parent = Organization.objects.get_parent(finding.organization)
        issuer_org = (
            parent if parent is not None and policy.can(request.user, "supervise", parent) else None
        )
        if issuer_org is None:
            raise Http404("您不能对该组织下达督办")
    else:
        issuer_org = org_selectors.org_roots(request.user).first()
        if issuer_org is None or not policy.can(request.user, "supervise", issuer_org):
            raise Http404("没有可督办的组织")
    initial: dict[str, object] = {"deadline": timezone.localdate() + timedelta(days=14)}
    if finding is not None:
        initial.update(
            title=f"整改：{finding.message[:60]}",
            body=f"{finding.message}\n请于期限内整改并回复办理情况。",
            organizations=[finding.organization_id],
        )
    form = TaskForm(request.POST or None, request.FILES or None, initial=initial)
    # the organizations up to three levels below the issuing one
    form.fields["organizations"].queryset = (  # type: ignore[attr-defined]
        policy.visible_to(request.user, "supervise")
        .filter(path__startswith=issuer_org.path, is_active=True, depth__lte=issuer_org.depth + 3)
        .exclude(pk=issuer_org.pk)
        .order_by("path")
    )

    if issuer_org is None:
        raise Http404

    def done(task: Task) -> HttpResponse:
        messages.success(request, f"已下达督办：{task.title}")
        return redirect("supervision:detail", task.pk)

    return submit(
        request,
        form,
        lambda d: services.task_create(
            actor=request.user,
            issuer_org=issuer_org,
            title=d["title"],
            body=d["body"],
            deadline=d["deadline"],
            organizations=list(d["organizations"]),
            finding=finding,
            files=d["attachments"],
        ),
        field_map={"files": "attachments"},
        done=done,
    ) or render(
        request,
        "supervision/form.html",
        {"form": form, "issuer_org": issuer_org, "finding": finding},
    )


def _task_for(request: HttpRequest, pk: int) -> tuple[Task, list[Assignment], bool]:
    task = Task.objects.select_related("issuer_org", "issuer", "finding").filter(pk=pk).first()
    if task is None:
        raise Http404
    is_issuer_side = policy.can(request.user, "supervise", task.issuer_org)
    assignments = [
        a
        for a in task.assignments.select_related("organization").order_by("organization__path")
        if is_issuer_side or policy.can(request.user, "view", a.organization)
    ]
    if not is_issuer_side and not assignments:
        raise Http404
    return task, assignments, is_issuer_side


@staff_required("view")
def detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    task, assignments, issuer_side = _task_for(request, pk)
    rows: list[dict[str, Any]] = [
        {
            "a": a,
            "can_reply": a.status in ("pending", "returned")
            and policy.can(request.user, "change", a.organization),
            "can_decide": issuer_side and a.status == "replied",
        }
        for a in assignments
    ]
    files = list(task.attachments.all())
    for row in rows:
        row["files"] = [f for f in files if f.assignment_id == row["a"].pk]
    return render(
        request,
        "supervision/detail.html",
        {
            "task": task,
            "rows": rows,
            "today": timezone.localdate(),
            "task_files": [f for f in files if f.assignment_id is None],
            "accept": ACCEPT,
        },
    )


@staff_required("view")
def attachment_view(request: HttpRequest, pk: int, attachment_id: int) -> Any:
    """Download an attachment: the issuer's side sees all of a task's files; an assignee sees the task's
    own files and its own replies' files. Always as a download, never rendered inline."""
    task, assignments, issuer_side = _task_for(request, pk)
    f = task.attachments.filter(pk=attachment_id).first()
    if f is None or not (
        issuer_side or f.assignment_id is None or any(a.pk == f.assignment_id for a in assignments)
    ):
        raise Http404
    return uploads.download(f)


@staff_required("view")
@require_POST
def act_view(request: HttpRequest, pk: int, assignment_id: int) -> HttpResponse:
    task, assignments, _ = _task_for(request, pk)
    a = next((x for x in assignments if x.pk == assignment_id), None)
    if a is None:
        raise Http404
    op = request.POST.get("op")
    try:
        if op == "reply":
            services.assignment_reply(
                actor=request.user,
                assignment=a,
                reply=request.POST.get("reply", ""),
                files=request.FILES.getlist("files"),
            )
            messages.success(request, "已回复。")
        elif op in ("accept", "return"):
            services.assignment_decide(
                actor=request.user,
                assignment=a,
                accept=op == "accept",
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, "已办结。" if op == "accept" else "已退回。")
        else:
            raise DomainError("invalid", "未知操作")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("supervision:detail", task.pk)
