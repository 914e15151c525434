"""督查督办 pages: tasks issued and received, creation (also from a finding), reply and decision."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts import policy
from dangjian.compliance import selectors as compliance_selectors
from dangjian.compliance.engine import REGISTRY
from dangjian.core import uploads
from dangjian.core.errors import DomainError
from dangjian.orgs import selectors as org_selectors
from dangjian.orgs.models import Organization
from dangjian.web.access import AuthedRequest, staff_required
from dangjian.web.forms import perform, submit
from dangjian.web.paging import paginate

from . import selectors, services
from .forms import ACCEPT, TaskForm
from .models import AssignmentStatus, Task


@staff_required("view")
def list_view(request: AuthedRequest) -> HttpResponse:
    """督查督办: what was assigned to us, what we issued; filtered, paged, exported."""
    can_issue = policy.path_q(request.user, "supervise") is not None
    params = request.GET.copy()
    if not can_issue:
        params["box"] = "received"
    box, qs = selectors.assignments_list(request.user, params)
    return render(
        request,
        "supervision/list.html",
        {
            "box": box,
            "page": paginate(request, qs),
            "statuses": AssignmentStatus.choices,
            "status": request.GET.get("status", ""),
            "q": request.GET.get("q", ""),
            "today": timezone.localdate(),
            "can_issue": can_issue,
        },
    )


@staff_required("supervise")
@require_http_methods(["GET", "POST"])
def create_view(request: AuthedRequest) -> HttpResponse:
    finding = None
    raw_finding = request.GET.get("finding", "")
    if raw_finding.isdecimal():
        finding = compliance_selectors.finding_get(request.user, int(raw_finding))
    raw_org = request.GET.get("org", "")
    issuer_org: Organization | None
    if raw_org.isdecimal():
        issuer_org = org_selectors.org_get(request.user, int(raw_org), "supervise")
    elif finding is not None:
        parent = org_selectors.org_parent(finding.organization)
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
        who = (
            f"党员{finding.member.name}（{finding.member.member_no}）："
            if finding.member is not None
            else ""
        )
        rule = REGISTRY.get(finding.rule_id)
        initial.update(
            title=f"整改：{who}{(rule.title if rule else finding.message)}"[:100],
            body=(
                f"{finding.organization.name}，{who}{finding.message}\n"
                + (f"整改要求：{rule.action}\n" if rule else "")
                + "请于期限内整改并回复办理情况。"
            ),
            organizations=[finding.organization.code],
        )
    form = TaskForm(request.POST or None, request.FILES or None, initial=initial)
    # the organizations up to three levels below the issuing one
    form.fields["organizations"].queryset = selectors.task_targets(  # type: ignore[attr-defined]
        request.user, issuer_org
    )
    form.fields["organizations"].widget.url = (  # type: ignore[attr-defined]
        f"{reverse('orgs:lookup')}?action=supervise&under={issuer_org.code}&below=3"
    )

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


@staff_required("view")
def detail_view(request: AuthedRequest, pk: int) -> HttpResponse:
    view = selectors.task_view(request.user, pk)
    task = view.task
    rows: list[dict[str, Any]] = [
        {
            "a": a,
            "can_reply": a.status in ("pending", "returned")
            and policy.can(request.user, "change", a.organization),
            "can_decide": view.issuer_side and a.status == "replied",
        }
        for a in view.assignments
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
def attachment_view(request: AuthedRequest, pk: int, attachment_id: int) -> Any:
    """Download an attachment: the issuer's side sees all of a task's files; an assignee sees the
    task's
    own files and its own replies' files. Always as a download, never rendered inline."""
    return uploads.download(selectors.task_view(request.user, pk).attachment(attachment_id))


@staff_required("view")
@require_POST
def act_view(request: AuthedRequest, pk: int, assignment_id: int) -> HttpResponse:
    view = selectors.task_view(request.user, pk)
    a = view.assignment(assignment_id)
    op = request.POST.get("op")

    def act() -> None:
        if op == "reply":
            services.assignment_reply(
                actor=request.user,
                assignment=a,
                reply=request.POST.get("reply", ""),
                files=request.FILES.getlist("files"),
            )
        elif op in ("accept", "return"):
            services.assignment_decide(
                actor=request.user,
                assignment=a,
                accept=op == "accept",
                reason=request.POST.get("reason", ""),
            )
        else:
            raise DomainError("invalid", "未知操作")

    done = {"reply": "已回复。", "accept": "已办结。", "return": "已退回。"}.get(op or "", "")
    return perform(request, act, success=done, to="supervision:detail", args=(view.task.pk,))
