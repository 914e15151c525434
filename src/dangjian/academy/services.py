"""城市党建学院 writes. One transaction each, audited; whoever must act next is told.

The path of a class: the organizer opens it (kind, dates, capacity, who may be nominated, pass
rules) and sets its timetable; branches under the organizer nominate people of their scope; the
organizer accepts up to capacity (the rest wait, and move up when a place frees), declines, and
publishes the roster (trainees and branches are told); trainees sign in to each session on their
phone by the room's QR code; staff record lateness, early leave and leave; the organizer assesses
the class (attendance from session hours, the exam from the quiz paper or entered scores) and the
trainees who complete receive a numbered certificate whose QR code a public page verifies. A
completed 发展对象培训班 fills the candidate's training step; completed hours and concentrated
training are read by the study rules (learning.evidence)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Q, Sum
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.accounts.types import Actor
from dangjian.audit.services import audit_record
from dangjian.core.errors import DomainError, NotVisible
from dangjian.core.fields import phone_field, text_field
from dangjian.enterprises.models import CentreKind, ServiceCentre
from dangjian.learning.models import Attempt, Paper
from dangjian.members.models import Member
from dangjian.notify.services import handover_notice, member_users, notice_send
from dangjian.orgs.constants import OrgKind
from dangjian.orgs.models import Organization, Post
from dangjian.recruitment.constants import Stage
from dangjian.recruitment.models import Candidate
from dangjian.recruitment.services import candidate_step_within

from . import selectors
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
    Purpose,
    Rating,
    SessionAttendance,
    Teacher,
    TrainingClass,
)
from .tasks import certificate_batch

LEADER_POSTS = ("deputy_secretary", "organization", "propaganda", "discipline", "committee_member")
TRAINING_STEP = 11


def _can(actor: Actor, org: Organization | None, action: str = "change", what: str = "") -> None:
    if actor is not None and (org is None or not policy.can(actor, action, org)):
        raise NotVisible(f"没有{what or '该党组织'}的权限")


_text = text_field


def _hours(value: Any, field: str, label: str, *, low: str = "0.5", high: str = "999") -> Decimal:
    try:
        h = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError) as exc:
        raise DomainError("bad_hours", f"{label}应为数字", field=field) from exc
    if not Decimal(low) <= h <= Decimal(high):
        raise DomainError("bad_hours", f"{label}应在{low}到{high}之间", field=field)
    return h


def _lock_class(k: TrainingClass) -> TrainingClass:
    return (
        TrainingClass.objects.select_for_update(of=("self",))
        .select_related("kind", "organizer")
        .get(pk=k.pk)
    )


def _d(d: date) -> str:
    return f"{d:%Y年%-m月%-d日}"


# ---------------------------------------------------------------- teachers and courses


@transaction.atomic(durable=True)
def teacher_create(
    *,
    actor: Actor,
    organization: Organization,
    name: str,
    unit: str = "",
    title: str = "",
    topics: str = "",
    phone: str = "",
) -> Teacher:
    _can(actor, organization)
    phone = phone_field(phone, "phone", "联系电话")
    t = Teacher.objects.create(
        organization=organization,
        name=_text(name, "name", "姓名", 50, required=True),
        unit=_text(unit, "unit", "单位", 100),
        title=_text(title, "title", "职务职称", 50),
        topics=_text(topics, "topics", "授课专题", 200),
        phone=phone,
    )
    audit_record(
        actor=actor,
        action="academy.teacher_create",
        obj=t,
        organization=organization,
        data={"name": t.name},
    )
    return t


@transaction.atomic(durable=True)
def outline_create(
    *,
    actor: Actor,
    organization: Organization,
    title: str,
    topic: str = "",
    summary: str = "",
    hours: Any = 3,
    teacher: Teacher | None = None,
) -> Outline:
    _can(actor, organization)
    if teacher is not None and teacher.organization_id != organization.pk:
        raise DomainError("bad_teacher", "主讲教师应是本党校师资库中的教师", field="teacher")
    o = Outline.objects.create(
        organization=organization,
        title=_text(title, "title", "课程名称", 100, required=True),
        topic=_text(topic, "topic", "专题", 50),
        summary=_text(summary, "summary", "课程大纲", 500),
        hours=_hours(hours, "hours", "学时"),
        teacher=teacher,
    )
    audit_record(
        actor=actor,
        action="academy.outline_create",
        obj=o,
        organization=organization,
        data={"title": o.title},
    )
    return o


# ---------------------------------------------------------------- classes


@dataclass
class ClassData:
    kind: ClassKind
    organizer: Organization
    title: str
    starts_on: date
    ends_on: date
    capacity: int = 50
    hours: Any = 0
    place: str = ""
    base: ServiceCentre | None = None
    eligible: list[str] = field(default_factory=list)
    min_attendance: int | None = 80
    pass_score: int | None = 60
    paper: Paper | None = None
    sign_margin: int = 30
    code: str = ""


def _class_fields(d: ClassData) -> dict[str, Any]:
    if d.organizer.kind == OrgKind.GROUP or not d.organizer.is_active:
        raise DomainError(
            "bad_organizer", "举办单位应是有效的党委或党校所在党组织", field="organizer"
        )
    if d.starts_on is None or d.ends_on is None:
        raise DomainError("required", "请填写开班和结业日期", field="starts_on")
    if d.ends_on < d.starts_on:
        raise DomainError("bad_dates", "结业日期不能早于开班日期", field="ends_on")
    if (d.ends_on - d.starts_on).days > 366:
        raise DomainError("bad_dates", "一个班次不能超过一年", field="ends_on")
    if not 1 <= int(d.capacity or 0) <= 2000:
        raise DomainError("bad_capacity", "名额应在1到2000之间", field="capacity")
    bad = [e for e in d.eligible if e not in Nominee.values]
    if bad:
        raise DomainError("bad_eligible", f"推荐对象无效：{'、'.join(bad)}", field="eligible")
    for value, name, label in (
        (d.min_attendance, "min_attendance", "最低出勤率"),
        (d.pass_score, "pass_score", "考试及格分"),
    ):
        if value is not None and not 0 <= int(value) <= 100:
            raise DomainError("bad_rule", f"{label}应在0到100之间", field=name)
    if d.base is not None and d.base.kind != CentreKind.TRAINING:
        raise DomainError("bad_base", "培训基地应是登记的培训基地", field="base")
    if d.paper is not None and not d.organizer.path.startswith(d.paper.publisher.path):
        raise DomainError(
            "bad_paper", "结业考试试卷应由举办单位或其上级发布，学员才能在手机上作答", field="paper"
        )
    if d.paper is not None and d.pass_score is None:
        raise DomainError("bad_rule", "设置了结业考试试卷，请填写考试及格分", field="pass_score")
    if not 0 <= int(d.sign_margin) <= 240:
        raise DomainError("bad_margin", "签到提前/延后时间应在0到240分钟之间", field="sign_margin")
    return {
        "kind": d.kind,
        "organizer": d.organizer,
        "title": _text(d.title, "title", "班次名称", 100, required=True),
        "starts_on": d.starts_on,
        "ends_on": d.ends_on,
        "capacity": int(d.capacity),
        "hours": _hours(d.hours or 0, "hours", "学时", low="0"),
        "place": _text(d.place, "place", "培训地点", 200),
        "base": d.base,
        "eligible": sorted(set(d.eligible)),
        "min_attendance": d.min_attendance,
        "pass_score": d.pass_score,
        "paper": d.paper,
        "sign_margin": int(d.sign_margin),
    }


def _next_code(org: Organization, year: int) -> str:
    prefix = f"PX{year}{org.code[:12]}-"
    n = TrainingClass.objects.filter(code__startswith=prefix).count() + 1
    while TrainingClass.objects.filter(code=f"{prefix}{n:03d}").exists():
        n += 1
    return f"{prefix}{n:03d}"


@transaction.atomic(durable=True)
def class_create(*, actor: Actor, data: ClassData) -> TrainingClass:
    return class_create_within(actor=actor, data=data)


def class_create_within(*, actor: Actor, data: ClassData) -> TrainingClass:
    _can(actor, data.organizer, "change", f"“{data.organizer.name}”")
    values = _class_fields(data)
    code = _text(data.code, "code", "班次编号", 32) or _next_code(
        data.organizer, data.starts_on.year
    )
    if TrainingClass.objects.filter(code=code).exists():
        raise DomainError("duplicate", f"班次编号“{code}”已存在", field="code")
    k = TrainingClass.objects.create(
        code=code, created_by=actor if getattr(actor, "pk", None) else None, **values
    )
    audit_record(
        actor=actor,
        action="academy.class_create",
        obj=k,
        organization=k.organizer,
        data={"code": k.code, "title": k.title, "kind": k.kind.name},
    )
    if k.starts_on >= timezone.localdate():
        # the organizations under the organizer that may nominate hear of it (committees: their
        # staff pass it on to their branches)
        children = Organization.objects.filter(
            path__under=k.organizer.path, depth=k.organizer.depth + 1, is_active=True
        ).exclude(kind=OrgKind.GROUP)
        for child in children.order_by("path")[:200]:
            responsible = policy.responsible_for("change", child)
            actor_pk = getattr(actor, "pk", None)
            if actor_pk:
                responsible = responsible.exclude(pk=actor_pk)  # not the organizer's own staff
            handover_notice(
                users=responsible,
                organization=child,
                title=f"培训班接受推荐：{k.title}"[:100],
                body=f"{k.organizer.name}举办{k.kind.name}，{_d(k.starts_on)}至{_d(k.ends_on)}，"
                f"名额{k.capacity}人。请在开班前推荐符合条件的人员。",
                url=reverse("academy:class", args=[k.pk]),
                key=f"academy:class:{k.pk}:open:{child.pk}",
            )
    return k


@transaction.atomic(durable=True)
def class_update(*, actor: Actor, klass: TrainingClass, data: ClassData) -> TrainingClass:
    k = _lock_class(klass)
    _can(actor, k.organizer)
    if k.status == ClassStatus.CLOSED:
        raise DomainError("closed", "班次已结业，不能修改")
    values = _class_fields(data)
    values.pop("organizer")
    if k.sessions.filter(Q(on__lt=data.starts_on) | Q(on__gt=data.ends_on)).exists():
        raise DomainError(
            "bad_dates", "已有课程安排在新的日期范围之外，请先调整课表", field="starts_on"
        )
    accepted = k.enrolments.filter(status=EnrolmentStatus.ACCEPTED).count()
    if values["capacity"] < accepted:
        raise DomainError(
            "bad_capacity", f"已录取{accepted}人，名额不能少于已录取人数", field="capacity"
        )
    changed = {k2: str(v) for k2, v in values.items() if getattr(k, k2) != v}
    for name, value in values.items():
        setattr(k, name, value)
    k.save()
    if "capacity" in changed:
        _promote_waiting(actor, k)
    audit_record(
        actor=actor,
        action="academy.class_update",
        obj=k,
        organization=k.organizer,
        data={"changed": sorted(changed)},
    )
    return k


def _class_hours(k: TrainingClass) -> None:
    total = k.sessions.aggregate(h=Sum("hours"))["h"] or Decimal(0)
    if total:
        k.hours = total
        k.save(update_fields=["hours"])


@transaction.atomic(durable=True)
def session_add(
    *,
    actor: Actor,
    klass: TrainingClass,
    on: date,
    starts_at: time,
    ends_at: time,
    topic: str,
    hours: Any = None,
    teacher: Teacher | None = None,
    outline: Outline | None = None,
    place: str = "",
) -> ClassSession:
    k = _lock_class(klass)
    _can(actor, k.organizer)
    if k.status == ClassStatus.CLOSED:
        raise DomainError("closed", "班次已结业，不能修改课表")
    if on is None or not k.starts_on <= on <= k.ends_on:
        raise DomainError(
            "bad_date",
            f"课程日期应在班次日期内（{_d(k.starts_on)}至{_d(k.ends_on)}）",
            field="on",
        )
    if starts_at is None or ends_at is None or ends_at <= starts_at:
        raise DomainError("bad_time", "结束时间应晚于开始时间", field="ends_at")
    clash = k.sessions.filter(on=on, starts_at__lt=ends_at, ends_at__gt=starts_at).first()
    if clash is not None:
        raise DomainError(
            "overlap",
            f"与同日课程“{clash.topic}”（{clash.starts_at:%H:%M}—{clash.ends_at:%H:%M}）时间重叠",
            field="starts_at",
        )
    for obj, label, name in ((teacher, "授课教师", "teacher"), (outline, "课程", "outline")):
        if obj is not None and not k.organizer.path.startswith(obj.organization.path):
            raise DomainError("bad_ref", f"{label}应是举办单位或其上级党校的师资和课程", field=name)
    if hours in (None, ""):
        span = datetime.combine(on, ends_at) - datetime.combine(on, starts_at)
        hours = Decimal(span.seconds) / 3600 if outline is None else outline.hours
    s = ClassSession.objects.create(
        klass=k,
        on=on,
        starts_at=starts_at,
        ends_at=ends_at,
        topic=_text(
            topic or (outline.title if outline else ""), "topic", "内容", 100, required=True
        ),
        hours=_hours(hours, "hours", "学时", high="24"),
        teacher=teacher or (outline.teacher if outline else None),
        outline=outline,
        place=_text(place, "place", "地点", 100),
        token=secrets.token_urlsafe(32),
    )
    _class_hours(k)
    audit_record(
        actor=actor,
        action="academy.session_add",
        obj=k,
        organization=k.organizer,
        data={"on": on.isoformat(), "topic": s.topic, "hours": str(s.hours)},
    )
    return s


@transaction.atomic(durable=True)
def session_remove(*, actor: Actor, session: ClassSession) -> None:
    k = _lock_class(session.klass)
    _can(actor, k.organizer)
    if session.attendance.exists():
        raise DomainError("in_use", "该课程已有签到记录，不能删除")
    topic = session.topic
    session.delete()
    _class_hours(k)
    audit_record(
        actor=actor,
        action="academy.session_remove",
        obj=k,
        organization=k.organizer,
        data={"topic": topic},
    )


# ---------------------------------------------------------------- nomination and enrolment


def person_kinds(member: Member | None, candidate: Candidate | None, on: date) -> set[str]:
    """What the person is, for the class's 推荐对象."""
    if candidate is not None:
        stage = candidate.stage
        if stage in (Stage.TARGET, Stage.ADMISSION):
            return {Nominee.DEVELOPMENT}
        if stage == Stage.ACTIVIST:
            return {Nominee.ACTIVIST}
        return set()
    if member is None:
        return set()
    out = {Nominee.MEMBER.value}
    if member.status == "probationary":
        out.add(Nominee.PROBATIONARY)
    if member.status == "full" and member.full_on and member.full_on > on - timedelta(days=366):
        out.add(Nominee.NEW_MEMBER)
    posts = set(
        Post.objects.filter(member=member, ended_on__isnull=True).values_list("post", flat=True)
    )
    if "secretary" in posts:
        out.add(Nominee.SECRETARY)
    if posts & set(LEADER_POSTS):
        out.add(Nominee.COMMITTEE)
    if member.instructor_roles.filter(ended_on__isnull=True).exists():  # type: ignore[attr-defined]
        out.add(Nominee.INSTRUCTOR)
    return out


@transaction.atomic(durable=True)
def enrolment_nominate(
    *,
    actor: Actor,
    klass: TrainingClass,
    nominated_by: Organization,
    members: list[Member] | None = None,
    candidates: list[Candidate] | None = None,
    note: str = "",
) -> list[Enrolment]:
    """A branch (or committee) nominates people of its scope: all of them or none."""
    k = _lock_class(klass)
    _can(actor, nominated_by, "change", f"“{nominated_by.name}”")
    if not nominated_by.path.startswith(k.organizer.path):
        raise DomainError("bad_scope", f"{nominated_by.name}不在{k.organizer.name}的推荐范围内")
    if k.status == ClassStatus.CLOSED or k.ends_on < timezone.localdate():
        raise DomainError("closed", "班次已结业，不能再推荐")
    people: list[tuple[Member | None, Candidate | None]] = [
        (m, None) for m in dict.fromkeys(members or [])
    ] + [(None, c) for c in dict.fromkeys(candidates or [])]
    if not people:
        raise DomainError("required", "请选择要推荐的人员", field="members")
    out = [_nominate(actor, k, nominated_by, m, c, note) for m, c in people]
    handover_notice(
        organization=k.organizer,
        title=f"培训班推荐待审核：{k.title}"[:100],
        body=f"{nominated_by.name}推荐{'、'.join(e.name for e in out[:10])}"
        f"{'等' if len(out) > 10 else ''}{len(out)}人参加{k.title}，请审核。",
        url=reverse("academy:class", args=[k.pk]) + "?status=nominated",
        key=f"academy:class:{k.pk}:nominated:{out[0].pk}",
    )
    return out


def _nominate(
    actor: Actor,
    k: TrainingClass,
    nominated_by: Organization,
    member: Member | None,
    candidate: Candidate | None,
    note: str,
) -> Enrolment:
    person = member or candidate
    if person is None:
        raise DomainError("required", "请选择要推荐的人员", field="members")
    org = person.organization
    if not org.path.startswith(nominated_by.path):
        raise DomainError(
            "bad_scope", f"{person.name}不在{nominated_by.name}的范围内，不能推荐", field="members"
        )
    if member is not None and member.status not in ("full", "probationary"):
        raise DomainError("bad_person", f"{member.name}不是在册党员", field="members")
    if candidate is not None and (candidate.closed_on or candidate.member_id):
        raise DomainError(
            "bad_person", f"{candidate.name}的发展档案已终止或已入党", field="members"
        )
    kinds = person_kinds(member, candidate, k.starts_on)
    if k.eligible and not kinds & set(k.eligible):
        wanted = "、".join(Nominee(e).label for e in k.eligible)
        raise DomainError(
            "not_eligible", f"本班次推荐对象为{wanted}，{person.name}不符合", field="members"
        )
    who = Q(member=member) if member is not None else Q(candidate=candidate)
    if k.enrolments.filter(who).exclude(status=EnrolmentStatus.WITHDRAWN).exists():
        raise DomainError("duplicate", f"{person.name}已被推荐参加本班次", field="members")
    clash = selectors.overlapping(who, k).select_related("klass").first()
    if clash is not None:
        raise DomainError(
            "overlap",
            f"{person.name}已录取参加“{clash.klass.title}”（{_d(clash.klass.starts_on)}至"
            f"{_d(clash.klass.ends_on)}），与本班次时间重叠",
            field="members",
        )
    chosen = [x for x in Nominee.values if x in kinds and (not k.eligible or x in k.eligible)]
    e, _ = Enrolment.objects.update_or_create(
        klass=k,
        member=member,
        candidate=candidate,
        defaults={
            "name": person.name,
            "nominee": chosen[-1] if chosen else Nominee.MEMBER,
            "nominated_by": nominated_by,
            "status": EnrolmentStatus.NOMINATED,
            "note": _text(note, "note", "推荐理由", 200),
            "nominated_at": timezone.now(),
            "decided_at": None,
            "pass_token": "",
        },
    )
    audit_record(
        actor=actor,
        action="academy.nominate",
        obj=k,
        organization=nominated_by,
        data={"person": person.name, "nominee": e.get_nominee_display()},
    )
    return e


def _tell_enrolment(e: Enrolment, title: str, body: str, event: str = "") -> None:
    """Tell the trainee (a member, on the phone) and the nominating organization; `event`
    distinguishes notices of one status (publication, assessment)."""
    url = reverse("academy:my")
    tag = f"{e.status}{':' + event if event else ''}"
    if e.member_id:
        notice_send(
            users=member_users([e.member_id]),
            organization=e.klass.organizer,
            title=title[:100],
            body=body,
            url=url,
            key=f"academy:enrol:{e.pk}:{tag}",
        )
    handover_notice(
        organization=e.nominated_by,
        title=title[:100],
        body=body,
        url=reverse("academy:class", args=[e.klass_id]),
        key=f"academy:enrol:{e.pk}:{tag}:org",
    )


def _accept(k: TrainingClass, e: Enrolment) -> str:
    """Accept if a place is free (else the waiting list); returns the new status."""
    who = Q(member_id=e.member_id) if e.member_id else Q(candidate_id=e.candidate_id)
    clash = selectors.overlapping(who, k).select_related("klass").first()
    if clash is not None:
        raise DomainError(
            "overlap",
            f"{e.name}已录取参加“{clash.klass.title}”（{_d(clash.klass.starts_on)}至"
            f"{_d(clash.klass.ends_on)}），与本班次时间重叠，不能同时录取",
        )
    taken = k.enrolments.filter(status=EnrolmentStatus.ACCEPTED).count()
    e.status = EnrolmentStatus.ACCEPTED if taken < k.capacity else EnrolmentStatus.WAITING
    e.decided_at = timezone.now()
    if e.status == EnrolmentStatus.ACCEPTED and not e.member_id and not e.pass_token:
        e.pass_token = secrets.token_urlsafe(32)
    e.save(update_fields=["status", "decided_at", "pass_token"])
    return e.status


@transaction.atomic(durable=True)
def enrolment_decide(*, actor: Actor, enrolments: list[Enrolment], accept: bool) -> dict[str, int]:
    """Accept (up to capacity, then the waiting list) or decline nominations of one class."""
    if not enrolments:
        raise DomainError("required", "请选择学员", field="enrolments")
    k = _lock_class(enrolments[0].klass)
    _can(actor, k.organizer)
    if k.status == ClassStatus.CLOSED:
        raise DomainError("closed", "班次已结业")
    counts = {"accepted": 0, "waiting": 0, "declined": 0}
    rows = list(
        Enrolment.objects.select_for_update(of=("self",))
        .filter(pk__in=[e.pk for e in enrolments], klass=k)
        .select_related("klass__organizer", "nominated_by")
        .order_by("nominated_at", "pk")
    )
    for e in rows:
        if e.status not in (EnrolmentStatus.NOMINATED, EnrolmentStatus.WAITING):
            continue
        if accept:
            counts[_accept(k, e)] += 1
        else:
            e.status = EnrolmentStatus.DECLINED
            e.decided_at = timezone.now()
            e.save(update_fields=["status", "decided_at"])
            counts["declined"] += 1
        if k.status == ClassStatus.PUBLISHED or e.status == EnrolmentStatus.DECLINED:
            _tell_enrolment(
                e,
                f"培训班{e.get_status_display()}：{k.title}",
                f"{e.name}：{k.title}（{_d(k.starts_on)}至{_d(k.ends_on)}）"
                f"{e.get_status_display()}。",
            )
    audit_record(
        actor=actor,
        action="academy.decide",
        obj=k,
        organization=k.organizer,
        data={"names": [e.name for e in rows][:50], **counts},
    )
    return counts


def _promote_waiting(actor: Actor, k: TrainingClass) -> list[Enrolment]:
    moved = []
    for e in (
        k.enrolments.select_for_update(of=("self",))
        .filter(status=EnrolmentStatus.WAITING)
        .order_by("nominated_at", "pk")
    ):
        if k.enrolments.filter(status=EnrolmentStatus.ACCEPTED).count() >= k.capacity:
            break
        try:
            with transaction.atomic():
                if _accept(k, e) != EnrolmentStatus.ACCEPTED:
                    break
        except DomainError:
            continue  # enrolled elsewhere meanwhile: stays waiting
        moved.append(e)
        if k.status == ClassStatus.PUBLISHED:
            _tell_enrolment(
                e,
                f"候补转为录取：{k.title}",
                f"{e.name}已由候补转为录取，{_d(k.starts_on)}开班，请按时参加。",
            )
    return moved


@transaction.atomic(durable=True)
def enrolment_withdraw(*, actor: Actor, enrolment: Enrolment, reason: str = "") -> Enrolment:
    """The nominating organization (or the organizer) withdraws someone; the first on the waiting
    list moves up."""
    k = _lock_class(enrolment.klass)
    e = (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("nominated_by")
        .get(pk=enrolment.pk)
    )
    if not (
        policy.can(actor, "change", e.nominated_by) or policy.can(actor, "change", k.organizer)
    ):
        if actor is not None:
            raise NotVisible("没有该学员的权限")
    if k.status == ClassStatus.CLOSED:
        raise DomainError("closed", "班次已结业，不能撤回")
    if e.status in (EnrolmentStatus.WITHDRAWN, EnrolmentStatus.DECLINED):
        raise DomainError("done", f"{e.name}已{e.get_status_display()}")
    was = e.status
    e.status = EnrolmentStatus.WITHDRAWN
    e.decided_at = timezone.now()
    e.pass_token = ""  # the trainee link no longer opens anything
    e.save(update_fields=["status", "decided_at", "pass_token"])
    moved = _promote_waiting(actor, k) if was == EnrolmentStatus.ACCEPTED else []
    audit_record(
        actor=actor,
        action="academy.withdraw",
        obj=k,
        organization=e.nominated_by,
        data={
            "person": e.name,
            "reason": _text(reason, "reason", "原因", 200),
            "moved_up": [m.name for m in moved],
        },
    )
    return e


@transaction.atomic(durable=True)
def roster_publish(*, actor: Actor, klass: TrainingClass) -> int:
    """Publish the roster: the trainees (members on their phone), the nominating organizations
    and those on the waiting list are told."""
    k = _lock_class(klass)
    _can(actor, k.organizer)
    if k.status != ClassStatus.OPEN:
        raise DomainError("status", f"班次{k.get_status_display()}，名单已公布")
    accepted = list(
        k.enrolments.filter(
            status__in=(EnrolmentStatus.ACCEPTED, EnrolmentStatus.WAITING)
        ).select_related("nominated_by", "klass__organizer")
    )
    if not any(e.status == EnrolmentStatus.ACCEPTED for e in accepted):
        raise DomainError("empty", "尚未录取学员，不能公布名单")
    if not k.sessions.exists():
        raise DomainError("no_sessions", "请先排好课表再公布名单")
    k.status = ClassStatus.PUBLISHED
    k.published_at = timezone.now()
    k.save(update_fields=["status", "published_at"])
    first = k.sessions.order_by("on", "starts_at").first()
    assert first is not None  # noqa: S101 (checked above: the timetable is not empty)
    where = k.base.name if k.base_id else k.place  # type: ignore[union-attr]
    for e in accepted:
        if e.status == EnrolmentStatus.ACCEPTED:
            body = (
                f"{e.name}：{k.title}定于{_d(k.starts_on)}开班"
                f"（首次课{first.on:%-m月%-d日}{first.starts_at:%H:%M}，{where or '地点见课表'}），"
                "请按时参加，到场后扫描教室二维码签到。"
            )
        else:
            body = f"{e.name}：{k.title}名额已满，已列入候补，有空额时按推荐先后递补。"
        _tell_enrolment(e, f"培训班名单公布：{k.title}", body, "published")
    audit_record(
        actor=actor,
        action="academy.publish",
        obj=k,
        organization=k.organizer,
        data={"accepted": sum(e.status == EnrolmentStatus.ACCEPTED for e in accepted)},
    )
    return len(accepted)


# ---------------------------------------------------------------- attendance


def _window(s: ClassSession, margin: int) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(s.on, s.starts_at), tz)
    end = timezone.make_aware(datetime.combine(s.on, s.ends_at), tz)
    return start - timedelta(minutes=margin), end + timedelta(minutes=margin)


def trainee_enrolment(user: Any, klass: TrainingClass, pass_token: str = "") -> Enrolment | None:
    """The signed-in person's own accepted enrolment in the class: their member account, or the
    personal trainee link (non-members)."""
    qs = klass.enrolments.filter(status=EnrolmentStatus.ACCEPTED)
    member_id = getattr(user, "member_id", None)
    if member_id:
        e = qs.filter(member_id=member_id).first()
        if e is not None:
            return e
    if pass_token:
        return qs.filter(pass_token=pass_token, member__isnull=True).first()
    return None


@transaction.atomic(durable=True)
def session_sign_in(
    *,
    user: Any,
    session: ClassSession,
    token: str,
    pass_token: str = "",
    now: datetime | None = None,
) -> SessionAttendance:
    """A trainee signs in to a session by the room's QR code: only themself (their own login or
    trainee link), only once, only from `sign_margin` minutes before the start to as long after
    the end."""
    s = (
        ClassSession.objects.select_for_update(of=("self",))
        .select_related("klass")
        .get(pk=session.pk)
    )
    k = s.klass
    if not secrets.compare_digest(token or "", s.token):
        raise DomainError("token", "签到码无效，请扫描教室的二维码签到")
    e = trainee_enrolment(user, k, pass_token)
    if e is None:
        raise DomainError("not_trainee", "您不是本班次的录取学员，请用本人账号或学员链接签到")
    if k.status != ClassStatus.PUBLISHED:
        raise DomainError(
            "status",
            "名单尚未公布，暂不能签到"
            if k.status == ClassStatus.OPEN
            else "班次已结业评定，不能再签到",
        )
    now = now or timezone.now()
    opens, closes = _window(s, k.sign_margin)
    if not opens <= now <= closes:
        raise DomainError(
            "window",
            f"签到时间为{timezone.localtime(opens):%m月%d日 %H:%M}至"
            f"{timezone.localtime(closes):%H:%M}",
        )
    done = SessionAttendance.objects.filter(session=s, enrolment=e).first()
    if done is not None:
        raise DomainError(
            "duplicate",
            f"您已于{timezone.localtime(done.signed_in_at):%H:%M}签到，无需重复签到"
            if done.signed_in_at
            else f"您本次课的出勤已登记为“{done.get_status_display()}”",
        )
    start = timezone.make_aware(
        datetime.combine(s.on, s.starts_at), timezone.get_current_timezone()
    )
    late = max(0, int((now - start).total_seconds() // 60))
    try:
        with transaction.atomic():
            a = SessionAttendance.objects.create(
                session=s,
                enrolment=e,
                status=Presence.LATE if late > 0 else Presence.PRESENT,
                signed_in_at=now,
                minutes=min(late, 999),
            )
    except IntegrityError as exc:
        raise DomainError("duplicate", "您已签到，无需重复签到") from exc
    audit_record(
        actor=user if getattr(user, "pk", None) else None,
        action="academy.sign_in",
        obj=k,
        organization=k.organizer,
        data={"person": e.name, "topic": s.topic},
    )
    return a


@transaction.atomic(durable=True)
def attendance_mark(
    *,
    actor: Actor,
    session: ClassSession,
    enrolment: Enrolment,
    status: str,
    minutes: int = 0,
    note: str = "",
) -> SessionAttendance:
    """The class staff record lateness, early leave, absence or presence (a leave is approved
    through the request)."""
    k = _lock_class(session.klass)
    _can(actor, k.organizer)
    if enrolment.klass_id != k.pk or enrolment.status != EnrolmentStatus.ACCEPTED:
        raise DomainError("not_trainee", "该学员不是本班次的录取学员")
    if status not in Presence.values:
        raise DomainError("bad_status", "出勤情况无效", field="status")
    if k.status == ClassStatus.CLOSED:
        raise DomainError("closed", "班次已结业，出勤不能再修改")
    if session.on > timezone.localdate():
        raise DomainError("bad_date", "课程尚未开始，不能登记出勤")
    if not 0 <= int(minutes or 0) <= 999:
        raise DomainError("bad_minutes", "分钟数应在0到999之间", field="minutes")
    a, _ = SessionAttendance.objects.update_or_create(
        session=session,
        enrolment=enrolment,
        defaults={
            "status": status,
            "minutes": int(minutes or 0) if status in (Presence.LATE, Presence.EARLY) else 0,
            "note": _text(note, "note", "备注", 200),
        },
    )
    audit_record(
        actor=actor,
        action="academy.attendance",
        obj=k,
        organization=k.organizer,
        data={"person": enrolment.name, "topic": session.topic, "status": a.get_status_display()},
    )
    return a


@transaction.atomic(durable=True)
def leave_request(
    *, user: Any, session: ClassSession, reason: str, pass_token: str = ""
) -> LeaveRequest:
    k = session.klass
    e = trainee_enrolment(user, k, pass_token)
    if e is None:
        raise DomainError("not_trainee", "您不是本班次的录取学员")
    if session.on < timezone.localdate():
        raise DomainError("bad_date", "课程已结束，不能再请假")
    if SessionAttendance.objects.filter(session=session, enrolment=e).exists():
        raise DomainError("duplicate", "本次课出勤已登记，不能请假")
    try:
        with transaction.atomic():
            lv = LeaveRequest.objects.create(
                session=session,
                enrolment=e,
                reason=_text(reason, "reason", "请假事由", 200, required=True),
            )
    except IntegrityError as exc:
        raise DomainError("duplicate", "您已就本次课请过假", field="reason") from exc
    handover_notice(
        organization=k.organizer,
        title=f"培训班请假待审批：{e.name}"[:100],
        body=f"{e.name}申请{session.on:%-m月%-d日}“{session.topic}”请假：{lv.reason}",
        url=reverse("academy:class", args=[k.pk]) + "#leaves",
        key=f"academy:leave:{lv.pk}",
    )
    audit_record(
        actor=user if getattr(user, "pk", None) else None,
        action="academy.leave_request",
        obj=k,
        organization=k.organizer,
        data={"person": e.name, "topic": session.topic},
    )
    return lv


@transaction.atomic(durable=True)
def leave_decide(*, actor: Actor, leave: LeaveRequest, approve: bool) -> LeaveRequest:
    lv = (
        LeaveRequest.objects.select_for_update(of=("self",))
        .select_related(
            "session__klass__organizer", "enrolment__nominated_by", "enrolment__klass__organizer"
        )
        .get(pk=leave.pk)
    )
    k = lv.session.klass
    _can(actor, k.organizer)
    if k.status == ClassStatus.CLOSED:
        raise DomainError("closed", "班次已结业评定，请假不能再审批")
    if lv.status != LeaveStatus.REQUESTED:
        raise DomainError("done", f"该请假已{lv.get_status_display()}")
    lv.status = LeaveStatus.APPROVED if approve else LeaveStatus.REFUSED
    lv.decided_at = timezone.now()
    lv.save(update_fields=["status", "decided_at"])
    if (
        approve
        and not SessionAttendance.objects.filter(
            session=lv.session, enrolment=lv.enrolment, signed_in_at__isnull=False
        ).exists()
    ):  # came after all: the sign-in stands
        SessionAttendance.objects.update_or_create(
            session=lv.session,
            enrolment=lv.enrolment,
            defaults={"status": Presence.LEAVE, "note": lv.reason[:200]},
        )
    if lv.enrolment.member_id:
        notice_send(
            users=member_users([lv.enrolment.member_id]),
            organization=k.organizer,
            title=f"请假{lv.get_status_display()}：{lv.session.topic}"[:100],
            body=f"{k.title}{lv.session.on:%-m月%-d日}“{lv.session.topic}”的请假"
            f"{lv.get_status_display()}。请假不计入出勤学时。",
            url=reverse("academy:my"),
            key=f"academy:leave:{lv.pk}:{lv.status}",
        )
    audit_record(
        actor=actor,
        action="academy.leave_decide",
        obj=k,
        organization=k.organizer,
        data={"person": lv.enrolment.name, "status": lv.get_status_display()},
    )
    return lv


@transaction.atomic(durable=True)
def rating_submit(
    *, user: Any, session: ClassSession, score: int, comment: str = "", pass_token: str = ""
) -> Rating:
    e = trainee_enrolment(user, session.klass, pass_token)
    if e is None:
        raise DomainError("not_trainee", "您不是本班次的录取学员")
    if not SessionAttendance.objects.filter(
        session=session, enrolment=e, status__in=(Presence.PRESENT, Presence.LATE, Presence.EARLY)
    ).exists():
        raise DomainError("not_attended", "参加了本次课才能评价")
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise DomainError("bad_score", "评分应为1到5分", field="score")
    try:
        with transaction.atomic():
            r = Rating.objects.create(
                session=session,
                enrolment=e,
                score=score,
                comment=_text(comment, "comment", "意见建议", 300),
            )
    except IntegrityError as exc:
        raise DomainError("duplicate", "您已评价过本次课") from exc
    return r


# ---------------------------------------------------------------- assessment and certificates


@transaction.atomic(durable=True)
def exam_score_record(*, actor: Actor, enrolment: Enrolment, score: int) -> Enrolment:
    """A paper exam's score for a trainee (non-members sit the exam on paper; a member's best
    quiz attempt is read at assessment)."""
    k = _lock_class(enrolment.klass)
    _can(actor, k.organizer)
    if k.status == ClassStatus.CLOSED:
        raise DomainError("closed", "班次已结业，成绩不能再修改")
    if k.pass_score is None:
        raise DomainError("no_exam", "本班次不设结业考试")
    try:
        score = int(score)
    except (TypeError, ValueError) as exc:
        raise DomainError("bad_score", "考试成绩应为0到100的整数", field="score") from exc
    if not 0 <= score <= 100:
        raise DomainError("bad_score", "考试成绩应为0到100的整数", field="score")
    enrolment.exam_score = score
    enrolment.save(update_fields=["exam_score"])
    audit_record(
        actor=actor,
        action="academy.exam_score",
        obj=k,
        organization=k.organizer,
        data={"person": enrolment.name, "score": score},
    )
    return enrolment


def is_complete(k: TrainingClass, pct: Decimal | None, score: int | None) -> bool:
    if k.min_attendance is not None and (pct is None or pct < k.min_attendance):
        return False
    return not (k.pass_score is not None and (score is None or score < k.pass_score))


def shortfall(k: TrainingClass, pct: Decimal | None, score: int | None) -> str:
    out = []
    if k.min_attendance is not None and (pct is None or pct < k.min_attendance):
        out.append(f"出勤率{pct if pct is not None else 0}%，低于{k.min_attendance}%")
    if k.pass_score is not None and (score is None or score < k.pass_score):
        out.append("未参加考试" if score is None else f"考试{score}分，低于{k.pass_score}分")
    return "；".join(out)


def _cert_number(k: TrainingClass) -> str:
    prefix = f"JY{k.ends_on:%Y}-{k.pk:05d}-"
    last = (
        Certificate.objects.filter(number__startswith=prefix).aggregate(m=Max("number"))["m"] or ""
    )
    n = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{n:04d}"


def certificate_issue_within(actor: Actor, e: Enrolment, on: date) -> Certificate:
    if e.completed is not True:
        why = shortfall(e.klass, e.attendance_pct, e.exam_score) or "尚未评定"
        raise DomainError(
            "not_completed",
            f"{e.name}未结业（{why}），不能发放结业证书",
        )
    existing = Certificate.objects.filter(enrolment=e).first()
    if existing is not None:
        return existing
    c = Certificate.objects.create(
        enrolment=e, number=_cert_number(e.klass), token=secrets.token_urlsafe(24), issued_on=on
    )
    audit_record(
        actor=actor,
        action="academy.certificate_issue",
        obj=e.klass,
        organization=e.klass.organizer,
        data={"person": e.name, "number": c.number},
    )
    return c


@transaction.atomic(durable=True)
def certificate_issue(*, actor: Actor, enrolment: Enrolment) -> Certificate:
    k = _lock_class(enrolment.klass)
    _can(actor, k.organizer)
    e = Enrolment.objects.select_related("klass__organizer").get(pk=enrolment.pk)
    return certificate_issue_within(actor, e, timezone.localdate())


def _feed_recruitment(actor: Actor, e: Enrolment, cert: Certificate) -> str:
    """A completed 发展对象培训班 fills the candidate's training step (11) with the class's dates
    and hours; the step's own check applies (3 days or 24 hours). Returns what happened."""
    k = e.klass
    c = e.candidate
    if c is None or k.kind.purpose != Purpose.DEVELOPMENT:
        return ""
    if c.trained_on is not None:
        return "已有集中培训记录"
    try:
        with transaction.atomic():
            candidate_step_within(
                actor=actor,
                candidate=c,
                step=TRAINING_STEP,
                on=k.ends_on,
                training_days=k.days,
                training_hours=int(k.hours),
                training_source="academy",
                training_note=f"{k.title}（{k.code}），结业证书{cert.number}",
            )
    except DomainError as exc:
        handover_notice(
            organization=c.organization,
            title=f"{c.name}已结业，集中培训尚未填入发展档案"[:100],
            body=f"{c.name}已从{k.title}结业（证书{cert.number}），但发展档案的“开展集中培训”"
            f"暂不能自动填入：{exc.message}。请完成前序步骤后登记集中培训。",
            url=reverse("recruitment:detail", args=[c.pk]),
            key=f"academy:feed:{e.pk}",
        )
        return f"未填入：{exc.message}"
    return "已填入发展档案"


@transaction.atomic(durable=True)
def class_assess(*, actor: Actor, klass: TrainingClass, on: date | None = None) -> dict[str, int]:
    """结业评定: each accepted trainee's attendance % from session hours and exam score (the best
    attempt at the class's quiz paper since the class began, or the score entered); those who
    meet the rules complete and receive a certificate; the class closes."""
    k = _lock_class(klass)
    _can(actor, k.organizer)
    today = timezone.localdate()
    on = on or today
    if k.status != ClassStatus.PUBLISHED:
        raise DomainError(
            "status", "名单公布后、结业时才能评定" if k.status == ClassStatus.OPEN else "班次已评定"
        )
    if k.ends_on > today:
        raise DomainError("not_ended", f"班次{_d(k.ends_on)}结束，结束后才能评定")
    rows = list(
        selectors.roster(k)
        .select_related(None)
        .select_related(
            "klass__organizer", "klass__kind", "candidate__organization", "nominated_by"
        )
    )
    best: dict[int, int] = {}
    if k.paper_id:
        for r in (
            Attempt.objects.filter(
                paper_id=k.paper_id,
                member_id__in=[e.member_id for e in rows if e.member_id],
                submitted_at__date__gte=k.starts_on,
            )
            .values("member_id")
            .annotate(s=Max("score"))
        ):
            best[r["member_id"]] = r["s"]
    counts = {"completed": 0, "not_completed": 0, "recruitment": 0}
    for e in rows:
        live = getattr(e, "live_pct", None)
        pct = (
            Decimal(str(live)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            if live is not None
            else None
        )
        score = best.get(e.member_id or 0, e.exam_score) if k.pass_score is not None else None
        if score is not None and e.exam_score is not None:
            score = max(score, e.exam_score)
        e.attendance_pct, e.exam_score = pct, score
        e.completed = is_complete(k, pct, score)
        e.save(update_fields=["attendance_pct", "exam_score", "completed"])
        if e.completed:
            counts["completed"] += 1
            cert = certificate_issue_within(actor, e, on)
            if _feed_recruitment(actor, e, cert) == "已填入发展档案":
                counts["recruitment"] += 1
            body = f"{e.name}：{k.title}已结业，结业证书编号{cert.number}，可在“我的培训”中下载。"
        else:
            counts["not_completed"] += 1
            body = f"{e.name}：{k.title}未达到结业要求（{shortfall(k, pct, score)}）。"
        _tell_enrolment(e, f"培训班结业评定：{k.title}", body, "assessed")
    k.status = ClassStatus.CLOSED
    k.closed_on = on
    k.save(update_fields=["status", "closed_on"])
    audit_record(
        actor=actor,
        action="academy.assess",
        obj=k,
        organization=k.organizer,
        data=counts,
    )
    return counts


@transaction.atomic(durable=True)
def certificate_revoke(*, actor: Actor, certificate: Certificate, reason: str) -> Certificate:
    c = (
        Certificate.objects.select_for_update(of=("self",))
        .select_related("enrolment__klass__organizer")
        .get(pk=certificate.pk)
    )
    k = c.enrolment.klass
    _can(actor, k.organizer)
    if c.revoked_at is not None:
        raise DomainError("done", "证书已撤销")
    c.revoked_reason = _text(reason, "reason", "撤销原因", 200, required=True)
    c.revoked_at = timezone.now()
    c.save(update_fields=["revoked_at", "revoked_reason"])
    audit_record(
        actor=actor,
        action="academy.certificate_revoke",
        obj=k,
        organization=k.organizer,
        data={"person": c.enrolment.name, "number": c.number, "reason": c.revoked_reason},
    )
    return c


@transaction.atomic(durable=True)
def certificate_batch_request(*, actor: Actor, klass: TrainingClass) -> Any:
    """Queue the print job of every valid certificate of the class (the worker builds one PDF)."""
    _can(actor, klass.organizer)
    if not Certificate.objects.filter(enrolment__klass=klass, revoked_at__isnull=True).exists():
        raise DomainError("empty", "本班次没有可打印的结业证书")
    batch = CertificateBatch.objects.create(
        klass=klass, requested_by=actor if getattr(actor, "pk", None) else None
    )
    audit_record(
        actor=actor,
        action="academy.certificate_batch",
        obj=klass,
        organization=klass.organizer,
        data={"batch": batch.pk},
    )
    transaction.on_commit(lambda: certificate_batch(batch.pk))
    return batch
