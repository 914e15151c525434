"""Batch transfers (graduates, restructuring): a preview, then one approval issues every letter."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse

from dangjian.accounts.types import Actor
from dangjian.audit.services import audit_record
from dangjian.core.errors import DomainError
from dangjian.fees.models import FeeMonth
from dangjian.members.constants import ACTIVE_STATUSES
from dangjian.members.models import Member
from dangjian.notify.services import handover_notice, member_users

from .. import exchange
from ..models import (
    OPEN_STATUSES,
    ExchangeKey,
    Stage,
    Transfer,
)
from ..selectors import committee_of, committees_of
from ._shared import (
    DEFAULT_VALID_DAYS,
    MAX_VALID_DAYS,
    can_act,
    day_or_today,
    letter_body,
    next_month,
)


def transfer_batch_preview(
    *, actor: Actor, members: list[Member], to_org: Any = None, to_name: str = ""
) -> list[tuple[Member, str]]:
    """Each member with the reason they cannot be moved ("" = can). Two queries, whatever the
    size."""
    pks = [m.pk for m in members]
    in_transit = set(
        Transfer.objects.filter(member_id__in=pks, status__in=OPEN_STATUSES).values_list(
            "member_id", flat=True
        )
    )
    committees = committees_of({m.organization_id: m.organization for m in members}.values())
    rows = []
    for m in members:
        if not can_act(actor, committees[m.organization_id]):
            reason = "不在您所在党委的审批范围内"
        elif m.status not in ACTIVE_STATUSES:
            reason = f"{m.get_status_display()}不能办理转接"
        elif m.pk in in_transit:
            reason = "已有正在办理的转接"
        elif to_org is not None and to_org.pk == m.organization_id:
            reason = "已在转入组织"
        else:
            reason = ""
        rows.append((m, reason))
    return rows


@transaction.atomic(durable=True)
def transfer_batch(
    *,
    actor: Actor,
    members: list[Member],
    to_org: Any = None,
    to_name: str = "",
    reason: str = "",
    valid_days: int = DEFAULT_VALID_DAYS,
    on: date | None = None,
) -> list[Transfer]:
    """Graduates, restructuring: one approval by the sending committee issues every letter at once
    (all
    or none). Inside the deployment the receiving committee and branch still agree and accept."""

    if not members:
        raise DomainError("required", "请选择要转接的党员", field="members")
    to_name = (to_name or "").strip()
    if to_org is None and not to_name:
        raise DomainError(
            "required", "请选择转入的党支部，或填写本系统以外的接收党组织名称", field="to_org"
        )
    if to_org is not None and (to_org.kind != "branch" or not to_org.is_active):
        raise DomainError(
            "kind",
            f"“{to_org.name}”不是有效的党支部：组织关系转入党支部（不能转入党小组）",
            field="to_org",
        )
    if not 1 <= (valid_days or 0) <= MAX_VALID_DAYS:
        raise DomainError(
            "validity", f"介绍信有效期为1至{MAX_VALID_DAYS}天（最长6个月）", field="valid_days"
        )
    locked = list(
        Member.objects.select_for_update(of=("self",))
        .select_related("organization")
        .filter(pk__in=[m.pk for m in members])
    )
    bad = [
        (m, why)
        for m, why in transfer_batch_preview(
            actor=actor, members=locked, to_org=to_org, to_name=to_name
        )
        if why
    ]
    if bad:
        raise DomainError(
            "batch",
            "以下党员不能转接，请移出后再提交："
            + "；".join(f"{m.name}（{why}）" for m, why in bad[:10])
            + (f"等{len(bad)}人" if len(bad) > 10 else ""),
            field="members",
        )
    on = day_or_today(on)
    batch = uuid.uuid4().hex[:12]
    paid = dict(
        FeeMonth.objects.filter(member_id__in=[m.pk for m in locked], paid_fen__gt=0)
        .values("member_id")
        .annotate(last=Max("month"))
        .values_list("member_id", "last")
    )
    try:
        with transaction.atomic():
            made = Transfer.objects.bulk_create(
                [
                    Transfer(
                        member=m,
                        from_org=m.organization,
                        to_org=to_org,
                        to_name="" if to_org else to_name[:100],
                        reason=(reason or "").strip()[:200],
                        stage=Stage.ISSUED,
                        started_on=on,
                        issued_on=on,
                        valid_days=valid_days,
                        fee_paid_through=paid.get(m.pk, ""),
                        fee_resume=next_month(paid.get(m.pk, "")),
                        batch=batch,
                        created_by=actor,
                    )
                    for m in locked
                ]
            )
    except IntegrityError as exc:
        raise DomainError("in_transit", "有党员已在办理转接，请重新预览", field="members") from exc
    made = list(
        Transfer.objects.filter(batch=batch).select_related("member", "from_org").order_by("id")
    )
    key = ExchangeKey.objects.filter(active=True).first() if to_org is None else None
    for t in made:
        t.letter_no = f"ZJ{on:%Y%m%d}{t.pk:06d}"
        if key is not None:
            t.token = exchange.sign(letter_body(t), key)
    Transfer.objects.bulk_update(made, ["letter_no", "token"])
    # the members go and report; inside the deployment the receiving committee agrees next
    handover_notice(
        users=member_users([t.member_id for t in made]),
        organization=locked[0].organization,
        title="介绍信已开具",
        body=f"您的组织关系转往{to_org.name if to_org else to_name}，"
        f"请在{on + timedelta(days=valid_days):%Y年%m月%d日}前到接收党组织报到。",
        url=reverse("transfers:my"),
        key=f"batch:{batch}",
    )
    receiving = committee_of(to_org) if to_org is not None else None
    if receiving is not None:
        handover_notice(
            organization=receiving,
            title=f"组织关系转入待同意：{len(made)}人",
            body=f"{locked[0].organization.name}批量转入{to_org.name}（批次{batch}）。",
            url=reverse("transfers:list", args=[receiving.pk]) + "?tab=in&status=open",
            key=f"batch:{batch}:in",
        )
    audit_record(
        actor=actor,
        action="transfers.batch",
        organization=locked[0].organization,
        data={
            "batch": batch,
            "count": len(made),
            "to": to_org.code if to_org else to_name,
            "members": [m.member_no for m in locked],
        },
    )
    return made
