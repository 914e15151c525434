"""recruitment's contributions to 待办 (see `web.hooks`): the steps a committee must take for the
records of its subtree (filing, pre-review, the talk, approval, conversion), and a branch's steps
that run against a deadline (the talk after an application, the oath after approval)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.db.models import Q
from django.urls import reverse

from dangjian.accounts import policy
from dangjian.accounts.constants import Role
from dangjian.core.dates import add_months
from dangjian.orgs.models import Organization
from dangjian.web import hooks
from dangjian.web.links import id_url
from dangjian.web.todo import Scope, Todo, gated

from .constants import AFTER, COMMITTEE_STEPS, STEP_BY_NO
from .holidays import missing_years
from .models import Candidate
from .versions import params

LIMIT = 2000
# the month count (in the record's rule version) a committee step is due after the step before it
DUE_MONTHS = {17: "approval_months", 24: "conversion_approval_months", 16: "approval_months"}
OPEN = Q(closed_on__isnull=True, cancelled_on__isnull=True, archived_on__isnull=True)


def _waiting_at(step: int) -> Q:
    """Records whose next step is `step`: the step before it done, this one not."""
    return Q(**{f"{STEP_BY_NO[step].field}__isnull": True}) & Q(
        **{f"{STEP_BY_NO[AFTER[step]].field}__isnull": False}
    )


def _due(c: dict[str, Any], step: int) -> date | None:
    before = c[STEP_BY_NO[AFTER[step]].field]
    months = params(c["rule_version"]).get(DUE_MONTHS.get(step, ""), 1)
    return add_months(before, int(months)) if before else None


def _committees(s: Scope) -> Any:
    roots = s.roots()
    return None if roots is None else Organization.objects.filter(path__in=roots, kind="committee")


@hooks.register("todo")
@gated(_committees)
def committee_steps(user: Any, today: date) -> list[Todo]:
    """Records of the subtrees the user changes from a committee, waiting for a committee step:
    one item per step and branch, due by the earliest record's deadline."""
    roots = list(
        Organization.objects.filter(
            path__in=policy.roots(user, "change"), kind="committee"
        ).values_list("path", flat=True)
    )
    if not roots:
        return []
    scope = Q()
    for root in roots:
        scope |= Q(organization__path__under=root)
    waiting = Q()
    for step in COMMITTEE_STEPS:
        waiting |= _waiting_at(step)
    steps = sorted(COMMITTEE_STEPS)
    fields = {STEP_BY_NO[s].field for s in steps} | {STEP_BY_NO[AFTER[s]].field for s in steps}
    rows = (
        Candidate.objects.filter(scope & OPEN & waiting)
        .order_by("id")
        .values("pk", "name", "rule_version", "organization_id", "organization__name", *fields)[
            :LIMIT
        ]
    )
    groups: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    names: dict[int, str] = {}
    for c in rows:
        for step in steps:
            if c[STEP_BY_NO[step].field] is None and c[STEP_BY_NO[AFTER[step]].field]:
                groups[(step, c["organization_id"])].append(c)
                names[c["organization_id"]] = c["organization__name"]
                break
    items = []
    for (step, org_id), people in groups.items():
        dues = [d for d in (_due(c, step) for c in people) if d]
        items.append(
            Todo(
                kind="recruitment",
                title=f"发展党员第{step}步：{STEP_BY_NO[step].label}"
                + (f"（{people[0]['name']}）" if len(people) == 1 else ""),
                url=id_url("recruitment:detail", people[0]["pk"])
                if len(people) == 1
                else id_url("recruitment:board", org_id),
                organization=names[org_id],
                deadline=min(dues) if dues else None,
                count=len(people),
                action="办理",
            )
        )
    return items


def _at_branch(paths: Any) -> Any:
    """Open records in the organizations at `paths` waiting for the talk or the oath."""
    return Candidate.objects.filter(OPEN, organization__path__in=paths).filter(
        _waiting_at(2) | _waiting_at(20)
    )


def _branch_steps(s: Scope) -> Any:
    roots = s.roots()
    return None if roots is None else _at_branch(roots)


@hooks.register("todo")
@gated(_branch_steps)
def branch_deadlines(user: Any, today: date) -> list[Todo]:
    """In the organizations the user's grants name (a branch's workers): applicants to talk to
    within a month, new members to take the oath."""
    paths = policy.roots(user, "change")
    if not paths:
        return []
    rows = _at_branch(paths).select_related("organization").order_by("id")[:LIMIT]
    items = []
    for c in rows:
        p = params(c.rule_version)
        if c.talked_on is None:
            title, due = "与入党申请人谈话", add_months(c.applied_on, p["talk_months"])
        else:
            title, due = "组织入党宣誓", add_months(c.approved_on, p["oath_months"])  # type: ignore[arg-type]
        items.append(
            Todo(
                kind="recruitment",
                title=f"{title}：{c.name}",
                url=id_url("recruitment:detail", c.pk),
                organization=c.organization.name,
                deadline=due,
                action="办理",
            )
        )
    return items


@hooks.register("todo")
def holiday_years_missing(user: Any, today: date) -> list[Todo]:
    """For the system admin: a year whose holiday schedule the calendar package does not know yet
    (working days would be counted without it)."""
    if not policy.has_admin_role(user, Role.SYSTEM_ADMIN):
        return []
    return [
        Todo(
            kind="system",
            title=f"{year}年节假日安排尚未载入",
            url=reverse("recruitment:holidays"),
            deadline=date(year, 1, 1),
            detail="日历包尚未包含该年的国务院放假安排：请升级日历包（chinese-calendar）后载入，"
            "或按国务院办公厅通知逐日登记；公示期等工作日按此计算",
            action="去登记",
        )
        for year in missing_years(today)
    ]
