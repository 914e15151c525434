"""非公党建's rules (两个覆盖 and the instructors' work), each one set-based query over the scope.

ENT-01  an enterprise with at least `min_full` full members employed there (ORG-01's parameter:
        one threshold) and no party organization of its own — ORG-01's condition
        (`orgs.rules.lacks_own_organization`); ORG-01 leaves the register's enterprises to it
ENT-02  an enterprise with members employed there, no party organization covering it (its own or
        a joint branch) and no instructor assigned on the scan's date
ENT-03  an enterprise assigned to an instructor for the whole of the last full period (a quarter
        by default: `months` = 3; 1, 2, 4, 6 or 12 also divide the year) without a visit in it

A finding is the committee's in charge of the unit (as ORG-01's), its subject the unit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.db.models import Exists, IntegerField, OuterRef, Q, Subquery

from dangjian.compliance.engine import Citation, Hit, ScanContext, rule
from dangjian.compliance.packs import rule_params
from dangjian.core.dates import add_months
from dangjian.members.constants import ACTIVE_STATUSES, MemberStatus
from dangjian.members.models import Member
from dangjian.orgs.rules import ScalarCount, lacks_own_organization

from .models import Assignment, Enterprise, InstructorVisit

PC = "中国共产党章程"
LOCAL = "厦门市非公有制经济组织党建工作（地方规定）"


def _scoped(ctx: ScanContext) -> object:
    qs = Enterprise.objects.filter(unit__kind="unit", unit__committee__is_active=True)
    return qs.filter(unit__committee__path__under=ctx.scope_path) if ctx.scope_path else qs


def last_period(as_of: date, months: int = 3) -> tuple[date, date, str]:
    """The last full period of `months` months (aligned to the year) before the date: its first
    and last day and its label (2026Q3 for a quarter, 2026H2 for a half, 2026-07 for a month)."""
    months = months if months in (1, 2, 3, 4, 6, 12) else 3
    start_month = (as_of.month - 1) // months * months + 1  # the period holding the date
    current = date(as_of.year, start_month, 1)
    first = add_months(current, -months)
    last = current - timedelta(days=1)
    index = (first.month - 1) // months + 1
    label = {3: f"{first.year}Q{index}", 6: f"{first.year}H{index}", 12: f"{first.year}"}.get(
        months, f"{first:%Y-%m}"
    )
    return first, last, label


def quarter_start(d: date) -> date:
    """The first day of the calendar quarter holding the date."""
    return date(d.year, (d.month - 1) // 3 * 3 + 1, 1)


def current_assignment_q(as_of: date) -> Q:
    return Q(since__lte=as_of) & (Q(until__isnull=True) | Q(until__gte=as_of))


@rule(
    "ENT-01",
    title="非公企业有3名以上正式党员未建党组织",
    category="enterprises",
    severity="high",
    citation=Citation(PC, "第三十条", "V"),
    expects="企业、社会组织等基层单位，凡是有正式党员3人以上的，都应当成立党的基层组织。",
    action="党建指导员和园区联合党委指导企业提出成立党组织的请示，按程序批准成立党支部。",
)
def ent_01(ctx: ScanContext) -> Iterable[Hit]:
    minimum = int(rule_params("ORG-01")["min_full"])
    full = (
        Member.objects.filter(employer_id=OuterRef("unit_id"), status=MemberStatus.FULL)
        .order_by()
        .annotate(n=ScalarCount())
        .values("n")
    )
    rows = (
        _scoped(ctx)  # type: ignore[attr-defined]
        .filter(lacks_own_organization("unit__"))
        .annotate(full=Subquery(full, output_field=IntegerField()))
        .filter(full__gte=minimum)
    )
    for r in rows.order_by().values(
        "unit_id", "unit__name", "unit__committee_id", "full", "unit__organization__is_joint"
    ):
        where = "现纳入联合党支部，" if r["unit__organization__is_joint"] else "尚未成立党组织，"
        yield Hit(
            r["unit__committee_id"],
            f"“{r['unit__name']}”有正式党员{r['full']}人（{minimum}人以上应单独建立党组织），"
            f"{where}应单独建立党组织。",
            subject=f"unit{r['unit_id']}",
            details={"unit": r["unit__name"], "full": r["full"]},
        )


@rule(
    "ENT-02",
    title="有党员的非公企业党的工作未覆盖",
    category="enterprises",
    severity="warn",
    citation=Citation(LOCAL, "党的组织和党的工作两个覆盖", "L"),
    expects="有党员的企业应建立党组织或纳入联合党支部；暂不具备条件的，应选派党建指导员，实现党的工作覆盖。",
    action="推动企业单独或联合建立党组织；暂不具备条件的，为企业选派联系的党建指导员。",
)
def ent_02(ctx: ScanContext) -> Iterable[Hit]:
    assigned = Assignment.objects.filter(enterprise_id=OuterRef("pk")).filter(
        current_assignment_q(ctx.as_of)
    )
    employed = Member.objects.filter(employer_id=OuterRef("unit_id"), status__in=ACTIVE_STATUSES)
    count = employed.order_by().annotate(n=ScalarCount()).values("n")
    rows = (
        _scoped(ctx)  # type: ignore[attr-defined]
        .filter(Q(unit__organization__isnull=True) | Q(unit__organization__is_active=False))
        .filter(~Exists(assigned))
        .filter(Exists(employed))
        .annotate(n=Subquery(count, output_field=IntegerField()))
    )
    for r in rows.order_by().values("unit_id", "unit__name", "unit__committee_id", "n"):
        yield Hit(
            r["unit__committee_id"],
            f"“{r['unit__name']}”有党员{r['n']}人，未建立或纳入党组织，也没有联系的党建指导员。",
            subject=f"unit{r['unit_id']}",
            details={"unit": r["unit__name"], "members": r["n"]},
        )


@rule(
    "ENT-03",
    title="党建指导员本季度未走访联系企业",
    category="enterprises",
    severity="warn",
    citation=Citation(LOCAL, "党建指导员定期走访联系企业", "L"),
    expects="党建指导员每季度至少走访一次联系的企业，并在平台登记走访情况。",
    action="指导员安排走访，在手机上登记见面人员、指导内容、发现的问题和跟进事项。",
    defaults={"months": 3},
)
def ent_03(ctx: ScanContext) -> Iterable[Hit]:
    first, last, label = last_period(ctx.as_of, int(ctx.params.get("months", 3)))
    visited = InstructorVisit.objects.filter(
        enterprise_id=OuterRef("enterprise_id"), visited_on__gte=first, visited_on__lte=last
    )
    rows = (
        Assignment.objects.filter(since__lte=first)
        .filter(Q(until__isnull=True) | Q(until__gte=last))
        .filter(enterprise__in=_scoped(ctx))  # type: ignore[misc]
        .filter(~Exists(visited))
    )
    seen: set[int] = set()
    for r in rows.order_by("enterprise_id", "-since").values(
        "enterprise_id",
        "enterprise__unit__name",
        "enterprise__unit__committee_id",
        "instructor__name",
    ):
        if r["enterprise_id"] in seen:  # two assignments over the period: one finding
            continue
        seen.add(r["enterprise_id"])
        yield Hit(
            r["enterprise__unit__committee_id"],
            f"“{r['enterprise__unit__name']}”的党建指导员{r['instructor__name']}"
            f"{first:%Y年%-m月}至{last:%-m月}没有走访记录。",
            period=label,
            subject=f"unit{r['enterprise_id']}",
            details={"unit": r["enterprise__unit__name"], "instructor": r["instructor__name"]},
        )
