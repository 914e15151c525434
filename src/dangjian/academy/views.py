"""城市党建学院 pages: the classes (list, a class's page with its timetable and roster, the
organizer's acts), a branch's nomination, a session's sign-in QR code and attendance, the
trainee's phone pages (a member's own login, or the personal trainee link of a non-member), the
certificate and its public verification, the teacher pool and the figures."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date
from typing import Any
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dangjian.accounts import policy
from dangjian.audit.services import audit_record
from dangjian.core.errors import DomainError, NotVisible
from dangjian.core.idnumber import mask_phone
from dangjian.core.pdf import watermark_text
from dangjian.core.uploads import document, open_stored
from dangjian.learning.models import Paper
from dangjian.members.models import Member
from dangjian.orgs.models import Organization, Post
from dangjian.recruitment.constants import Stage
from dangjian.recruitment.models import Candidate
from dangjian.web import site
from dangjian.web.access import AuthedRequest, member_required, staff_required
from dangjian.web.forms import perform, submit
from dangjian.web.paging import paginate

from . import selectors, services
from .documents import certificates_pdf
from .forms import (
    AttendanceForm,
    ClassForm,
    NominateForm,
    OutlineForm,
    RatingForm,
    ReasonForm,
    ScoreForm,
    SessionForm,
    TeacherForm,
)
from .models import (
    Certificate,
    CertificateBatch,
    ClassKind,
    ClassSession,
    ClassStatus,
    Enrolment,
    EnrolmentStatus,
    LeaveRequest,
    LeaveStatus,
    Nominee,
    Outline,
    Presence,
    Rating,
    SessionAttendance,
    Teacher,
    TrainingClass,
)
from .tasks import verify_url

PASS_KEY = "academy_pass"  # noqa: S105 (a session key, not a secret)


def _done(request: HttpRequest, message: str, *to: Any) -> Any:
    def go(_result: Any) -> HttpResponse:
        messages.success(request, message)
        return redirect(*to)

    return go


def _int(raw: str) -> int | None:
    return int(raw) if raw.isdecimal() and len(raw) < 12 else None


def _manages_any(user: Any) -> bool:
    return bool(policy.roots(user, "change"))


@staff_required("view")
def home_view(request: AuthedRequest) -> HttpResponse:
    qs, f = selectors.class_list(request.user, request.GET)
    return render(
        request,
        "academy/home.html",
        {
            "page": paginate(request, qs),
            "f": f,
            "kinds": ClassKind.objects.all(),
            "statuses": ClassStatus.choices,
            "years": range(timezone.localdate().year + 1, timezone.localdate().year - 5, -1),
            "can_open": _manages_any(request.user),
            "tab": "classes",
        },
    )


def _class_form(request: AuthedRequest, form: Any, title: str, back: str) -> HttpResponse:
    return render(
        request,
        "academy/form.html",
        {"form": form, "title": title, "back": back},
        status=400 if form.errors else 200,
    )


def _class_data(d: dict[str, Any], organizer: Organization) -> services.ClassData:
    return services.ClassData(
        kind=d["kind"],
        organizer=organizer,
        title=d["title"],
        starts_on=d["starts_on"],
        ends_on=d["ends_on"],
        capacity=d["capacity"],
        place=d.get("place") or "",
        base=d.get("base"),
        eligible=list(d.get("eligible") or []),
        min_attendance=d.get("min_attendance"),
        pass_score=d.get("pass_score"),
        paper=d.get("paper"),
        sign_margin=int(d["sign_margin"]) if d.get("sign_margin") is not None else 30,
    )


def _papers(user: Any) -> Any:
    """Quiz papers the user's organizations may use: published at or above them, or below."""
    roots = policy.roots(user, "change")
    q = Q(publisher__path__in=selectors.ancestor_paths(roots))
    for r in roots:
        q |= Q(publisher__path__under=r)
    return Paper.objects.filter(q).order_by("-created_at")


@staff_required("change")
def new_view(request: AuthedRequest) -> HttpResponse:
    form = ClassForm(request.POST if request.method == "POST" else None)
    form.fields["paper"].queryset = _papers(request.user)  # type: ignore[attr-defined]
    resp = submit(
        request,
        form,
        lambda d: services.class_create(actor=request.user, data=_class_data(d, d["organizer"])),
        done=lambda k: _done(request, f"已开设{k.title}，请排课表。", "academy:class", k.pk)(k),
    )
    return resp or _class_form(request, form, "开设培训班", reverse("academy:home"))


@staff_required("change")
def edit_view(request: AuthedRequest, pk: int) -> HttpResponse:
    k = selectors.class_get(request.user, pk)
    if not selectors.manages(request.user, k):
        raise NotVisible()
    initial = {
        "kind": k.kind,
        "organizer": k.organizer.code,
        "title": k.title,
        "starts_on": k.starts_on,
        "ends_on": k.ends_on,
        "capacity": k.capacity,
        "base": k.base,
        "place": k.place,
        "eligible": k.eligible,
        "min_attendance": k.min_attendance,
        "pass_score": k.pass_score,
        "paper": k.paper,
        "sign_margin": k.sign_margin,
    }
    form = ClassForm(request.POST if request.method == "POST" else None, initial=initial)
    form.fields["organizer"].disabled = True
    form.fields["paper"].queryset = _papers(request.user)  # type: ignore[attr-defined]
    resp = submit(
        request,
        form,
        lambda d: services.class_update(
            actor=request.user, klass=k, data=_class_data(d, k.organizer)
        ),
        done=lambda r: _done(request, "已保存。", "academy:class", k.pk)(r),
    )
    return resp or _class_form(
        request, form, f"修改班次：{k.title}", reverse("academy:class", args=[k.pk])
    )


def _qr(url: str) -> str:
    return str(
        qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8).to_string(
            encoding="unicode"
        )
    )


@staff_required("view")
def class_view(request: AuthedRequest, pk: int) -> HttpResponse:
    k = selectors.class_get(request.user, pk)
    manages = selectors.manages(request.user, k)
    status = request.GET.get("status", "")
    enrolments = selectors.enrolments_for(request.user, k)
    counts = selectors.status_counts(k) if manages else {}
    roster = (
        selectors.roster(k).filter(pk__in=enrolments.values("pk"))
        if status in ("", "accepted")
        else enrolments.filter(status=status if status in EnrolmentStatus.values else "-")
        .select_related("member", "candidate", "nominated_by")
        .order_by("nominated_at", "pk")
    )
    leaves = (
        LeaveRequest.objects.filter(session__klass=k, status=LeaveStatus.REQUESTED)
        .select_related("session", "enrolment")
        .order_by("session__on", "pk")
        if manages
        else []
    )
    page = paginate(request, roster, default=50)
    # a non-member's trainee link is their credential: only for the nominating organization's
    # staff who pass it on (not view-only supervisors)
    pass_ok = {
        e.pk for e in page if e.pass_token and policy.can(request.user, "change", e.nominated_by)
    }
    nominating = list(
        policy.visible_to(request.user, "change")
        .filter(path__under=k.organizer.path)
        .exclude(kind="group")
        .order_by("depth", "path")[:1]
    )
    return render(
        request,
        "academy/class.html",
        {
            "k": k,
            "manages": manages,
            "sessions": selectors.sessions_with_counts(k),
            "page": page,
            "pass_ok": pass_ok,
            "status": status,
            "counts": counts,
            "mine": enrolments.exclude(status=EnrolmentStatus.WITHDRAWN).count()
            if not manages
            else None,
            "leaves": leaves,
            "nominating": nominating[0] if nominating and k.status != ClassStatus.CLOSED else None,
            "batch": k.batches.order_by("-pk").first() if manages else None,
            "today": timezone.localdate(),
            "presence": Presence.choices,
            "site_url": site.site_url(request),
            "eligible_labels": "、".join(
                Nominee(x).label for x in k.eligible if x in Nominee.values
            ),
            "tab": "classes",
        },
    )


def _class_managed(request: AuthedRequest, pk: int, action: str = "change") -> TrainingClass:
    """The class, for the organizer's staff (and those above it) with `action`."""
    k = selectors.class_get(request.user, pk)
    if not selectors.manages(request.user, k, action):
        raise NotVisible()
    return k


@staff_required("change")
def session_new_view(request: AuthedRequest, pk: int) -> HttpResponse:
    k = _class_managed(request, pk)
    form = SessionForm(request.POST if request.method == "POST" else None)
    form.fields["outline"].queryset = Outline.objects.filter(  # type: ignore[attr-defined]
        organization__path__in=_pool_paths(k.organizer)
    )
    form.fields["teacher"].queryset = Teacher.objects.filter(  # type: ignore[attr-defined]
        organization__path__in=_pool_paths(k.organizer)
    )
    if not form.is_bound:
        form.initial = {"on": k.starts_on, "starts_at": "09:00", "ends_at": "12:00"}
    resp = submit(
        request,
        form,
        lambda d: services.session_add(actor=request.user, klass=k, **d),
        done=lambda s: _done(request, f"已排课：{s.topic}。", "academy:class", k.pk)(s),
    )
    return resp or _class_form(
        request, form, f"排课：{k.title}", reverse("academy:class", args=[k.pk])
    )  # type: ignore[arg-type]


def _pool_paths(org: Organization) -> list[str]:
    """The organizer's teacher pool and the pools above it (the city academy's teachers teach in
    district classes too)."""
    step = Organization.steplen
    return [org.path[:i] for i in range(step, len(org.path) + 1, step)]


@staff_required("change")
@require_POST
def session_remove_view(request: AuthedRequest, pk: int) -> HttpResponse:
    s = ClassSession.objects.filter(pk=pk).first()
    if s is None:
        raise Http404()
    k = _class_managed(request, s.klass_id)
    return perform(
        request,
        lambda: services.session_remove(actor=request.user, session=s),
        success="已删除该课程。",
        to="academy:class",
        args=(k.pk,),
    )


def sign_url(s: ClassSession, request: HttpRequest | None = None) -> str:
    return site.absolute(reverse("academy:sign", args=[s.pk]) + f"?t={s.token}", request)


@staff_required("view")
def session_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """A session for the class staff: the room's QR code and the trainees' attendance."""
    s = ClassSession.objects.select_related("klass", "teacher").filter(pk=pk).first()
    if s is None:
        raise Http404()
    k = _class_managed(request, s.klass_id, "view")
    marks = {a.enrolment_id: a for a in s.attendance.all()}
    trainees = list(
        k.enrolments.filter(status=EnrolmentStatus.ACCEPTED)
        .select_related("nominated_by")
        .order_by("nominated_by__path", "name", "pk")
    )
    for e in trainees:
        e.mark = marks.get(e.pk)  # type: ignore[attr-defined]
    url = sign_url(s, request)
    return render(
        request,
        "academy/session.html",
        {
            "k": k,
            "s": s,
            "trainees": trainees,
            "qr_svg": _qr(url) if k.status == ClassStatus.PUBLISHED else "",
            "sign_url": url,
            "presence": Presence.choices,
            "signed": sum(1 for a in marks.values() if a.signed_in_at),
            "tab": "classes",
        },
    )


@staff_required("change")
@require_POST
def attendance_view(request: AuthedRequest, pk: int) -> HttpResponse:
    s = ClassSession.objects.select_related("klass").filter(pk=pk).first()
    if s is None:
        raise Http404()
    k = _class_managed(request, s.klass_id)
    e = k.enrolments.filter(pk=_int(request.POST.get("enrolment", "")) or 0).first()
    form = AttendanceForm(request.POST)
    if e is None or not form.is_valid():
        messages.error(request, "出勤情况无效：请选择出勤，分钟数为0到999。")
        return redirect("academy:session", s.pk)
    return perform(
        request,
        lambda: services.attendance_mark(
            actor=request.user,
            session=s,
            enrolment=e,
            status=form.cleaned_data["status"],
            minutes=form.cleaned_data.get("minutes") or 0,
            note=form.cleaned_data.get("note") or "",
        ),
        success=f"已登记{e.name}的出勤。",
        to="academy:session",
        args=(s.pk,),
    )


def _nominees(org: Organization, k: TrainingClass) -> tuple[Any, list[tuple[str, str]]]:
    """The people of the organization's subtree the class takes: members (by what they are) and
    the recruitment pipeline's activists and development objects."""
    today = timezone.localdate()
    wanted = set(k.eligible) or set(Nominee.values)
    members = Member.objects.filter(
        organization__path__under=org.path, status__in=("full", "probationary")
    )
    q = Q(pk__in=[])
    if "probationary" in wanted:
        q |= Q(status="probationary")
    if "new_member" in wanted:
        q |= Q(status="full", full_on__gt=date(today.year - 1, today.month, 1))
    posts = Post.objects.filter(ended_on__isnull=True, organization__path__under=org.path)
    if "secretary" in wanted:
        q |= Q(pk__in=posts.filter(post="secretary").values("member_id"))
    if "committee" in wanted:
        q |= Q(pk__in=posts.filter(post__in=services.LEADER_POSTS).values("member_id"))
    if "instructor" in wanted:
        q |= Q(instructor_roles__ended_on__isnull=True)
    ids = list(
        members.filter(q).order_by("organization__path", "name").values_list("pk", flat=True)[:300]
    )
    listed = (
        Member.objects.filter(pk__in=ids)
        .select_related("organization")
        .order_by("organization__path", "name")
    )
    stages = []
    if "development" in wanted:
        stages.append(Stage.TARGET)
    if "activist" in wanted:
        stages.append(Stage.ACTIVIST)
    people = [
        (str(c.pk), f"{c.name}（{getattr(c, 'stage_label', '')}，{c.organization.name}）")
        for c in _open_candidates(org, stages)
    ]
    return listed, people


def _open_candidates(org: Organization, stages: list[Stage]) -> list[Candidate]:
    out = []
    for c in (
        Candidate.objects.filter(
            organization__path__under=org.path,
            closed_on__isnull=True,
            member__isnull=True,
            activist_on__isnull=False,
        )
        .select_related("organization")
        .order_by("organization__path", "name")[:500]
    ):
        stage = Stage.TARGET if c.stage == Stage.ADMISSION else c.stage
        if stage in stages:
            c.stage_label = Stage(stage).label  # type: ignore[attr-defined]
            out.append(c)
    return out


@staff_required("change")
def nominate_view(request: AuthedRequest, pk: int) -> HttpResponse:
    k = selectors.class_get(request.user, pk)
    orgs = (
        policy.visible_to(request.user, "change")
        .filter(path__under=k.organizer.path, is_active=True)
        .exclude(kind="group")
    )
    org = (
        orgs.filter(pk=_int(request.GET.get("org", "")) or 0).first()
        or orgs.order_by("depth", "path").first()
    )
    if org is None:
        raise NotVisible()
    form = NominateForm(request.POST if request.method == "POST" else None)
    listed, people = _nominees(org, k)
    form.fields["members"].queryset = listed  # type: ignore[attr-defined]
    form.fields["members"].label_from_instance = lambda m: f"{m.name}（{m.organization.name}）"  # type: ignore[attr-defined]
    form.fields["others"].queryset = Member.objects.filter(  # type: ignore[attr-defined]
        organization__path__under=org.path, status__in=("full", "probationary")
    )
    form.fields["candidates"].choices = people  # type: ignore[attr-defined]
    resp = submit(
        request,
        form,
        lambda d: services.enrolment_nominate(
            actor=request.user,
            klass=k,
            nominated_by=org,
            members=[*d["members"], *d["others"]],
            candidates=list(
                Candidate.objects.filter(
                    pk__in=[int(x) for x in d["candidates"]],
                    organization__path__under=org.path,
                )
            ),
            note=d.get("note") or "",
        ),
        done=lambda es: _done(
            request, f"已推荐{len(es)}人，待举办单位审核。", "academy:class", k.pk
        )(es),
    )
    return resp or render(
        request,
        "academy/nominate.html",
        {
            "k": k,
            "org": org,
            "orgs": orgs.order_by("depth", "path")[:50],
            "form": form,
            "tab": "classes",
        },
        status=400 if form.errors else 200,
    )


@staff_required("change")
@require_POST
def decide_view(request: AuthedRequest, pk: int) -> HttpResponse:
    k = _class_managed(request, pk)
    ids = [int(x) for x in request.POST.getlist("enrolment") if x.isdecimal() and len(x) < 12]
    accept = request.POST.get("decision") == "accept"
    es = list(k.enrolments.filter(pk__in=ids))
    return perform(
        request,
        lambda: services.enrolment_decide(actor=request.user, enrolments=es, accept=accept),
        success=lambda c: (
            f"已录取{c['accepted']}人"
            + (f"，{c['waiting']}人名额已满列入候补" if c["waiting"] else "")
            + "。"
            if accept
            else f"已不予录取{c['declined']}人。"
        ),
        to=reverse("academy:class", args=[k.pk]) + "?status=nominated",
    )


@staff_required("change")
@require_POST
def withdraw_view(request: AuthedRequest, pk: int) -> HttpResponse:
    e = Enrolment.objects.select_related("klass", "nominated_by").filter(pk=pk).first()
    if e is None:
        raise Http404()
    k = selectors.class_get(request.user, e.klass_id)
    if not selectors.enrolments_for(request.user, k).filter(pk=e.pk).exists():
        raise NotVisible()
    return perform(
        request,
        lambda: services.enrolment_withdraw(
            actor=request.user, enrolment=e, reason=request.POST.get("reason", "")
        ),
        success=f"已撤回{e.name}。",
        to="academy:class",
        args=(k.pk,),
    )


def _post_act(request: AuthedRequest, pk: int, act: Any, success: Any) -> HttpResponse:
    k = _class_managed(request, pk)
    return perform(request, lambda: act(k), success=success, to="academy:class", args=(k.pk,))


@staff_required("change")
@require_POST
def publish_view(request: AuthedRequest, pk: int) -> HttpResponse:
    return _post_act(
        request,
        pk,
        lambda k: services.roster_publish(actor=request.user, klass=k),
        lambda n: f"名单已公布，已通知{n}名学员及推荐单位。",
    )


@staff_required("change")
@require_POST
def assess_view(request: AuthedRequest, pk: int) -> HttpResponse:
    return _post_act(
        request,
        pk,
        lambda k: services.class_assess(actor=request.user, klass=k),
        lambda c: (
            f"结业评定完成：{c['completed']}人结业并发放证书，{c['not_completed']}人未结业"
            + (
                f"；{c['recruitment']}名发展对象的集中培训已填入发展档案"
                if c["recruitment"]
                else ""
            )
            + "。"
        ),
    )


@staff_required("change")
@require_POST
def batch_view(request: AuthedRequest, pk: int) -> HttpResponse:
    return _post_act(
        request,
        pk,
        lambda k: services.certificate_batch_request(actor=request.user, klass=k),
        "已开始生成证书打印文件，完成后在本页下载。",
    )


@staff_required("view")
def batch_file_view(request: AuthedRequest, pk: int) -> HttpResponse:
    b = CertificateBatch.objects.filter(pk=pk, finished_at__isnull=False).first()
    if b is None:
        raise Http404()
    k = _class_managed(request, b.klass_id)
    with open_stored(b.path) as fh:
        data = fh.read()
    _audit_download(request, k, data, {"batch": b.pk, "count": b.count})
    return document(data, "application/pdf", f"结业证书-{b.klass_id}.pdf")


def _audit_download(request: HttpRequest, k: TrainingClass, data: bytes, extra: Any) -> None:
    with transaction.atomic():
        audit_record(
            actor=request.user if request.user.is_authenticated else None,
            action="academy.export",
            obj=k,
            organization=k.organizer,
            data={"format": "pdf", "sha256": hashlib.sha256(data).hexdigest(), **extra},
        )


@staff_required("change")
@require_POST
def leave_decide_view(request: AuthedRequest, pk: int) -> HttpResponse:
    lv = LeaveRequest.objects.select_related("session").filter(pk=pk).first()
    if lv is None:
        raise Http404()
    k = _class_managed(request, lv.session.klass_id)
    approve = request.POST.get("decision") == "approve"
    return perform(
        request,
        lambda: services.leave_decide(actor=request.user, leave=lv, approve=approve),
        success="已批准请假。" if approve else "已不予批准。",
        to="academy:class",
        args=(k.pk,),
    )


@staff_required("change")
@require_POST
def score_view(request: AuthedRequest, pk: int) -> HttpResponse:
    e = Enrolment.objects.filter(pk=pk).first()
    if e is None:
        raise Http404()
    k = _class_managed(request, e.klass_id)
    form = ScoreForm(request.POST)
    if not form.is_valid():
        messages.error(request, "考试成绩应为0到100的整数。")
        return redirect("academy:class", k.pk)
    return perform(
        request,
        lambda: services.exam_score_record(
            actor=request.user, enrolment=e, score=form.cleaned_data["score"]
        ),
        success=f"已登记{e.name}的考试成绩。",
        to="academy:class",
        args=(k.pk,),
    )


@staff_required("change")
@require_POST
def revoke_view(request: AuthedRequest, pk: int) -> HttpResponse:
    c = Certificate.objects.select_related("enrolment").filter(pk=pk).first()
    if c is None:
        raise Http404()
    k = _class_managed(request, c.enrolment.klass_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写撤销原因（200字以内）。")
        return redirect("academy:class", k.pk)
    return perform(
        request,
        lambda: services.certificate_revoke(
            actor=request.user, certificate=c, reason=form.cleaned_data["reason"]
        ),
        success=f"已撤销证书{c.number}。",
        to="academy:class",
        args=(k.pk,),
    )


# ---------------------------------------------------------------- the trainee


def _pass(request: HttpRequest) -> str:
    return str(request.session.get(PASS_KEY, "")) if hasattr(request, "session") else ""


def _trainee_enrolments(request: HttpRequest) -> Any:
    member_id = getattr(request.user, "member_id", None) if request.user.is_authenticated else None
    token = _pass(request)
    q = Q(pk__in=[])
    if member_id:
        q |= Q(member_id=member_id)
    if token:
        q |= Q(pass_token=token, member__isnull=True)
    return (
        Enrolment.objects.filter(q)
        .exclude(status=EnrolmentStatus.WITHDRAWN)
        .select_related("klass__kind", "klass__organizer", "klass__base")
        .order_by("-klass__starts_on")
    )


def _trainee_page(request: HttpRequest, title: str) -> HttpResponse:
    enrolments = list(_trainee_enrolments(request))
    today = timezone.localdate()
    accepted = [e for e in enrolments if e.status == EnrolmentStatus.ACCEPTED]
    sessions = {
        s.pk: s
        for s in ClassSession.objects.filter(klass__in=[e.klass_id for e in accepted])
        .select_related("teacher")
        .order_by("on", "starts_at")
    }
    marks = {
        (a.session_id, a.enrolment_id): a
        for a in SessionAttendance.objects.filter(enrolment__in=accepted)
    }
    rated = set(
        Rating.objects.filter(enrolment__in=accepted).values_list("session_id", "enrolment_id")
    )
    leaves = {
        (lv.session_id, lv.enrolment_id): lv
        for lv in LeaveRequest.objects.filter(enrolment__in=accepted)
    }
    certs = {c.enrolment_id: c for c in Certificate.objects.filter(enrolment__in=enrolments)}
    for e in enrolments:
        e.timetable = [  # type: ignore[attr-defined]
            {
                "s": s,
                "mark": marks.get((s.pk, e.pk)),
                "rated": (s.pk, e.pk) in rated,
                "leave": leaves.get((s.pk, e.pk)),
            }
            for s in sessions.values()
            if s.klass_id == e.klass_id
        ]
        e.cert = certs.get(e.pk)  # type: ignore[attr-defined]
    base = (
        "web/member_base.html"
        if getattr(request.user, "member_id", None)
        else "academy/pass_base.html"
    )
    return render(
        request,
        "academy/my.html",
        {
            "base": base,
            "title": title,
            "enrolments": enrolments,
            "today": today,
            "rating_form": RatingForm(),
        },
    )


@member_required
def my_view(request: AuthedRequest) -> HttpResponse:
    return _trainee_page(request, "我的培训")


def pass_view(request: HttpRequest, token: str) -> HttpResponse:
    """A non-member trainee's own link (sent through the nominating branch): it signs this browser
    in as the trainee for the academy's pages only."""
    e = (
        Enrolment.objects.filter(
            pass_token=token, member__isnull=True, status=EnrolmentStatus.ACCEPTED
        ).first()
        if token and len(token) <= 64
        else None
    )
    if e is None:
        raise Http404("学员链接无效")
    request.session[PASS_KEY] = token
    return _trainee_page(request, "我的培训")


def _trainee_or_404(request: HttpRequest, k: TrainingClass) -> Enrolment:
    e = services.trainee_enrolment(
        request.user if request.user.is_authenticated else None, k, _pass(request)
    )
    if e is None:
        raise Http404()
    return e


def sign_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The room's QR code opens this page: the trainee's own login (member) or trainee link
    signs in; anyone else is asked to sign in first."""
    s = ClassSession.objects.select_related("klass__organizer").filter(pk=pk).first()
    if s is None:
        raise Http404()
    token = (request.POST.get("t") or request.GET.get("t") or "")[:64]
    if not secrets.compare_digest(token, s.token):
        raise Http404("签到码无效，请扫描教室的二维码")
    user = request.user if request.user.is_authenticated else None
    e = services.trainee_enrolment(user, s.klass, _pass(request))
    if request.method == "POST":
        try:
            services.session_sign_in(user=user, session=s, token=token, pass_token=_pass(request))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"签到成功：{s.topic}。")
            return (
                redirect("academy:pass", _pass(request))
                if e and not e.member_id
                else redirect("academy:my")
            )
        return redirect(reverse("academy:sign", args=[s.pk]) + "?" + urlencode({"t": token}))
    return render(
        request,
        "academy/sign.html",
        {
            "s": s,
            "k": s.klass,
            "e": e,
            "token": token,
            "base": "web/member_base.html"
            if getattr(user, "member_id", None)
            else "academy/pass_base.html",
            "login": reverse("portal:login") + "?" + urlencode({"next": request.get_full_path()}),
        },
    )


@require_POST
def leave_view(request: HttpRequest, pk: int) -> HttpResponse:
    s = ClassSession.objects.select_related("klass").filter(pk=pk).first()
    if s is None:
        raise Http404()
    _trainee_or_404(request, s.klass)
    user = request.user if request.user.is_authenticated else None
    try:
        services.leave_request(
            user=user, session=s, reason=request.POST.get("reason", ""), pass_token=_pass(request)
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已提交请假，举办单位审批后通知您。")
    return _back_to_trainee(request)


@require_POST
def rate_view(request: HttpRequest, pk: int) -> HttpResponse:
    s = ClassSession.objects.select_related("klass").filter(pk=pk).first()
    if s is None:
        raise Http404()
    _trainee_or_404(request, s.klass)
    form = RatingForm(request.POST)
    user = request.user if request.user.is_authenticated else None
    if not form.is_valid():
        messages.error(request, "请选择1到5分。")
        return _back_to_trainee(request)
    try:
        services.rating_submit(
            user=user,
            session=s,
            score=form.cleaned_data["score"],
            comment=form.cleaned_data.get("comment") or "",
            pass_token=_pass(request),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "感谢评价（匿名，教师看不到您的姓名）。")
    return _back_to_trainee(request)


def _back_to_trainee(request: HttpRequest) -> HttpResponse:
    if getattr(request.user, "member_id", None):
        return redirect("academy:my")
    token = _pass(request)
    return redirect("academy:pass", token) if token else redirect("portal:login")


def certificate_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The certificate PDF: for the trainee (own login or link), the organizer's staff and the
    nominating organization's staff."""
    c = (
        Certificate.objects.select_related(
            "enrolment__klass__organizer", "enrolment__klass__kind", "enrolment__nominated_by"
        )
        .filter(pk=pk)
        .first()
    )
    if c is None:
        raise Http404()
    e = c.enrolment
    user = request.user if request.user.is_authenticated else None
    own = (
        user is not None and e.member_id and getattr(user, "member_id", None) == e.member_id
    ) or (not e.member_id and e.pass_token and _pass(request) == e.pass_token)
    staff = user is not None and (
        policy.can(user, "view", e.klass.organizer) or policy.can(user, "view", e.nominated_by)
    )
    if not (own or staff):
        if user is None:
            return redirect(
                reverse("portal:login") + "?" + urlencode({"next": request.get_full_path()})
            )
        raise Http404()
    who = getattr(user, "display_name", "") or getattr(user, "username", "") or e.name
    data = certificates_pdf([c], verify_url=verify_url, footer=watermark_text(who))
    _audit_download(request, e.klass, data, {"number": c.number})
    return document(data, "application/pdf", f"结业证书-{c.number}.pdf")


def verify_view(request: HttpRequest, token: str) -> HttpResponse:
    """Public: a certificate's QR code opens this page; it shows only the name, the class and
    whether the certificate is valid (a forged or revoked one: 无效)."""
    c = selectors.certificate_by_token(token)
    return render(
        request,
        "academy/verify.html",
        {"c": c, "valid": c is not None and c.revoked_at is None},
    )


# ---------------------------------------------------------------- teachers, figures


@staff_required("view")
def teachers_view(request: AuthedRequest) -> HttpResponse:
    orgs = policy.visible_to(request.user, "change").exclude(kind="group")
    org = (
        orgs.filter(pk=_int(request.GET.get("org", "")) or 0).first()
        or orgs.order_by("depth", "path").first()
    )
    q = request.GET.get("q", "").strip()[:30]
    teachers = selectors.teachers_visible(request.user, q)
    scope = policy.path_q(request.user, "view", "organization__path")
    ratings = {
        r["session__teacher_id"]: r
        for r in selectors.teacher_ratings(Q(session__teacher__in=teachers.values("pk")))
    }
    page = paginate(request, teachers.order_by("name", "pk"))
    for t in page:
        t.rating = ratings.get(t.pk)  # type: ignore[attr-defined]
        t.phone_masked = mask_phone(t.phone) if t.phone else ""  # type: ignore[attr-defined]
    outlines = (
        Outline.objects.filter(scope).select_related("teacher").order_by("title")[:100]
        if scope is not None
        else []
    )
    tform = TeacherForm(
        request.POST if request.method == "POST" and request.POST.get("form") == "teacher" else None
    )
    oform = OutlineForm(
        request.POST if request.method == "POST" and request.POST.get("form") == "outline" else None
    )
    if org is not None:
        oform.fields["teacher"].queryset = Teacher.objects.filter(organization=org)  # type: ignore[attr-defined]
    if request.method == "POST":
        if org is None:
            raise NotVisible()
        resp = (
            submit(
                request,
                tform,
                lambda d: services.teacher_create(actor=request.user, organization=org, **d),
                done=lambda t: _done(
                    request,
                    f"已加入师资库：{t.name}。",
                    reverse("academy:teachers") + f"?org={org.pk}",
                )(t),
            )
            if tform.is_bound
            else submit(
                request,
                oform,
                lambda d: services.outline_create(actor=request.user, organization=org, **d),
                done=lambda o: _done(
                    request,
                    f"已添加课程：{o.title}。",
                    reverse("academy:teachers") + f"?org={org.pk}",
                )(o),
            )
        )
        if resp:
            return resp
    return render(
        request,
        "academy/teachers.html",
        {
            "page": page,
            "outlines": outlines,
            "org": org,
            "orgs": orgs.order_by("depth", "path")[:50],
            "tform": tform,
            "oform": oform,
            "q": q,
            "tab": "teachers",
        },
        status=400 if tform.errors or oform.errors else 200,
    )


@staff_required("view")
def figures_view(request: AuthedRequest) -> HttpResponse:
    year, org = selectors.figures_params(request.user, request.GET)
    roots = list(policy.visible_to(request.user).filter(path__in=policy.roots(request.user)))
    return render(
        request,
        "academy/figures.html",
        {
            "year": year,
            "org": org,
            "roots": roots,
            "years": range(timezone.localdate().year, timezone.localdate().year - 5, -1),
            "fig": selectors.figures(request.user, year, org),
            "tab": "figures",
        },
    )
