"""发展党员 pages: the pipeline board of a branch or committee, the application form, a person's
record with every step (全程纪实, also as PDF) and the form for the next step, the annual figures,
the holiday calendar."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Case, CharField, Count, Q, Value, When
from django.db.models.functions import Substr
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts import policy
from dangjian.audit.services import audit_record
from dangjian.core import uploads
from dangjian.core.dates import add_months
from dangjian.core.errors import DomainError
from dangjian.fees import bands
from dangjian.members.models import Member
from dangjian.orgs import selectors as org_selectors
from dangjian.orgs.views import scope_home
from dangjian.web.access import admin_required, staff_required
from dangjian.web.forms import BootstrapMixin, DateInput, submit

from . import services
from .constants import STEP_BY_NO, STEPS, Stage
from .models import Candidate, Holiday

ACCEPT = ".pdf,.png,.jpg,.jpeg,.docx,.txt"
STAGES = [s for s in Stage.values if s != Stage.CLOSED]


def stage_case() -> Case:
    """The stage of a record in SQL (the same as Candidate.stage)."""
    return Case(
        When(Q(closed_on__isnull=False) | Q(cancelled_on__isnull=False), then=Value(Stage.CLOSED)),
        When(full_on__isnull=False, then=Value(Stage.FULL)),
        When(approved_on__isnull=False, then=Value(Stage.PROBATION)),
        When(
            Q(admitted_on__isnull=False)
            | Q(prereviewed_on__isnull=False)
            | Q(committee_reviewed_on__isnull=False),
            then=Value(Stage.ADMISSION),
        ),
        When(target_on__isnull=False, then=Value(Stage.TARGET)),
        When(activist_on__isnull=False, then=Value(Stage.ACTIVIST)),
        default=Value(Stage.APPLICANT),
        output_field=CharField(),
    )


def next_step(c: Candidate) -> tuple[int, date | None, str] | None:
    """The next step to do, the date it is due (or may first be done), and what that date means."""
    if c.closed_on or c.cancelled_on or c.archived_on:
        return None
    p = services.params(c.rule_version)
    for s in STEPS[1:]:
        if (
            getattr(c, s.field) is None
            and getattr(c, STEP_BY_NO[services.AFTER[s.no]].field) is not None
        ):
            if s.no == 2:
                return s.no, add_months(c.applied_on, p["talk_months"]), "期限"
            if s.no == 7:
                return s.no, add_months(c.activist_on, p["activist_months"]), "最早"  # type: ignore[arg-type]
            if s.no == 17:
                return s.no, add_months(c.admitted_on, p["approval_months"]), "期限"  # type: ignore[arg-type]
            if s.no == 20:
                return s.no, add_months(c.approved_on, p["oath_months"]), "期限"  # type: ignore[arg-type]
            if s.no == 23:
                return s.no, services.probation_end(c), "最早"
            if s.no == 24 and c.conversion_meeting_on:
                return (
                    s.no,
                    add_months(c.conversion_meeting_on, p["conversion_approval_months"]),
                    "期限",
                )
            return s.no, None, ""
    return None


home_view = scope_home("recruitment:board")


@staff_required("view")
def board_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A branch: its open records by stage with the next step and its date. A committee: counts by
    stage per sub-organization (one grouped query) and the year's figures."""
    org = org_selectors.org_get(request.user, pk)
    today = timezone.localdate()
    try:
        year = min(max(int(request.GET.get("year", today.year)), 2000), today.year)
    except ValueError:
        year = today.year
    base = Candidate.objects.filter(organization__path__startswith=org.path).order_by()
    figures = base.aggregate(
        **{
            f: Count("id", filter=Q(**{f"{f}__year": year}))
            for f in (
                "applied_on",
                "activist_on",
                "target_on",
                "admitted_on",
                "approved_on",
                "full_on",
            )
        }
    )
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
        rows = []
        for c in Candidate.objects.filter(
            organization=org,
            closed_on__isnull=True,
            cancelled_on__isnull=True,
            archived_on__isnull=True,
        ).order_by("applied_on"):
            nxt = next_step(c)
            rows.append(
                {
                    "c": c,
                    "stage": Stage(c.stage).label,
                    "stage_id": c.stage,
                    "next": STEP_BY_NO[nxt[0]] if nxt else None,
                    "due": nxt[1] if nxt else None,
                    "due_kind": nxt[2] if nxt else "",
                    "overdue": bool(nxt and nxt[2] == "期限" and nxt[1] and nxt[1] < today),
                }
            )
        ctx["by_stage"] = [
            (Stage(s).label, [r for r in rows if r["stage_id"] == s]) for s in STAGES
        ]
        ctx["rows"] = rows
        return render(request, "recruitment/board.html", ctx)
    width = len(org.path) + org.steplen
    children = list(
        org_selectors.org_children(request.user, org)
        .exclude(kind="group")
        .order_by("path")
        .values("pk", "name", "path")
    )
    counts: dict[tuple[str, str], int] = {}
    for r in (
        base.annotate(prefix=Substr("organization__path", 1, width), st=stage_case())
        .values("prefix", "st")
        .annotate(n=Count("id"))
    ):
        counts[(r["prefix"], r["st"])] = r["n"]
    ctx["rows"] = [
        {**c, "cells": [counts.get((c["path"], s), 0) for s in STAGES]} for c in children
    ]
    ctx["stage_labels"] = [Stage(s).label for s in STAGES]
    ctx["totals"] = [sum(r["cells"][i] for r in ctx["rows"]) for i in range(len(STAGES))]
    from dangjian.compliance.models import Finding

    # who is due next and when: the open recruitment findings and reminders of the subtree, most serious first
    ctx["due"] = (
        Finding.objects.filter(
            closed_on__isnull=True, category="recruitment", organization__path__startswith=org.path
        )
        .select_related("organization")
        .order_by("-severity", "opened_on")[:30]
    )
    return render(request, "recruitment/rollup.html", ctx)


class ApplyForm(BootstrapMixin, forms.Form):
    person_no = forms.CharField(
        label="编号", max_length=32, help_text="本人的唯一编号，接收为预备党员后作为党员编号"
    )
    name = forms.CharField(label="姓名", max_length=50)
    gender = forms.ChoiceField(label="性别", choices=[("男", "男"), ("女", "女")])
    birth_date = forms.DateField(label="出生日期", widget=DateInput())
    id_number = forms.CharField(label="身份证号", max_length=18)
    applied_on = forms.DateField(label="递交申请日期", widget=DateInput())


@staff_required("change")
@require_http_methods(["GET", "POST"])
def apply_view(request: HttpRequest, pk: int) -> HttpResponse:
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


def _candidate(request: HttpRequest, pk: int, action: str = "view") -> Candidate:
    c = (
        Candidate.objects.select_related(
            "organization", "member", "introducer_1", "introducer_2", "contact_1", "contact_2"
        )
        .filter(pk=pk)
        .first()
    )
    if c is None or not policy.can(request.user, action, c.organization):
        raise Http404("未找到该档案，或不在您的管理范围内")
    return c


class StepForm(BootstrapMixin, forms.Form):
    on = forms.DateField(label="日期", widget=DateInput())
    members = forms.ModelMultipleChoiceField(
        label="人员",
        queryset=Member.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    opinion = forms.CharField(
        label="考察意见", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    training_days = forms.IntegerField(label="培训天数", min_value=0, required=False)
    training_hours = forms.IntegerField(label="培训学时", min_value=0, required=False)
    leaving_on = forms.DateField(
        label="预计离开本单位日期（如有）", widget=DateInput(), required=False
    )
    voting_expected = forms.IntegerField(label="应到有表决权正式党员", min_value=0, required=False)
    voting_present = forms.IntegerField(label="实到有表决权正式党员", min_value=0, required=False)
    votes_for = forms.IntegerField(label="赞成", min_value=0, required=False)
    votes_against = forms.IntegerField(label="反对", min_value=0, required=False)
    votes_abstain = forms.IntegerField(label="弃权", min_value=0, required=False)
    fee_category = forms.ChoiceField(
        label="党费类别", choices=[("", "—"), *bands.CATEGORIES.items()], required=False
    )
    fee_base = forms.DecimalField(
        label="党费计算基数（元）", min_value=0, decimal_places=2, required=False
    )


STEP_FIELDS = {
    5: ["members"],
    6: ["opinion"],
    9: ["members"],
    11: ["training_days", "training_hours"],
    13: ["leaving_on"],
    15: ["voting_expected", "voting_present", "votes_for", "votes_against", "votes_abstain"],
    17: ["fee_category", "fee_base"],
    23: ["voting_expected", "voting_present", "votes_for", "votes_against", "votes_abstain"],
}


def _step_form(c: Candidate, step: int | None, data: Any = None) -> StepForm:
    form = StepForm(data, initial={"on": timezone.localdate()})
    form.fields["members"].queryset = Member.objects.filter(
        organization=c.organization, status="full"
    ).order_by("member_no")  # type: ignore[attr-defined]
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
def detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    c = _candidate(request, pk)
    nxt = next_step(c)
    step = nxt[0] if nxt else None
    return render(
        request, "recruitment/detail.html", _detail_context(request, c, step, _step_form(c, step))
    )


def _detail_context(
    request: HttpRequest, c: Candidate, step: int | None, form: StepForm
) -> dict[str, Any]:
    docs = list(c.documents.all())
    timeline = [
        {
            "s": s,
            "stage": Stage(s.stage).label,
            "on": getattr(c, s.field),
            "docs": [d for d in docs if d.step == s.no],
        }
        for s in STEPS
    ]
    nxt = next_step(c)
    can_change = policy.can(request.user, "change", c.organization)
    committee = services.approving_committee(c) if step in services.COMMITTEE_STEPS else None
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
        "assessments": list(c.assessments.all()),
        "exceptions": list(c.exceptions.select_related("approved_by_org")),
        "probation_end": services.probation_end(c),
        "can_decide": committee_can(request.user, c),
        "today": timezone.localdate(),
        "version": services.params(c.rule_version).get("label", c.rule_version),
    }


def committee_can(user: Any, c: Candidate) -> bool:
    committee = services.approving_committee(c)
    return committee is not None and policy.can(user, "change", committee)


@staff_required("change")
@require_POST
def step_view(request: HttpRequest, pk: int) -> HttpResponse:
    c = _candidate(request, pk, "change")
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


def _act(request: HttpRequest, c: Candidate, call: Any, done: str, missing: str) -> HttpResponse:
    """The small forms of a record's page: call the service, show its refusal or `done`; a field that
    does not parse (a date, a number) gets `missing`, which names it."""
    try:
        call()
    except (DomainError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", missing))
    else:
        messages.success(request, done)
    return redirect("recruitment:detail", c.pk)


def _post_date(request: HttpRequest, name: str) -> date:
    return date.fromisoformat(request.POST.get(name, ""))


@staff_required("change")
@require_POST
def notice_view(request: HttpRequest, pk: int) -> HttpResponse:
    c = _candidate(request, pk, "change")
    return _act(
        request,
        c,
        lambda: services.candidate_notice(
            actor=request.user,
            candidate=c,
            starts_on=_post_date(request, "starts_on"),
            ends_on=_post_date(request, "ends_on"),
        ),
        "已登记公示。",
        "请填写公示起止日期",
    )


@staff_required("change")
@require_POST
def close_view(request: HttpRequest, pk: int) -> HttpResponse:
    c = _candidate(request, pk, "change")
    return _act(
        request,
        c,
        lambda: services.candidate_close(
            actor=request.user,
            candidate=c,
            on=timezone.localdate(),
            reason=request.POST.get("reason", ""),
        ),
        "已终止该发展流程。",
        "请填写终止原因",
    )


@staff_required("change")
@require_POST
def extend_view(request: HttpRequest, pk: int) -> HttpResponse:
    c = _candidate(request, pk, "change")
    return _act(
        request,
        c,
        lambda: services.candidate_extend(
            actor=request.user,
            candidate=c,
            meeting_on=_post_date(request, "meeting_on"),
            months=int(request.POST.get("months", "0") or 0),
        ),
        "已延长预备期。",
        "请填写支部大会日期和延长月数",
    )


@staff_required("change")
@require_POST
def cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    c = _candidate(request, pk)
    return _act(
        request,
        c,
        lambda: services.candidate_cancel(
            actor=request.user,
            candidate=c,
            meeting_on=_post_date(request, "meeting_on"),
            reason=request.POST.get("reason", ""),
        ),
        "已取消预备党员资格。",
        "请填写支部大会日期",
    )


@staff_required("change")
@require_POST
def exception_view(request: HttpRequest, pk: int) -> HttpResponse:
    c = _candidate(request, pk)
    org = org_selectors.org_get(request.user, int(request.POST.get("org", "0") or 0), "change")
    return _act(
        request,
        c,
        lambda: services.exception_approve(
            actor=request.user,
            candidate=c,
            step=int(request.POST.get("step", "0") or 0),
            reason=request.POST.get("reason", ""),
            approving_org=org,
        ),
        "已批准该特殊情况。",
        "请填写步骤和理由",
    )


@staff_required("view")
def document_view(request: HttpRequest, pk: int, did: int) -> Any:
    c = _candidate(request, pk)
    d = c.documents.filter(pk=did).first()
    if d is None:
        raise Http404
    return uploads.download(d)


@staff_required("view")
def pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    from django.db import transaction

    from .documents import timeline_pdf

    c = _candidate(request, pk)
    data = timeline_pdf(c)
    with transaction.atomic():
        audit_record(
            actor=request.user,
            action="recruitment.export",
            obj=c,
            organization=c.organization,
            data={"format": "pdf"},
        )
    return uploads.document(data, "application/pdf", f"{c.name}-发展党员全程纪实.pdf")


@admin_required("system_admin")
@require_http_methods(["GET", "POST"])
def holidays_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            services.holiday_set(
                actor=request.user,
                day=date.fromisoformat(request.POST.get("day", "")),
                workday=request.POST.get("workday") == "1",
                name=request.POST.get("name", ""),
            )
        except (DomainError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", "请填写日期"))
        else:
            messages.success(request, "已保存。")
        return redirect("recruitment:holidays")
    year = timezone.localdate().year
    return render(
        request,
        "recruitment/holidays.html",
        {"days": Holiday.objects.filter(day__year__gte=year - 1)},
    )
