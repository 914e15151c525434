"""Reads of 党费: a branch's month grid, the member's own months and payments, what may be paid,
a committee's collection (from the per-organization roll-up), remittances and publications."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Sum
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.core.errors import NotVisible
from dangjian.core.prepared import Prepared
from dangjian.members.constants import FEE_STATUSES
from dangjian.members.models import Member
from dangjian.orgs.selectors import org_children

from . import bands
from .arrears import unpaid_runs
from .models import (
    Assessment,
    FeeMonth,
    FeeRollup,
    Payment,
    PaymentOrder,
    Publication,
    Remittance,
    current_index,
    month_index,
    month_label,
)

MAX_BACK = 6  # arrears paid at once: at most 6 months (DF-N)
MAX_AHEAD = 6  # prepayment: at most 6 months ahead


def paid_rate(paid: int, due: int) -> float | None:
    """The paid share in percent to one decimal, rounded down: never 100.0 while anyone owes."""
    if not due:
        return None
    rate = math.floor(1000 * paid / due) / 10
    return min(rate, 99.9) if paid < due else rate


def month_status(row: FeeMonth | None, idx: int, now: int) -> str:
    """A ledger month as the grid colours it: none, paid, partial, unpaid (past) or open."""
    if row is None:
        return "none"
    if (
        row.paid_fen is not None
        and row.paid_fen >= row.due_fen
        and (row.paid_fen > 0 or row.due_fen == 0)
    ):
        return "paid"
    if row.paid_fen:
        return "partial"
    return "unpaid" if idx < now else "open"


def expected_due(member: Any, month: int | None = None) -> int:
    """The member's monthly amount in force (latest assessment, else the band)."""
    month = month if month is not None else current_index()
    a = _ASSESSED.rows(member.pk, month)
    if a:
        return int(a[0][0])
    return bands.quote(member.fee_category, member.fee_base_fen).monthly_fen


# a member's own 党费 page reads these (compiled once, core.prepared)
_ASSESSED = Prepared(
    lambda member_id, month: (
        Assessment.objects.filter(member_id=member_id, effective_index__lte=month)
        .order_by("-effective_index", "-id")
        .values_list("monthly_fen")[:1]
    ),
    int,
    int,
)
_LEDGER_SPAN = Prepared(
    lambda member_id, first, last: FeeMonth.objects.filter(
        member_id=member_id, month_index__gte=first, month_index__lte=last
    ),
    int,
    int,
    int,
)


def collected(organization: Any, year: int, quarter: int | None = None) -> int:
    """Fees collected in an organization's subtree for a year (or a quarter), in fen (one aggregate)
    ."""
    first = month_index(year, 1 + 3 * (quarter - 1) if quarter else 1)
    last = first + (3 if quarter else 12)
    return int(
        FeeMonth.objects.filter(
            organization__path__under=organization.path,
            month_index__gte=first,
            month_index__lt=last,
        ).aggregate(s=Sum("paid_fen"))["s"]
        or 0
    )


def remit_percent(organization: Any) -> Decimal:
    """The share of collected fees an organization of this kind remits upward (configured)."""
    return Decimal(str(settings.PAYMENT["remit_percent"].get(organization.kind, "0")))


@dataclass
class Grid:
    """A branch's year: one row per paying member with twelve cells, and the totals."""

    rows: list[dict[str, Any]]
    due: int
    paid: int
    unpaid_members: int


def branch_grid(org: Any, year: int) -> Grid:
    """Members × months of a year for one branch (two queries)."""
    first = month_index(year, 1)
    now = current_index()
    members = list(
        Member.objects.filter(organization=org, status__in=FEE_STATUSES)
        .order_by("member_no")
        .only(
            "pk",
            "member_no",
            "name",
            "status",
            "fee_category",
            "fee_base_fen",
            "joined_on",
            "organization_id",
        )
    )
    ledger: dict[tuple[int, int], FeeMonth] = {
        (r.member_id, r.month_index): r
        for r in FeeMonth.objects.filter(
            organization=org, month_index__gte=first, month_index__lt=first + 12
        )
    }
    runs = (
        dict(
            unpaid_runs(
                Member.objects.filter(pk__in=[m.pk for m in members]), timezone.localdate()
            ).values_list("pk", "run")
        )
        if members
        else {}
    )
    grid = Grid([], 0, 0, 0)
    for m in members:
        cells = []
        for i in range(12):
            idx = first + i
            r = ledger.get((m.pk, idx))
            st = month_status(r, idx, now)
            if r is not None:
                grid.due += r.due_fen if idx <= now else 0
                grid.paid += r.paid_fen or 0
            cells.append({"idx": idx, "label": month_label(idx)[5:], "status": st, "row": r})
        arrears = max(0, runs.get(m.pk, 0) or 0)
        grid.unpaid_members += bool(arrears)
        grid.rows.append(
            {
                "m": m,
                "cells": cells,
                "monthly": bands.quote(m.fee_category, m.fee_base_fen),
                "arrears": arrears,
            }
        )
    return grid


def annual_assessment_of(org: Any, year: int) -> Any:
    """The branch's confirmation of the year's assessment (None if not yet)."""
    return org.fee_annual_assessments.filter(year=year).first()


@dataclass(frozen=True)
class PayableMonth:
    index: int
    label: str
    due_fen: int
    owed: bool  # a past month not paid (欠交), else this month or one ahead (预交)


def ledger_around(member: Member, now: int) -> dict[int, FeeMonth]:
    """The member's ledger rows from twelve months back to MAX_AHEAD ahead, by month: what
    `member_months` and `payable_months` read, for the 党费 page to read once."""
    return {
        r.month_index: r
        for r in _LEDGER_SPAN.instances(FeeMonth, member.pk, now - 12, now + MAX_AHEAD)
    }


def payable_months(
    member: Member,
    now: int,
    *,
    ledger: dict[int, FeeMonth] | None = None,
    monthly: int | None = None,
) -> list[PayableMonth]:
    """The months a payment may cover now — back to 6 months (not before joining) and up to 6
    ahead, those not paid yet — each with the amount due (its ledger row's, else the amount in
    force). `ledger` (from `ledger_around`) and `monthly` (`expected_due`), when the caller has
    them, spare their reads."""
    joined = month_index(member.joined_on.year, member.joined_on.month)
    rows = (
        ledger
        if ledger is not None
        else {
            r.month_index: r
            for r in _LEDGER_SPAN.instances(FeeMonth, member.pk, now - MAX_BACK, now + MAX_AHEAD)
        }
    )
    monthly = expected_due(member, now) if monthly is None else monthly
    out = []
    for i in range(max(now - MAX_BACK, joined), now + MAX_AHEAD + 1):
        row = rows.get(i)
        if row is not None and row.paid_fen:
            continue
        out.append(PayableMonth(i, month_label(i), row.due_fen if row else monthly, i < now))
    return out


def payment_get(user: Any, pk: int) -> Payment:
    """A receipt: for the member who paid, and for staff who can see their organization."""
    p = (
        Payment.objects.select_related("member", "organization", "order", "paid_by")
        .filter(pk=pk)
        .first()
    )
    if p is None:
        raise NotVisible("未找到该收据")
    own = getattr(getattr(user, "member", None), "pk", None) == p.member_id
    if not own and not policy.can(user, "view", p.organization):
        raise NotVisible("未找到该收据")
    return p


def member_months(
    member: Member, year: int, *, ledger: dict[int, FeeMonth] | None = None
) -> list[dict[str, Any]]:
    """The member's twelve months of a year with their ledger row and status (`ledger`: the rows
    of `ledger_around` for this month, when the caller has them)."""
    now = current_index()
    rows = ledger if ledger is not None else ledger_around(member, now)
    return [
        {
            "idx": i,
            "label": month_label(i),
            "status": month_status(rows.get(i), i, now),
            "row": rows.get(i),
        }
        for i in range(month_index(year, 1), month_index(year, 12) + 1)
    ]


def member_payments(member: Member, limit: int = 12) -> list[Payment]:
    if limit == RECENT_PAYMENTS:
        return _RECENT_PAYMENTS.instances(Payment, member.pk)
    return list(Payment.objects.filter(member=member).order_by("-paid_on", "-id")[:limit])


RECENT_PAYMENTS = 12
_RECENT_PAYMENTS = Prepared(
    lambda member_id: Payment.objects.filter(member_id=member_id).order_by("-paid_on", "-id")[
        :RECENT_PAYMENTS
    ],
    int,
)


def own_order(member: Member, out_trade_no: str, provider: str = "") -> PaymentOrder:
    """One of the member's own online orders (of one provider, when given)."""
    qs = PaymentOrder.objects.filter(out_trade_no=out_trade_no, member=member)
    if provider:
        qs = qs.filter(provider=provider)
    order = qs.first()
    if order is None:
        raise NotVisible("未找到该订单")
    return order


def order_payment(order: PaymentOrder) -> Payment | None:
    return Payment.objects.filter(order=order).first()


_TOTALS = {
    "due": Sum("due_fen"),
    "paid": Coalesce(Sum("paid_fen"), 0),
    "rows": Coalesce(Sum("members"), 0),
    "paid_rows": Coalesce(Sum("paid_members"), 0),
}


def _rate(paid: int, due: int) -> float | None:
    return paid_rate(paid, due)


def collection(user: Any, org: Any, month: int) -> dict[str, Any]:
    """A committee's collection: a month's paid rate per sub-organization (one grouped query over
    the per-organization roll-up kept by the fee services), the 12-month trend, its own totals."""
    now = current_index()
    children = list(
        org_children(user, org)
        .exclude(kind="group")
        .order_by("path")
        .values("pk", "name", "path", "kind")
    )
    width = len(org.path) + org.steplen
    base = FeeRollup.objects.filter(organization__path__under=org.path)
    per_child: dict[str, dict[str, Any]] = {
        r["prefix"]: dict(r)
        for r in base.filter(month_index=month)
        .annotate(prefix=Substr("organization__path", 1, width))
        .values("prefix")
        .annotate(**_TOTALS)
        .order_by()
    }
    rows = []
    for c in children:
        r: dict[str, Any] = per_child.get(c["path"], {})
        due, paid = r.get("due") or 0, r.get("paid") or 0
        rows.append(
            {
                **c,
                "due": due,
                "paid": paid,
                "members": r.get("rows", 0),
                "paid_members": r.get("paid_rows", 0),
                "rate": _rate(paid, due),
            }
        )
    trend: list[dict[str, Any]] = [
        dict(t)
        for t in base.filter(month_index__gte=now - 12, month_index__lt=now)
        .values("month_index")
        .annotate(**_TOTALS)
        .order_by("month_index")
    ]
    for t in trend:
        t["label"] = month_label(t["month_index"])
        t["rate"] = _rate(t["paid"], t["due"])
    own = base.filter(month_index=month).aggregate(**_TOTALS)
    return {
        "rows": rows,
        "trend": trend,
        "own": own,
        "own_rate": _rate(own["paid"] or 0, own["due"]) if own["due"] else None,
    }


def remittances_of(org: Any, limit: int = 40) -> list[Remittance]:
    return list(
        Remittance.objects.filter(organization=org)
        .select_related("to_organization")
        .order_by("-year", "-quarter")[:limit]
    )


def publications_of(org: Any, limit: int = 10) -> list[Publication]:
    return list(Publication.objects.filter(organization=org).order_by("-year")[:limit])
