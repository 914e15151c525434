"""组织生活 pages: the branch calendar and the committee roll-up, planning, notice and sign-in, the
record with attendance and vote, appraisal, rectification, documents, absences and handling; the
member's 组织生活 on the phone."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts import policy
from dangjian.audit.services import audit_record
from dangjian.core import richtext, uploads
from dangjian.core.errors import DomainError
from dangjian.members import selectors as member_selectors
from dangjian.orgs import selectors as org_selectors
from dangjian.orgs.views import scope_home
from dangjian.web import hooks, site
from dangjian.web.access import AuthedRequest, member_required, staff_required
from dangjian.web.forms import add_domain_error, perform, submit
from dangjian.web.paging import paginate

from . import selectors, services
from .constants import AttendanceStatus, Exclusion, Grade, MeetingKind, MeetingStatus
from .documents import minutes_docx, minutes_pdf
from .forms import (
    DecisionForm,
    LeaveForm,
    PlanEditForm,
    PlanForm,
    RecordForm,
    RectificationForm,
    VoidForm,
)
from .models import Handling, Meeting

ACCEPT = ".pdf,.png,.jpg,.jpeg,.docx,.xlsx,.pptx,.txt"
KIND_LABELS = selectors.KIND_LABELS


def _year(request: AuthedRequest) -> int:
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        year = today.year
    return min(max(year, 2000), today.year + 1)


home_view = scope_home("meetings:calendar")


@staff_required("view")
def calendar_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """A branch's (or group's) year: kinds × months with each meeting; a committee's: its
    sub-organizations × months with meetings held and planned (two grouped queries)."""
    org = org_selectors.org_get(request.user, pk)
    year = _year(request)
    ctx: dict[str, Any] = {
        "org": org,
        "year": year,
        "ancestors": org_selectors.org_ancestors(org, request.user),
        "can_change": policy.can(request.user, "change", org),
        "today": timezone.localdate(),
        "months": range(1, 13),
    }
    if org.kind in ("branch", "group"):
        ctx.update(selectors.branch_year(org, year))
        return render(request, "meetings/calendar.html", ctx)
    ctx.update(rows=selectors.committee_year(request.user, org, year))
    return render(request, "meetings/rollup.html", ctx)


@staff_required("change")
@require_POST
def plan_generate_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk, "change")
    return perform(
        request,
        lambda: services.plan_generate(
            actor=request.user,
            organization=org,
            year=int(request.POST.get("year", "0") or 0),
            theme_day=int(request.POST.get("theme_day", "15") or 15),
        ),
        success=lambda n: (
            f"已生成{n}项会议计划，可逐项修改日期、主题和主讲人。"
            if n
            else "计划已齐全，没有需要新增的会议。"
        ),
        to=f"{reverse('meetings:calendar', args=[org.pk])}?year={request.POST.get('year', '')}",
        invalid="请填写正确的年份和主题党日",
    )


@staff_required("change")
@require_http_methods(["GET", "POST"])
def plan_new_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk, "change")
    form = PlanForm(
        request.POST or None,
        initial={
            "kind": request.GET.get("kind", MeetingKind.THEME_DAY),
            "planned_on": timezone.localdate(),
        },
    )
    if org.kind == "group":
        form.fields["kind"].choices = [(MeetingKind.GROUP, KIND_LABELS[MeetingKind.GROUP])]  # type: ignore[attr-defined]
    else:
        form.fields["kind"].choices = [c for c in MeetingKind.choices if c[0] != MeetingKind.GROUP]  # type: ignore[attr-defined]

    def done(m: Meeting) -> HttpResponse:
        messages.success(request, f"已安排：{m.topic}。确认无误后可发布通知。")
        return redirect("meetings:detail", m.pk)

    return submit(
        request,
        form,
        lambda d: services.meeting_plan(actor=request.user, organization=org, **d),
        done=done,
    ) or render(
        request,
        "orgs/form.html",
        {
            "org": org,
            "form": form,
            "title": f"安排会议（{org.name}）",
            "submit": "加入计划",
            "back": "meetings:calendar",
            "ancestors": org_selectors.org_ancestors(org, request.user),
        },
    )


@staff_required("change")
@require_http_methods(["GET", "POST"])
def plan_edit_view(request: AuthedRequest, pk: int) -> HttpResponse:
    m = selectors.meeting_get(request.user, pk, "change")
    form = PlanEditForm(
        request.POST or None,
        initial={
            "planned_on": m.planned_on,
            "starts_at": m.starts_at,
            "topic": m.topic,
            "place": m.place,
            "speaker": m.speaker,
        },
    )

    def done(_: Meeting) -> HttpResponse:
        messages.success(request, "已修改会议计划。")
        return redirect("meetings:detail", m.pk)

    return submit(
        request,
        form,
        lambda d: services.meeting_plan_update(actor=request.user, meeting=m, **d),
        done=done,
    ) or render(
        request,
        "orgs/form.html",
        {
            "org": m.organization,
            "form": form,
            "title": f"修改计划：{m.topic}",
            "submit": "保存",
            "back": "meetings:calendar",
            "ancestors": org_selectors.org_ancestors(m.organization, request.user),
        },
    )


def sign_in_url(m: Meeting, request: HttpRequest | None = None) -> str:
    """The sign-in link in the room's QR code: the configured site address or, unset, the
    address this page was asked at."""
    return site.absolute(
        reverse("meetings:member_meeting", args=[m.pk]) + f"?t={m.sign_in_token}", request
    )


@staff_required("view")
def detail_view(request: AuthedRequest, pk: int) -> HttpResponse:
    m = selectors.meeting_get(request.user, pk)
    can_change = policy.can(request.user, "change", m.organization)
    parts = selectors.meeting_parts(m)
    qr_svg = ""
    if m.status == MeetingStatus.PUBLISHED and can_change:
        qr_svg = qrcode.make(
            sign_in_url(m, request), image_factory=qrcode.image.svg.SvgPathImage, box_size=8
        ).to_string(encoding="unicode")
    return render(
        request,
        "meetings/detail.html",
        {
            "m": m,
            "org": m.organization,
            "ancestors": org_selectors.org_ancestors(m.organization, request.user),
            "can_change": can_change,
            **parts,
            "qr_svg": qr_svg,
            "sign_url": sign_in_url(m, request) if qr_svg else "",
            "signed": sum(1 for a in parts["attendance"] if a.signed_in_at),
            "passed": services.motion_passed(m),
            "gaps": services.record_gaps(m)
            if m.status == MeetingStatus.HELD and m.source == "web"
            else [],
            "rect_form": RectificationForm(),
            "today": timezone.localdate(),
        },
    )


@staff_required("change")
@require_POST
def publish_view(request: AuthedRequest, pk: int) -> HttpResponse:
    m = selectors.meeting_get(request.user, pk, "change")
    return perform(
        request,
        lambda: services.meeting_publish(actor=request.user, meeting=m),
        success=lambda n: f"已发布会议通知，{n}名党员收到通知。会议当天在会场展示签到二维码。",
        to="meetings:detail",
        args=(m.pk,),
    )


@staff_required("change")
@require_POST
def cancel_view(request: AuthedRequest, pk: int) -> HttpResponse:
    m = selectors.meeting_get(request.user, pk, "change")
    return perform(
        request,
        lambda: services.meeting_cancel(
            actor=request.user, meeting=m, reason=request.POST.get("reason", "")
        ),
        success="会议已取消。",
        to="meetings:detail",
        args=(m.pk,),
    )


def _marks_from_post(request: AuthedRequest, ids: list[int]) -> dict[int, services.Mark]:
    marks = {}
    for mid in ids:
        status = request.POST.get(f"att_{mid}")
        if status:
            marks[mid] = services.Mark(
                status,
                request.POST.get(f"reason_{mid}", "").strip(),
                request.POST.get(f"excl_{mid}", ""),
            )
    return marks


@staff_required("change")
@require_http_methods(["GET", "POST"])
def record_view(
    request: AuthedRequest, pk: int | None = None, org_pk: int | None = None
) -> HttpResponse:
    """Record a meeting as held: a planned one (pk) or one not on the plan (org_pk)."""
    meeting = selectors.meeting_get(request.user, pk, "change") if pk else None
    org = (
        meeting.organization
        if meeting
        else org_selectors.org_get(request.user, org_pk or 0, "change")
    )
    today = timezone.localdate()
    initial: dict[str, Any] = {
        "held_on": min(meeting.planned_on or today, today) if meeting else today,
        "kind": meeting.kind if meeting else request.GET.get("kind", MeetingKind.THEME_DAY),
    }
    if meeting:
        for f in (
            "topic",
            "place",
            "chair",
            "recorder",
            "speaker",
            "agenda",
            "minutes",
            "decisions",
            "motion",
            "votes_for",
            "votes_against",
            "votes_abstain",
        ):
            initial[f] = getattr(meeting, f)
        if meeting.held_on:
            initial["held_on"] = meeting.held_on
    form = RecordForm(request.POST or None, initial=initial)
    if meeting:
        form.fields["kind"].disabled = True
    kind = meeting.kind if meeting else (request.POST.get("kind") or initial["kind"])
    if kind not in MeetingKind.values:
        kind = MeetingKind.THEME_DAY
    try:
        day = (
            date.fromisoformat(request.POST.get("held_on", ""))
            if request.method == "POST"
            else initial["held_on"]
        )
    except ValueError:
        day = initial["held_on"]
    members = list(
        selectors.roster(org, kind, min(day, today))
        .order_by("member_no")
        .only("pk", "name", "member_no", "status")
    )
    existing = selectors.attendance_by_member(meeting)
    on_leave = selectors.approved_leaves(meeting)
    any_signed = any(a.signed_in_at for a in existing.values())
    rows = []
    for mem in members:
        a = existing.get(mem.pk)
        default = "leave" if mem.pk in on_leave else ("absent" if any_signed else "present")
        status = request.POST.get(f"att_{mem.pk}") or (a.status if a else default)
        reason = a.reason if a else on_leave.get(mem.pk, "")
        rows.append(
            {
                "m": mem,
                "status": status,
                "reason": request.POST.get(f"reason_{mem.pk}", reason),
                "excl": request.POST.get(f"excl_{mem.pk}", a.exclusion if a else ""),
                "signed": a.signed_in_at if a else None,
            }
        )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            m = services.meeting_record(
                actor=request.user,
                meeting=meeting,
                organization=org,
                kind=kind,
                held_on=d["held_on"],
                topic=d["topic"],
                place=d["place"],
                chair=d["chair"],
                recorder=d["recorder"],
                speaker=d["speaker"],
                agenda=d["agenda"],
                minutes=richtext.clean(d["minutes"]),
                decisions=d["decisions"],
                motion=d["motion"],
                votes_for=d["votes_for"],
                votes_against=d["votes_against"],
                votes_abstain=d["votes_abstain"],
                marks=_marks_from_post(request, [x.pk for x in members]),
                files=request.FILES.getlist("files"),
                confirm_duplicate=d["confirm_duplicate"],
            )
        except DomainError as exc:
            if exc.field in ("attendance", "files"):
                messages.error(request, exc.message)
                form.add_error(None, exc.message)
            else:
                add_domain_error(form, exc)
        else:
            gaps = services.record_gaps(m)
            messages.success(
                request,
                "已登记会议记录。" + (f"记录还缺少：{'、'.join(gaps)}，请补全。" if gaps else ""),
            )
            return redirect("meetings:detail", m.pk)
    return render(
        request,
        "meetings/record.html",
        {
            "form": form,
            "org": org,
            "meeting": meeting,
            "rows": rows,
            "statuses": AttendanceStatus.choices,
            "exclusions": Exclusion.choices,
            "accept": ACCEPT,
            "ancestors": org_selectors.org_ancestors(org, request.user),
            "full": sum(1 for x in members if x.status == "full"),
            "probationary": sum(1 for x in members if x.status != "full"),
        },
    )


@staff_required("change")
@require_POST
def void_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """作废 a held record: the reason is required; the record stays, marked void."""
    m = selectors.meeting_get(request.user, pk, "change")
    form = VoidForm(request.POST)
    if not form.is_valid():
        messages.error(request, "作废须填写原因")
        return redirect("meetings:detail", m.pk)
    return perform(
        request,
        lambda: services.meeting_void(
            actor=request.user, meeting=m, reason=form.cleaned_data["reason"]
        ),
        success="已作废该会议记录，记录保留，不再计入组织生活。",
        to="meetings:detail",
        args=(m.pk,),
    )


@staff_required("change")
@require_http_methods(["GET", "POST"])
def appraisal_view(request: AuthedRequest, pk: int) -> HttpResponse:
    m = selectors.meeting_get(request.user, pk, "change")
    if m.kind != MeetingKind.REVIEW or m.status != MeetingStatus.HELD or m.held_on is None:
        messages.error(request, "请先登记已召开的民主评议党员会议，再录入评定等次。")
        return redirect("meetings:detail", m.pk)
    members = list(selectors.roster(m.organization, m.kind, m.held_on).order_by("member_no"))
    current = selectors.grades_of(m)
    # what others said of the year appraised (a review held in the first half looks back at the
    # year before): the residential community's appraisal, through the hook
    year = m.held_on.year - 1 if m.held_on.month <= 6 else m.held_on.year
    notes: dict[int, list[str]] = {}
    for fn in hooks.get_hooks("member_appraisal_notes"):
        for mid, note in fn([x.pk for x in members], year).items():
            notes.setdefault(mid, []).append(note)
    error = ""
    if request.method == "POST":
        grades = {
            x.pk: request.POST.get(f"grade_{x.pk}", "")
            for x in members
            if request.POST.get(f"grade_{x.pk}")
        }
        try:
            counts = services.appraisal_record(actor=request.user, meeting=m, grades=grades)
        except DomainError as exc:
            error, current = exc.message, grades
        else:
            messages.success(
                request,
                "已录入评定等次："
                + "，".join(f"{dict(Grade.choices)[g]}{n}人" for g, n in counts.items() if n)
                + ("。评为不合格的党员已进入处置程序。" if counts.get(Grade.UNQUALIFIED) else "。"),
            )
            return redirect("meetings:detail", m.pk)
    return render(
        request,
        "meetings/appraisal.html",
        {
            "m": m,
            "org": m.organization,
            "rows": [
                {"m": x, "grade": current.get(x.pk, Grade.QUALIFIED), "notes": notes.get(x.pk, [])}
                for x in members
            ],
            "notes_year": year if notes else None,
            "grades": Grade.choices,
            "error": error,
            "limit": len(members) // 3,
            "ancestors": org_selectors.org_ancestors(m.organization, request.user),
        },
    )


@staff_required("change")
@require_POST
def rectification_view(request: AuthedRequest, pk: int) -> HttpResponse:
    m = selectors.meeting_get(request.user, pk, "change")
    form = RectificationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请完整填写整改事项、责任人和完成时限。")
        return redirect("meetings:detail", m.pk)
    return perform(
        request,
        lambda: services.rectification_add(actor=request.user, meeting=m, **form.cleaned_data),
        success="已加入整改清单。",
        to="meetings:detail",
        args=(m.pk,),
    )


@staff_required("change")
@require_POST
def rectification_done_view(request: AuthedRequest, pk: int, rid: int) -> HttpResponse:
    m = selectors.meeting_get(request.user, pk, "change")
    r = selectors.rectification_get(m, rid)
    return perform(
        request,
        lambda: services.rectification_done(
            actor=request.user, rectification=r, done_on=timezone.localdate()
        ),
        success="已标记整改完成。",
        to="meetings:detail",
        args=(m.pk,),
    )


@staff_required("view")
def attachment_view(request: AuthedRequest, pk: int, aid: int) -> Any:
    m = selectors.meeting_get(request.user, pk)
    return uploads.download(selectors.attachment_get(m, aid))


@staff_required("view")
def export_view(request: AuthedRequest, pk: int, fmt: str) -> HttpResponse:
    m = selectors.meeting_get(request.user, pk)
    if m.status != MeetingStatus.HELD:
        raise Http404("会议尚未召开")
    if fmt == "docx":
        data, ctype = (
            minutes_docx(m, who=str(request.user)),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
    elif fmt == "pdf":
        data, ctype = minutes_pdf(m, who=str(request.user)), "application/pdf"
    else:
        raise Http404
    with transaction.atomic():
        audit_record(
            actor=request.user,
            action="meetings.export",
            obj=m,
            organization=m.organization,
            data={"format": fmt, "sha256": hashlib.sha256(data).hexdigest()},
        )
    return uploads.document(data, ctype, f"{m.held_on:%Y%m%d}-{m.get_kind_display()}会议记录.{fmt}")


@staff_required("view")
def member_view(request: AuthedRequest, member_id: int) -> HttpResponse:
    """One member's participation: every meeting of their branch they were expected at, month by
    month,
    approved absences, handling cases."""
    member = member_selectors.member_get(request.user, member_id)
    return render(
        request,
        "meetings/member.html",
        {
            "member": member,
            "org": member.organization,
            **selectors.participation(member),
            "can_change": policy.can(request.user, "change", member.organization),
            "leave_form": LeaveForm(),
            "ancestors": org_selectors.org_ancestors(member.organization, request.user),
        },
    )


@staff_required("change")
@require_POST
def leave_view(request: AuthedRequest, member_id: int) -> HttpResponse:
    member = member_selectors.member_get(request.user, member_id)
    form = LeaveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写请假的开始、结束日期和原因。")
        return redirect("meetings:member", member.pk)
    return perform(
        request,
        lambda: services.leave_approve(actor=request.user, member=member, **form.cleaned_data),
        success="已登记请假，期间不计入连续未参加组织生活。",
        to="meetings:member",
        args=(member.pk,),
    )


@staff_required("view")
def handlings_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk)
    qs = selectors.handlings_of(org)
    return render(
        request,
        "meetings/handlings.html",
        {
            "org": org,
            "page": paginate(request, qs),
            "ancestors": org_selectors.org_ancestors(org, request.user),
        },
    )


@staff_required("change")
@require_http_methods(["GET", "POST"])
def handling_decide_view(request: AuthedRequest, pk: int) -> HttpResponse:
    h = selectors.handling_get(request.user, pk, "change")
    form = DecisionForm(request.POST or None, initial={"decided_on": timezone.localdate()})

    def done(_: Handling) -> HttpResponse:
        messages.success(request, "已登记处置决定。")
        return redirect("meetings:handlings", h.organization_id)

    return submit(
        request,
        form,
        lambda d: services.handling_decide(actor=request.user, handling=h, **d),
        done=done,
    ) or render(
        request,
        "orgs/form.html",
        {
            "org": h.organization,
            "form": form,
            "submit": "登记决定",
            "back": "meetings:handlings",
            "title": f"处置决定：{h.member.name}（{h.get_reason_display()}）",
            "ancestors": org_selectors.org_ancestors(h.organization, request.user),
        },
    )


# ------------------------------------------------------------------ the member's phone


@member_required
def my_view(request: AuthedRequest) -> HttpResponse:
    member = member_selectors.own_member(request.user)
    today = timezone.localdate()
    upcoming = selectors.member_upcoming(member)
    mine = selectors.member_attendance(member)
    year = [a for a in mine if a.meeting.held_on and a.meeting.held_on.year == today.year]
    return render(
        request,
        "meetings/my.html",
        {
            "member": member,
            "upcoming": upcoming,
            "mine": mine,
            "today": today,
            "present": sum(1 for a in year if a.status == AttendanceStatus.PRESENT),
            "expected": len(year),
        },
    )


@member_required
def member_meeting_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """The meeting on the member's phone: what, when, where; the sign-in button on the day (the QR
    code in the room carries the sign-in code)."""
    member = member_selectors.own_member(request.user)
    m, mine = selectors.member_meeting_get(member, pk)
    leave = selectors.my_leave(member, m)
    return render(
        request,
        "meetings/member_meeting.html",
        {
            "m": m,
            "mine": mine,
            "leave": leave,
            "token": request.GET.get("t", ""),
            "today": timezone.localdate(),
        },
    )


@member_required
@require_POST
def sign_in_view(request: AuthedRequest, pk: int) -> HttpResponse:
    m = selectors.meeting_for_sign_in(pk)
    return perform(
        request,
        lambda: services.attendance_sign_in(
            user=request.user, meeting=m, token=request.POST.get("t", "")
        ),
        success="签到成功。",
        to="meetings:member_meeting",
        args=(m.pk,),
    )


@member_required
@require_POST
def leave_request_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """A member asks leave from a meeting on the phone; the branch is told and decides."""
    m = selectors.meeting_for_sign_in(pk)
    return perform(
        request,
        lambda: services.leave_request(
            user=request.user, meeting=m, reason=request.POST.get("reason", "")
        ),
        success="已提交请假，支部审批后会通知您。",
        to="meetings:member_meeting",
        args=(m.pk,),
    )


@staff_required("change")
@require_POST
def leave_decide_view(request: AuthedRequest, pk: int) -> HttpResponse:
    lv = selectors.leave_get(request.user, pk)
    approve = request.POST.get("decision") == "approve"
    return perform(
        request,
        lambda: services.leave_decide(
            actor=request.user, leave=lv, approve=approve, note=request.POST.get("note", "")
        ),
        success="已批准请假，已通知本人。" if approve else "已不予批准，已通知本人。",
        to="meetings:member",
        args=(lv.member_id,),
    )
