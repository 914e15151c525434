"""Reads of 发展党员: the pipeline of a branch or a committee, one record as the viewer may see it,
what step comes next and when, the approving committee, working days (the holiday calendar)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Case, CharField, Count, Q, QuerySet, Value, When
from django.db.models.functions import Substr

from dangjian.accounts import policy
from dangjian.core.dates import add_months
from dangjian.core.errors import NotVisible
from dangjian.members.models import Member
from dangjian.orgs.selectors import org_children

from .constants import AFTER, STEP_BY_NO, STEPS, Stage
from .models import Candidate, Document, Holiday
from .versions import params

STAGES = [s for s in Stage.values if s != Stage.CLOSED]


def holidays(start: date, end: date) -> dict[date, bool]:
    """The calendar's special days in a span: day -> is a (make-up) working day."""
    return dict(Holiday.objects.filter(day__gte=start, day__lte=end).values_list("day", "workday"))


def working_days(start: date, end: date, special: dict[date, bool] | None = None) -> int:
    """Working days from start to end inclusive: Monday to Friday, less holidays, plus make-up days
    (`special` from `holidays()` when counting many spans; else read here)."""
    if end < start:
        return 0
    if special is None:
        special = holidays(start, end)
    n, d = 0, start
    while d <= end:
        work = special[d] if d in special else d.weekday() < 5
        n += work
        d += timedelta(days=1)
    return n


def probation_end(c: Candidate) -> date | None:
    if not c.admitted_on:
        return None
    return add_months(
        c.admitted_on, params(c.rule_version)["probation_months"] + (c.extension_months or 0)
    )


def approving_committee(c: Candidate) -> Any:
    """The nearest committee above the candidate's branch: it pre-reviews, talks and approves."""
    for org in reversed(type(c.organization).objects.get_ancestors(c.organization)):
        if org.kind == "committee":
            return org
    return None


def stage_case() -> Case:
    """The stage of a record in SQL (the same as Candidate.stage)."""
    return Case(
        When(Q(closed_on__isnull=False) | Q(cancelled_on__isnull=False), then=Value(Stage.CLOSED)),
        When(full_on__isnull=False, then=Value(Stage.FULL)),
        When(approved_on__isnull=False, then=Value(Stage.PROBATION)),
        When(
            Q(admitted_on__isnull=False)
            | Q(prereviewed_on__isnull=False)
            | Q(committee_reviewed_on__isnull=False),
            then=Value(Stage.ADMISSION),
        ),
        When(target_on__isnull=False, then=Value(Stage.TARGET)),
        When(activist_on__isnull=False, then=Value(Stage.ACTIVIST)),
        default=Value(Stage.APPLICANT),
        output_field=CharField(),
    )


def next_step(c: Candidate) -> tuple[int, date | None, str] | None:
    """The next step to do, the date it is due (or may first be done), and what that date means."""
    if c.closed_on or c.cancelled_on or c.archived_on:
        return None
    p = params(c.rule_version)
    for s in STEPS[1:]:
        if getattr(c, s.field) is None and getattr(c, STEP_BY_NO[AFTER[s.no]].field) is not None:
            if s.no == 2:
                return s.no, add_months(c.applied_on, p["talk_months"]), "期限"
            if s.no == 7:
                return s.no, add_months(c.activist_on, p["activist_months"]), "最早"  # type: ignore[arg-type]
            if s.no == 17:
                return s.no, add_months(c.admitted_on, p["approval_months"]), "期限"  # type: ignore[arg-type]
            if s.no == 20:
                return s.no, add_months(c.approved_on, p["oath_months"]), "期限"  # type: ignore[arg-type]
            if s.no == 23:
                return s.no, probation_end(c), "最早"
            if s.no == 24 and c.conversion_meeting_on:
                return (
                    s.no,
                    add_months(c.conversion_meeting_on, p["conversion_approval_months"]),
                    "期限",
                )
            return s.no, None, ""
    return None


def year_figures(org: Any, year: int) -> dict[str, int]:
    """How many records of the subtree reached each milestone in a year (one aggregate)."""
    return Candidate.objects.filter(organization__path__under=org.path).aggregate(
        **{
            f: Count("id", filter=Q(**{f"{f}__year": year}))
            for f in (
                "applied_on",
                "activist_on",
                "target_on",
                "admitted_on",
                "approved_on",
                "full_on",
            )
        }
    )


def branch_pipeline(org: Any, today: date) -> list[dict[str, Any]]:
    """A branch's open records by application date, each with its stage and the next step, its
    date and whether a deadline has passed."""
    rows = []
    for c in Candidate.objects.filter(
        organization=org,
        closed_on__isnull=True,
        cancelled_on__isnull=True,
        archived_on__isnull=True,
    ).order_by("applied_on"):
        nxt = next_step(c)
        rows.append(
            {
                "c": c,
                "stage": Stage(c.stage).label,
                "stage_id": c.stage,
                "next": STEP_BY_NO[nxt[0]] if nxt else None,
                "due": nxt[1] if nxt else None,
                "due_kind": nxt[2] if nxt else "",
                "overdue": bool(nxt and nxt[2] == "期限" and nxt[1] and nxt[1] < today),
            }
        )
    return rows


def committee_pipeline(user: Any, org: Any) -> list[dict[str, Any]]:
    """Records per sub-organization and stage (one grouped query by path prefix)."""
    width = len(org.path) + org.steplen
    children = list(
        org_children(user, org).exclude(kind="group").order_by("path").values("pk", "name", "path")
    )
    counts: dict[tuple[str, str], int] = {}
    for r in (
        Candidate.objects.filter(organization__path__under=org.path)
        .order_by()
        .annotate(prefix=Substr("organization__path", 1, width), st=stage_case())
        .values("prefix", "st")
        .annotate(n=Count("id"))
    ):
        counts[(r["prefix"], r["st"])] = r["n"]
    return [{**c, "cells": [counts.get((c["path"], s), 0) for s in STAGES]} for c in children]


def candidate_get(user: Any, pk: int, action: str = "view") -> Candidate:
    c = (
        Candidate.objects.select_related(
            "organization", "member", "introducer_1", "introducer_2", "contact_1", "contact_2"
        )
        .filter(pk=pk)
        .first()
    )
    if c is None or not policy.can(user, action, c.organization):
        raise NotVisible("未找到该档案，或不在您的管理范围内")
    return c


def possible_contacts(c: Candidate) -> QuerySet[Member]:
    """Who may be a contact or introducer: the full members of the candidate's branch."""
    return Member.objects.filter(organization=c.organization, status="full").order_by("member_no")


def candidate_parts(c: Candidate) -> dict[str, Any]:
    """A record's documents (by step), assessments and approved exceptions."""
    return {
        "documents": list(c.documents.all()),
        "assessments": list(c.assessments.all()),
        "exceptions": list(c.exceptions.select_related("approved_by_org")),
    }


def document_get(c: Candidate, pk: int) -> Document:
    d = c.documents.filter(pk=pk).first()
    if d is None:
        raise NotVisible("未找到该材料")
    return d


def holidays_from(year: int) -> QuerySet[Holiday]:
    """The holiday calendar's special days from a year on."""
    return Holiday.objects.filter(day__gte=date(year, 1, 1))
