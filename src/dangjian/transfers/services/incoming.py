"""Letters from other deployments: imported (signed file or QR text, verified, each nonce once) or
registered from paper, accepted by the receiving branch (the member created or restored), rejected;
receipts of our letters coming back."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from dangjian.accounts.types import Actor
from dangjian.audit.services import audit_record
from dangjian.core import crypto, idnumber
from dangjian.core.errors import DomainError, NotVisible
from dangjian.fees.services import ledger_carry_paid
from dangjian.members import validation as v
from dangjian.members.constants import MemberEventKind
from dangjian.members.models import Member, MemberEvent
from dangjian.members.services import MemberData, counters_adjust, member_create_within
from dangjian.members.signals import members_added

from .. import exchange
from ..models import (
    ExchangeKey,
    IncomingLetter,
    IncomingStatus,
    SeenMessage,
    Transfer,
)
from ._shared import MAX_VALID_DAYS, accept_within, can_act, day_or_today, lock


def _once(v: exchange.Verified) -> None:
    try:
        with transaction.atomic():
            SeenMessage.objects.create(
                key_id=v.key_id, nonce=str(v.body["nonce"])[:40], kind=str(v.body["kind"])[:10]
            )
    except IntegrityError as exc:
        raise DomainError("replay", "该文件已经导入过（重复提交已拒绝）", field="token") from exc


def _date(value: Any, label: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise DomainError("format", f"介绍信的{label}不是有效日期", field="token") from exc


def _receiving_branch(actor: Actor, to_org: Any) -> None:
    if to_org is None:
        raise DomainError("required", "请选择转入的党支部", field="to_org")
    if not can_act(actor, to_org):
        raise NotVisible()
    if to_org.kind != "branch" or not to_org.is_active:
        raise DomainError(
            "kind",
            f"“{to_org.name}”不是有效的党支部：组织关系转入党支部（不能转入党小组）",
            field="to_org",
        )


@transaction.atomic(durable=True)
def incoming_import(*, actor: Actor, token: str, to_org: Any) -> IncomingLetter:
    """Import a letter signed by another dangjian deployment (its file or QR code): verified against
    the sender's registered key; a replayed or expired letter is refused."""
    _receiving_branch(actor, to_org)
    v = exchange.verify(token, "letter")
    b = v.body
    issued, days = _date(b.get("issued_on"), "开具日期"), int(b.get("valid_days") or 0)
    if timezone.localdate() > issued + timedelta(days=days):
        raise DomainError(
            "expired",
            f"介绍信已于{issued + timedelta(days=days):%Y-%m-%d}过期：请党员回原党组织重新办理",
            field="token",
        )
    if IncomingLetter.objects.filter(issuer=v.key_id, letter_no=b.get("letter_no", "")).exists():
        raise DomainError("replay", f"介绍信{b.get('letter_no')}已经登记过", field="token")
    _once(v)

    idn = idnumber.normalize(str(b.get("id_number") or ""))
    if idnumber.validate(idn):
        raise DomainError("invalid", "介绍信中的身份证号无效", field="token")
    letter = IncomingLetter.objects.create(
        letter_no=str(b["letter_no"])[:40],
        issuer=v.key_id,
        from_name=f"{v.deployment}·{b.get('from_name', '')}"[:100],
        to_org=to_org,
        member_no=str(b["member_no"])[:32],
        name=str(b["name"])[:50],
        gender=str(b.get("gender", ""))[:2],
        birth_date=_date(b.get("birth_date"), "出生日期"),
        id_number_encrypted=crypto.encrypt(idn),
        id_number_masked=idnumber.mask(idn),
        member_status=str(b.get("status", "full")),
        joined_on=_date(b.get("joined_on"), "入党日期"),
        full_on=_date(b["full_on"], "转正日期") if b.get("full_on") else None,
        issued_on=issued,
        valid_days=days,
        fee_paid_through=str(b.get("fee_paid_through", ""))[:7],
        fee_category=str(b.get("fee_category", ""))[:20],
        fee_base_fen=int(b.get("fee_base_fen") or 0),
        signed=True,
        payload=token.strip(),
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="transfers.incoming_import",
        obj=letter,
        organization=to_org,
        data={"letter_no": letter.letter_no, "issuer": v.key_id, "deployment": v.deployment},
    )
    return letter


@transaction.atomic(durable=True)
def incoming_register(
    *,
    actor: Actor,
    to_org: Any,
    letter_no: str,
    from_name: str,
    member_no: str,
    name: str,
    gender: str,
    birth_date: date,
    id_number: str,
    member_status: str,
    joined_on: date,
    full_on: date | None,
    issued_on: date,
    valid_days: int,
    fee_paid_through: str = "",
) -> IncomingLetter:
    """Register a paper letter received from outside (no signature to verify)."""

    _receiving_branch(actor, to_org)
    for value, field, label in (
        (letter_no, "letter_no", "介绍信编号"),
        (from_name, "from_name", "转出党组织"),
        (member_no, "member_no", "党员编号"),
        (name, "name", "姓名"),
    ):
        if not (value or "").strip():
            raise DomainError("required", f"请填写{label}", field=field)
    if member_status not in ("full", "probationary"):
        raise DomainError("invalid", "党员类别应为正式党员或预备党员", field="member_status")
    if not 1 <= valid_days <= MAX_VALID_DAYS:
        raise DomainError("validity", f"介绍信有效期为1至{MAX_VALID_DAYS}天", field="valid_days")
    if timezone.localdate() > issued_on + timedelta(days=valid_days):
        raise DomainError(
            "expired", "介绍信已过有效期：请党员回原党组织重新办理", field="issued_on"
        )
    problem = idnumber.validate(idnumber.normalize(id_number or ""))
    if problem:
        raise DomainError("invalid", f"身份证号{problem}", field="id_number")

    errors = v.check_consistency(
        birth_date=birth_date,
        id_number=idnumber.normalize(id_number),
        gender=gender,
        joined_on=joined_on,
        status=member_status,
        full_on=full_on,
    )
    if errors:
        field, why = next(iter(errors.items()))
        raise DomainError("inconsistent", why, field=field)
    if IncomingLetter.objects.filter(issuer="", letter_no=letter_no.strip()).exists():
        raise DomainError("duplicate", f"介绍信{letter_no}已经登记过", field="letter_no")
    idn = idnumber.normalize(id_number)
    letter = IncomingLetter.objects.create(
        letter_no=letter_no.strip()[:40],
        from_name=from_name.strip()[:100],
        to_org=to_org,
        member_no=member_no.strip()[:32],
        name=name.strip()[:50],
        gender=gender,
        birth_date=birth_date,
        id_number_encrypted=crypto.encrypt(idn),
        id_number_masked=idnumber.mask(idn),
        member_status=member_status,
        joined_on=joined_on,
        full_on=full_on,
        issued_on=issued_on,
        valid_days=valid_days,
        fee_paid_through=(fee_paid_through or "").strip()[:7],
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="transfers.incoming_register",
        obj=letter,
        organization=to_org,
        data={"letter_no": letter.letter_no},
    )
    return letter


@transaction.atomic(durable=True)
def incoming_accept(
    *, actor: Actor, letter: IncomingLetter, on: date | None = None
) -> IncomingLetter:
    """The receiving branch accepts a letter from outside: the member is created on its roll (or,
    coming back, restored to it — recognised by the ID number), in this transaction; a signed
    letter gets a signed receipt to send back, naming the member by the sender's number and ours.
    """

    lt = (
        IncomingLetter.objects.select_for_update(of=("self",))
        .select_related("to_org")
        .get(pk=letter.pk)
    )
    if not can_act(actor, lt.to_org):
        raise NotVisible()
    if lt.status != IncomingStatus.PENDING:
        raise DomainError("stage", f"该介绍信已{lt.get_status_display()}")
    on = day_or_today(on)
    end = lt.issued_on + timedelta(days=lt.valid_days)
    if on > end:
        raise DomainError(
            "expired", f"介绍信已于{end:%Y-%m-%d}过期：请党员回原党组织重新办理", field="on"
        )
    # the person is recognised by the ID number, not by the number the sender gave them: member
    # numbers are unique within one deployment only
    index = crypto.blind_index(idnumber.normalize(crypto.decrypt(lt.id_number_encrypted)))
    existing = Member.objects.select_for_update().filter(id_number_index=index).first()
    if existing is not None:
        if existing.status != "transferred_out":
            raise DomainError(
                "duplicate",
                f"{lt.name}已在本系统{existing.get_status_display()}（党员编号{existing.member_no}），"
                "不能重复接收",
                field="member_no",
            )
        old_org, existing.organization, existing.status, existing.left_on = (
            existing.organization_id,
            lt.to_org,
            lt.member_status,
            None,
        )
        existing.origin_no = lt.member_no if lt.member_no != existing.member_no else ""
        existing.save(
            update_fields=["organization", "status", "left_on", "origin_no", "updated_at"]
        )
        counters_adjust(old_org, "transferred_out", -1)
        counters_adjust(lt.to_org.pk, lt.member_status, +1)
        MemberEvent.objects.create(
            member=existing,
            organization=lt.to_org,
            kind=MemberEventKind.MOVED,
            on=on,
            actor=actor,
            reason=f"组织关系转回（介绍信{lt.letter_no}，来自{lt.from_name}）",
            data={"to": lt.to_org.code, "incoming": lt.pk, "origin_no": lt.member_no},
        )
        member = existing
        # the ledger continues from the month after the member left
        members_added.send(sender=Member, member_ids=[member.pk])
    else:
        # the sender's number when it is free here, else one from this deployment's pattern
        free = not Member.objects.filter(member_no=lt.member_no).exists()
        category = lt.fee_category or "other"
        member = member_create_within(
            actor=actor,
            organization=lt.to_org,
            member_no=lt.member_no if free else "",
            origin_no="" if free else lt.member_no,
            data=MemberData(
                name=lt.name,
                gender=lt.gender,
                birth_date=lt.birth_date,
                id_number=crypto.decrypt(lt.id_number_encrypted),
                phone="",
                status=lt.member_status,
                joined_on=lt.joined_on,
                full_on=lt.full_on,
                fee_category=category,
                fee_base_fen=lt.fee_base_fen,
            ),
        )
    # the ledger opened for the member (members_added); the months paid before come from the
    # letter
    ledger_carry_paid(member=member, through=lt.fee_paid_through, on=on)
    lt.status, lt.member, lt.accepted_on = IncomingStatus.ACCEPTED, member, on
    if lt.signed and ExchangeKey.objects.filter(active=True).exists():
        lt.receipt_token = exchange.sign(
            {
                "kind": "receipt",
                "letter_no": lt.letter_no,
                "letter_key": lt.issuer,
                "member_no": lt.member_no,  # the sender's number, as on its letter
                "receiver_member_no": member.member_no,
                "accepted_on": on.isoformat(),
                "receiver": lt.to_org.name,
            }
        )
    lt.save(update_fields=["status", "member", "accepted_on", "receipt_token"])
    audit_record(
        actor=actor,
        action="transfers.incoming_accept",
        obj=lt,
        organization=lt.to_org,
        data={"letter_no": lt.letter_no, "member": lt.member_no, "restored": existing is not None},
    )
    return lt


@transaction.atomic(durable=True)
def incoming_reject(*, actor: Actor, letter: IncomingLetter, reason: str) -> IncomingLetter:
    lt = (
        IncomingLetter.objects.select_for_update(of=("self",))
        .select_related("to_org")
        .get(pk=letter.pk)
    )
    if not can_act(actor, lt.to_org):
        raise NotVisible()
    if lt.status != IncomingStatus.PENDING:
        raise DomainError("stage", f"该介绍信已{lt.get_status_display()}")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("required", "退回须说明理由（不得无故拒绝接收）", field="reason")
    lt.status, lt.closed_reason = IncomingStatus.REJECTED, reason[:200]
    lt.save(update_fields=["status", "closed_reason"])
    audit_record(
        actor=actor,
        action="transfers.incoming_reject",
        obj=lt,
        organization=lt.to_org,
        data={"reason": reason},
    )
    return lt


@transaction.atomic(durable=True)
def receipt_import(*, actor: Actor, token: str, on: date | None = None) -> Transfer:
    """The receipt of one of our letters comes back from the receiving deployment: verified, then
    recorded as the receipt (the member leaves our roll), once."""
    v = exchange.verify(token, "receipt")
    b = v.body
    if not ExchangeKey.objects.filter(key_id=b.get("letter_key")).exists():
        raise DomainError("not_ours", "该回执对应的介绍信不是本部署开具的", field="token")
    t = Transfer.objects.filter(letter_no=b.get("letter_no", ""), to_org__isnull=True).first()
    if t is None:
        raise DomainError("not_found", f"找不到介绍信{b.get('letter_no')}", field="token")
    t = lock(t)
    if t.member.member_no != b.get("member_no"):
        raise DomainError("mismatch", "回执中的党员与介绍信不符", field="token")
    _once(v)
    accepted = _date(b.get("accepted_on"), "接收日期")
    t.to_name = t.to_name or str(b.get("receiver", ""))[:100]
    t = accept_within(actor, t, min(accepted, timezone.localdate()))
    audit_record(
        actor=actor,
        action="transfers.receipt_import",
        obj=t,
        organization=t.from_org,
        data={"letter_no": t.letter_no, "key": v.key_id, "deployment": v.deployment},
    )
    return t
