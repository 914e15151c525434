"""Party-fee writes: assessments, the monthly ledger, payments. One transaction each, audited."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.accounts.types import Actor
from dangjian.audit.services import audit_record
from dangjian.core import changes
from dangjian.core.errors import DomainError, NotVisible
from dangjian.core.lookups import any_sql
from dangjian.members.constants import FEE_STATUSES
from dangjian.members.models import Member
from dangjian.orgs.models import Organization

from . import bands
from .models import (
    AnnualAssessment,
    Assessment,
    AssessmentKind,
    Channel,
    CollectionDay,
    FeeMonth,
    FeeRollup,
    Payment,
    Publication,
    Remittance,
    current_index,
    month_index,
    month_label,
)
from .selectors import MAX_AHEAD, MAX_BACK, collected, expected_due, remit_percent


def _band_sql() -> str:
    """The band amount in SQL from members_member (alias m), integer fen, half up (rules.md §1)."""

    def pct(per10000: int) -> str:
        return f"((m.fee_base_fen * {per10000} + 5000) / 10000)"

    return (
        "CASE "
        f"WHEN m.fee_category IN ('employed', 'other') AND m.fee_base_fen <= 300000 THEN {pct(50)} "
        "WHEN m.fee_category IN ('employed', 'other') AND m.fee_base_fen <= 500000 THEN "
        f"{pct(100)} "
        "WHEN m.fee_category IN ('employed', 'other') AND m.fee_base_fen <= 1000000 THEN "
        f"{pct(150)} "
        f"WHEN m.fee_category IN ('employed', 'other') THEN {pct(200)} "
        f"WHEN m.fee_category = 'retired' AND m.fee_base_fen <= 500000 THEN {pct(50)} "
        f"WHEN m.fee_category = 'retired' THEN {pct(100)} "
        f"WHEN m.fee_category = 'farmer' THEN {bands.FARMER_DEFAULT} "
        f"ELSE {bands.FIXED_LOW} END"
    )


def _open_months(
    months: list[int], *, only: str = "", params: list[Any], continue_only: bool = False
) -> int:
    """Insert the months' missing ledger rows in one INSERT … SELECT, for members on the roll who
    were members on any day of the month (a new member pays from the month of admission, DF Art 8
    and FEE-11) and, when `only` is given, among the members it selects (an SQL condition on m).
    `continue_only`: a member's ledger is only continued after its last row, never filled in
    before it (a gap in a ledger brought from the old system is for the rules to report).

    The amount due is the member's latest assessment in force that month, else the band amount
    from their category and base; the organization is the one holding their relationship now."""
    if not months:
        return 0
    statuses = ", ".join(f"'{s}'" for s in FEE_STATUSES)
    date_param = "%s::date" if connection.vendor == "postgresql" else "%s"
    # the months as a derived table (idx, label, the first day after the month)
    month_rows = " UNION ALL ".join(
        f"SELECT CAST(%s AS INTEGER) AS idx, %s AS label, {date_param} AS next_first"
        for _ in months
    )
    month_params: list[Any] = []
    for month in months:
        next_first = date((month + 1) // 12, (month + 1) % 12 + 1, 1)
        month_params += [month, month_label(month), next_first]
    assessed = (
        "(SELECT a.monthly_fen FROM fees_assessment a WHERE a.member_id = m.id AND "
        "a.effective_index <= mo.idx ORDER BY a.effective_index DESC, a.id DESC LIMIT 1)"
    )
    now = timezone.now()
    # only constants are interpolated; every value is a parameter
    sql = (
        "INSERT INTO fees_feemonth (member_id, organization_id, month_index, month, due_fen, "  # noqa: S608 # nosec B608
        "paid_fen, paid_on, channel, payment_id, created_at, updated_at) "
        f"SELECT m.id, m.organization_id, mo.idx, mo.label, COALESCE({assessed}, {_band_sql()}), "
        "NULL, NULL, '', NULL, %s, %s "
        f"FROM members_member m CROSS JOIN ({month_rows}) mo "
        f"WHERE m.status IN ({statuses}) AND m.joined_on < mo.next_first "
        + (f"AND ({only}) " if only else "")
        + "AND NOT EXISTS (SELECT 1 FROM fees_feemonth f WHERE f.member_id = m.id AND "  # nosec B608
        + ("f.month_index >= mo.idx)" if continue_only else "f.month_index = mo.idx)")
    )
    with connection.cursor() as cur:
        cur.execute(sql, [now, now, *month_params, *params])
        return int(cur.rowcount)


@transaction.atomic(durable=True)
def ledger_generate(*, month: int, actor: Actor = None) -> int:
    """Open the month's ledger row for every member on the roll who has none yet (one INSERT …
    SELECT, see `_open_months`). Probationary members pay from the month of their admission
    meeting (joined_on)."""
    created = _open_months([month], params=[])
    rollup_refresh(months=[month])
    if created:  # the fee rules follow the new month, over the whole tree (queued: in bulk)
        for path in Organization.objects.filter(depth=1).values_list("path", flat=True):
            changes.note({"fees"}, path)
    audit_record(
        actor=actor,
        action="fees.ledger_generate",
        object_type="fees.ledger",
        object_repr=month_label(month),
        data={"month": month_label(month), "created": created},
    )
    return created


def ledger_carry_paid(*, member: Any, through: str, on: date) -> int:
    """A member received from outside with a letter that says 党费交至 `through` (YYYY-MM): the
    months up to it are marked paid at the previous organization (channel 转入前已交), so neither
    the grid nor the rules count them owed here. Inside the caller's transaction."""
    idx = None
    if len(through) == 7 and through[4] == "-" and through.replace("-", "").isdecimal():
        idx = month_index(int(through[:4]), int(through[5:]))
    if idx is None:
        return 0
    return FeeMonth.objects.filter(
        member=member, month_index__lte=idx, paid_fen__isnull=True
    ).update(paid_fen=F("due_fen"), paid_on=on, channel=Channel.CARRIED)


LOOK_BACK = 24  # the months the arrears rules look back over (rules-contract: the scan window)


def ledger_open_for(
    *,
    member_ids: list[int] | None = None,
    first_id: int | None = None,
    today: date | None = None,
    defer: Callable[[Callable[[], Any]], None] | None = None,
) -> int:
    """The ledger of members just put on the roll here (created, imported, received, admitted):
    the months they must pay, from the month of admission (FEE-11) over the last 24 months the
    arrears rules look back on (FEE-02…04 count the whole months among them) to this month, so
    that the branch's grid and the member's page show owed what the rules report. A ledger that
    came with the member (an import, a member coming back) is continued after its last month,
    not filled in before it. Inside the caller's transaction; `defer` (an import's `at_end`) takes
    the roll-up's refresh, which holds the deployment's lock until the commit, to the end of it."""
    now = current_index(today)
    if member_ids is not None:
        if not member_ids:
            return 0
        only, params = any_sql("m.id", member_ids)
    elif first_id is not None:
        only, params = "m.id >= %s", [first_id]
    else:
        return 0
    created = _open_months(
        list(range(now - LOOK_BACK, now + 1)), only=only, params=params, continue_only=True
    )
    if created:
        members = (
            Member.objects.filter(pk__any=member_ids)
            if member_ids is not None
            else Member.objects.filter(pk__gte=first_id)
        )
        orgs = list(members.order_by().values_list("organization_id", flat=True).distinct())
        months = list(range(now - LOOK_BACK, now + 1))
        if defer is not None:
            defer(lambda: rollup_refresh_touched(months, orgs))
        else:
            rollup_refresh_touched(months, orgs)
    return created


@transaction.atomic(durable=True)
def assessment_create(
    *,
    actor: Actor,
    member: Any,
    kind: str,
    year: int,
    effective_month: int,
    category: str,
    base_fen: int,
    reason: str = "",
    monthly_fen: int | None = None,
    approved_by: Any = None,
    approved_on: date | None = None,
    approval_ref: str = "",
) -> Assessment:
    """Assess a member's monthly amount from a month on. A mid-year change needs its reason; a
    reduction or exemption needs the next-higher committee's approval (DF Art 7), recorded."""
    if actor is not None and not policy.can(actor, "change", member.organization):
        raise NotVisible()
    if kind not in AssessmentKind.values:
        raise DomainError("bad_kind", "核定类型无效", field="kind")
    q = bands.quote(category, base_fen)
    if not (2000 <= year <= 2100) or effective_month // 12 != year:
        raise DomainError("bad_month", "起始月份应在核定年度内", field="effective_month")
    reason = (reason or "").strip()
    if kind != AssessmentKind.ANNUAL and not reason:
        raise DomainError("required", "年中调整、少交或免交须说明原因", field="reason")
    amount = q.monthly_fen
    if kind in (AssessmentKind.REDUCTION, AssessmentKind.EXEMPTION):
        if approved_by is None or approved_on is None or not approval_ref.strip():
            raise DomainError(
                "approval",
                "少交、免交须经上一级党委批准，请填写批准组织、日期和文号",
                field="approval_ref",
            )
        if (
            not member.organization.path.startswith(approved_by.path)
            or approved_by.pk == member.organization_id
        ):
            raise DomainError("approval", "批准组织应为党员所在支部的上级党委", field="approved_by")
        amount = (
            0
            if kind == AssessmentKind.EXEMPTION
            else (monthly_fen if monthly_fen is not None else -1)
        )
        if kind == AssessmentKind.REDUCTION and not (0 < amount < q.monthly_fen):
            raise DomainError(
                "bad_amount",
                f"少交后的月缴金额应大于0且低于标准{bands.yuan(q.monthly_fen)}元",
                field="monthly_fen",
            )
    elif category == "farmer" and monthly_fen is not None:
        if not bands.FARMER_MIN <= monthly_fen <= bands.FARMER_MAX:
            raise DomainError("bad_amount", "农民党员每月0.2元至1元", field="monthly_fen")
        amount = monthly_fen
    a = Assessment.objects.create(
        member=member,
        kind=kind,
        year=year,
        effective_index=effective_month,
        category=category,
        base_fen=base_fen,
        monthly_fen=amount,
        band=q.band,
        reason=reason[:300],
        approved_by=approved_by,
        approved_on=approved_on,
        approval_ref=approval_ref[:100],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    # open ledger rows of the month on and later, still unpaid, follow the new amount
    changed = list(
        FeeMonth.objects.filter(
            member=member, month_index__gte=effective_month, paid_fen__isnull=True
        ).values_list("month_index", flat=True)
    )
    FeeMonth.objects.filter(member=member, month_index__in=changed).update(due_fen=amount)
    rollup_refresh(months=changed, organization_ids=[member.organization_id])
    audit_record(
        actor=actor,
        action="fees.assess",
        obj=a,
        organization=member.organization,
        data={
            "member": member.member_no,
            "kind": kind,
            "from": month_label(effective_month),
            "base": bands.yuan(base_fen),
            "monthly": bands.yuan(amount),
            "reason": reason,
        },
    )
    return a


@dataclass(frozen=True)
class PaymentPlan:
    months: list[int]
    due_fen: int
    back: int  # months before the current one
    ahead: int  # months after it
    monthly_fen: int  # the amount in force, for months whose ledger row is not opened yet
    rows: dict[int, FeeMonth]  # the ledger rows of these months that exist


def payment_plan(
    member: Any, months: list[int], today: date | None = None, *, lock: bool = False
) -> PaymentPlan:
    """Check which months may be paid now: not already paid in full, arrears and prepayment each
    at most 6 months (refused beyond with the reason). Creates nothing; with `lock`, the ledger rows
    it reads stay locked until the caller's transaction ends."""
    if not months:
        raise DomainError("required", "请选择要缴纳的月份", field="months")
    now = current_index(today)
    months = sorted(set(months))
    if months[0] < month_index(member.joined_on.year, member.joined_on.month):
        raise DomainError(
            "bad_month",
            f"{month_label(months[0])}早于入党（接收为预备党员）的月份，不需缴纳",
            field="months",
        )
    back = sum(1 for m in months if m < now)
    ahead = sum(1 for m in months if m > now)
    if back > MAX_BACK:
        raise DomainError(
            "too_many_back",
            f"一次补交不超过{MAX_BACK}个月（本次{back}个月），请分次补交并说明原因",
            field="months",
        )
    if ahead > MAX_AHEAD or (months[-1] - now) > MAX_AHEAD:
        raise DomainError(
            "too_many_ahead",
            f"预交不超过{MAX_AHEAD}个月（最远可预交到{month_label(now + MAX_AHEAD)}）",
            field="months",
        )
    ledger = FeeMonth.objects.select_for_update() if lock else FeeMonth.objects
    rows = {
        r.month_index: r
        for r in ledger.filter(member=member, month_index__in=months).order_by("month_index")
    }
    paid = [
        month_label(m)
        for m, r in rows.items()
        if r.paid_fen is not None and r.paid_fen >= r.due_fen and r.paid_fen > 0
    ]
    if paid:
        raise DomainError("already_paid", f"{'、'.join(sorted(paid))}已足额缴纳", field="months")
    monthly = expected_due(member)
    due = sum((rows[m].due_fen - (rows[m].paid_fen or 0)) if m in rows else monthly for m in months)
    return PaymentPlan(months, due, back, ahead, monthly, rows)


def _receipt_no(today: date) -> str:
    return f"DF{today:%Y%m%d}{secrets.token_hex(5).upper()}"


def record_payment(
    *,
    member: Any,
    months: list[int],
    amount_fen: int,
    channel: str,
    paid_on: date,
    actor: Actor,
    paid_by: Any = None,
    consent: str = "",
    voluntary_fen: int = 0,
    order: Any = None,
    today: date | None = None,
) -> Payment:
    """The shared write behind every way of paying (must run inside the caller's transaction):
    locks the member's ledger rows, checks the amount, marks the months paid, issues the receipt."""
    if channel not in Channel.values:
        raise DomainError("bad_channel", "缴纳方式无效", field="channel")
    if paid_on > timezone.localdate():
        raise DomainError("future_date", "缴纳日期不能晚于今天", field="paid_on")
    if voluntary_fen < 0:
        raise DomainError("bad_amount", "自愿多交金额不能为负数", field="voluntary")
    # the member's ledger rows of these months stay locked: two payments of the same months cannot
    # both pass
    plan = payment_plan(member, months, today, lock=True)
    if amount_fen != plan.due_fen + voluntary_fen:
        raise DomainError(
            "bad_amount",
            f"金额应为{bands.yuan(plan.due_fen + voluntary_fen)}元"
            f"（应缴{bands.yuan(plan.due_fen)}元"
            f"{'，自愿多交' + bands.yuan(voluntary_fen) + '元' if voluntary_fen else ''}），"
            f"收到{bands.yuan(amount_fen)}元",
            field="amount",
        )
    if paid_by is not None:
        if paid_by.pk == member.pk:
            paid_by = None
        elif not consent.strip():
            raise DomainError(
                "consent", "代缴须记录支部同意的情况（如支委会决定、书记签字）", field="consent"
            )
    monthly, existing = plan.monthly_fen, plan.rows
    payment = Payment.objects.create(
        member=member,
        organization_id=member.organization_id,
        amount_fen=amount_fen,
        channel=channel,
        paid_on=paid_on,
        receipt_no=_receipt_no(paid_on),
        months=[month_label(m) for m in plan.months],
        voluntary_fen=voluntary_fen,
        central=voluntary_fen >= bands.VOLUNTARY_CENTRAL_FEN,
        paid_by=paid_by,
        consent=consent[:200],
        order=order,
        collector=actor if getattr(actor, "pk", None) and channel != Channel.ONLINE else None,
    )
    for m in plan.months:
        row = existing.get(m)
        if row is None:  # a prepaid month whose ledger row is not generated yet
            FeeMonth.objects.create(
                member=member,
                organization_id=member.organization_id,
                month_index=m,
                month=month_label(m),
                due_fen=monthly,
                paid_fen=monthly,
                paid_on=paid_on,
                channel=channel,
                payment=payment,
            )
        else:
            row.paid_fen, row.paid_on, row.channel, row.payment = (
                row.due_fen,
                paid_on,
                channel,
                payment,
            )
            row.save(update_fields=["paid_fen", "paid_on", "channel", "payment", "updated_at"])
    # a month is kept under the organization the member belonged to then: a member who moved pays
    # arrears of the old branch, whose roll-up and findings (FEE-12, …) move with the payment
    owners = {member.organization_id} | {r.organization_id for r in existing.values()}
    rollup_refresh(months=plan.months, organization_ids=sorted(owners))
    others = owners - {member.organization_id}
    if others:
        for path in Organization.objects.filter(pk__in=others).values_list("path", flat=True):
            changes.note({"fees"}, path)
    audit_record(
        actor=actor,
        action="fees.pay",
        obj=payment,
        organization=member.organization,
        data={
            "member": member.member_no,
            "months": payment.months,
            "amount": bands.yuan(amount_fen),
            "channel": channel,
            "paid_by": paid_by.member_no if paid_by else None,
            "central": payment.central,
        },
    )
    return payment


@transaction.atomic(durable=True)
def payment_offline(
    *,
    actor: Actor,
    member: Any,
    months: list[int],
    amount_fen: int,
    channel: str,
    paid_on: date,
    paid_by: Any = None,
    consent: str = "",
    voluntary_fen: int = 0,
) -> Payment:
    """The branch records a cash or transfer payment (or one made for the member by another,
    代缴)."""
    if not policy.can(actor, "change", member.organization):
        raise NotVisible()
    if channel not in (Channel.CASH, Channel.TRANSFER):
        raise DomainError("bad_channel", "线下缴纳方式应为现金或银行转账", field="channel")
    return record_payment(
        member=member,
        months=months,
        amount_fen=amount_fen,
        channel=channel,
        paid_on=paid_on,
        actor=actor,
        paid_by=paid_by,
        consent=consent,
        voluntary_fen=voluntary_fen,
    )


@transaction.atomic(durable=True)
def remittance_record(
    *,
    actor: Actor,
    organization: Any,
    year: int,
    quarter: int | None,
    remitted_on: date,
    reference: str = "",
) -> Any:
    """Record fees sent to the organization above for a period, at the configured percentage."""

    if not policy.can(actor, "change", organization):
        raise NotVisible()
    parent = Organization.objects.get_parent(organization) if organization.depth > 1 else None
    if parent is None:
        raise DomainError("no_parent", "最上级组织的上缴在系统外办理", field="organization")
    if quarter is not None and quarter not in (1, 2, 3, 4):
        raise DomainError("bad_quarter", "季度应为1至4", field="quarter")
    if remitted_on > timezone.localdate():
        raise DomainError("future_date", "上缴日期不能晚于今天", field="remitted_on")
    if Remittance.objects.filter(organization=organization, year=year, quarter=quarter).exists():
        raise DomainError("duplicate", "该期间已登记上缴", field="quarter")
    total = collected(organization, year, quarter)
    pct = remit_percent(organization)
    amount = int((Decimal(total) * pct / 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    r = Remittance.objects.create(
        organization=organization,
        to_organization=parent,
        year=year,
        quarter=quarter,
        collected_fen=total,
        percent=pct,
        amount_fen=amount,
        remitted_on=remitted_on,
        reference=reference[:60],
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="fees.remit",
        obj=r,
        organization=organization,
        data={
            "year": year,
            "quarter": quarter,
            "collected": bands.yuan(total),
            "percent": str(pct),
            "amount": bands.yuan(amount),
            "to": parent.code,
        },
    )
    return r


@transaction.atomic(durable=True)
def publication_record(
    *, actor: Actor, organization: Any, year: int, published_on: date, method: str, note: str = ""
) -> Any:
    """The branch publishes the year's collection and use of fees to its members (FEE-12)."""

    if not policy.can(actor, "change", organization):
        raise NotVisible()
    method = (method or "").strip()
    if not method:
        raise DomainError(
            "required", "请填写公布方式（如党员大会通报、公示栏张贴）", field="method"
        )
    if published_on > timezone.localdate():
        raise DomainError("future_date", "公布日期不能晚于今天", field="published_on")
    if published_on.year < year:
        raise DomainError("bad_date", "公布日期不能早于该年度", field="published_on")
    if Publication.objects.filter(organization=organization, year=year).exists():
        raise DomainError("duplicate", f"{year}年度已公布", field="year")
    remitted = (
        Remittance.objects.filter(organization=organization, year=year).aggregate(
            s=Sum("amount_fen")
        )["s"]
        or 0
    )
    p = Publication.objects.create(
        organization=organization,
        year=year,
        published_on=published_on,
        collected_fen=collected(organization, year),
        remitted_fen=int(remitted),
        method=method[:100],
        note=(note or "")[:300],
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="fees.publish",
        obj=p,
        organization=organization,
        data={
            "year": year,
            "collected": bands.yuan(p.collected_fen),
            "remitted": bands.yuan(p.remitted_fen),
        },
    )
    return p


@transaction.atomic(durable=True)
def collection_day_set(*, actor: Actor, organization: Any, day: int) -> Any:
    """Fix the branch's collection day (1-28); members are reminded in the 3 days before it."""

    if not policy.can(actor, "change", organization):
        raise NotVisible()
    if organization.kind != "branch":
        raise DomainError("bad_org", "收缴日按党支部设置", field="day")
    if not isinstance(day, int) or not 1 <= day <= 28:
        raise DomainError("bad_day", "收缴日应为每月1日至28日", field="day")
    obj, _ = CollectionDay.objects.update_or_create(
        organization=organization, defaults={"day": day}
    )
    audit_record(
        actor=actor,
        action="fees.collection_day",
        obj=obj,
        organization=organization,
        data={"day": day},
    )
    return obj


ROLLUP_BATCH = 2000  # organizations per statement


# a refresh of more organizations than this takes the deployment's lock instead of one each
ROLLUP_LOCKS = 64


def _rollup_key(name: str) -> int:
    digest = hashlib.blake2b(f"fees-rollup:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _serialize_refresh(organization_ids: list[int] | None) -> None:
    """Refreshes of one organization's roll-up run one after the other (PostgreSQL; SQLite's
    writers are serial already). Two payments in a branch committing at once each delete the
    month's row and insert it again; under READ COMMITTED the second DELETE did not see the row
    the first inserted, and its INSERT collided on (organization, month). Advisory locks for the
    length of the transaction, not row locks on the organizations, which the counters and edits of
    organizations also take (a payment holding its ledger rows would wait for an import holding
    the counters, and the import for the ledger rows): the deployment's lock shared, then each
    organization's in id order; a refresh of many organizations, or of all, takes the
    deployment's lock alone, exclusively."""

    if connection.vendor != "postgresql":
        return
    ids = sorted(set(organization_ids)) if organization_ids is not None else None
    with connection.cursor() as cur:
        if ids is None or len(ids) > ROLLUP_LOCKS:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_rollup_key("*")])
            return
        cur.execute("SELECT pg_advisory_xact_lock_shared(%s)", [_rollup_key("*")])
        for oid in ids:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_rollup_key(str(oid))])


def rollup_refresh_touched(months: list[int], organization_ids: list[int]) -> int:
    """After a write in bulk: the months of the organizations it touched, while they are fewer than
    half the deployment's, else the months of every organization in one pass (a district's bundle
    into a province refreshes the district, not the province's whole ledger for every bundle)."""
    if len(set(organization_ids)) * 2 > Organization.objects.count():
        return rollup_refresh(months=months)
    return rollup_refresh(months=months, organization_ids=organization_ids)


def rollup_refresh(
    *, months: list[int] | None = None, organization_ids: list[int] | None = None
) -> int:
    """Recompute FeeRollup rows from the ledger for some months (and organizations): one DELETE and
    one INSERT … SELECT … GROUP BY (per batch of organizations). Runs inside the caller's
    transaction."""

    if organization_ids is not None and len(organization_ids) > ROLLUP_BATCH:
        ids = sorted(set(organization_ids))
        return sum(
            rollup_refresh(months=months, organization_ids=ids[i : i + ROLLUP_BATCH])
            for i in range(0, len(ids), ROLLUP_BATCH)
        )
    where, params = [], []
    if months is not None:
        if not months:
            return 0
        where.append(f"month_index IN ({', '.join(['%s'] * len(months))})")
        params += months
    if organization_ids is not None:
        if not organization_ids:
            return 0
        where.append(f"organization_id IN ({', '.join(['%s'] * len(organization_ids))})")
        params += organization_ids
    cond = " AND ".join(where) or "1 = 1"
    _serialize_refresh(organization_ids)
    old = FeeRollup.objects.all()
    if months is not None:
        old = old.filter(month_index__in=months)
    if organization_ids is not None:
        old = old.filter(organization_id__in=organization_ids)
    old.delete()
    sql = (
        # placeholders only
        "INSERT INTO fees_feerollup (organization_id, month_index, due_fen, paid_fen, members, "  # noqa: S608 # nosec B608
        "paid_members) "
        "SELECT organization_id, month_index, SUM(due_fen), SUM(COALESCE(paid_fen, 0)), COUNT(*), "
        "SUM(CASE WHEN paid_fen > 0 AND paid_fen >= due_fen THEN 1 ELSE 0 END) "
        f"FROM fees_feemonth WHERE {cond} GROUP BY organization_id, month_index"
    )
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.rowcount


@transaction.atomic(durable=True)
def annual_assessment_confirm(*, actor: Actor, organization: Any, year: int, done_on: date) -> Any:
    """The branch confirms it has assessed every member's amount for the year (with the amounts the
    grid shows: the bands from each member's category and base, or their assessment)."""

    if not policy.can(actor, "change", organization):
        raise NotVisible()
    if organization.kind != "branch":
        raise DomainError("bad_org", "年度核定由党支部办理", field="year")
    if done_on > timezone.localdate():
        raise DomainError("future_date", "核定日期不能晚于今天", field="done_on")
    if done_on.year not in (year - 1, year):
        raise DomainError("bad_date", "核定日期应在该年度或上年末", field="done_on")
    if AnnualAssessment.objects.filter(organization=organization, year=year).exists():
        raise DomainError("duplicate", f"{year}年度已完成核定", field="year")

    n = Member.objects.filter(organization=organization, status__in=FEE_STATUSES).count()
    a = AnnualAssessment.objects.create(
        organization=organization, year=year, done_on=done_on, members=n, created_by=actor
    )
    audit_record(
        actor=actor,
        action="fees.annual_assessment",
        obj=a,
        organization=organization,
        data={"year": year, "members": n},
    )
    return a
