"""Every write to member records: one function per domain action, one transaction each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.accounts.models import User
from dangjian.accounts.types import Actor
from dangjian.audit.services import audit_record, diff
from dangjian.core import changes, crypto, idnumber
from dangjian.core.bulk import fast_insert
from dangjian.core.dates import add_months
from dangjian.core.errors import DomainError, NotVisible
from dangjian.core.signals import handover
from dangjian.orgs.constants import OrgKind
from dangjian.orgs.counters import counters_adjust
from dangjian.orgs.models import Organization

from . import numbering
from . import validation as v
from .constants import (
    EXIT_STATUSES,
    OFF_ROLL_STATUSES,
    ON_ROLL_STATUSES,
    STATUS_TRANSITIONS,
    MemberEventKind,
    MemberStatus,
)
from .models import Correction, CorrectionStatus, Member, MemberEvent
from .signals import members_added

MEMBER_ORG_KINDS = {OrgKind.BRANCH, OrgKind.GENERAL_BRANCH, OrgKind.COMMITTEE}


@dataclass
class MemberData:
    """The editable fields of a member, already typed."""

    name: str
    gender: str
    birth_date: date
    id_number: str
    phone: str
    status: str
    joined_on: date
    full_on: date | None
    fee_category: str
    fee_base_fen: int
    ethnicity: str = "汉族"
    education: str = ""
    occupation: str = ""
    work_unit: str = ""


def _require(actor: Actor, action: str, organization: Organization) -> None:
    if actor is not None and not policy.can(actor, action, organization):
        raise NotVisible()


def validate_data(data: MemberData) -> None:
    """Field and cross-field rules; raises DomainError naming the first field at fault."""
    checks = [
        ("name", lambda: v.check_name(data.name)),
        ("gender", lambda: v.check_choice(data.gender, v.GENDERS, "性别")),
        ("id_number", lambda: v.check_id_number(data.id_number)),
        ("phone", lambda: v.check_phone(data.phone)),
        (
            "status",
            lambda: v.check_choice(
                data.status,
                [MemberStatus.PROBATIONARY, MemberStatus.FULL, MemberStatus.SUSPENDED],
                "党籍状态",
            ),
        ),
        ("fee_category", lambda: v.check_choice(data.fee_category, v.FEE_CATEGORIES, "党费类别")),
        ("ethnicity", lambda: v.check_choice(data.ethnicity, v.ETHNICITY_LIST, "民族")),
    ]
    for field, check in checks:
        try:
            check()
        except v.FieldError as exc:
            raise DomainError("invalid", str(exc), field=field) from exc
    if data.education and data.education not in v.EDUCATIONS:
        raise DomainError("invalid", "学历无效", field="education")
    if data.occupation and data.occupation not in v.OCCUPATIONS:
        raise DomainError("invalid", "职业类别无效", field="occupation")
    if len(data.work_unit) > 100:
        raise DomainError("too_long", "工作单位不能超过100个字符", field="work_unit")
    if data.fee_base_fen < 0:
        raise DomainError("invalid", "党费基数不能为负数", field="fee_base_fen")
    today = timezone.localdate()
    for field, label, value in [
        ("birth_date", "出生日期", data.birth_date),
        ("joined_on", "入党日期", data.joined_on),
        ("full_on", "转正日期", data.full_on),
    ]:
        if value is not None and value > today:
            raise DomainError("future_date", f"{label}不能晚于今天", field=field)
    errors = v.check_consistency(
        birth_date=data.birth_date,
        id_number=idnumber.normalize(data.id_number),
        gender=data.gender,
        joined_on=data.joined_on,
        status=data.status,
        full_on=data.full_on,
    )
    if errors:
        field, reason = next(iter(errors.items()))
        raise DomainError("inconsistent", reason, field=field)


def _check_org(organization: Organization) -> None:
    if not organization.is_active:
        raise DomainError("org_inactive", "所选组织已撤销", field="organization")
    if organization.kind not in MEMBER_ORG_KINDS:
        raise DomainError(
            "org_kind",
            "党员应编入党支部（或党委、党总支），不能直接编入党小组",
            field="organization",
        )


def _apply(member: Member, data: MemberData) -> None:
    id_number = idnumber.normalize(data.id_number)
    member.name = data.name.strip()
    member.gender = data.gender
    member.birth_date = data.birth_date
    member.status = data.status
    member.joined_on = data.joined_on
    member.full_on = data.full_on
    member.fee_category = data.fee_category
    member.fee_base_fen = data.fee_base_fen
    member.ethnicity = data.ethnicity
    member.education = data.education
    member.occupation = data.occupation
    member.work_unit = data.work_unit.strip()
    if id_number != (member.id_number() if member.id_number_encrypted else ""):
        member.id_number_encrypted = crypto.encrypt(id_number)
        member.id_number_index = crypto.blind_index(id_number)
        member.id_number_masked = idnumber.mask(id_number)
    phone = data.phone.strip()
    if phone != (member.phone() if member.phone_encrypted else ""):
        member.phone_encrypted = crypto.encrypt(phone)
        member.phone_index = crypto.blind_index(phone)
        member.phone_masked = idnumber.mask_phone(phone)


def snapshot(member: Member) -> dict[str, Any]:
    """The audited view of a member's fields (sensitive ones are masked by `diff`)."""
    return {
        "name": member.name,
        "gender": member.gender,
        "birth_date": member.birth_date,
        "id_number": member.id_number() if member.id_number_encrypted else "",
        "phone": member.phone() if member.phone_encrypted else "",
        "status": member.status,
        "joined_on": member.joined_on,
        "full_on": member.full_on,
        "fee_category": member.fee_category,
        "fee_base_fen": member.fee_base_fen,
        "ethnicity": member.ethnicity,
        "education": member.education,
        "occupation": member.occupation,
        "work_unit": member.work_unit,
        "organization": member.organization.code if member.organization_id else None,
    }


@transaction.atomic(durable=True)
def member_create(
    *, actor: Actor, organization: Organization, member_no: str, data: MemberData
) -> Member:
    """Add a member to a branch's roster (建档), with the first history entry. An empty number is
    given from the deployment's pattern (members.numbering)."""
    return member_create_within(
        actor=actor, organization=organization, member_no=member_no, data=data
    )


def member_create_within(
    *,
    actor: Actor,
    organization: Organization,
    member_no: str,
    data: MemberData,
    origin_no: str = "",
) -> Member:
    """`member_create` inside the caller's transaction (another domain write that creates the member
    as part of its own, e.g. an admission approved in recruitment). `origin_no`: the number the
    member had in the deployment they came from, kept as a reference."""
    _require(actor, "change", organization)
    _check_org(organization)
    validate_data(data)
    index = crypto.blind_index(idnumber.normalize(data.id_number))
    if Member.objects.filter(id_number_index=index).exists():
        raise DomainError("duplicate", "该身份证号已有党员档案", field="id_number")
    if (member_no or "").strip():
        try:
            member_no = v.check_member_no(member_no)
        except v.FieldError as exc:
            raise DomainError("invalid", str(exc), field="member_no") from exc
        if Member.objects.filter(member_no=member_no).exists():
            raise DomainError("duplicate", f"党员编号“{member_no}”已存在", field="member_no")
    else:
        [member_no] = numbering.member_numbers(1)
    member = Member(member_no=member_no, organization=organization, origin_no=origin_no)
    _apply(member, data)
    member.save()
    counters_adjust(organization.pk, member.status, +1)
    MemberEvent.objects.create(
        member=member,
        organization=organization,
        kind=MemberEventKind.CREATED,
        on=timezone.localdate(),
        to_status=member.status,
        actor=actor,
        data={"joined_on": data.joined_on.isoformat()},
    )
    audit_record(
        actor=actor,
        action="members.create",
        obj=member,
        data={"changes": diff({}, snapshot(member))},
    )
    members_added.send(sender=Member, member_ids=[member.pk])
    return member


@transaction.atomic(durable=True)
def member_update(*, actor: Actor, member: Member, data: MemberData) -> Member:
    """Correct a member's record. Status changes go through `member_change_status`."""
    _require(actor, "change", member.organization)
    m = Member.objects.select_for_update().select_related("organization").get(pk=member.pk)
    return _update_within(actor, m, data)


def _update_within(
    actor: Actor, m: Member, data: MemberData, action: str = "members.update"
) -> Member:
    if m.status in EXIT_STATUSES:
        raise DomainError("exited", "已出党党员的档案不能修改")
    if data.status != m.status:
        raise DomainError("status", "党籍状态请通过“党籍状态变更”办理", field="status")
    validate_data(data)
    index = crypto.blind_index(idnumber.normalize(data.id_number))
    if Member.objects.filter(id_number_index=index).exclude(pk=m.pk).exists():
        raise DomainError("duplicate", "该身份证号已有党员档案", field="id_number")
    before = snapshot(m)
    _apply(m, data)
    changes = diff(before, snapshot(m))
    if not changes:
        return m
    m.save()
    MemberEvent.objects.create(
        member=m,
        organization=m.organization,
        kind=MemberEventKind.EDITED,
        on=timezone.localdate(),
        actor=actor,
        data=changes,
    )
    audit_record(actor=actor, action=action, obj=m, data={"changes": changes})
    return m


def _data_of(m: Member) -> MemberData:
    return MemberData(
        name=m.name,
        gender=m.gender,
        birth_date=m.birth_date,
        id_number=m.id_number() if m.id_number_encrypted else "",
        phone=m.phone() if m.phone_encrypted else "",
        status=m.status,
        joined_on=m.joined_on,
        full_on=m.full_on,
        fee_category=m.fee_category,
        fee_base_fen=m.fee_base_fen,
        ethnicity=m.ethnicity,
        education=m.education,
        occupation=m.occupation,
        work_unit=m.work_unit,
    )


def _with(m: Member, field: str, value: str) -> MemberData:
    data = _data_of(m)
    if field in ("education", "occupation"):  # typed as its Chinese name, kept as its code
        choices = Member._meta.get_field(field).flatchoices  # type: ignore[union-attr]
        labels = {str(label): code for code, label in choices}
        value = labels.get(value, value)
    if field == "birth_date":
        try:
            setattr(data, field, date.fromisoformat(value))
        except ValueError as exc:
            raise DomainError("invalid", "日期格式应为 2026-01-31", field="value") from exc
    else:
        setattr(data, field, value)
    return data


@transaction.atomic(durable=True)
def correction_request(*, actor: Actor, field: str, value: str, reason: str) -> Correction:
    """A member asks their branch to correct one item of their own record. The value is checked
    as the branch would check it; the branch is told (a hand-over) and finds it in 待办."""
    member_id = getattr(actor, "member_id", None)
    if not member_id:
        raise NotVisible()
    m = Member.objects.select_related("organization").get(pk=member_id)
    if field not in Correction.FIELDS:
        raise DomainError("invalid", "请选择要更正的项目", field="field")
    value, reason = (value or "").strip(), (reason or "").strip()
    if not value:
        raise DomainError("required", "请填写正确的内容", field="value")
    if not reason:
        raise DomainError("required", "请说明更正理由（如：户口簿已变更）", field="reason")
    try:
        validate_data(_with(m, field, value))
    except DomainError as exc:
        raise DomainError(exc.code, exc.message, field="value") from exc
    if Correction.objects.filter(member=m, field=field, status=CorrectionStatus.PENDING).exists():
        raise DomainError("duplicate", "该项目已有待审核的更正申请", field="field")
    masked = (
        idnumber.mask(value)
        if field == "id_number"
        else idnumber.mask_phone(value)
        if field == "phone"
        else value[:100]
    )
    c = Correction.objects.create(
        member=m,
        organization=m.organization,
        field=field,
        value_encrypted=crypto.encrypt(value),
        value_masked=masked,
        reason=reason[:300],
    )
    handover.send(
        sender=Correction,
        organization=m.organization,
        title=f"个人信息更正待审核：{m.name}",
        body=f"{m.name}申请更正{c.get_field_display()}，理由：{c.reason}",
        url=reverse("members:detail", args=[m.pk]) + "#corrections",
        key=f"correction:{c.pk}",
    )
    audit_record(
        actor=actor,
        action="members.correction_request",
        obj=c,
        organization=m.organization,
        data={"field": field, "value": masked},
    )
    return c


@transaction.atomic(durable=True)
def correction_decide(
    *, actor: Actor, correction: Correction, approve: bool, note: str = ""
) -> Correction:
    """The branch applies the correction (the record changes as an edit would, audited with its
    diff) or declines it with a reason; the member is told either way."""
    c = Correction.objects.select_for_update().get(pk=correction.pk)
    _require(actor, "change", c.organization)
    if c.status != CorrectionStatus.PENDING:
        raise DomainError("status", f"该申请{c.get_status_display()}")
    note = (note or "").strip()
    if not approve and not note:
        raise DomainError("required", "不予更正时请说明理由", field="note")
    m = Member.objects.select_for_update().select_related("organization").get(pk=c.member_id)
    if approve:
        data = _with(m, c.field, c.value())
        if c.field == "id_number":
            index = crypto.blind_index(idnumber.normalize(data.id_number))
            if Member.objects.filter(id_number_index=index).exclude(pk=m.pk).exists():
                raise DomainError("duplicate", "该身份证号已有党员档案", field="note")
        _update_within(actor, m, data, action="members.correction_apply")
        if c.field == "name":  # the account shows the member's name (and the slip checks it)
            User.objects.filter(member=m).update(display_name=m.name[:50])
    c.status = CorrectionStatus.APPROVED if approve else CorrectionStatus.REJECTED
    c.decided_by = actor
    c.decided_at = timezone.now()
    c.note = note[:300]
    c.save(update_fields=["status", "decided_by", "decided_at", "note"])
    handover.send(
        sender=Correction,
        organization=m.organization,
        users=User.objects.filter(member=m, is_active=True),
        title="个人信息已更正" if approve else "个人信息更正未通过",
        body=f"{c.get_field_display()}：" + ("已按您的申请更正。" if approve else f"{c.note}"),
        url=reverse("portal:me"),
        key=f"correction:{c.pk}:decided",
    )
    audit_record(
        actor=actor,
        action="members.correction_decide",
        obj=c,
        organization=m.organization,
        data={"field": c.field, "approve": approve, "note": c.note},
    )
    return c


@transaction.atomic(durable=True)
def member_change_status(
    *, actor: Actor, member: Member, to_status: str, on: date, reason: str
) -> Member:
    """Record a membership decision already taken (conversion, suspension, restoration, exit).

    The platform never decides these itself: the reason names the meeting and approval.
    """
    return member_change_status_within(
        actor=actor, member=member, to_status=to_status, on=on, reason=reason
    )


def member_change_status_within(
    *, actor: Actor, member: Member, to_status: str, on: date, reason: str
) -> Member:
    """`member_change_status` inside the caller's transaction (a conversion approved in recruitment)
    ."""
    _require(actor, "change", member.organization)
    m = Member.objects.select_for_update().select_related("organization").get(pk=member.pk)
    allowed = STATUS_TRANSITIONS.get(m.status, set())
    if to_status not in MemberStatus.values:
        raise DomainError("invalid", "目标党籍状态无效", field="to_status")
    if to_status not in allowed:
        raise DomainError(
            "transition",
            f"不能从“{MemberStatus(m.status).label}”变更为“{MemberStatus(to_status).label}”",
            field="to_status",
        )
    if on is None or on > timezone.localdate():
        raise DomainError("future_date", "变更日期不能为空且不能晚于今天", field="on")
    if on < m.joined_on:
        raise DomainError("bad_date", "变更日期早于入党日期", field="on")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("required", "请填写依据（如支部大会决议及上级批准文号）", field="reason")
    if len(reason) > 300:
        raise DomainError("too_long", "依据不能超过300个字符", field="reason")
    if m.status == MemberStatus.PROBATIONARY and to_status == MemberStatus.FULL:
        if on < add_months(m.joined_on, 12):
            raise DomainError("too_early", "预备期一年未满，不能转正（党章第七条）", field="on")
    from_status = m.status
    m.status = to_status
    fields = ["status", "updated_at"]
    if to_status == MemberStatus.FULL and from_status == MemberStatus.PROBATIONARY:
        m.full_on = on
        fields.append("full_on")
    if to_status in EXIT_STATUSES:
        m.left_on = on
        fields.append("left_on")
    m.save(update_fields=fields)
    counters_adjust(m.organization_id, from_status, -1)
    counters_adjust(m.organization_id, to_status, +1)
    _account_follows(m, from_status, to_status)
    MemberEvent.objects.create(
        member=m,
        organization=m.organization,
        kind=MemberEventKind.STATUS,
        on=on,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        actor=actor,
    )
    audit_record(
        actor=actor,
        action="members.status_change",
        obj=m,
        data={"from": from_status, "to": to_status, "on": on.isoformat(), "reason": reason},
    )
    return m


def _account_follows(m: Member, from_status: str, to_status: str) -> None:
    """A member who leaves the roll can no longer sign in; one who comes back can again."""
    if to_status in OFF_ROLL_STATUSES and from_status not in OFF_ROLL_STATUSES:
        User.objects.filter(member=m, is_active=True).update(is_active=False)
    elif from_status in OFF_ROLL_STATUSES and to_status not in OFF_ROLL_STATUSES:
        User.objects.filter(member=m, is_active=False).update(is_active=True)


@transaction.atomic(durable=True)
def member_accounts_open(*, actor: Actor, organization: Organization) -> int:
    """Create a sign-in account for every member on the roll of `organization`'s subtree who has
    none (user name = member number; no password: the member sets one by activation, with an SMS
    code or the slip the branch prints). One INSERT … for all of them; a second run creates
    nothing. One audit event for the batch."""
    _require(actor, "change", organization)
    rows = list(
        Member.objects.filter(
            organization__path__under=organization.path,
            status__in=ON_ROLL_STATUSES,
            user__isnull=True,
        )
        .exclude(member_no__in=User.objects.values("username"))
        .values_list("pk", "member_no", "name")
        .iterator(chunk_size=20000)
    )
    now = timezone.now()
    unusable = make_password(None)  # "!" + random: no password can match it
    fields = [
        "username",
        "display_name",
        "member_id",
        "password",
        "is_active",
        "is_staff",
        "is_superuser",
        "first_name",
        "last_name",
        "email",
        "date_joined",
        "must_change_password",
    ]
    created = fast_insert(
        User,
        fields,
        (
            (no, name, pk, unusable, True, False, False, "", "", "", now, False)
            for pk, no, name in rows
        ),
    )
    audit_record(
        actor=actor,
        action="members.accounts_open",
        organization=organization,
        object_type="accounts.user",
        object_repr=f"{organization.name}：{created}个党员账号",
        data={"organization": organization.code, "created": created},
    )
    return created


@transaction.atomic(durable=True)
def member_move(
    *, actor: Actor, member: Member, organization: Organization, on: date, reason: str
) -> Member:
    """Re-assign a member to another organization inside the actor's scope (not a transfer
    letter)."""
    _require(actor, "change", member.organization)
    _require(actor, "change", organization)
    m = Member.objects.select_for_update().select_related("organization").get(pk=member.pk)
    if m.status not in ON_ROLL_STATUSES:
        raise DomainError("exited", "已出党党员不能调整组织")
    if organization.pk == m.organization_id:
        raise DomainError("same", "新组织与原组织相同", field="organization")
    _check_org(organization)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("required", "请填写调整原因", field="reason")
    old = m.organization
    m.organization = organization
    m.save(update_fields=["organization", "updated_at"])
    counters_adjust(old.pk, m.status, -1)
    counters_adjust(organization.pk, m.status, +1)
    MemberEvent.objects.create(
        member=m,
        organization=organization,
        kind=MemberEventKind.MOVED,
        on=on,
        reason=reason[:300],
        actor=actor,
        data={"from": old.code, "to": organization.code},
    )
    audit_record(
        actor=actor,
        action="members.move",
        obj=m,
        data={"from": old.code, "to": organization.code, "reason": reason},
    )
    changes.note({"members"}, old)  # the findings the member leaves behind close there
    return m
