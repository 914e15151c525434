"""学习教育 pages. Staff: the library of an organization (courses it and those above published), a
course with its units and resources, publishing, assignments, offline sessions, the question bank and
papers, hours per member against the requirement, quiz results per branch, points settings. Members
(phone-first): my hours this year against the requirement, what is assigned and due, continue where I
stopped, search, study a resource (time counted by heartbeats), take a quiz and see the result."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Avg, Count, Max, Q
from django.db.models.functions import Substr
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts import policy
from dangjian.accounts.constants import Role
from dangjian.core import uploads
from dangjian.core.errors import DomainError
from dangjian.members import selectors as member_selectors
from dangjian.members.models import Member
from dangjian.orgs import selectors as org_selectors
from dangjian.orgs.models import Organization
from dangjian.orgs.views import scope_home
from dangjian.web.access import admin_required, member_required, staff_required
from dangjian.web.forms import BootstrapMixin, DateInput, split_numbers, submit
from dangjian.web.paging import PAGE_SIZES, paginate

from . import search, services
from .models import (
    Assignment,
    Attempt,
    Course,
    Kind,
    OfflineSession,
    Paper,
    PointsChoice,
    PointsSetting,
    Progress,
    Question,
    QuestionKind,
    Resource,
    SessionKind,
    Unit,
)

# ---- staff ------------------------------------------------------------------------------------------


def _then(request: HttpRequest, message: Any, *to: Any) -> Any:
    """The `done` of a form: a success message (a string, or a function of the result) and a redirect."""

    def done(result: Any) -> HttpResponse:
        messages.success(request, message(result) if callable(message) else message)
        return redirect(*to)

    return done


home_view = scope_home("learning:library")


@staff_required("view")
def library_view(request: HttpRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk)
    q = (request.GET.get("q") or "").strip()
    # published by this organization or above it, and the drafts of its own subtree (never a superior's draft)
    courses = (
        Course.objects.filter(
            Q(publisher__path__in=services.ancestor_paths(org), published_on__isnull=False)
            | Q(publisher__path__startswith=org.path)
        )
        .select_related("publisher")
        .annotate(n=Count("units__resources"))
        .order_by("-published_on", "-id")
    )
    found = None
    if q:
        found = list(
            Resource.objects.filter(
                search.search_q(q), unit__course__in=courses.values("id")
            ).select_related("unit__course")[:50]
        )
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


class CourseForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label="课程名称", max_length=100)
    topic = forms.CharField(
        label="专题", max_length=50, required=False, help_text="如：党章党规、党史、理论学习"
    )
    summary = forms.CharField(
        label="简介", max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    units = forms.CharField(
        label="单元",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="每行一个单元名称；留空为一个单元",
    )


@staff_required("change")
@require_http_methods(["GET", "POST"])
def course_new_view(request: HttpRequest, pk: int) -> HttpResponse:
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


def _course(request: HttpRequest, pk: int) -> Course:
    c = Course.objects.select_related("publisher").filter(pk=pk).first()
    # staff see courses published in their subtree or above it
    if c is None or not (
        policy.can(request.user, "view", c.publisher)
        or (
            c.published_on is not None
            and any(p.startswith(c.publisher.path) for p in policy.roots(request.user))
        )
    ):
        raise Http404("未找到该课程")
    return c


class ResourceForm(BootstrapMixin, forms.Form):
    unit = forms.ModelChoiceField(label="单元", queryset=Unit.objects.none(), empty_label=None)
    kind = forms.ChoiceField(label="类型", choices=Kind.choices)
    title = forms.CharField(label="标题", max_length=100)
    body = forms.CharField(
        label="正文（图文）", required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    file = forms.FileField(label="文件（视频、音频或PDF）", required=False)
    minutes = forms.IntegerField(
        label="计入学时上限（分钟）",
        min_value=1,
        max_value=600,
        initial=30,
        help_text="学完最多计入的时长；视频、音频一般为其时长",
    )


class AssignForm(BootstrapMixin, forms.Form):
    organization = forms.ModelChoiceField(label="布置给", queryset=Organization.objects.none())
    due_on = forms.DateField(label="完成期限", widget=DateInput())


@staff_required("view")
@require_http_methods(["GET", "POST"])
def course_view(request: HttpRequest, pk: int) -> HttpResponse:
    c = _course(request, pk)
    can_change = policy.can(request.user, "change", c.publisher)
    rform = ResourceForm(
        request.POST if request.POST.get("form") == "resource" else None, request.FILES or None
    )
    rform.fields["unit"].queryset = c.units.all()  # type: ignore[attr-defined]
    aform = AssignForm(request.POST if request.POST.get("form") == "assign" else None)
    aform.fields["organization"].queryset = (
        policy.visible_to(request.user, "change").exclude(kind="group").order_by("path")
    )  # type: ignore[attr-defined]
    if request.method == "POST":
        which = request.POST.get("form")
        if which == "publish":
            try:
                services.course_publish(actor=request.user, course=c)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, "已发布，本组织及下级党员可以学习。")
            return redirect("learning:course", c.pk)
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
    units = list(c.units.prefetch_related("resources"))
    return render(
        request,
        "learning/course.html",
        {
            "c": c,
            "org": c.publisher,
            "ancestors": org_selectors.org_ancestors(c.publisher, request.user),
            "units": units,
            "rform": rform,
            "aform": aform,
            "can_change": can_change,
            "assignments": list(c.assignments.select_related("organization")),
            "papers": list(c.papers.all()),
        },
        status=400 if (rform.errors or aform.errors) else 200,
    )


class SessionForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label="形式", choices=SessionKind.choices)
    title = forms.CharField(label="主题", max_length=100)
    held_on = forms.DateField(label="日期", widget=DateInput())
    length = forms.ChoiceField(
        label="学时计算",
        choices=[
            ("full_day", "全天脱产（8学时）"),
            ("half_day", "半天（4学时）"),
            ("hours", "按实际小时"),
        ],
    )
    hours = forms.DecimalField(
        label="实际小时",
        min_value=Decimal("0.5"),
        max_value=Decimal(8),
        decimal_places=1,
        required=False,
    )
    members = forms.ModelMultipleChoiceField(
        label="参加党员",
        queryset=Member.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text="按住Ctrl或Shift可多选",
    )
    member_nos = forms.CharField(
        label="参加党员的党员编号",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="每行一个，或用逗号、空格分隔",
    )
    scope: Any = Member.objects.none()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        picked = list(data.get("members") or [])
        nos = split_numbers(data.get("member_nos") or "")
        if nos:
            found = {
                m.member_no: m
                for m in self.scope.filter(member_no__in=nos).select_related("organization")
            }
            missing = [n for n in nos if n not in found]
            if missing:
                self.add_error(
                    "member_nos", f"以下编号不是本组织在册党员：{'、'.join(missing[:20])}"
                )
            picked += [found[n] for n in nos if n in found and found[n] not in picked]
        data["members"] = picked
        return data


@staff_required("view")
@require_http_methods(["GET", "POST"])
def hours_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A branch: each member's hours this year (online, offline, imported) against the requirement of
    their role; the form to record an offline session. Above a branch: the sessions of the subtree."""
    org = org_selectors.org_get(request.user, pk)
    today = timezone.localdate()
    try:
        year = min(max(int(request.GET.get("year", today.year)), 2000), today.year)
    except ValueError:
        year = today.year
    form = SessionForm(request.POST or None, initial={"held_on": today, "length": "half_day"})
    on_roll = Member.objects.filter(
        organization__path__startswith=org.path, status__in=["full", "probationary"]
    )
    form.scope = on_roll
    if org.kind == "branch":  # a branch's roll fits a list; above it, members are named by number
        form.fields["members"].queryset = on_roll.select_related("organization").order_by(
            "member_no"
        )  # type: ignore[attr-defined]
        form.fields["member_nos"].label = "或填写党员编号"
    else:
        del form.fields["members"]
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
        Member.objects.filter(
            organization__path__startswith=org.path, status__in=["full", "probationary"]
        )
        .select_related("organization")
        .order_by("organization__path", "member_no"),
        default=50,
    )
    ids = [m.pk for m in page]
    hours = services.hours_by_member(ids, year)
    leaders = services.leaders(ids, year)
    need_m, need_l = services.requirements()
    rows = [
        {
            "m": m,
            "h": hours[m.pk],
            "need": need_l if m.pk in leaders else need_m,
            "leader": m.pk in leaders,
        }
        for m in page
    ]
    sessions = OfflineSession.objects.filter(
        organization__path__startswith=org.path, held_on__year=year
    ).annotate(n=Count("attendance"))[:20]
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


class QuestionForm(BootstrapMixin, forms.Form):
    topic = forms.CharField(label="专题", max_length=50)
    kind = forms.ChoiceField(label="题型", choices=QuestionKind.choices)
    text = forms.CharField(label="题目", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    choices = forms.CharField(
        label="选项",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="每行一个选项（判断题不填）",
    )
    answer = forms.CharField(
        label="正确答案",
        max_length=20,
        help_text="选项序号，从1起；多选用逗号分隔，如 1,3；判断题 1=正确 2=错误",
    )
    explanation = forms.CharField(label="解析", max_length=500, required=False)


class PaperForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label="试卷名称", max_length=100)
    topic = forms.CharField(label="专题", max_length=50)
    count = forms.IntegerField(label="题目数量", min_value=1, max_value=100, initial=10)
    pass_score = forms.IntegerField(label="及格分", min_value=0, max_value=100, initial=60)


def _answer(raw: str) -> list[int]:
    return [int(x) - 1 for x in raw.replace("，", ",").split(",") if x.strip().isdigit()]


@staff_required("view")
@require_http_methods(["GET", "POST"])
def quiz_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The question bank and papers of an organization, and the results per branch (one grouped query)."""
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
    topics = list(
        Question.objects.filter(publisher__path__in=services.ancestor_paths(org))
        .values("topic")
        .annotate(n=Count("id"))
        .order_by("topic")
    )
    papers = list(
        Paper.objects.filter(publisher__path__in=services.ancestor_paths(org)).annotate(
            n=Count("questions", distinct=True)
        )
    )
    width = len(org.path) + org.steplen
    children = {
        c["path"]: c["name"]
        for c in org_selectors.org_children(request.user, org)
        .exclude(kind="group")
        .values("path", "name")
    }
    results: list[dict[str, Any]] = []
    if children:
        rows = (
            Attempt.objects.filter(member__organization__path__startswith=org.path)
            .annotate(prefix=Substr("member__organization__path", 1, width))
            .values("prefix")
            .annotate(
                n=Count("id"),
                people=Count("member", distinct=True),
                avg=Avg("score"),
                passed=Count("id", filter=Q(passed=True)),
            )
            .order_by("prefix")
        )
        results = [{**r, "name": children[r["prefix"]]} for r in rows if r["prefix"] in children]
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
def points_view(request: HttpRequest) -> HttpResponse:
    s = PointsSetting.objects.first() or PointsSetting()
    if request.method == "POST":
        try:
            services.points_configure(
                actor=request.user,
                enabled=request.POST.get("enabled") == "on",
                daily_cap=int(request.POST.get("daily_cap") or 0),
                ranking=request.POST.get("ranking") == "on",
            )
        except (DomainError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", "每日积分上限应为1至200"))
        else:
            messages.success(request, "已保存。")
        return redirect("learning:points")
    return render(request, "learning/points.html", {"s": s})


# ---- members ----------------------------------------------------------------------------------------


def _member_resource(member: Member, pk: int) -> Resource:
    r = Resource.objects.select_related("unit__course").filter(pk=pk).first()
    if r is None or not services.resource_visible_to(member, r):
        raise Http404("未找到该学习资料")
    return r


@member_required
def my_view(request: HttpRequest) -> HttpResponse:
    """学习 on the phone: my hours this year against the requirement, what is assigned and due, where I
    stopped, search, quizzes, points (only when the deployment and the member both chose them)."""
    member = member_selectors.own_member(request.user)
    today = timezone.localdate()
    h = services.hours_by_member([member.pk], today.year)[member.pk]
    need_m, need_l = services.requirements()
    need = need_l if member.pk in services.leaders([member.pk], today.year) else need_m
    paths = services.ancestor_paths(member.organization)
    assigned = list(
        Assignment.objects.filter(organization__path__in=paths)
        .select_related("course")
        .order_by("due_on")[:20]
    )
    done_courses = set(
        Progress.objects.filter(member=member, completed_at__isnull=False)
        .values("resource__unit__course")
        .annotate(n=Count("id"))
        .values_list("resource__unit__course", "n")
    )
    totals = dict(
        Resource.objects.filter(unit__course__in=[a.course_id for a in assigned])
        .values("unit__course")
        .annotate(n=Count("id"))
        .values_list("unit__course", "n")
    )
    done = dict(done_courses)
    for a in assigned:
        a.done, a.total = done.get(a.course_id, 0), totals.get(a.course_id, 0)  # type: ignore[attr-defined]
    resume = (
        Progress.objects.filter(member=member, completed_at__isnull=True)
        .select_related("resource")
        .order_by("-updated_at")
        .first()
    )
    q = (request.GET.get("q") or "").strip()
    found = (
        list(
            Resource.objects.filter(
                search.search_q(q),
                unit__course__in=services.visible_courses(member.organization).values("id"),
            ).select_related("unit__course")[:20]
        )
        if q
        else None
    )
    courses = list(services.visible_courses(member.organization).order_by("-published_on")[:10])
    papers = list(Paper.objects.filter(publisher__path__in=paths).order_by("-created_at")[:10])
    best = dict(
        Attempt.objects.filter(member=member, paper__in=papers)
        .values("paper")
        .annotate(b=Max("score"))
        .values_list("paper", "b")
    )
    for p in papers:
        p.best = best.get(p.pk)  # type: ignore[attr-defined]
    setting = PointsSetting.objects.first()
    choice = PointsChoice.objects.filter(member=member).first()
    points = None
    if setting and setting.enabled and choice and choice.points:
        points = services.year_points([member.pk], today.year).get(member.pk, 0)
    rank = services.ranking(member.organization, today.year) if (choice and choice.ranking) else []
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
def member_course_view(request: HttpRequest, pk: int) -> HttpResponse:
    member = member_selectors.own_member(request.user)
    c = services.visible_courses(member.organization).filter(pk=pk).first()
    if c is None:
        raise Http404("未找到该课程")
    units = list(c.units.prefetch_related("resources"))
    mine = {
        p.resource_id: p for p in Progress.objects.filter(member=member, resource__unit__course=c)
    }
    for u in units:
        for r in u.resources.all():
            r.mine = mine.get(r.pk)  # type: ignore[attr-defined]
    return render(
        request,
        "learning/member_course.html",
        {"c": c, "units": units, "papers": list(c.papers.all())},
    )


@member_required
def study_view(request: HttpRequest, pk: int) -> HttpResponse:
    member = member_selectors.own_member(request.user)
    r = _member_resource(member, pk)
    p = Progress.objects.filter(member=member, resource=r).first()
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
def beat_view(request: HttpRequest, pk: int) -> JsonResponse:
    """The study page's heartbeat: {visible, playing, position} → credited seconds so far."""
    member = member_selectors.own_member(request.user)
    r = _member_resource(member, pk)
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
def media_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The resource's file, inline, with range requests (video and audio seek; PDFs display)."""
    member = member_selectors.own_member(request.user)
    r = _member_resource(member, pk)
    if not r.path:
        raise Http404
    return uploads.ranged(request, r.path, r.content_type, r.size)


@staff_required("view")
def staff_media_view(request: HttpRequest, pk: int) -> HttpResponse:
    r = Resource.objects.select_related("unit__course__publisher").filter(pk=pk).first()
    if r is None or not r.path:
        raise Http404
    _course(request, r.unit.course_id)
    return uploads.ranged(request, r.path, r.content_type, r.size)


@member_required
@require_http_methods(["GET", "POST"])
def paper_view(request: HttpRequest, pk: int) -> HttpResponse:
    member = member_selectors.own_member(request.user)
    paper = Paper.objects.filter(
        pk=pk, publisher__path__in=services.ancestor_paths(member.organization)
    ).first()
    if paper is None:
        raise Http404("未找到该试卷")
    questions = list(paper.questions.order_by("id"))
    error = ""
    if request.method == "POST":
        answers = {
            str(q.pk): [int(v) for v in request.POST.getlist(f"q{q.pk}") if v.isdigit()]
            for q in questions
        }
        try:
            a = services.attempt_submit(member=member, paper=paper, answers=answers)
        except DomainError as exc:
            error = exc.message
        else:
            return redirect("learning:attempt", a.pk)
    return render(
        request,
        "learning/paper.html",
        {"paper": paper, "questions": questions, "error": error},
        status=400 if error else 200,
    )


@member_required
def attempt_view(request: HttpRequest, pk: int) -> HttpResponse:
    member = member_selectors.own_member(request.user)
    a = Attempt.objects.select_related("paper").filter(pk=pk, member=member).first()
    if a is None:
        raise Http404("未找到该答卷")
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
def points_choice_view(request: HttpRequest) -> HttpResponse:
    member = member_selectors.own_member(request.user)
    services.points_choose(
        member=member,
        points=request.POST.get("points") == "on",
        ranking=request.POST.get("ranking") == "on",
    )
    messages.success(request, "已保存您的选择。")
    return redirect("learning:my")
