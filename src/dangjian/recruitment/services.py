"""Recruitment writes: application, each of the 25 steps with its order and interval checked, public
notice in working days, exceptions approved higher up, admission (creates the probationary member
and opens their fee ledger from the admission month), extension, cancellation, conversion.

Every write is one durable transaction with its audit event; an out-of-order or too-early step is
refused with the rule, the dates and the article; nothing is half-written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.accounts.constants import Role
from dangjian.accounts.types import Actor
from dangjian.audit.services import audit_record
from dangjian.core import crypto, idnumber, uploads
from dangjian.core.dates import add_months
from dangjian.core.errors import DomainError, NotVisible
from dangjian.fees import bands
from dangjian.members import numbering
from dangjian.members import validation as v
from dangjian.members.models import Member
from dangjian.members.services import MemberData, member_change_status_within, member_create_within
from dangjian.notify.services import handover_notice

from .constants import AFTER, COMMITTEE_STEPS, STEP_BY_NO
from .models import Assessment, Candidate, Document, Holiday, HolidaySource, StepException
from .selectors import approving_committee, probation_end, working_days
from .versions import default_version, params

# ------------------------------------------------------------------ rule versions


# ------------------------------------------------------------------ working days


@transaction.atomic(durable=True)
def holiday_set(*, actor: Actor, day: date, workday: bool, name: str) -> Holiday:

    if not policy.has_admin_role(actor, Role.SYSTEM_ADMIN):
        raise NotVisible()
    name = (name or "").strip()[:30]
    # a correction by hand: the package's yearly loads leave it alone
    h, _ = Holiday.objects.update_or_create(
        day=day, defaults={"workday": workday, "name": name, "source": HolidaySource.ADMIN}
    )
    audit_record(
        actor=actor,
        action="recruitment.holiday",
        obj=h,
        data={"day": day.isoformat(), "workday": workday, "name": name},
    )
    return h


# ------------------------------------------------------------------ helpers


def _check_org(actor: Actor, org: Any) -> None:
    if not policy.can(actor, "change", org):
        raise NotVisible()


def _lock(c: Candidate) -> Candidate:
    return Candidate.objects.select_for_update().select_related("organization").get(pk=c.pk)


def _d(x: date | None) -> str:
    return f"{x:%Y-%m-%d}" if x else "（未填）"


def _excepted(c: Candidate, step: int) -> bool:
    return StepException.objects.filter(candidate=c, step=step).exists()


def _refuse(rule: str, message: str, field: str = "on") -> DomainError:
    return DomainError(rule, message, field=field)


# ------------------------------------------------------------------ application


@dataclass
class Person:
    person_no: str
    name: str
    gender: str
    birth_date: date
    id_number: str = ""


@transaction.atomic(durable=True)
def candidate_apply(
    *,
    actor: Actor,
    organization: Any,
    person: Person,
    applied_on: date,
    files: list[Any] | None = None,
) -> Candidate:
    """Step 1: an application received by a branch. The applicant is 18 or older on the day (PC Art
    1), not already in the pipeline nor a member. An empty number is given from the deployment's
    pattern (DANGJIAN_APPLICANT_NO_PATTERN)."""
    _check_org(actor, organization)
    if organization.kind != "branch":
        raise DomainError("invalid", "入党申请由党支部受理，请选择党支部", field="organization")
    try:
        person_no = v.check_member_no(person.person_no) if person.person_no.strip() else ""
        name = v.check_name(person.name)
    except v.FieldError as exc:
        raise DomainError(
            "invalid", str(exc), field="person_no" if "编号" in str(exc) else "name"
        ) from exc
    if person.gender not in ("男", "女"):
        raise DomainError("invalid", "请选择性别", field="gender")
    today = timezone.localdate()
    if applied_on is None or applied_on > today:
        raise DomainError("bad_date", "递交申请日期不能为空且不能晚于今天", field="applied_on")
    if person.birth_date is None or person.birth_date >= applied_on:
        raise DomainError("bad_date", "出生日期应早于申请日期", field="birth_date")
    version = default_version()
    adult = add_months(person.birth_date, 12 * params(version)["min_age"])
    if applied_on < adult:
        raise _refuse(
            "DEV-01",
            f"申请人递交申请时未满18周岁（出生{_d(person.birth_date)}，申请{_d(applied_on)}，"
            f"{_d(adult)}年满18周岁）。《党章》第一条：年满十八岁的中国人可以申请入党。",
            "birth_date",
        )
    idn = idnumber.normalize(person.id_number or "")
    index = ""
    if idn:
        reason = idnumber.validate(idn)
        if reason:
            raise DomainError("invalid", reason, field="id_number")
        if idnumber.birth_date(idn) != person.birth_date or idnumber.gender(idn) != person.gender:
            raise DomainError("invalid", "身份证号与出生日期或性别不一致", field="id_number")
        index = crypto.blind_index(idn)
        if Candidate.objects.filter(
            id_number_index=index, closed_on__isnull=True, cancelled_on__isnull=True
        ).exists():
            raise DomainError(
                "duplicate", "此人已在发展党员流程中，不能重复建立档案", field="id_number"
            )
        if Member.objects.filter(id_number_index=index).exists():
            raise DomainError("duplicate", "此人已是党员", field="id_number")
    if not person_no:
        [person_no] = numbering.allocate(
            "applicant",
            1,
            Candidate.objects.all(),
            "person_no",
            taken=lambda nos: (
                set(Candidate.objects.filter(person_no__in=nos).values_list("person_no", flat=True))
                | set(Member.objects.filter(member_no__in=nos).values_list("member_no", flat=True))
            ),
        )
    elif (
        Candidate.objects.filter(person_no=person_no).exists()
        or Member.objects.filter(member_no=person_no).exists()
    ):
        raise DomainError("duplicate", f"编号“{person_no}”已被使用", field="person_no")
    stored = uploads.store(files or [], folder="recruitment")
    try:
        c = Candidate.objects.create(
            person_no=person_no,
            name=name,
            gender=person.gender,
            birth_date=person.birth_date,
            organization=organization,
            rule_version=version,
            applied_on=applied_on,
            id_number_encrypted=crypto.encrypt(idn) if idn else "",
            id_number_index=index,
            id_number_masked=idnumber.mask(idn) if idn else "",
        )
        _attach(c, 1, stored, actor)
        audit_record(
            actor=actor,
            action="recruitment.apply",
            obj=c,
            organization=organization,
            data={
                "person_no": person_no,
                "applied_on": applied_on.isoformat(),
                "files": [f.sha256 for f in stored],
            },
        )
    except BaseException:
        uploads.discard(stored)
        raise
    return c


def _attach(c: Candidate, step: int, stored: list[uploads.StoredFile], actor: Actor) -> None:
    uploads.records(Document, stored, actor, candidate=c, step=step)


# ------------------------------------------------------------------ the steps


# the step that must come before each (FZ14's "must follow" column)


# steps that belong to the grassroots committee with approval power, not to the branch (FZ14 Arts 8,
# 19, 24, 25, 34)


@dataclass
class Vote:
    voting_expected: int
    voting_present: int
    votes_for: int
    votes_against: int = 0
    votes_abstain: int = 0


def _check_vote(vote: Vote | None, what: str) -> dict[str, int]:
    """ZB Art 11 / FZ14 Arts 20-22: more than half of the voting members present; passes with more
    than half of the voting members who should attend; the counts add up."""
    if vote is None:
        raise DomainError("required", f"请填写{what}的表决情况", field="votes_for")
    nums = (
        vote.voting_expected,
        vote.voting_present,
        vote.votes_for,
        vote.votes_against,
        vote.votes_abstain,
    )
    if any(n is None or n < 0 for n in nums):
        raise DomainError("invalid", "人数和票数应为不小于0的整数", field="votes_for")
    if vote.voting_present > vote.voting_expected:
        raise DomainError("invalid", "实到人数不能多于应到人数", field="voting_present")
    if vote.voting_present * 2 <= vote.voting_expected:
        raise _refuse(
            "DEV-09",
            f"到会有表决权的正式党员未超过半数（应到{vote.voting_expected}人，实到{vote.voting_present}人），"
            "不能表决（发展党员工作细则第二十条）",
            "voting_present",
        )
    if vote.votes_for + vote.votes_against + vote.votes_abstain != vote.voting_present:
        raise DomainError(
            "votes",
            f"赞成{vote.votes_for}、反对{vote.votes_against}、弃权{vote.votes_abstain}合计"
            f"{vote.votes_for + vote.votes_against + vote.votes_abstain}票，与实到"
            f"{vote.voting_present}人不符",
            field="votes_for",
        )
    if vote.votes_for * 2 <= vote.voting_expected:
        raise _refuse(
            "DEV-09",
            f"赞成票{vote.votes_for}未超过应到会有表决权正式党员{vote.voting_expected}人的半数，{what}未通过",
            "votes_for",
        )
    return {
        "voting_expected": vote.voting_expected,
        "voting_present": vote.voting_present,
        "votes_for": vote.votes_for,
        "votes_against": vote.votes_against,
        "votes_abstain": vote.votes_abstain,
    }


def _full_member(m: Member | None, actor: Actor, label: str) -> Member:
    if m is None:
        raise DomainError("required", f"请选择{label}", field="members")
    if m.status != "full":
        raise DomainError(
            "not_full",
            f"{label}{m.name}不是正式党员（{m.get_status_display()}），不能担任",
            field="members",
        )
    if not policy.can(actor, "view", m.organization):
        raise DomainError("scope", f"{label}{m.name}不在您的管理范围内", field="members")
    return m


@dataclass
class _Step:
    """What one recorded step brings: the record (locked), the date, the rule version's intervals,
    and the inputs some steps need. A step's check raises a DomainError or returns what the audit
    event should add."""

    actor: Actor
    c: Candidate
    on: date
    p: dict[str, Any]
    members: list[Member] | None
    vote: Vote | None
    training_days: int | None
    training_hours: int | None
    training_source: str
    training_note: str
    leaving_on: date | None
    opinion: str
    fee_category: str
    fee_base_fen: int | None


def _step_people(x: _Step, step: int) -> dict[str, Any]:
    """5: 1–2 cultivation contacts; 9: two introducers — full members."""
    c = x.c
    people = list(dict.fromkeys(x.members or []))
    label = "培养联系人" if step == 5 else "入党介绍人"
    if step == 5 and not 1 <= len(people) <= 2:
        raise DomainError(
            "count", "培养联系人为1至2名正式党员（发展党员工作细则第九条）", field="members"
        )
    if step == 9 and len(people) != 2:
        raise _refuse("DEV-07", "入党介绍人须为2名正式党员（《党章》第五条）", "members")
    people = [_full_member(m, x.actor, label) for m in people]
    if step == 5:
        c.contact_1, c.contact_2 = people[0], people[1] if len(people) > 1 else None
    else:
        c.introducer_1, c.introducer_2 = people
    return {"members": [m.member_no for m in people]}


def _step_assessment(x: _Step, step: int) -> dict[str, Any]:
    """6: a half-yearly assessment by the contacts (may be recorded again)."""
    opinion = (x.opinion or "").strip()
    if not opinion:
        raise DomainError("required", "请填写考察意见", field="opinion")
    Assessment.objects.create(
        candidate=x.c,
        on=x.on,
        opinion=opinion[:300],
        recorded_by=x.actor if getattr(x.actor, "pk", None) else None,
    )
    return {}


def _step_target(x: _Step, step: int) -> dict[str, Any]:
    """7: a development object after a full year as activist, with assessments on record."""
    c = x.c
    ready = add_months(c.activist_on, x.p["activist_months"])  # type: ignore[arg-type]
    if x.on < ready and not _excepted(c, 7):
        raise _refuse(
            "DEV-05",
            f"确定为入党积极分子（{_d(c.activist_on)}）后培养教育考察不满一年，{_d(ready)}起方可确定为"
            "发展对象（发展党员工作细则第十三条）",
        )
    if not c.assessments.exists():
        raise _refuse("DEV-04", "确定发展对象前，须有培养联系人的培养考察记录")
    return {}


def _step_training(x: _Step, step: int) -> dict[str, Any]:
    """11: concentrated training of at least N days or M hours."""
    p = x.p
    if (
        (x.training_days or 0) < p["training_days"]
        and (x.training_hours or 0) < p["training_hours"]
        and not _excepted(x.c, 11)
    ):
        raise _refuse(
            "DEV-06",
            f"集中培训时间不少于{p['training_days']}天或不少于{p['training_hours']}个学时"
            f"（发展党员工作细则第十七条），"
            f"填写的是{x.training_days or 0}天、{x.training_hours or 0}学时",
            "training_days",
        )
    x.c.training_days, x.c.training_hours = x.training_days, x.training_hours
    x.c.training_source = x.training_source or "hand"
    x.c.training_note = x.training_note[:200]
    return {
        "source": x.c.training_source,
        **({"note": x.c.training_note} if x.training_note else {}),
    }


def _step_branch_review(x: _Step, step: int) -> dict[str, Any]:
    """12: the branch committee reviews only after political review and training."""
    c = x.c
    if c.reviewed_on is None or c.trained_on is None:
        missing = "政治审查" if c.reviewed_on is None else "集中培训"
        raise _refuse(
            "DEV-06", f"未经{missing}，不能提交支部委员会审查（发展党员工作细则第十六、十七条）"
        )
    return {}


def _step_pre_review(x: _Step, step: int) -> dict[str, Any]:
    """13: the committee's pre-review needs both introducers; the expected leaving date is noted."""
    c = x.c
    if c.introducer_1_id is None or c.introducer_2_id is None:
        raise _refuse("DEV-07", "尚未确定两名入党介绍人，不能报上级党委预审")
    if x.leaving_on is not None:
        c.leaving_on = x.leaving_on
    return {}


def _step_admission(x: _Step, step: int) -> dict[str, Any]:
    """15: the branch meeting admits after the public notice, review and training, by vote."""
    c, on = x.c, x.on
    if c.publicized_on is None or c.publicized_until is None:
        raise _refuse("DEV-19", "接收预备党员前须对发展对象进行公示，请先登记公示")
    if c.reviewed_on is None or c.trained_on is None or c.reviewed_on > on or c.trained_on > on:
        raise _refuse(
            "DEV-06",
            f"支部大会讨论前须完成政治审查和集中培训（政审{_d(c.reviewed_on)}，"
            f"培训{_d(c.trained_on)}）",
        )
    soon = add_months(on, x.p["leave_months"])
    if c.leaving_on and c.leaving_on <= soon and not _excepted(c, 15):
        raise _refuse(
            "DEV-20",
            f"发展对象预计{_d(c.leaving_on)}离开本单位，在接收后3个月内，一般不予接收"
            "（发展党员工作细则第十九条）",
        )
    c.votes["admission"] = _check_vote(x.vote, "接收预备党员")
    return {"vote": c.votes["admission"]}


def _step_approval(x: _Step, step: int) -> dict[str, Any]:
    """17: the higher committee approves after its talk, within the limit; fees must be set."""
    c = x.c
    if c.approval_talk_on is None:
        raise _refuse("order", "上级党委审批前须派人与发展对象谈话（第16步）")
    limit = add_months(c.admitted_on, x.p["approval_max_months"])  # type: ignore[arg-type]
    if x.fee_category not in bands.CATEGORIES or x.fee_base_fen is None or x.fee_base_fen < 0:
        raise DomainError(
            "required",
            "请填写党费类别和计算基数，党费从接收为预备党员的当月起交纳",
            field="fee_category",
        )
    if x.on > limit:
        raise _refuse(
            "DEV-11",
            f"支部大会讨论（{_d(c.admitted_on)}）后超过6个月未审批（期限{_d(limit)}），"
            "须重新履行接收程序（发展党员工作细则第二十五条）",
        )
    return {}


def _step_oath(x: _Step, step: int) -> dict[str, Any]:
    """20: the oath follows the approval."""
    if x.c.member_id is None:
        raise _refuse("order", "经上级党委批准后方可入党宣誓")
    return {}


def _step_conversion_meeting(x: _Step, step: int) -> dict[str, Any]:
    """23: the branch meeting on conversion, not before the probation ends, by vote."""
    c = x.c
    end = probation_end(c)
    if end is not None and x.on < end:
        raise _refuse(
            "DEV-14",
            f"预备期到{_d(end)}届满，转正的支部大会不能早于预备期满（发展党员工作细则第三十三条）",
        )
    c.votes["conversion"] = _check_vote(x.vote, "预备党员转正")
    return {"vote": c.votes["conversion"]}


# The steps that check facts of their own (beyond order, date and the step's interval), by number.
STEP_CHECKS: dict[int, Callable[[_Step, int], dict[str, Any]]] = {
    5: _step_people,
    6: _step_assessment,
    7: _step_target,
    9: _step_people,
    11: _step_training,
    12: _step_branch_review,
    13: _step_pre_review,
    15: _step_admission,
    17: _step_approval,
    20: _step_oath,
    23: _step_conversion_meeting,
}
# Steps that may be recorded again (each assessment; the approved conversion re-dated).
REPEATABLE_STEPS = {6, 21}


@transaction.atomic(durable=True)
def candidate_step(
    *,
    actor: Actor,
    candidate: Candidate,
    step: int,
    on: date,
    members: list[Member] | None = None,
    vote: Vote | None = None,
    training_days: int | None = None,
    training_hours: int | None = None,
    leaving_on: date | None = None,
    opinion: str = "",
    fee_category: str = "",
    fee_base_fen: int | None = None,
    files: list[Any] | None = None,
) -> Candidate:
    """Record step `step` done on `on`, after checking the order, the date and the step's own facts
    (`STEP_CHECKS`); approval (17) creates the member, conversion (24) makes them full. A training
    recorded here is typed by hand (its source says so)."""
    return candidate_step_within(
        actor=actor,
        candidate=candidate,
        step=step,
        on=on,
        members=members,
        vote=vote,
        training_days=training_days,
        training_hours=training_hours,
        leaving_on=leaving_on,
        opinion=opinion,
        fee_category=fee_category,
        fee_base_fen=fee_base_fen,
        files=files,
    )


def candidate_step_within(
    *,
    actor: Actor,
    candidate: Candidate,
    step: int,
    on: date,
    members: list[Member] | None = None,
    vote: Vote | None = None,
    training_days: int | None = None,
    training_hours: int | None = None,
    training_source: str = "",
    training_note: str = "",
    leaving_on: date | None = None,
    opinion: str = "",
    fee_category: str = "",
    fee_base_fen: int | None = None,
    files: list[Any] | None = None,
) -> Candidate:
    """`candidate_step` inside the caller's transaction: the academy fills the training step (11)
    from a completed 发展对象培训班 with `training_source="academy"` and the class and certificate
    in `training_note`."""
    c = _lock(candidate)
    _check_org(actor, c.organization)
    if c.closed_on or c.cancelled_on:
        raise DomainError("closed", "该档案已终止，不能继续办理")
    if step not in STEP_BY_NO or step == 1:
        raise DomainError("invalid", "步骤无效", field="step")
    if step in COMMITTEE_STEPS:
        committee = approving_committee(c)
        if committee is None or not policy.can(actor, "change", committee):
            raise DomainError(
                "committee",
                f"第{step}步“{STEP_BY_NO[step].label}”由上级党委"
                f"（{committee.name if committee else '具有审批权限的基层党委'}）办理",
                field="step",
            )
    s = STEP_BY_NO[step]
    today = timezone.localdate()
    if on is None or on > today:
        raise DomainError("bad_date", "日期不能为空且不能晚于今天", field="on")
    before = STEP_BY_NO[AFTER[step]]
    prev = getattr(c, before.field)
    if prev is None:
        raise _refuse(
            "order", f"请先完成第{before.no}步“{before.label}”，再办理第{step}步“{s.label}”"
        )
    if on < prev:
        raise _refuse(
            "order",
            f"第{step}步“{s.label}”的日期{_d(on)}早于第{before.no}步“{before.label}”的日期"
            f"{_d(prev)}",
        )
    if getattr(c, s.field) is not None and step not in REPEATABLE_STEPS:
        raise DomainError("done", f"第{step}步“{s.label}”已于{_d(getattr(c, s.field))}办理")
    data: dict[str, Any] = {}
    check = STEP_CHECKS.get(step)
    if check is not None:
        inputs = _Step(
            actor=actor,
            c=c,
            on=on,
            p=params(c.rule_version),
            members=members,
            vote=vote,
            training_days=training_days,
            training_hours=training_hours,
            training_source=training_source,
            training_note=training_note,
            leaving_on=leaving_on,
            opinion=opinion,
            fee_category=fee_category,
            fee_base_fen=fee_base_fen,
        )
        data = check(inputs, step)
    setattr(c, s.field, on)
    stored = uploads.store(files or [], folder="recruitment")
    try:
        if step == 17:
            _admit(actor, c, on, fee_category, fee_base_fen or 0)
        if step == 24:
            _convert(actor, c, on)
        c.save()
        _attach(c, step, stored, actor)
        _hand_over(c, step)
        audit_record(
            actor=actor,
            action="recruitment.step",
            obj=c,
            organization=c.organization,
            data={
                "step": step,
                "label": s.label,
                "on": on.isoformat(),
                **data,
                "files": [f.sha256 for f in stored],
            },
        )
    except BaseException:
        uploads.discard(stored)
        raise
    return c


def _hand_over(c: Candidate, step: int) -> None:
    """After a step: tell the higher committee when its step is now due; tell the branch when the
    committee has done its step and the branch continues."""
    url = reverse("recruitment:detail", args=[c.pk])
    due = [
        n
        for n in sorted(COMMITTEE_STEPS)
        if AFTER[n] == step and getattr(c, STEP_BY_NO[n].field) is None
    ]
    committee = approving_committee(c) if due else None
    if committee is not None:
        handover_notice(
            organization=committee,
            title=f"发展党员待办：{c.name}（{STEP_BY_NO[due[0]].label}）"[:100],
            body=f"{c.organization.name}已完成第{step}步“{STEP_BY_NO[step].label}”，"
            f"请办理第{due[0]}步“{STEP_BY_NO[due[0]].label}”。",
            url=url,
            key=f"candidate:{c.pk}:step:{due[0]}",
        )
    if step in COMMITTEE_STEPS:
        handover_notice(
            organization=c.organization,
            title=f"上级党委已办理：{c.name}（{STEP_BY_NO[step].label}）"[:100],
            body="请继续办理下一步。",
            url=url,
            key=f"candidate:{c.pk}:done:{step}",
        )


def _admit(
    actor: Actor, c: Candidate, approved_on: date, fee_category: str, fee_base_fen: int
) -> None:
    """Approval creates the probationary member: joined on the admission meeting's date, party fees
    from that month (ledger rows from the admission month to this one)."""

    if c.admitted_on is None:
        raise DomainError("order", "尚未经支部大会讨论接收")
    idn = crypto.decrypt(c.id_number_encrypted) if c.id_number_encrypted else ""
    if not idn:
        raise DomainError("required", "接收为预备党员须有身份证号，请先补充", field="id_number")
    data = MemberData(
        name=c.name,
        gender=c.gender,
        birth_date=c.birth_date,
        id_number=idn,
        phone="",
        status="probationary",
        joined_on=c.admitted_on,
        full_on=None,
        fee_category=fee_category,
        fee_base_fen=fee_base_fen,
    )
    m = member_create_within(
        actor=actor, organization=c.organization, member_no=c.person_no, data=data
    )
    # the ledger from the admission month to this one is opened with the member (fees, on
    # members_added)
    c.member = m


def _convert(actor: Actor, c: Candidate, approved_on: date) -> None:
    """Conversion approved: the member becomes full from the end of probation (party age counts
    from it)."""

    end = probation_end(c)
    if c.member is None or end is None:
        raise DomainError("order", "没有对应的预备党员档案")
    member_change_status_within(
        actor=actor,
        member=c.member,
        to_status="full",
        on=end,
        reason=f"支部大会{_d(c.conversion_meeting_on)}讨论通过，上级党委{_d(approved_on)}批准转正",
    )
    c.full_on = end


@transaction.atomic(durable=True)
def candidate_notice(
    *, actor: Actor, candidate: Candidate, starts_on: date, ends_on: date
) -> Candidate:
    """Public notice of the development object before admission: at least 5 working days (holiday
    calendar with make-up days) [L]."""
    c = _lock(candidate)
    _check_org(actor, c.organization)
    if c.target_on is None or c.admitted_on is not None:
        raise DomainError("order", "公示在确定发展对象后、支部大会讨论前进行")
    if starts_on is None or ends_on is None or ends_on < starts_on or starts_on < c.target_on:
        raise DomainError(
            "bad_date", "公示起止日期有误（不能早于确定发展对象日期）", field="ends_on"
        )
    need = params(c.rule_version)["notice_working_days"]
    got = working_days(starts_on, ends_on)
    if got < need:
        raise _refuse(
            "DEV-19",
            f"公示期{_d(starts_on)}至{_d(ends_on)}只有{got}个工作日，不少于{need}个工作日",
            "ends_on",
        )
    c.publicized_on, c.publicized_until = starts_on, ends_on
    c.save(update_fields=["publicized_on", "publicized_until", "updated_at"])
    audit_record(
        actor=actor,
        action="recruitment.notice",
        obj=c,
        organization=c.organization,
        data={"from": starts_on.isoformat(), "to": ends_on.isoformat(), "working_days": got},
    )
    return c


@transaction.atomic(durable=True)
def exception_approve(
    *, actor: Actor, candidate: Candidate, step: int, reason: str, approving_org: Any
) -> StepException:
    """A higher committee approves a justified exception for one step (e.g. training in a rare case)
    ."""
    c = Candidate.objects.select_related("organization").get(pk=candidate.pk)
    if (
        approving_org is None
        or approving_org.pk == c.organization_id
        or not c.organization.path.startswith(approving_org.path)
    ):
        raise DomainError("scope", "特殊情况须由上级党委批准", field="approving_org")
    if not policy.can(actor, "change", approving_org):
        raise NotVisible()
    if step not in (7, 11, 15):
        raise DomainError("invalid", "该步骤没有可批准的特殊情况", field="step")
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise DomainError("required", "请写明特殊情况的理由（不少于10个字）", field="reason")
    e = StepException.objects.create(
        candidate=c,
        step=step,
        reason=reason[:300],
        approved_by_org=approving_org,
        approved_by=actor,
        approved_on=timezone.localdate(),
    )
    audit_record(
        actor=actor,
        action="recruitment.exception",
        obj=c,
        organization=approving_org,
        data={"step": step, "reason": reason},
    )
    return e


@transaction.atomic(durable=True)
def candidate_extend(
    *, actor: Actor, candidate: Candidate, meeting_on: date, months: int
) -> Candidate:
    """Extend the probation once, by 6 to 12 months, by a general-meeting decision (FZ14 Art 32)."""
    c = _lock(candidate)
    _check_org(actor, c.organization)
    p = params(c.rule_version)
    if c.member_id is None or c.conversion_approved_on or c.cancelled_on:
        raise DomainError("order", "只有尚未转正的预备党员可以延长预备期")
    if c.extension_months:
        raise _refuse("DEV-16", "预备期只能延长一次（发展党员工作细则第三十二条）", "months")
    if not p["extension_min_months"] <= (months or 0) <= p["extension_max_months"]:
        raise _refuse("DEV-16", "延长预备期为6个月至12个月（发展党员工作细则第三十二条）", "months")
    end = probation_end(c)
    if meeting_on is None or meeting_on > timezone.localdate() or (end and meeting_on < end):
        raise DomainError(
            "bad_date",
            f"延长预备期的支部大会应在预备期满（{_d(end)}）后召开，且不晚于今天",
            field="meeting_on",
        )
    c.extension_months, c.extension_meeting_on = months, meeting_on
    c.save(update_fields=["extension_months", "extension_meeting_on", "updated_at"])
    audit_record(
        actor=actor,
        action="recruitment.extend",
        obj=c,
        organization=c.organization,
        data={"months": months, "meeting_on": meeting_on.isoformat()},
    )
    return c


@transaction.atomic(durable=True)
def candidate_cancel(
    *, actor: Actor, candidate: Candidate, meeting_on: date, reason: str
) -> Candidate:
    """Cancel the probationary membership (取消预备党员资格): a general-meeting decision at or
    after the
    probation's end, approved by the committee above (FZ14 Art 32). The member leaves the roll."""

    c = _lock(candidate)
    committee = approving_committee(c)
    if committee is None or not policy.can(actor, "change", committee):
        raise DomainError(
            "committee", "取消预备党员资格须报上级党委批准，由上级党委登记", field="meeting_on"
        )
    if c.member_id is None or c.conversion_approved_on or c.cancelled_on:
        raise DomainError("order", "只有尚未转正的预备党员可以取消预备党员资格")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("required", "请填写支部大会决议和上级批准情况", field="reason")
    end = probation_end(c)
    if meeting_on is None or meeting_on > timezone.localdate() or (end and meeting_on < end):
        raise DomainError(
            "bad_date",
            f"取消预备党员资格的支部大会应在预备期满（{_d(end)}）后召开，且不晚于今天",
            field="meeting_on",
        )
    if c.member is None:
        raise DomainError("order", "没有对应的预备党员档案")
    member_change_status_within(
        actor=actor,
        member=c.member,
        to_status="disqualified",
        on=meeting_on,  # type: ignore[arg-type]
        reason=reason[:300],
    )
    c.cancelled_on = meeting_on
    c.save(update_fields=["cancelled_on", "updated_at"])
    audit_record(
        actor=actor,
        action="recruitment.cancel",
        obj=c,
        organization=c.organization,
        data={"meeting_on": meeting_on.isoformat(), "reason": reason},
    )
    return c


@transaction.atomic(durable=True)
def candidate_close(*, actor: Actor, candidate: Candidate, on: date, reason: str) -> Candidate:
    """End the pipeline before admission (withdrawn, not admitted, moved away)."""
    c = _lock(candidate)
    _check_org(actor, c.organization)
    if c.member_id is not None:
        raise DomainError("order", "已接收为预备党员，请通过党籍状态变更办理")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("required", "请填写终止原因", field="reason")
    if on is None or on > timezone.localdate() or on < c.applied_on:
        raise DomainError("bad_date", "终止日期有误", field="on")
    c.closed_on, c.closed_reason = on, reason[:200]
    c.save(update_fields=["closed_on", "closed_reason", "updated_at"])
    audit_record(
        actor=actor,
        action="recruitment.close",
        obj=c,
        organization=c.organization,
        data={"on": on.isoformat(), "reason": reason},
    )
    return c
