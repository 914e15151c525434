"""The transfer workflow inside the deployment and out of it (rules.md §5; security.md §4).

start (the member or the branch) → the sending committee approves and issues the letter → (inside
the deployment) the receiving committee agrees → the receiving branch accepts: the member's
organization changes in the same transaction. Out of the deployment the receipt is recorded when it
comes back. Reject, cancel and expire close a transfer; the member stays with the sending
organization, which keeps responsibility until the member is received. Every write locks the
transfer row (and the member's on acceptance); the database allows one open transfer per member, so
two racing requests have one effect.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction

from dangjian.accounts.types import Actor
from dangjian.audit.services import audit_record
from dangjian.core.errors import DomainError, NotVisible
from dangjian.fees.models import FeeMonth
from dangjian.members.constants import ACTIVE_STATUSES
from dangjian.members.models import Member

from .. import exchange
from ..models import (
    OPEN_STATUSES,
    ExchangeKey,
    Stage,
    Transfer,
    TransferStatus,
)
from ..selectors import committee_of, expires_on
from ._shared import (
    DEFAULT_VALID_DAYS,
    MAX_VALID_DAYS,
    accept_within,
    can_act,
    day_or_today,
    letter_body,
    lock,
    next_month,
    tell,
)


@transaction.atomic(durable=True)
def transfer_start(
    *,
    actor: Actor,
    member: Member,
    to_org: Any = None,
    to_name: str = "",
    reason: str = "",
    on: date | None = None,
) -> Transfer:
    """A member (from the portal) or their branch asks to move the organizational relationship."""
    m = Member.objects.select_for_update().select_related("organization").get(pk=member.pk)
    own = getattr(actor, "member_id", None) == m.pk
    if not own and not can_act(actor, m.organization):
        raise NotVisible()
    if m.status not in ACTIVE_STATUSES:
        raise DomainError("status", f"{m.get_status_display()}不能办理组织关系转接")
    on = day_or_today(on)
    to_name = (to_name or "").strip()
    if to_org is None and not to_name:
        raise DomainError(
            "required", "请选择转入的党支部，或填写本系统以外的接收党组织名称", field="to_org"
        )
    if to_org is not None:
        if to_org.pk == m.organization_id:
            raise DomainError("same", "转入组织与现在的组织相同", field="to_org")
        if to_org.kind != "branch" or not to_org.is_active:
            raise DomainError(
                "kind",
                f"“{to_org.name}”不是有效的党支部：组织关系转入党支部（不能转入党小组）",
                field="to_org",
            )
    if Transfer.objects.filter(member=m, status__in=OPEN_STATUSES).exists():
        raise DomainError("in_transit", "该党员已有正在办理的组织关系转接", field="member")
    try:
        with transaction.atomic():
            t = Transfer.objects.create(
                member=m,
                from_org=m.organization,
                to_org=to_org,
                to_name="" if to_org else to_name[:100],
                reason=(reason or "").strip()[:200],
                stage=Stage.STARTED,
                started_on=on,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError as exc:
        raise DomainError("in_transit", "该党员已有正在办理的组织关系转接", field="member") from exc
    tell(
        t,
        "staff",
        committee_of(m.organization),
        "组织关系转接待审批",
        f"{m.name}申请将组织关系转往{to_org.name if to_org else to_name}。",
    )
    audit_record(
        actor=actor,
        action="transfers.start",
        obj=t,
        organization=m.organization,
        data={"member": m.member_no, "to": to_org.code if to_org else to_name, "by_member": own},
    )
    return t


def _fee_paid_through(member: Member) -> str:

    row = (
        FeeMonth.objects.filter(member=member, paid_fen__gt=0)
        .order_by("-month_index")
        .values_list("month", flat=True)
        .first()
    )
    return row or ""


@transaction.atomic(durable=True)
def transfer_issue(
    *,
    actor: Actor,
    transfer: Transfer,
    valid_days: int = DEFAULT_VALID_DAYS,
    on: date | None = None,
) -> Transfer:
    """The sending committee approves and issues the introduction letter (validity and fees paid up
    to)."""
    t = lock(transfer)
    if not can_act(actor, committee_of(t.from_org)):
        raise NotVisible()
    if t.status != TransferStatus.OPEN or t.stage != Stage.STARTED:
        raise DomainError(
            "stage", f"当前状态“{t.get_status_display()}·{t.get_stage_display()}”不能开具介绍信"
        )
    if not 1 <= (valid_days or 0) <= MAX_VALID_DAYS:
        raise DomainError(
            "validity", f"介绍信有效期为1至{MAX_VALID_DAYS}天（最长6个月）", field="valid_days"
        )
    on = day_or_today(on)
    t.issued_on, t.valid_days, t.stage = on, valid_days, Stage.ISSUED
    t.letter_no = f"ZJ{on:%Y%m%d}{t.pk:06d}"
    t.fee_paid_through = _fee_paid_through(t.member)
    t.fee_resume = next_month(t.fee_paid_through)
    if t.to_org is None and ExchangeKey.objects.filter(active=True).exists():
        t.token = exchange.sign(letter_body(t))
    t.save(
        update_fields=[
            "issued_on",
            "valid_days",
            "stage",
            "letter_no",
            "fee_paid_through",
            "fee_resume",
            "token",
            "updated_at",
        ]
    )
    end = t.expires_on
    tell(
        t,
        "member",
        t.from_org,
        "介绍信已开具",
        f"介绍信编号{t.letter_no}，请在{end:%Y年%m月%d日}前到接收党组织报到。",
    )
    if t.to_org is not None:
        tell(
            t,
            "staff",
            committee_of(t.to_org),
            "组织关系转入待同意",
            f"{t.member.name}的组织关系由{t.from_org.name}转入{t.to_org.name}。",
        )
    audit_record(
        actor=actor,
        action="transfers.issue",
        obj=t,
        organization=t.from_org,
        data={
            "letter_no": t.letter_no,
            "valid_days": valid_days,
            "fee_paid_through": t.fee_paid_through,
        },
    )
    return t


@transaction.atomic(durable=True)
def transfer_agree(*, actor: Actor, transfer: Transfer, on: date | None = None) -> Transfer:
    """The receiving committee agrees (inside the deployment)."""
    t = lock(transfer)
    if t.to_org is None or not can_act(actor, committee_of(t.to_org)):
        raise NotVisible()
    if t.status != TransferStatus.OPEN or t.stage != Stage.ISSUED:
        raise DomainError(
            "stage", f"当前状态“{t.get_status_display()}·{t.get_stage_display()}”不能审批转入"
        )
    t.receiving_approved_on, t.stage = day_or_today(on), Stage.RECEIVING_APPROVED
    t.save(update_fields=["receiving_approved_on", "stage", "updated_at"])
    tell(
        t,
        "staff",
        t.to_org,
        "组织关系转入待接收",
        f"{t.member.name}的组织关系转入本支部，党员报到后请点击接收。",
    )
    audit_record(actor=actor, action="transfers.agree", obj=t, organization=t.to_org, data={})
    return t


@transaction.atomic(durable=True)
def transfer_accept(*, actor: Actor, transfer: Transfer, on: date | None = None) -> Transfer:
    """Inside the deployment: the receiving branch accepts and the member's organization changes,
    in this
    transaction. Out of it: the sending committee records the receipt and the member leaves the
    roll."""
    return accept_within(actor, lock(transfer), day_or_today(on))


@transaction.atomic(durable=True)
def transfer_close(
    *, actor: Actor, transfer: Transfer, how: str, reason: str, on: date | None = None
) -> Transfer:
    """Reject (either committee, with a reason), cancel (the member or the sending branch) or mark a
    letter expired (the sending committee). The member stays where they are."""
    t = lock(transfer)
    if t.status != TransferStatus.OPEN:
        raise DomainError("stage", f"该转接已{t.get_status_display()}")
    reason = (reason or "").strip()
    on = day_or_today(on)
    if how == "reject":
        sides = [committee_of(t.from_org)] + (
            [committee_of(t.to_org), t.to_org] if t.to_org else []
        )
        if not any(can_act(actor, o) for o in sides):
            raise NotVisible()
        if not reason:
            raise DomainError("required", "退回须说明理由", field="reason")
        status = TransferStatus.REJECTED
    elif how == "cancel":
        if getattr(actor, "member_id", None) != t.member_id and not can_act(actor, t.from_org):
            raise NotVisible()
        status = TransferStatus.CANCELLED
    elif how == "expire":
        if not can_act(actor, committee_of(t.from_org)):
            raise NotVisible()
        end = expires_on(t)
        if end is None or on <= end:
            raise DomainError("not_expired", "介绍信尚在有效期内")
        status = TransferStatus.EXPIRED
    else:
        raise DomainError("invalid", "未知操作")
    t.status, t.closed_on, t.closed_reason = status, on, reason[:200]
    t.save(update_fields=["status", "closed_on", "closed_reason", "updated_at"])
    if how != "cancel" or getattr(actor, "member_id", None) != t.member_id:
        tell(
            t,
            "member",
            t.from_org,
            f"组织关系转接{t.get_status_display()}",
            reason or "请联系所在党支部。",
        )
    if how == "reject" and not can_act(actor, t.from_org):
        # refused on the receiving side: the sending branch takes it back
        tell(t, "staff", t.from_org, "组织关系转接被退回", f"{t.member.name}：{reason}")
    audit_record(
        actor=actor,
        action=f"transfers.{how}",
        obj=t,
        organization=t.from_org,
        data={"reason": reason},
    )
    return t
