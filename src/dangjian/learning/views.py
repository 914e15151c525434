"""学习教育 pages. Staff: the library of an organization (courses it and those above published), a
course with its units and resources, publishing, assignments, offline sessions, the question bank
and
papers, hours per member against the requirement, quiz results per branch, points settings. Members
(phone-first): my hours this year against the requirement, what is assigned and due, continue where
I
stopped, search, study a resource (time counted by heartbeats), take a quiz and see the result."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts import policy
from dangjian.accounts.constants import Role
from dangjian.core import uploads
from dangjian.core.errors import DomainError
from dangjian.members import selectors as member_selectors
from dangjian.orgs import selectors as org_selectors
from dangjian.orgs.views import scope_home
from dangjian.web.access import AuthedRequest, admin_required, member_required, staff_required
from dangjian.web.forms import perform, submit
from dangjian.web.paging import PAGE_SIZES, paginate

from . import selectors, services
from .forms import (
    AssignForm,
    CourseForm,
    PaperForm,
    QuestionForm,
    ResourceForm,
    SessionForm,
    TranscriptForm,
)
from .models import (
    Course,
    Kind,
    PointsSetting,
)

# ---- staff ---------------------------------------------------------------------------------------
# ---


def _then(request: AuthedRequest, message: Any, *to: Any) -> Any:
    """The `done` of a form: a success message (a string, or a function of the result) and a
    redirect."""

    def done(result: Any) -> HttpResponse:
        messages.success(request, message(result) if callable(message) else message)
        return redirect(*to)

    return done


home_view = scope_home("learning:library")


@staff_required("view")
def library_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk)
    q = (request.GET.get("q") or "").strip()
    courses = selectors.library_courses(org)
    found = selectors.resources_found(q, courses) if q else None
    return render(
        request,
        "learning/library.html",
        {
            "org": org,
            "ancestors": org_selectors.org_ancestors(org, request.user),
            "page": paginate(request, courses),
            "page_sizes": PAGE_SIZES,
            "q": q,
            "found": found,
            "can_change": policy.can(request.user, "change", org),
            "today": timezone.localdate(),
        },
    )


@staff_required("change")
@require_http_methods(["GET", "POST"])
def course_new_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk, "change")
    form = CourseForm(request.POST or None)

    def done(c: Course) -> HttpResponse:
        messages.success(request, "已创建课程，请添加学习资料后发布。")
        return redirect("learning:course", c.pk)

    return submit(
        request,
        form,
        lambda d: services.course_create(
            actor=request.user,
            publisher=org,
            title=d["title"],
            summary=d["summary"],
            topic=d["topic"],
            units=d["units"].splitlines(),
        ),
        done=done,
    ) or render(
        request,
        "learning/form.html",
        {
            "org": org,
            "form": form,
            "title": "新建课程",
            "ancestors": org_selectors.org_ancestors(org, request.user),
        },
    )


@staff_required("view")
@require_http_methods(["GET", "POST"])
def course_view(request: AuthedRequest, pk: int) -> HttpResponse:
    c = selectors.course_get(request.user, pk)
    can_change = policy.can(request.user, "change", c.publisher)
    rform = ResourceForm(
        request.POST if request.POST.get("form") == "resource" else None, request.FILES or None
    )
    rform.fields["unit"].queryset = c.units.all()  # type: ignore[attr-defined]
    aform = AssignForm(request.POST if request.POST.get("form") == "assign" else None)
    aform.fields["organization"].queryset = selectors.assign_targets(  # type: ignore[attr-defined]
        request.user
    )
    if request.method == "POST":
        which = request.POST.get("form")
        if which == "publish":
            return perform(
                request,
                lambda: services.course_publish(actor=request.user, course=c),
                success="已发布，本组织及下级党员可以学习。",
                to="learning:course",
                args=(c.pk,),
            )
        if which == "resource":
            resp = submit(
                request,
                rform,
                lambda d: services.resource_add(
                    actor=request.user,
                    unit=d["unit"],
                    kind=d["kind"],
                    title=d["title"],
                    body=d["body"],
                    upload=d["file"],
                    minutes=d["minutes"],
                    transcript=d["transcript"],
                ),
                done=_then(request, lambda r: f"已添加“{r.title}”。", "learning:course", c.pk),
            )
            if resp:
                return resp
        if which == "assign":
            resp = submit(
                request,
                aform,
                lambda d: services.assignment_create(
                    actor=request.user, course=c, organization=d["organization"], due_on=d["due_on"]
                ),
                done=_then(request, "已布置。", "learning:course", c.pk),
                field_map={"course": "organization"},
            )
            if resp:
                return resp
    return render(
        request,
        "learning/course.html",
        {
            "c": c,
            "org": c.publisher,
            "ancestors": org_selectors.org_ancestors(c.publisher, request.user),
            **selectors.course_parts(c),
            "rform": rform,
            "aform": aform,
            "can_change": can_change,
        },
        status=400 if (rform.errors or aform.errors) else 200,
    )


@staff_required("view")
@require_http_methods(["GET", "POST"])
def hours_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """A branch: each member's hours this year (online, offline, imported) against the requirement
    of
    their role; the form to record an offline session. Above a branch: the sessions of the subtree.
    """
    org = org_selectors.org_get(request.user, pk)
    today = timezone.localdate()
    try:
        year = min(max(int(request.GET.get("year", today.year)), 2000), today.year)
    except ValueError:
        year = today.year
    form = SessionForm(request.POST or None, initial={"held_on": today, "length": "half_day"})
    on_roll = selectors.studying_members(org)
    form.scope = on_roll
    if org.kind == "branch":  # a branch's roll fits a list; above it, members are named by number
        form.fields["members"].queryset = (  # type: ignore[attr-defined]
            on_roll.select_related("organization").order_by("member_no")
        )
        form.fields["member_nos"].label = "或查找添加"
    else:
        del form.fields["members"]
        form.fields["member_nos"].label = "参加党员"
    form.fields["member_nos"].widget.url = f"{reverse('members:lookup')}?org={org.pk}"  # type: ignore[attr-defined]
    if request.method == "POST":
        org_selectors.org_get(request.user, pk, "change")
        resp = submit(
            request,
            form,
            lambda d: services.session_record(
                actor=request.user,
                organization=org,
                kind=d["kind"],
                title=d["title"],
                held_on=d["held_on"],
                length=d["length"],
                hours=d["hours"],
                members=d["members"],
            ),
            done=_then(
                request, lambda s: f"已登记，每人计{s.hours}学时。", "learning:hours", org.pk
            ),
        )
        if resp:
            return resp
    page = paginate(
        request,
        on_roll.select_related("organization").order_by("organization__path", "member_no"),
        default=50,
    )
    ids = [m.pk for m in page]
    hours = selectors.hours_by_member(ids, year)
    leaders = selectors.leaders(ids, year)
    need_m, need_l = selectors.requirements()
    rows = [
        {
            "m": m,
            "h": hours[m.pk],
            "need": need_l if m.pk in leaders else need_m,
            "leader": m.pk in leaders,
        }
        for m in page
    ]
    sessions = selectors.sessions_of(org, year)
    return render(
        request,
        "learning/hours.html",
        {
            "org": org,
            "ancestors": org_selectors.org_ancestors(org, request.user),
            "year": year,
            "rows": rows,
            "page": page,
            "page_sizes": PAGE_SIZES,
            "form": form,
            "sessions": sessions,
            "can_change": policy.can(request.user, "change", org),
        },
        status=400 if form.errors else 200,
    )


def _answer(raw: str) -> list[int]:
    return [int(x) - 1 for x in raw.replace("，", ",").split(",") if x.strip().isdecimal()]


@staff_required("view")
@require_http_methods(["GET", "POST"])
def quiz_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """The question bank and papers of an organization, and the results per branch (one grouped
    query)."""
    org = org_selectors.org_get(request.user, pk)
    qform = QuestionForm(request.POST if request.POST.get("form") == "question" else None)
    pform = PaperForm(request.POST if request.POST.get("form") == "paper" else None)
    if request.method == "POST":
        org_selectors.org_get(request.user, pk, "change")
        if request.POST.get("form") == "question":
            resp = submit(
                request,
                qform,
                lambda d: services.question_add(
                    actor=request.user,
                    publisher=org,
                    topic=d["topic"],
                    kind=d["kind"],
                    text=d["text"],
                    choices=d["choices"].splitlines(),
                    answer=_answer(d["answer"]),
                    explanation=d["explanation"],
                ),
                done=_then(request, "已加入题库。", "learning:quiz", org.pk),
            )
        else:
            resp = submit(
                request,
                pform,
                lambda d: services.paper_assemble(
                    actor=request.user,
                    publisher=org,
                    title=d["title"],
                    topic=d["topic"],
                    count=d["count"],
                    pass_score=d["pass_score"],
                ),
                done=_then(request, lambda p: f"已组卷“{p.title}”。", "learning:quiz", org.pk),
            )
        if resp:
            return resp
    topics = selectors.question_topics(org)
    papers = selectors.papers_of(org)
    results = selectors.quiz_results(request.user, org)
    return render(
        request,
        "learning/quiz.html",
        {
            "org": org,
            "ancestors": org_selectors.org_ancestors(org, request.user),
            "qform": qform,
            "pform": pform,
            "topics": topics,
            "papers": papers,
            "results": results,
            "can_change": policy.can(request.user, "change", org),
        },
        status=400 if (qform.errors or pform.errors) else 200,
    )


@admin_required(Role.SYSTEM_ADMIN)
@require_http_methods(["GET", "POST"])
def points_view(request: AuthedRequest) -> HttpResponse:
    s = selectors.points_setting() or PointsSetting()
    if request.method == "POST":
        raw_cap = request.POST.get("daily_cap") or "0"
        return perform(
            request,
            lambda: services.points_configure(
                actor=request.user,
                enabled=request.POST.get("enabled") == "on",
                daily_cap=int(raw_cap) if raw_cap.strip().isdecimal() else -1,
                ranking=request.POST.get("ranking") == "on",
            ),
            success="已保存。",
            to="learning:points",
        )
    return render(request, "learning/points.html", {"s": s})


# ---- members -------------------------------------------------------------------------------------
# ---


@member_required
def my_view(request: AuthedRequest) -> HttpResponse:
    """学习 on the phone: my hours this year against the requirement, what is assigned and due,
    where
    I
    stopped, search, quizzes, points (only when the deployment and the member both chose them)."""
    member = member_selectors.own_member(request.user)
    today = timezone.localdate()
    year = selectors.my_study_year(member, today.year)
    h, need = year.hours, year.need
    assigned = selectors.assigned_to(member)
    resume = selectors.resume_point(member)
    q = (request.GET.get("q") or "").strip()
    found = selectors.member_search(member, q) if q else None
    courses = selectors.recent_courses(member.organization)
    papers = selectors.member_papers(member)
    # the setting and the member's choice matter only where the deployment turned points on
    setting = selectors.points_setting() if year.points_on else None
    choice = selectors.points_choice(member) if setting and setting.enabled else None
    points = None
    if setting and setting.enabled and choice and choice.points:
        points = selectors.year_points([member.pk], today.year).get(member.pk, 0)
    rank = selectors.ranking(member.organization, today.year) if (choice and choice.ranking) else []
    return render(
        request,
        "learning/my.html",
        {
            "member": member,
            "h": h,
            "need": need,
            "pct": min(100, int(h["total"] * 100 / need)) if need else 100,
            "assigned": assigned,
            "resume": resume,
            "q": q,
            "found": found,
            "courses": courses,
            "papers": papers,
            "setting": setting,
            "choice": choice,
            "points": points,
            "rank": rank,
            "today": today,
            "online_minutes": int(h["seconds"]) // 60,
            "online_seconds": int(h["seconds"]) % 60,
        },
    )


@member_required
def member_course_view(request: AuthedRequest, pk: int) -> HttpResponse:
    member = member_selectors.own_member(request.user)
    c, units, papers = selectors.member_course_get(member, pk)
    return render(
        request,
        "learning/member_course.html",
        {"c": c, "units": units, "papers": papers},
    )


@member_required
def study_view(request: AuthedRequest, pk: int) -> HttpResponse:
    member = member_selectors.own_member(request.user)
    r = selectors.member_resource_get(member, pk)
    p = selectors.progress_of(member, r)
    return render(
        request,
        "learning/study.html",
        {
            "r": r,
            "p": p,
            "beat": services.HEARTBEAT_SECONDS,
            "cap_minutes": r.minutes,
            "done_minutes": (p.seconds // 60) if p else 0,
        },
    )


@member_required
@require_POST
def beat_view(request: AuthedRequest, pk: int) -> JsonResponse:
    """The study page's heartbeat: {visible, playing, position} → credited seconds so far."""
    member = member_selectors.own_member(request.user)
    r = selectors.member_resource_get(member, pk)
    try:
        data = json.loads(request.body or b"{}")
        if not isinstance(data, dict):
            raise TypeError
        position = int(float(data.get("position") or 0))
    except (ValueError, TypeError, OverflowError):
        return JsonResponse({"detail": "请求格式不正确"}, status=400)
    p = services.study_beat(
        member=member,
        resource=r,
        visible=data.get("visible") is True,
        playing=data.get("playing") is True,
        position=position,
    )
    return JsonResponse(
        {"seconds": p.seconds, "cap": r.minutes * 60, "completed": p.completed_at is not None}
    )


@member_required
def media_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """The resource's file, inline, with range requests (video and audio seek; PDFs display)."""
    member = member_selectors.own_member(request.user)
    r = selectors.member_resource_get(member, pk)
    if not r.path:
        raise Http404
    return uploads.ranged(request, r.path, r.content_type, r.size)


@staff_required("view")
def staff_media_view(request: AuthedRequest, pk: int) -> HttpResponse:
    r = selectors.staff_resource_get(request.user, pk)
    if not r.path:
        raise Http404
    return uploads.ranged(request, r.path, r.content_type, r.size)


@staff_required("view")
@require_http_methods(["GET", "POST"])
def transcript_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """A video's or audio's transcript (文字稿), beside its player: the 讲解 the assistant cites."""
    r = selectors.staff_resource_get(request.user, pk)
    if r.kind not in (Kind.VIDEO, Kind.AUDIO):
        raise Http404("只有视频、音频有文字稿")
    can_change = policy.can(request.user, "change", r.unit.course.publisher)
    form = TranscriptForm(
        request.POST if request.method == "POST" else None, initial={"transcript": r.transcript}
    )
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied("没有修改权限")
        resp = submit(
            request,
            form,
            lambda d: services.resource_transcript_set(
                actor=request.user, resource=r, transcript=d["transcript"]
            ),
            done=_then(request, "文字稿已保存。", "learning:course", r.unit.course_id),
        )
        if resp:
            return resp
    return render(
        request,
        "learning/transcript.html",
        {
            "r": r,
            "c": r.unit.course,
            "org": r.unit.course.publisher,
            "form": form,
            "can_change": can_change,
            "ancestors": org_selectors.org_ancestors(r.unit.course.publisher, request.user),
        },
        status=400 if form.errors else 200,
    )


@member_required
@require_http_methods(["GET", "POST"])
def paper_view(request: AuthedRequest, pk: int) -> HttpResponse:
    member = member_selectors.own_member(request.user)
    paper = selectors.member_paper_get(member, pk)
    questions = list(paper.questions.order_by("id"))
    error = ""
    chosen: dict[int, list[int]] = {}
    if request.method == "POST":
        chosen = {
            q.pk: [int(v) for v in request.POST.getlist(f"q{q.pk}") if v.isdecimal()]
            for q in questions
        }
        try:
            a = services.attempt_submit(
                member=member, paper=paper, answers={str(k): v for k, v in chosen.items()}
            )
        except DomainError as exc:
            error = exc.message
        else:
            return redirect("learning:attempt", a.pk)
    # a refused paper comes back with every answer given kept, the missing ones marked
    rows = [
        {
            "q": q,
            "choices": [(i, c, i in chosen.get(q.pk, [])) for i, c in enumerate(q.choices)],
            "missing": bool(error) and not chosen.get(q.pk),
        }
        for q in questions
    ]
    return render(
        request,
        "learning/paper.html",
        {"paper": paper, "rows": rows, "error": error},
        status=400 if error else 200,
    )


@member_required
def attempt_view(request: AuthedRequest, pk: int) -> HttpResponse:
    member = member_selectors.own_member(request.user)
    a = selectors.member_attempt_get(member, pk)
    rows = [
        {
            "q": q,
            "mine": a.answers.get(str(q.pk), []),
            "right": sorted(a.answers.get(str(q.pk), [])) == sorted(q.answer),
        }
        for q in a.paper.questions.order_by("id")
    ]
    return render(request, "learning/attempt.html", {"a": a, "rows": rows})


@member_required
@require_POST
def points_choice_view(request: AuthedRequest) -> HttpResponse:
    member = member_selectors.own_member(request.user)
    services.points_choose(
        member=member,
        points=request.POST.get("points") == "on",
        ranking=request.POST.get("ranking") == "on",
    )
    messages.success(request, "已保存您的选择。")
    return redirect("learning:my")
