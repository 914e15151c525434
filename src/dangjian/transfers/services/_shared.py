"""What the transfer services share: validity, the approving committee, locks, notices."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.accounts.types import Actor
from dangjian.audit.services import audit_record
from dangjian.core.errors import DomainError, NotVisible
from dangjian.members.constants import MemberEventKind
from dangjian.members.models import Member, MemberEvent
from dangjian.members.services import counters_adjust, member_change_status_within
from dangjian.notify.services import handover_notice, member_users

from ..models import (
    Stage,
    Transfer,
    TransferStatus,
)
from ..selectors import committee_of, expires_on

DEFAULT_VALID_DAYS = 90
MAX_VALID_DAYS = 180


def can_act(actor: Actor, org: Any) -> bool:
    """actor None is the command line on the server (`dangjian transfers ...`), like the bundle
    import."""
    return org is not None and (actor is None or policy.can(actor, "change", org))


def lock(t: Transfer) -> Transfer:
    return (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("member", "from_org", "to_org")
        .get(pk=t.pk)
    )


def tell(t: Transfer, who: str, org: Any, title: str, body: str) -> None:
    """Tell the people who act next (in-app notice, their channels in the digest), in the caller's
    transaction: "member" = the member's own account; otherwise the staff responsible for `org`."""

    if org is None:
        return
    member = who == "member"
    handover_notice(
        users=member_users([t.member_id]) if member else None,
        organization=org,
        title=title,
        body=body,
        url=reverse("transfers:my") if member else reverse("transfers:detail", args=[t.pk]),
        key=f"transfer:{t.pk}:{title}",
    )


def day_or_today(on: date | None) -> date:
    today = timezone.localdate()
    if on is not None and on > today:
        raise DomainError("bad_date", "日期不能晚于今天", field="on")
    return on or today


def next_month(month: str) -> str:
    """The month after "YYYY-MM" ("" stays "")."""
    if len(month) != 7:
        return ""
    y, m = int(month[:4]), int(month[5:])
    return f"{y + m // 12}-{m % 12 + 1:02d}"


def letter_body(t: Transfer) -> dict[str, Any]:
    m = t.member
    return {
        "kind": "letter",
        "letter_no": t.letter_no,
        "from_name": t.from_org.name,
        "to_name": t.to_name,
        "member_no": m.member_no,
        "name": m.name,
        "gender": m.gender,
        "birth_date": m.birth_date.isoformat(),
        "id_number": m.id_number(),
        "status": m.status,
        "joined_on": m.joined_on.isoformat(),
        "full_on": m.full_on.isoformat() if m.full_on else "",
        "issued_on": t.issued_on.isoformat() if t.issued_on else "",
        "valid_days": t.valid_days,
        "fee_paid_through": t.fee_paid_through,
        "fee_category": m.fee_category,
        "fee_base_fen": m.fee_base_fen,
    }


def accept_within(actor: Actor, t: Transfer, on: date) -> Transfer:
    if t.status != TransferStatus.OPEN:
        raise DomainError("stage", f"该转接已{t.get_status_display()}")
    end = expires_on(t)
    if t.to_org is not None:
        if not can_act(actor, t.to_org):
            raise NotVisible()
        if t.stage != Stage.RECEIVING_APPROVED:
            raise DomainError("stage", "转入党委同意后，支部才能接收")
    else:
        if not can_act(actor, committee_of(t.from_org)):
            raise NotVisible()
        if t.stage != Stage.ISSUED:
            raise DomainError("stage", "介绍信开具后才能登记回执")
    if end is not None and on > end:
        raise DomainError("expired", f"介绍信已于{end:%Y-%m-%d}过期，须重新办理", field="on")
    m = Member.objects.select_for_update().select_related("organization").get(pk=t.member_id)
    if m.organization_id != t.from_org_id:
        raise DomainError("moved", "该党员的组织关系已不在转出组织")

    if t.to_org is not None:
        m.organization = t.to_org
        m.save(update_fields=["organization", "updated_at"])
        counters_adjust(t.from_org_id, m.status, -1)
        counters_adjust(t.to_org.pk, m.status, +1)
        MemberEvent.objects.create(
            member=m,
            organization=t.to_org,
            kind=MemberEventKind.MOVED,
            on=on,
            actor=actor,
            reason=f"组织关系转接（介绍信{t.letter_no}）",
            data={"from": t.from_org.code, "to": t.to_org.code, "transfer": t.pk},
        )
    else:
        member_change_status_within(
            actor=actor,
            member=m,
            to_status="transferred_out",
            on=on,
            reason=f"组织关系转往{t.to_name}（介绍信{t.letter_no}），回执已收到",
        )
    t.status, t.accepted_on, t.closed_on = TransferStatus.ACCEPTED, on, on
    t.save(update_fields=["status", "accepted_on", "closed_on", "updated_at"])
    tell(
        t,
        "member",
        t.to_org or t.from_org,
        "组织关系转接已完成",
        f"您的组织关系已转入{t.to_org.name if t.to_org else t.to_name}。",
    )
    audit_record(
        actor=actor,
        action="transfers.accept",
        obj=t,
        organization=t.to_org or t.from_org,
        data={
            "member": m.member_no,
            "from": t.from_org.code,
            "to": t.to_org.code if t.to_org else t.to_name,
        },
    )
    return t
