"""Learning: publishing (courses, units, resources, assignments), honest study time (heartbeats),
offline sessions, quizzes, opt-in points; and the hours a member has in a year against the
requirement of their role (rules.md §6)."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.accounts.constants import Role
from dangjian.accounts.types import Actor
from dangjian.audit.services import audit_record
from dangjian.core import uploads
from dangjian.core.errors import DomainError, NotVisible
from dangjian.core.richtext import blocks, clean
from dangjian.members.constants import ACTIVE_STATUSES
from dangjian.members.models import Member

from . import search
from .models import (
    Assignment,
    Attempt,
    Course,
    Kind,
    OfflineAttendance,
    OfflineSession,
    Paper,
    PointsChoice,
    PointsSetting,
    Progress,
    Question,
    QuestionKind,
    Resource,
    SessionKind,
    StudyDay,
    Unit,
)
from .selectors import ancestor_paths, resource_visible_to, visible_courses
from .signals import resources_changed

TRANSCRIPT_MAX = 20_000  # characters of a 讲解's transcript
HEARTBEAT_SECONDS = 15  # the page reports every 15 s while it counts
MAX_GAP = (
    HEARTBEAT_SECONDS + 5
)  # at most this much is credited per heartbeat (a sleeping laptop earns nothing)
POINT_SECONDS = 600  # one point per 10 minutes studied


def _change(actor: Actor, org: Any) -> None:
    if actor is not None and not policy.can(actor, "change", org):
        raise NotVisible()


# ---- publishing ----------------------------------------------------------------------------------
# ---


@transaction.atomic(durable=True)
def course_create(
    *,
    actor: Actor,
    publisher: Any,
    title: str,
    summary: str = "",
    topic: str = "",
    units: list[str] | None = None,
) -> Course:
    _change(actor, publisher)
    title = (title or "").strip()
    if not title:
        raise DomainError("required", "请填写课程名称", field="title")
    c = Course.objects.create(
        publisher=publisher,
        title=title[:100],
        summary=(summary or "").strip()[:300],
        topic=(topic or "").strip()[:50],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    names = [u.strip() for u in (units or []) if u.strip()] or ["第一单元"]
    Unit.objects.bulk_create(
        [Unit(course=c, title=n[:100], order=i) for i, n in enumerate(names, 1)]
    )
    audit_record(
        actor=actor,
        action="learning.course_create",
        obj=c,
        organization=publisher,
        data={"title": c.title},
    )
    return c


@transaction.atomic(durable=True)
def course_publish(*, actor: Actor, course: Course, on: date | None = None) -> Course:
    c = Course.objects.select_for_update().select_related("publisher").get(pk=course.pk)
    _change(actor, c.publisher)
    if not Resource.objects.filter(unit__course=c).exists():
        raise DomainError("empty", "课程还没有学习资料，添加后再发布")
    c.published_on = on or timezone.localdate()
    c.save(update_fields=["published_on"])
    resources_changed.send(
        sender=Course,
        resource_ids=list(Resource.objects.filter(unit__course=c).values_list("pk", flat=True)),
    )
    audit_record(
        actor=actor,
        action="learning.course_publish",
        obj=c,
        organization=c.publisher,
        data={"title": c.title},
    )
    return c


@transaction.atomic(durable=True)
def resource_add(
    *,
    actor: Actor,
    unit: Unit,
    kind: str,
    title: str,
    body: str = "",
    upload: Any = None,
    minutes: int = 30,
    transcript: str = "",
) -> Resource:
    """Add an article (rich text), a video or audio (a local file, streamed) or a PDF to a unit.
    A video or audio may carry its transcript (文字稿): a 讲解 the assistant answers from."""

    u = Unit.objects.select_related("course__publisher").get(pk=unit.pk)
    _change(actor, u.course.publisher)
    if kind not in Kind.values:
        raise DomainError("invalid", "请选择资料类型", field="kind")
    title = (title or "").strip()
    if not title:
        raise DomainError("required", "请填写标题", field="title")
    if not 1 <= (minutes or 0) <= 600:
        raise DomainError("invalid", "计入学时上限应为1至600分钟", field="minutes")
    html = clean(body or "")
    transcript = _transcript(kind, transcript)
    stored = None
    if kind == Kind.ARTICLE:
        if not blocks(html):
            raise DomainError("required", "请填写正文", field="body")
    else:
        if upload is None:
            raise DomainError("required", "请上传文件", field="file")
        if kind == Kind.DOCUMENT:
            [stored] = uploads.store([upload], field="file", folder="learning")
            if stored.content_type != "application/pdf":
                uploads.discard([stored])
                raise DomainError("bad_type", "文档请上传PDF", field="file")
        else:
            stored = uploads.store_media(upload, field="file", folder="learning")
            if not stored.content_type.startswith("video/" if kind == Kind.VIDEO else "audio/"):
                uploads.discard([stored])
                raise DomainError(
                    "bad_type", "视频请上传MP4或WebM，音频请上传MP3、M4A、OGG或WAV", field="file"
                )
    text = " ".join(t for _, t in blocks(html))
    try:
        r = Resource.objects.create(
            unit=u,
            kind=kind,
            title=title[:100],
            body=html,
            minutes=minutes,
            path=stored.path if stored else "",
            content_type=stored.content_type if stored else "",
            size=stored.size if stored else 0,
            search_text=search.index_text(f"{title} {u.course.title} {text} {transcript}"),
            transcript=transcript,
        )
        audit_record(
            actor=actor,
            action="learning.resource_add",
            obj=r,
            organization=u.course.publisher,
            data={"title": r.title, "kind": kind},
        )
        if transcript and u.course.published_on is not None:
            resources_changed.send(sender=Resource, resource_ids=[r.pk])
    except Exception:
        if stored is not None:
            uploads.discard([stored])
        raise
    return r


def _transcript(kind: str, transcript: str) -> str:
    transcript = "\n".join(line.strip() for line in (transcript or "").strip().splitlines())
    if transcript and kind not in (Kind.VIDEO, Kind.AUDIO):
        raise DomainError("invalid", "只有视频、音频需要文字稿", field="transcript")
    if len(transcript) > TRANSCRIPT_MAX:
        raise DomainError(
            "too_long",
            f"文字稿不能超过{TRANSCRIPT_MAX}字（现有{len(transcript)}字）",
            field="transcript",
        )
    return transcript


@transaction.atomic(durable=True)
def resource_transcript_set(*, actor: Actor, resource: Resource, transcript: str) -> Resource:
    """Write or correct a video's or audio's transcript (文字稿). Once its course is published the
    assistant answers from it and cites it as a 讲解; an emptied transcript withdraws it."""
    r = (
        Resource.objects.select_for_update()
        .select_related("unit__course__publisher")
        .get(pk=resource.pk)
    )
    _change(actor, r.unit.course.publisher)
    transcript = _transcript(r.kind, transcript)
    if transcript == r.transcript:
        return r
    r.transcript = transcript
    text = " ".join(t for _, t in blocks(r.body))
    r.search_text = search.index_text(f"{r.title} {r.unit.course.title} {text} {transcript}")
    r.save(update_fields=["transcript", "search_text"])
    audit_record(
        actor=actor,
        action="learning.resource_transcript",
        obj=r,
        organization=r.unit.course.publisher,
        data={"title": r.title, "transcript_chars": len(transcript)},
    )
    resources_changed.send(sender=Resource, resource_ids=[r.pk])
    return r


@transaction.atomic(durable=True)
def assignment_create(
    *, actor: Actor, course: Course, organization: Any, due_on: date
) -> Assignment:
    """Require a published course of the members of `organization`'s subtree by `due_on`."""
    _change(actor, organization)
    course = Course.objects.get(pk=course.pk)
    if course.published_on is None:
        raise DomainError("unpublished", "课程发布后才能布置", field="course")
    if not visible_courses(organization).filter(pk=course.pk).exists():
        raise DomainError("scope", "该课程不是本组织或上级组织发布的", field="course")
    if due_on < timezone.localdate():
        raise DomainError("bad_date", "完成期限不能早于今天", field="due_on")
    try:
        with transaction.atomic():
            a = Assignment.objects.create(
                course=course,
                organization=organization,
                due_on=due_on,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError as exc:
        raise DomainError("duplicate", "已向该组织布置过这门课程", field="course") from exc
    audit_record(
        actor=actor,
        action="learning.assign",
        obj=a,
        organization=organization,
        data={"course": course.title, "due_on": due_on.isoformat()},
    )
    return a


# ---- study time ----------------------------------------------------------------------------------
# ---


@transaction.atomic(durable=True)
def study_beat(
    *, member: Member, resource: Resource, visible: bool, playing: bool, position: int = 0
) -> Progress:
    """A heartbeat from the study page. Time counts only since the previous heartbeat, at most
    MAX_GAP
    seconds, only while the page is visible and (for video and audio) the media is playing, and
    never
    beyond the resource's cap. Heartbeats are telemetry: the day's total (StudyDay) is the record,
    not
    an audit event per beat."""
    if not resource_visible_to(member, resource):
        raise NotVisible()
    now = timezone.now()
    p, _ = Progress.objects.select_for_update().get_or_create(member=member, resource=resource)
    counts = visible and (playing or resource.kind in (Kind.ARTICLE, Kind.DOCUMENT))
    credit = 0
    if counts and p.last_beat is not None:
        elapsed = int((now - p.last_beat).total_seconds())
        credit = max(0, min(elapsed, MAX_GAP, resource.minutes * 60 - p.seconds))
    p.last_beat = (
        now if counts else None
    )  # a hidden or paused page restarts the clock when it comes back
    p.position = max(0, min(int(position or 0), 10**7))
    p.seconds += credit
    fields = ["last_beat", "position", "seconds", "updated_at"]
    if p.completed_at is None and p.seconds >= resource.minutes * 60:
        p.completed_at = now
        fields.append("completed_at")
    p.save(update_fields=fields)
    if credit:
        _credit_day(member, timezone.localdate(), credit)
    return p


def _credit_day(member: Member, day: date, seconds: int, points: int = 0) -> None:
    d, _ = StudyDay.objects.select_for_update().get_or_create(member=member, day=day)
    earned = (d.seconds + seconds) // POINT_SECONDS - d.seconds // POINT_SECONDS + points
    setting = PointsSetting.objects.first()
    if (
        earned
        and setting
        and setting.enabled
        and PointsChoice.objects.filter(member=member, points=True).exists()
    ):
        earned = max(0, min(earned, setting.daily_cap - d.points))
    else:
        earned = 0
    StudyDay.objects.filter(pk=d.pk).update(
        seconds=F("seconds") + seconds, points=F("points") + earned
    )


# ---- offline sessions ----------------------------------------------------------------------------
# -----

LENGTHS = {"full_day": Decimal("8.0"), "half_day": Decimal("4.0")}


@transaction.atomic(durable=True)
def session_record(
    *,
    actor: Actor,
    organization: Any,
    kind: str,
    title: str,
    held_on: date,
    length: str,
    hours: Decimal | None,
    members: list[Member],
) -> OfflineSession:
    """Concentrated training, a lecture or collective study with who attended; hours per rules.md §6
    (a full day = 8, a half day = 4, otherwise the hours it lasted)."""
    _change(actor, organization)
    if kind not in SessionKind.values:
        raise DomainError("invalid", "请选择形式", field="kind")
    if not (title or "").strip():
        raise DomainError("required", "请填写主题", field="title")
    if held_on > timezone.localdate():
        raise DomainError("bad_date", "日期不能晚于今天", field="held_on")
    if length in LENGTHS:
        h = LENGTHS[length]
    elif hours is None or not Decimal("0.5") <= hours <= Decimal(8):
        raise DomainError("invalid", "按小时计的学时应为0.5至8", field="hours")
    else:
        h = hours.quantize(Decimal("0.1"))
    if not members:
        raise DomainError("required", "请选择参加的党员", field="members")
    outside = [m.name for m in members if not m.organization.path.startswith(organization.path)]
    if outside:
        raise DomainError("scope", f"{'、'.join(outside[:5])}不是本组织党员", field="members")
    s = OfflineSession.objects.create(
        organization=organization,
        kind=kind,
        title=title.strip()[:100],
        held_on=held_on,
        hours=h,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    OfflineAttendance.objects.bulk_create(
        [OfflineAttendance(session=s, member=m, hours=h) for m in members]
    )
    audit_record(
        actor=actor,
        action="learning.session_record",
        obj=s,
        organization=organization,
        data={"title": s.title, "hours": str(h), "members": len(members)},
    )
    return s


# ---- hours against the requirement ---------------------------------------------------------------
# -------


# ---- quizzes -------------------------------------------------------------------------------------
# -------


@transaction.atomic(durable=True)
def question_add(
    *,
    actor: Actor,
    publisher: Any,
    topic: str,
    kind: str,
    text: str,
    choices: list[str],
    answer: list[int],
    explanation: str = "",
) -> Question:
    _change(actor, publisher)
    if kind not in QuestionKind.values:
        raise DomainError("invalid", "请选择题型", field="kind")
    if not (text or "").strip() or not (topic or "").strip():
        raise DomainError(
            "required", "请填写专题和题目", field="text" if (topic or "").strip() else "topic"
        )
    if kind == QuestionKind.TRUE_FALSE:
        choices = ["正确", "错误"]
    choices = [c.strip() for c in choices if c and c.strip()]
    if len(choices) < 2:
        raise DomainError("invalid", "至少两个选项", field="choices")
    answer = sorted(set(answer))
    if not answer or any(not 0 <= a < len(choices) for a in answer):
        raise DomainError("invalid", "请选择正确答案", field="answer")
    if kind != QuestionKind.MULTI and len(answer) != 1:
        raise DomainError("invalid", "单选题和判断题只有一个正确答案", field="answer")
    q = Question.objects.create(
        publisher=publisher,
        topic=topic.strip()[:50],
        kind=kind,
        text=text.strip()[:500],
        choices=choices,
        answer=answer,
        explanation=(explanation or "").strip()[:500],
    )
    audit_record(
        actor=actor,
        action="learning.question_add",
        obj=q,
        organization=publisher,
        data={"topic": q.topic},
    )
    return q


@transaction.atomic(durable=True)
def paper_assemble(
    *,
    actor: Actor,
    publisher: Any,
    title: str,
    topic: str,
    count: int,
    pass_score: int = 60,
    course: Course | None = None,
    seed: int | None = None,
) -> Paper:
    """A paper of `count` questions drawn from the topic's bank (this organization's and those
    above)."""
    _change(actor, publisher)
    if not (title or "").strip():
        raise DomainError("required", "请填写试卷名称", field="title")
    bank = list(
        Question.objects.filter(
            publisher__path__in=ancestor_paths(publisher), topic=(topic or "").strip()
        ).values_list("id", flat=True)
    )
    if not 1 <= count <= 100:
        raise DomainError("invalid", "题目数量应为1至100", field="count")
    if len(bank) < count:
        raise DomainError(
            "too_few", f"专题“{topic}”只有{len(bank)}道题，不足{count}道", field="count"
        )
    if not 0 <= pass_score <= 100:
        raise DomainError("invalid", "及格分应为0至100", field="pass_score")
    p = Paper.objects.create(
        publisher=publisher,
        title=title.strip()[:100],
        topic=topic.strip()[:50],
        pass_score=pass_score,
        course=course,
    )
    p.questions.set(random.Random(seed).sample(bank, count))
    audit_record(
        actor=actor,
        action="learning.paper_assemble",
        obj=p,
        organization=publisher,
        data={"title": p.title, "count": count},
    )
    return p


def grade(questions: list[Question], answers: dict[str, list[int]]) -> tuple[int, int]:
    """(correct, total): a question is right when the chosen options are exactly the answer."""
    correct = sum(
        1 for q in questions if sorted(set(answers.get(str(q.pk), []))) == sorted(q.answer)
    )
    return correct, len(questions)


@transaction.atomic(durable=True)
def attempt_submit(*, member: Member, paper: Paper, answers: dict[str, list[int]]) -> Attempt:
    if not Paper.objects.filter(
        pk=paper.pk, publisher__path__in=ancestor_paths(member.organization)
    ).exists():
        raise NotVisible()
    if member.status not in ACTIVE_STATUSES:
        raise DomainError("status", "只有在册党员可以答题")
    questions = list(paper.questions.all())
    clean = {
        str(k): [int(i) for i in v if str(i).isdecimal()]
        for k, v in answers.items()
        if isinstance(v, list)
    }
    unanswered = [q for q in questions if not clean.get(str(q.pk))]
    if unanswered:
        raise DomainError("incomplete", f"还有{len(unanswered)}道题未作答", field="answers")
    correct, total = grade(questions, clean)
    score = round(100 * correct / total) if total else 0
    a = Attempt.objects.create(
        paper=paper,
        member=member,
        answers=clean,
        correct=correct,
        total=total,
        score=score,
        passed=score >= paper.pass_score,
    )
    if (
        a.passed
        and not Attempt.objects.filter(paper=paper, member=member, passed=True)
        .exclude(pk=a.pk)
        .exists()
    ):
        _credit_day(member, timezone.localdate(), 0, points=5)
    audit_record(
        actor=None,
        action="learning.attempt",
        obj=a,
        organization=member.organization,
        data={"paper": paper.title, "score": score, "member": member.member_no},
    )
    return a


# ---- points (opt-in) -----------------------------------------------------------------------------
# ----------


@transaction.atomic(durable=True)
def points_configure(
    *, actor: Actor, enabled: bool, daily_cap: int, ranking: bool
) -> PointsSetting:

    if actor is not None and not policy.has_admin_role(actor, Role.SYSTEM_ADMIN):
        raise NotVisible()
    if not 1 <= daily_cap <= 200:
        raise DomainError("invalid", "每日积分上限应为1至200", field="daily_cap")
    s = PointsSetting.objects.select_for_update().first() or PointsSetting()
    s.enabled, s.daily_cap, s.ranking = enabled, daily_cap, ranking and enabled
    s.save()
    audit_record(
        actor=actor,
        action="learning.points_configure",
        obj=s,
        data={"enabled": s.enabled, "daily_cap": daily_cap, "ranking": s.ranking},
    )
    return s


@transaction.atomic(durable=True)
def points_choose(*, member: Member, points: bool, ranking: bool) -> PointsChoice:
    """The member's own choice; appearing in the ranking needs taking part in points."""
    c, _ = PointsChoice.objects.select_for_update().get_or_create(member=member)
    c.points, c.ranking = points, ranking and points
    c.save()
    audit_record(
        actor=None,
        action="learning.points_choose",
        obj=c,
        organization=member.organization,
        data={"member": member.member_no, "points": c.points, "ranking": c.ranking},
    )
    return c
