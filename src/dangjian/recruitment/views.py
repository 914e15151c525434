"""发展党员 pages: the pipeline board of a branch or committee, the application form, a person's
record with every step (全程纪实, also as PDF) and the form for the next step, the annual figures,
the holiday calendar."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts import policy
from dangjian.audit.services import audit_record
from dangjian.compliance import selectors as compliance_selectors
from dangjian.core import uploads
from dangjian.core.errors import DomainError
from dangjian.orgs import selectors as org_selectors
from dangjian.orgs.views import scope_home
from dangjian.web.access import AuthedRequest, admin_required, staff_required
from dangjian.web.forms import perform, submit

from . import holidays, selectors, services
from .constants import COMMITTEE_STEPS, STEP_BY_NO, STEPS, Stage
from .documents import timeline_pdf
from .forms import STEP_FIELDS, ApplyForm, StepForm
from .models import Candidate
from .selectors import STAGES
from .versions import params

ACCEPT = ".pdf,.png,.jpg,.jpeg,.docx,.txt"


home_view = scope_home("recruitment:board")


@staff_required("view")
def board_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """A branch: its open records by stage with the next step and its date. A committee: counts by
    stage per sub-organization (one grouped query) and the year's figures."""
    org = org_selectors.org_get(request.user, pk)
    today = timezone.localdate()
    try:
        year = min(max(int(request.GET.get("year", today.year)), 2000), today.year)
    except ValueError:
        year = today.year
    figures = selectors.year_figures(org, year)
    ctx: dict[str, Any] = {
        "org": org,
        "ancestors": org_selectors.org_ancestors(org, request.user),
        "year": year,
        "today": today,
        "figures": figures,
        "can_change": policy.can(request.user, "change", org),
        "stages": Stage.choices,
    }
    if org.kind == "branch":
        rows = selectors.branch_pipeline(org, today)
        ctx["by_stage"] = [
            (Stage(s).label, [r for r in rows if r["stage_id"] == s]) for s in STAGES
        ]
        ctx["rows"] = rows
        return render(request, "recruitment/board.html", ctx)
    ctx["rows"] = selectors.committee_pipeline(request.user, org)
    ctx["stage_labels"] = [Stage(s).label for s in STAGES]
    ctx["totals"] = [sum(r["cells"][i] for r in ctx["rows"]) for i in range(len(STAGES))]
    # who is due next and when: the subtree's open recruitment findings, most serious first
    ctx["due"] = compliance_selectors.open_findings_of(
        org, category="recruitment", order=("-severity", "opened_on"), limit=30
    )
    return render(request, "recruitment/rollup.html", ctx)


@staff_required("change")
@require_http_methods(["GET", "POST"])
def apply_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk, "change")
    form = ApplyForm(request.POST or None, initial={"applied_on": timezone.localdate()})

    def done(c: Candidate) -> HttpResponse:
        messages.success(request, f"已受理{c.name}的入党申请。请在一个月内派人谈话。")
        return redirect("recruitment:detail", c.pk)

    return submit(
        request,
        form,
        lambda d: services.candidate_apply(
            actor=request.user,
            organization=org,
            applied_on=d["applied_on"],
            files=request.FILES.getlist("files"),
            person=services.Person(
                d["person_no"], d["name"], d["gender"], d["birth_date"], d["id_number"]
            ),
        ),
        done=done,
    ) or render(
        request,
        "recruitment/apply.html",
        {
            "org": org,
            "form": form,
            "accept": ACCEPT,
            "ancestors": org_selectors.org_ancestors(org, request.user),
        },
    )


def _step_form(c: Candidate, step: int | None, data: Any = None) -> StepForm:
    form = StepForm(data, initial={"on": timezone.localdate()})
    form.fields["members"].queryset = selectors.possible_contacts(c)  # type: ignore[attr-defined]
    if step in (5, 9):
        form.fields["members"].label = (
            "培养联系人（1至2名正式党员）" if step == 5 else "入党介绍人（2名正式党员）"
        )
    keep = {"on", *STEP_FIELDS.get(step or 0, [])}
    for name in list(form.fields):
        if name not in keep:
            del form.fields[name]
    return form


@staff_required("view")
def detail_view(request: AuthedRequest, pk: int) -> HttpResponse:
    c = selectors.candidate_get(request.user, pk)
    nxt = selectors.next_step(c)
    step = nxt[0] if nxt else None
    return render(
        request, "recruitment/detail.html", _detail_context(request, c, step, _step_form(c, step))
    )


def _detail_context(
    request: AuthedRequest, c: Candidate, step: int | None, form: StepForm
) -> dict[str, Any]:
    parts = selectors.candidate_parts(c)
    docs = parts["documents"]
    timeline = [
        {
            "s": s,
            "stage": Stage(s.stage).label,
            "on": getattr(c, s.field),
            "docs": [d for d in docs if d.step == s.no],
        }
        for s in STEPS
    ]
    nxt = selectors.next_step(c)
    can_change = policy.can(request.user, "change", c.organization)
    committee = selectors.approving_committee(c) if step in COMMITTEE_STEPS else None
    can_step = can_change and (committee is None or policy.can(request.user, "change", committee))
    return {
        "c": c,
        "org": c.organization,
        "can_step": can_step,
        "committee": committee,
        "ancestors": org_selectors.org_ancestors(c.organization, request.user),
        "timeline": timeline,
        "next": STEP_BY_NO[step] if step else None,
        "due": nxt[1] if nxt else None,
        "due_kind": nxt[2] if nxt else "",
        "form": form,
        "accept": ACCEPT,
        "stage": Stage(c.stage).label,
        "can_change": can_change,
        "assessments": parts["assessments"],
        "exceptions": parts["exceptions"],
        "probation_end": selectors.probation_end(c),
        "can_decide": committee_can(request.user, c),
        "today": timezone.localdate(),
        "version": params(c.rule_version).get("label", c.rule_version),
    }


def committee_can(user: Any, c: Candidate) -> bool:
    committee = selectors.approving_committee(c)
    return committee is not None and policy.can(user, "change", committee)


@staff_required("change")
@require_POST
def step_view(request: AuthedRequest, pk: int) -> HttpResponse:
    c = selectors.candidate_get(request.user, pk, "change")
    try:
        step = int(request.POST.get("step", "0"))
    except ValueError:
        step = 0
    form = _step_form(c, step, request.POST)
    if form.is_valid():
        d = form.cleaned_data
        vote = None
        if "votes_for" in d:
            vote = services.Vote(
                d.get("voting_expected") or 0,
                d.get("voting_present") or 0,
                d.get("votes_for") or 0,
                d.get("votes_against") or 0,
                d.get("votes_abstain") or 0,
            )
        base = d.get("fee_base")
        try:
            services.candidate_step(
                actor=request.user,
                candidate=c,
                step=step,
                on=d["on"],
                members=list(d.get("members") or []),
                vote=vote,
                training_days=d.get("training_days"),
                training_hours=d.get("training_hours"),
                leaving_on=d.get("leaving_on"),
                opinion=d.get("opinion", ""),
                fee_category=d.get("fee_category", ""),
                fee_base_fen=int(base * 100) if base is not None else None,
                files=request.FILES.getlist("files"),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                f"已登记第{step}步“{STEP_BY_NO[step].label}”。"
                + ("已接收为预备党员，列入党员名册，党费从接收当月起交纳。" if step == 17 else ""),
            )
            return redirect("recruitment:detail", c.pk)
    c.refresh_from_db()
    return render(
        request, "recruitment/detail.html", _detail_context(request, c, step, form), status=400
    )


def _post_date(request: AuthedRequest, name: str) -> date:
    return date.fromisoformat(request.POST.get(name, ""))


@staff_required("change")
@require_POST
def notice_view(request: AuthedRequest, pk: int) -> HttpResponse:
    c = selectors.candidate_get(request.user, pk, "change")
    return perform(
        request,
        lambda: services.candidate_notice(
            actor=request.user,
            candidate=c,
            starts_on=_post_date(request, "starts_on"),
            ends_on=_post_date(request, "ends_on"),
        ),
        success="已登记公示。",
        to="recruitment:detail",
        args=(c.pk,),
        invalid="请填写公示起止日期",
    )


@staff_required("change")
@require_POST
def close_view(request: AuthedRequest, pk: int) -> HttpResponse:
    c = selectors.candidate_get(request.user, pk, "change")
    return perform(
        request,
        lambda: services.candidate_close(
            actor=request.user,
            candidate=c,
            on=timezone.localdate(),
            reason=request.POST.get("reason", ""),
        ),
        success="已终止该发展流程。",
        to="recruitment:detail",
        args=(c.pk,),
        invalid="请填写终止原因",
    )


@staff_required("change")
@require_POST
def extend_view(request: AuthedRequest, pk: int) -> HttpResponse:
    c = selectors.candidate_get(request.user, pk, "change")
    return perform(
        request,
        lambda: services.candidate_extend(
            actor=request.user,
            candidate=c,
            meeting_on=_post_date(request, "meeting_on"),
            months=int(request.POST.get("months", "0") or 0),
        ),
        success="已延长预备期。",
        to="recruitment:detail",
        args=(c.pk,),
        invalid="请填写支部大会日期和延长月数",
    )


@staff_required("change")
@require_POST
def cancel_view(request: AuthedRequest, pk: int) -> HttpResponse:
    c = selectors.candidate_get(request.user, pk)
    return perform(
        request,
        lambda: services.candidate_cancel(
            actor=request.user,
            candidate=c,
            meeting_on=_post_date(request, "meeting_on"),
            reason=request.POST.get("reason", ""),
        ),
        success="已取消预备党员资格。",
        to="recruitment:detail",
        args=(c.pk,),
        invalid="请填写支部大会日期",
    )


@staff_required("change")
@require_POST
def exception_view(request: AuthedRequest, pk: int) -> HttpResponse:
    c = selectors.candidate_get(request.user, pk)
    org = org_selectors.org_get(request.user, int(request.POST.get("org", "0") or 0), "change")
    return perform(
        request,
        lambda: services.exception_approve(
            actor=request.user,
            candidate=c,
            step=int(request.POST.get("step", "0") or 0),
            reason=request.POST.get("reason", ""),
            approving_org=org,
        ),
        success="已批准该特殊情况。",
        to="recruitment:detail",
        args=(c.pk,),
        invalid="请填写步骤和理由",
    )


@staff_required("view")
def document_view(request: AuthedRequest, pk: int, did: int) -> Any:
    c = selectors.candidate_get(request.user, pk)
    return uploads.download(selectors.document_get(c, did))


@staff_required("view")
def pdf_view(request: AuthedRequest, pk: int) -> HttpResponse:
    c = selectors.candidate_get(request.user, pk)
    data = timeline_pdf(c, who=str(request.user))
    with transaction.atomic():
        audit_record(
            actor=request.user,
            action="recruitment.export",
            obj=c,
            organization=c.organization,
            data={"format": "pdf", "sha256": hashlib.sha256(data).hexdigest()},
        )
    return uploads.document(data, "application/pdf", f"{c.name}-发展党员全程纪实.pdf")


@admin_required("system_admin")
@require_http_methods(["GET", "POST"])
def holidays_view(request: AuthedRequest) -> HttpResponse:
    """节假日: the State Council's schedules from the calendar package, corrected by hand."""
    if request.method == "POST" and request.POST.get("op") == "load":
        return perform(
            request,
            lambda: holidays.holidays_load(actor=request.user),
            success=lambda n: (
                f"已从日历包载入，更新{n}天。" if n else "日历已是最新，没有需要更新的日期。"
            ),
            to="recruitment:holidays",
        )
    if request.method == "POST":
        return perform(
            request,
            lambda: services.holiday_set(
                actor=request.user,
                day=date.fromisoformat(request.POST.get("day", "")),
                workday=request.POST.get("workday") == "1",
                name=request.POST.get("name", ""),
            ),
            success="已保存更正。",
            to="recruitment:holidays",
            invalid="请填写日期",
        )
    today = timezone.localdate()
    return render(
        request,
        "recruitment/holidays.html",
        {
            "days": selectors.holidays_from(today.year - 1),
            "known": sorted(y for y in holidays.known_years() if y >= today.year - 1),
            "missing": holidays.missing_years(today),
        },
    )
