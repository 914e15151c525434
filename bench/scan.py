"""The monitoring engine at scale, for one database (DATABASE_URL), printed as JSON (last line).

- seeds the city (with planted irregularities) if the database is empty;
- rules: every enabled rule evaluated through the engine (the queries the scan runs, no writes)
  against the floor — hand-written SQL doing the same checks over the same tables — and their
  ratio; the two must give the same findings;
- the full scan from no findings (upserts, roll-up, reminders), then a re-scan with nothing
  changed, counting its write statements (target: none);
- reminders: 50,000 findings → reminders resolved and delivered to the in-app inbox, plus the
  daily digest queued for those who chose another channel;
- the dashboard at the city root (p50/p95).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import time
from datetime import date, timedelta
from typing import Any

WRITES = ("INSERT", "UPDATE", "DELETE")


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    import django

    django.setup()


def follow_bench(as_of: date, n: int) -> dict[str, Any]:
    """From a service write to its finding being current, as a branch worker would see it: the
    act's own transaction, then (after its commit, in the same request) the rules that read
    what changed re-run over the branch, the roll-up up to the root, reminders. Three kinds of act,
    each on a branch with the finding it fixes: a 支部委员会 recorded in a month LIFE-02 flagged,
    a vacant secretary post filled (ORG-06), a member's arrears paid (FEE-01..04)."""

    import random

    from dangjian.accounts import services as account_services
    from dangjian.accounts.constants import Role
    from dangjian.compliance import follow
    from dangjian.compliance.models import Finding
    from dangjian.fees.models import FeeMonth
    from dangjian.fees.services import payment_offline
    from dangjian.meetings.services import meeting_record
    from dangjian.members.models import Member
    from dangjian.orgs.models import Organization
    from dangjian.orgs.services import post_assign

    follow.follow_date = lambda: as_of  # the seeded city's day, as the scan saw it
    root = Organization.objects.filter(depth=1).first()
    staff, _ = account_services.user_create(
        actor=None,
        username=f"bench_follow_{random.randint(0, 10**9)}",
        display_name="bench",
        password=secrets.token_urlsafe(16),
        must_change_password=False,
    )
    account_services.grant_create(
        actor=None, user=staff, role=Role.COMMITTEE_STAFF, organization=root
    )
    rng = random.Random(7)
    open_ = Finding.objects.filter(closed_on__isnull=True)
    life = list(open_.filter(rule_id="LIFE-02").values_list("pk", "organization_id", "period"))
    vacant = list(open_.filter(rule_id="ORG-06").values_list("pk", "organization_id", "period"))
    arrears = list(
        open_.filter(
            rule_id__in=["FEE-01", "FEE-02", "FEE-03", "FEE-04"], member__isnull=False
        ).values_list("pk", "member_id", "rule_id")
    )
    rng.shuffle(life)
    rng.shuffle(vacant)
    rng.shuffle(arrears)
    times: dict[str, list[float]] = {"LIFE-02": [], "ORG-06": [], "FEE": []}
    current: dict[str, int] = {"LIFE-02": 0, "ORG-06": 0, "FEE": 0}
    seen_orgs: set[int] = set()

    def act(kind: str, fid: int, fn: Any) -> None:
        t = time.perf_counter()
        fn()  # commits, then the follow runs on commit, as in the request
        times[kind].append(time.perf_counter() - t)
        current[kind] += Finding.objects.filter(pk=fid, closed_on__isnull=False).exists()

    per = max(1, n // 3)
    for fid, org_id, period in life:
        if len(times["LIFE-02"]) >= per:
            break
        if org_id in seen_orgs:
            continue
        seen_orgs.add(org_id)
        org = Organization.objects.get(pk=org_id)
        held = date(int(period[:4]), int(period[5:]), 20)
        act(
            "LIFE-02",
            fid,
            lambda org=org, held=held: meeting_record(
                actor=staff,
                organization=org,
                kind="committee_meeting",
                held_on=held,
                topic="支委会",
            ),
        )
    for fid, org_id, _ in vacant:
        if len(times["ORG-06"]) >= per:
            break
        org = Organization.objects.get(pk=org_id)
        m = Member.objects.filter(organization=org, status="full").first()
        if m is None:
            continue
        act(
            "ORG-06",
            fid,
            lambda org=org, m=m: post_assign(
                actor=staff, organization=org, member=m, post="secretary", started_on=as_of
            ),
        )
    for fid, member_id, _ in arrears:
        if len(times["FEE"]) >= per:
            break
        rows = list(
            FeeMonth.objects.filter(member_id=member_id, paid_fen__isnull=True)
            .order_by("month_index")
            .values_list("month_index", "due_fen")[:6]  # at most six months at once (the rule)
        )
        if not rows:
            continue
        m = Member.objects.get(pk=member_id)
        act(
            "FEE",
            fid,
            lambda m=m, rows=rows: payment_offline(
                actor=staff,
                member=m,
                months=[r[0] for r in rows],
                amount_fen=sum(r[1] for r in rows),
                channel="cash",
                paid_on=as_of,
            ),
        )
    every = sorted(t for ts in times.values() for t in ts)

    def pct(xs: list[float], q: float) -> float | None:
        return round(1000 * xs[min(len(xs) - 1, int(q * len(xs)))], 1) if xs else None

    return {
        "acts": len(every),
        "p50_ms": pct(every, 0.5),
        "p95_ms": pct(every, 0.95),
        "max_ms": round(1000 * every[-1], 1) if every else None,
        "per_kind": {
            k: {
                "acts": len(v),
                "p50_ms": pct(sorted(v), 0.5),
                "p95_ms": pct(sorted(v), 0.95),
                "finding_closed": current[k],
            }
            for k, v in times.items()
        },  # fmt: skip
    }


def timed(fn, *a, **kw):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    out = fn(*a, **kw)
    return out, time.perf_counter() - t


# --- the floor: the same checks as plain SQL ---------------------------------------------------


def floor_queries(as_of: date) -> dict[str, tuple[str, list[Any]]]:
    """rule -> (SQL returning subject keys, params). Date cut-offs are computed in Python exactly
    as the engine does (calendar arithmetic), so both sides compare plain dates."""
    from dangjian.compliance.engine import latest_on_or_before, latest_start
    from dangjian.core.dates import add_months

    d = as_of
    yesterday = date.fromordinal(d.toordinal() - 1)
    ended = lambda day: [latest_on_or_before(day, y) for y in range(1, 11)]  # noqa: E731
    case = "CASE t.term_years " + " ".join(f"WHEN {y} THEN %s" for y in range(1, 11)) + " END"
    current = (
        "(SELECT t2.id FROM orgs_term t2 WHERE t2.organization_id = o.id AND t2.elected_on <= %s "
        "ORDER BY t2.elected_on DESC LIMIT 1)"
    )
    orgs = "FROM orgs_organization o WHERE o.is_active = %s AND o.established_on <= %s "
    termed = "AND o.kind IN ('committee', 'general_branch', 'branch') "
    full = (
        "(SELECT COUNT(*) FROM members_member m WHERE m.organization_id = o.id AND m.status = "
        "'full')"
    )
    onroll = (
        "(SELECT COUNT(*) FROM members_member m WHERE m.organization_id = o.id AND m.status IN "
        "('full', 'probationary'))"
    )
    posts = (
        "(SELECT COUNT(*) FROM orgs_post p WHERE p.organization_id = o.id AND p.ended_on IS NULL "
        "AND p.post <> 'group_leader')"
    )
    with_term = (
        f"FROM orgs_organization o LEFT JOIN orgs_term t ON t.id = {current} "
        f"WHERE o.is_active = %s AND o.established_on <= %s {termed}"
    )
    base = [True, d]
    lead_deadline = [latest_start(yesterday, 12 * y - 1) for y in range(1, 11)]
    report_cut = latest_start(yesterday, 1)
    win = add_months(d.replace(day=1), -24)
    return {
        "ORG-01": (
            "SELECT u.committee_id, u.id FROM orgs_unit u JOIN orgs_organization c ON c.id = "
            "u.committee_id "
            "LEFT JOIN orgs_organization b ON b.id = u.organization_id WHERE u.kind = 'unit' AND "
            "u.full_members >= 3 "
            "AND c.is_active = %s AND (b.id IS NULL OR b.is_active = %s OR b.is_joint = %s)",
            [True, False, True],
        ),
        "ORG-02": (
            f"SELECT o.id {orgs} AND o.kind = 'branch' AND o.is_joint = %s AND {full} < 3",
            [*base, False],
        ),
        "ORG-03": (
            f"SELECT o.id {orgs} AND o.kind = 'branch' AND {full} >= 7 AND {posts} < 3",
            base,
        ),
        "ORG-04": (f"SELECT o.id {orgs} AND o.kind = 'branch' AND {onroll} > 50", base),
        "ORG-05": (
            f"SELECT o.id {orgs} AND o.kind = 'branch' AND o.is_joint = %s AND "
            "(SELECT COUNT(*) FROM orgs_unit u WHERE u.organization_id = o.id AND u.kind = 'unit') "
            "> 5",
            [*base, True],
        ),
        "ORG-06": (
            f"SELECT o.id {orgs} {termed} AND NOT EXISTS (SELECT 1 FROM orgs_post p WHERE "
            "p.organization_id = o.id "
            "AND p.post = 'secretary' AND p.ended_on IS NULL)",
            base,
        ),
        "ORG-07": (
            "SELECT r.committee_id, r.id FROM orgs_orgrequest r JOIN orgs_organization c ON c.id = "
            "r.committee_id "
            "WHERE r.answered_on IS NULL AND r.submitted_on <= %s AND c.is_active = %s",
            [report_cut, True],
        ),
        "ORG-08": (
            "SELECT u.committee_id, u.id FROM orgs_unit u JOIN orgs_organization c ON c.id = "
            "u.committee_id "
            "WHERE u.kind = 'project' AND u.full_members >= 3 AND u.organization_id IS NULL AND "
            "c.is_active = %s "
            "AND u.started_on <= %s AND (u.finished_on IS NULL OR u.finished_on > %s) "
            "AND (u.planned_months IS NULL OR u.planned_months >= 6)",
            [True, d, d],
        ),
        "TERM-01": (
            f"SELECT o.id {with_term} AND t.id IS NOT NULL AND t.extended_until IS NULL "
            f"AND t.elected_on <= {case} AND NOT t.elected_on <= {case}",
            [d, *base, *ended(add_months(d, 6)), *ended(d)],
        ),
        "TERM-02": (
            f"SELECT o.id {with_term} AND t.id IS NOT NULL AND t.extended_until IS NULL "
            f"AND t.elected_on <= {case} AND NOT t.elected_on <= {case} AND NOT EXISTS (SELECT 1 "
            "FROM orgs_election e "
            "WHERE e.organization_id = o.id AND e.requested_on IS NOT NULL AND e.requested_on >= "
            "t.elected_on)",
            [d, *base, *lead_deadline, *ended(d)],
        ),
        "TERM-03": (
            f"SELECT o.id {with_term} AND (t.id IS NULL OR (t.elected_on <= {case} "
            "AND (t.extended_until IS NULL OR t.extended_until <= %s)))",
            [d, *base, *ended(d), d],
        ),
        "TERM-04": (
            f"SELECT o.id {with_term} AND (t.extension_months > 12 OR t.advance_months > 12)",
            [d, *base],
        ),
        "TERM-05": (
            f"SELECT o.id {with_term} AND t.id IS NOT NULL AND ("
            "(o.category IN ('village', 'community') AND t.term_years <> 5) OR "
            "(o.category NOT IN ('village', 'community') AND o.kind IN ('branch', "
            "'general_branch') AND t.term_years <> 3) OR "
            "(o.category NOT IN ('village', 'community') AND o.kind = 'committee' AND t.term_years "
            "<> 5))",
            [d, *base],
        ),
        "TERM-06": (
            "SELECT e.organization_id, e.id FROM orgs_election e JOIN orgs_organization o ON o.id "
            "= e.organization_id "
            "WHERE e.held_on IS NOT NULL AND e.held_on >= %s AND e.held_on <= %s AND o.is_active = "
            "%s "
            "AND (e.present * 5 <= e.eligible * 4 OR e.present >= e.min_winner_votes * 2 OR "
            "e.candidates * 100 < e.seats * 120)",
            [win, d, True],
        ),
        "TERM-07": (
            "SELECT e.organization_id, e.id FROM orgs_election e JOIN orgs_organization o ON o.id "
            "= e.organization_id "
            "WHERE e.held_on IS NOT NULL AND e.held_on <= %s AND o.is_active = %s "
            "AND (e.reported_on IS NULL OR e.secretary_approved_on IS NULL)",
            [report_cut, True],
        ),
    }


def fee_floor_queries(as_of: date) -> dict[str, tuple[str, list[Any]]]:
    """FEE-02/03/04/05/09 and SUP-01 as plain SQL (vendor-specific date parts and GREATEST)."""
    from django.db import connection

    now = as_of.year * 12 + as_of.month - 1
    last, window = now - 1, now - 24
    if connection.vendor == "postgresql":
        first = (
            "(EXTRACT(YEAR FROM m.joined_on)::int * 12 + EXTRACT(MONTH FROM m.joined_on)::int - 1 "
            "+ CASE WHEN EXTRACT(DAY FROM m.joined_on) > 1 THEN 1 ELSE 0 END)"
        )
        greatest = "GREATEST"
    else:
        first = (
            "(CAST(strftime('%%Y', m.joined_on) AS INTEGER) * 12 + CAST(strftime('%%m', "
            "m.joined_on) AS INTEGER) - 1 "
            "+ CASE WHEN CAST(strftime('%%d', m.joined_on) AS INTEGER) > 1 THEN 1 ELSE 0 END)"
        )
        greatest = "MAX"
    onroll = "m.status IN ('full', 'probationary')"
    run = f"({last} + 1 - {greatest}(COALESCE(lp.p, -1) + 1, {first}, {window}))"
    runs = (
        "SELECT m.organization_id, m.id FROM members_member m LEFT JOIN (SELECT member_id, "
        "MAX(month_index) AS p "
        f"FROM fees_feemonth WHERE month_index <= {last} AND paid_fen > 0 GROUP BY member_id) lp "
        "ON lp.member_id = m.id "
        f"WHERE {onroll} AND m.joined_on <= %s AND {run} "
    )
    months = (
        "SELECT m.organization_id, f.member_id, f.month FROM fees_feemonth f JOIN members_member m "
        "ON m.id = f.member_id "
        f"WHERE f.month_index >= {window} AND f.month_index <= {last} AND {onroll} AND "
        f"f.month_index >= {first} "
    )
    band = (
        "CASE WHEN m.fee_category IN ('employed', 'other') AND m.fee_base_fen <= 300000 THEN "
        "(m.fee_base_fen * 50 + 5000) / 10000 "
        "WHEN m.fee_category IN ('employed', 'other') AND m.fee_base_fen <= 500000 THEN "
        "(m.fee_base_fen * 100 + 5000) / 10000 "
        "WHEN m.fee_category IN ('employed', 'other') AND m.fee_base_fen <= 1000000 THEN "
        "(m.fee_base_fen * 150 + 5000) / 10000 "
        "WHEN m.fee_category IN ('employed', 'other') THEN (m.fee_base_fen * 200 + 5000) / 10000 "
        "WHEN m.fee_category = 'retired' AND m.fee_base_fen <= 500000 THEN (m.fee_base_fen * 50 + "
        "5000) / 10000 "
        "WHEN m.fee_category = 'retired' THEN (m.fee_base_fen * 100 + 5000) / 10000 ELSE 20 END"
    )
    joined_idx = first.replace(
        " + CASE WHEN EXTRACT(DAY FROM m.joined_on) > 1 THEN 1 ELSE 0 END", ""
    ).replace(
        " + CASE WHEN CAST(strftime('%%d', m.joined_on) AS INTEGER) > 1 THEN 1 ELSE 0 END", ""
    )
    no_assessment = (
        "NOT EXISTS (SELECT 1 FROM fees_assessment a WHERE a.member_id = f.member_id AND "
        "a.effective_index <= f.month_index)"
    )
    return {
        "FEE-02": (runs + "BETWEEN 3 AND 4", [as_of]),
        "FEE-03": (runs + "= 5", [as_of]),
        "FEE-04": (runs + ">= 6", [as_of]),
        "FEE-05": (months + "AND f.paid_fen > 0 AND f.paid_fen < f.due_fen", []),
        # the bench data has no assessments; the engine also honours them (the floor checks there
        # are none)
        "FEE-09": (
            months + f"AND {no_assessment} AND ((m.fee_category = 'farmer' AND (f.due_fen < 20 OR "
            "f.due_fen > 100)) "
            f"OR (m.fee_category <> 'farmer' AND f.due_fen <> {band}))",
            [],
        ),
        "FEE-08": (
            "SELECT m.organization_id, a.member_id FROM fees_assessment a JOIN members_member m ON "
            "m.id = a.member_id "
            f"WHERE a.kind IN ('reduction', 'exemption') AND {onroll} AND (a.approved_on IS NULL "
            "OR a.approved_by_id IS NULL)",
            [],
        ),
        "FEE-11": (
            "SELECT m.organization_id, m.id FROM members_member m JOIN (SELECT member_id, "
            "MIN(month_index) AS f "
            f"FROM fees_feemonth GROUP BY member_id) fm ON fm.member_id = m.id WHERE {onroll} "
            f"AND {joined_idx} >= {now - 12} AND {joined_idx} < {now} AND fm.f <> {joined_idx}",
            [],
        ),
        "FEE-12": (
            "SELECT o.id FROM orgs_organization o WHERE o.kind = 'branch' AND o.is_active = %s "
            "AND EXISTS (SELECT 1 FROM "
            "fees_feemonth f WHERE f.organization_id = o.id AND f.month_index >= "
            f"{(as_of.year - 1) * 12} "
            f"AND f.month_index < {as_of.year * 12} AND f.paid_fen > 0) AND NOT EXISTS (SELECT 1 "
            "FROM fees_publication p "
            f"WHERE p.organization_id = o.id AND p.year = {as_of.year - 1})",
            [True],
        ),
        "FEE-01": (
            "SELECT f.organization_id, f.member_id FROM fees_feemonth f JOIN fees_collectionday c "
            "ON c.organization_id = "
            "f.organization_id JOIN members_member m ON m.id = f.member_id WHERE f.month_index = "
            f"{now} AND {onroll} "
            f"AND c.day >= {as_of.day} AND c.day <= {as_of.day + 3} AND (f.paid_fen IS NULL OR "
            "f.paid_fen = 0)",
            [],
        ),
        # FEE-07: after March, a branch with members from before the year and no yearly assessment
        # on record
        "FEE-07": (
            "SELECT o.id FROM orgs_organization o WHERE o.kind = 'branch' AND o.is_active = %s AND "
            "%s > 3 AND EXISTS "
            f"(SELECT 1 FROM members_member m WHERE m.organization_id = o.id AND {onroll} AND "
            "m.joined_on < %s) "
            "AND NOT EXISTS (SELECT 1 FROM fees_annualassessment a WHERE a.organization_id = o.id "
            "AND a.year = %s)",
            [True, as_of.month, date(as_of.year, 1, 1), as_of.year],
        ),
        "SUP-01": (
            "SELECT a.organization_id, a.id FROM supervision_assignment a JOIN supervision_task t "
            "ON t.id = a.task_id "
            "JOIN orgs_organization o ON o.id = a.organization_id WHERE a.status IN ('pending', "
            "'returned') "
            "AND t.deadline < %s AND o.is_active = %s",
            [as_of, True],
        ),
    }


def life_floor_queries(as_of: date) -> dict[str, tuple[str, list[Any]]]:
    """LIFE-01…12 as plain SQL: a calendar CTE of the window's complete periods joined with the
    branches, NOT EXISTS a held meeting of the kind; runs of absence by gaps-and-islands. Each row
    is (organization, member, period, subject) like the engine's hits."""
    from dangjian.compliance.engine import ScanContext
    from dangjian.meetings.rules import periods

    ctx = ScanContext(as_of=as_of, scope_path="", params={})
    ws = ctx.window_start

    def calendar(unit: str) -> tuple[str, list[Any]]:
        cal = periods(ctx, unit)
        return (
            "WITH c(label, s, e) AS (VALUES " + ", ".join(["(%s, %s, %s)"] * len(cal)) + ") ",
            [x for row in cal for x in row],
        )

    def missing(
        unit: str, kind: str, org_kind: str = "branch", extra: str = ""
    ) -> tuple[str, list[Any]]:
        cte, params = calendar(unit)
        return (
            cte + "SELECT o.id, NULL, c.label, NULL FROM orgs_organization o JOIN c ON "
            "o.established_on <= c.s "
            f"WHERE o.kind = '{org_kind}' AND o.is_active = %s {extra} AND NOT EXISTS (SELECT 1 "
            "FROM meetings_meeting m "
            "WHERE m.organization_id = o.id AND m.kind = %s AND m.status = 'held' AND m.held_on >= "
            "c.s AND m.held_on <= c.e)",
            [*params, True, kind],
        )

    committee = (
        "AND (SELECT COUNT(*) FROM orgs_post p WHERE p.organization_id = o.id AND p.ended_on IS "
        "NULL "
        "AND p.post <> 'group_leader') >= 3"
    )
    review_sql, review_params = missing("year", "democratic_review")
    last = as_of.year * 12 + as_of.month - 2
    first = max(last - 23, ws.year * 12 + ws.month - 1)
    months = []
    for i in range(first, last + 1):
        start = date(i // 12, i % 12 + 1, 1)
        months += [
            i,
            start,
            date(start.year + (start.month == 12), start.month % 12 + 1, 1) - timedelta(days=1),
        ]
    runs = (
        "WITH cal(i, s, e) AS (VALUES " + ", ".join(["(%s, %s, %s)"] * (last - first + 1)) + "), "
        "mm AS (SELECT a.member_id, a.month_index, MAX(mem.organization_id) AS org, "
        "MAX(CASE WHEN a.status = 'present' THEN 1 ELSE 0 END) AS p, MAX(CASE WHEN a.status = "
        "'absent' THEN 1 ELSE 0 END) AS ab "
        "FROM meetings_attendance a JOIN meetings_meeting m ON m.id = a.meeting_id JOIN "
        "members_member mem ON mem.id = a.member_id "
        "WHERE a.month_index >= %s AND a.month_index <= %s AND m.status = 'held' AND mem.status IN "
        "('full', 'probationary') "
        "GROUP BY a.member_id, a.month_index), "
        "bad AS (SELECT mm.* FROM mm JOIN cal ON cal.i = mm.month_index WHERE mm.p = 0 AND mm.ab = "
        "1 AND NOT EXISTS "
        "(SELECT 1 FROM meetings_leave l WHERE l.member_id = mm.member_id AND l.starts_on <= cal.e "
        "AND l.ends_on >= cal.s AND l.status = 'approved' AND l.meeting_id IS NULL)), "
        "isl AS (SELECT member_id, org, month_index + ROW_NUMBER() OVER (PARTITION BY member_id "
        "ORDER BY month_index DESC) AS g FROM bad) "
        "SELECT org, member_id, NULL, NULL FROM isl WHERE g = %s GROUP BY org, member_id "
    )
    run_params = [*months, first, last, last + 1]
    return {
        "LIFE-01": missing("quarter", "general_meeting"),
        "LIFE-02": missing("month", "committee_meeting", extra=committee),
        "LIFE-03": missing("month", "group_meeting", org_kind="group"),
        "LIFE-04": missing("quarter", "party_lecture"),
        "LIFE-05": missing("month", "theme_day"),
        "LIFE-06": missing("year", "life_meeting"),
        "LIFE-07": (
            review_sql
            + " UNION ALL SELECT mt.organization_id, NULL, SUBSTR(CAST(mt.held_on AS TEXT), 1, 4), "
            "'review' || mt.id "
            "FROM meetings_appraisal a JOIN meetings_meeting mt ON mt.id = a.meeting_id JOIN "
            "orgs_organization o "
            "ON o.id = mt.organization_id WHERE o.kind = 'branch' AND o.is_active = %s AND "
            "mt.held_on >= %s AND mt.held_on < %s "
            "GROUP BY mt.id, mt.organization_id, mt.held_on "
            "HAVING 3 * SUM(CASE WHEN a.grade = 'excellent' THEN 1 ELSE 0 END) > COUNT(*)",
            [*review_params, True, ws, as_of],
        ),
        "LIFE-09": (runs + "HAVING COUNT(*) >= 3 AND COUNT(*) < 6", run_params),
        "LIFE-10": (runs + "HAVING COUNT(*) >= 6", run_params),
        "LIFE-11": (
            "SELECT m.organization_id, NULL, CAST(m.held_on AS TEXT), 'm' || m.id FROM "
            "meetings_meeting m JOIN orgs_organization o "
            "ON o.id = m.organization_id WHERE m.kind = 'general_meeting' AND m.status = 'held' "
            "AND m.held_on >= %s "
            "AND m.held_on < %s AND o.kind = 'branch' AND o.is_active = %s AND m.held_on >= "
            "o.established_on "
            "AND m.attended * 2 <= m.expected",
            [ws, as_of, True],
        ),
        "LIFE-12": (
            "SELECT m.organization_id, NULL, CAST(m.held_on AS TEXT), 'm' || m.id FROM "
            "meetings_meeting m "
            "WHERE m.source = 'web' AND m.status = 'held' AND m.held_on >= %s AND m.held_on < %s "
            "AND (m.expected = 0 "
            "OR m.minutes = '' OR (m.kind IN ('general_meeting', 'committee_meeting') AND "
            "m.decisions = '') "
            "OR (m.motion <> '' AND m.votes_for IS NULL) OR EXISTS (SELECT 1 FROM "
            "meetings_attendance a "
            "WHERE a.meeting_id = m.id AND a.reason = '' AND a.status IN ('absent', 'leave')))",
            [ws, as_of],
        ),
    }


def am(col: str, n: str) -> str:
    """`col` + `n` calendar months (month-end clamped) in SQL, written out for each database."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return f"CAST(({col} + (({n}) * INTERVAL '1 month')) AS date)"
    plus = f"'+' || ({n}) || ' months'"
    return (
        f"(CASE WHEN strftime('%%d', date({col}, {plus})) = strftime('%%d', {col}) THEN "
        f"date({col}, {plus}) "
        f"ELSE date({col}, 'start of month', '+' || (({n}) + 1) || ' months', '-1 day') END)"
    )


def plus_days(col: str, days: str) -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        return f"({col} + {days})"
    return f"date({col}, '+' || ({days}) || ' days')"


def dev_floor_queries(as_of: date) -> dict[str, tuple[str, list[Any]]]:
    """DEV-00…20 as plain SQL under the default rule version, with calendar month arithmetic
    written out for each database (DEV-19's working days from a calendar of days joined to the
    holiday table). Rows: (organization, person number, subject)."""
    from django.db import connection

    from dangjian.recruitment.versions import default_version, params

    p = params(default_version())
    pg = connection.vendor == "postgresql"

    sel = "SELECT c.organization_id, c.person_no, 'c' || c.id FROM recruitment_candidate c "
    open_ = "c.closed_on IS NULL AND c.cancelled_on IS NULL"

    def late(start: str, end: str, n: int) -> str:
        due = am(f"c.{start}", str(n))
        return (
            sel
            + f"WHERE c.{start} IS NOT NULL AND (c.{end} > {due} OR (c.{end} IS NULL AND {due} < "
            f"%s AND {open_}))"
        )

    exc = (
        "EXISTS (SELECT 1 FROM recruitment_stepexception e WHERE e.candidate_id = c.id AND e.step "
        "= {})"
    )
    probation = f"{p['probation_months']} + c.extension_months"
    web = "c.source = 'web'"
    return {
        "DEV-01": (sel + f"WHERE c.applied_on < {am('c.birth_date', str(12 * p['min_age']))}", []),
        "DEV-02": (late("applied_on", "talked_on", p["talk_months"]), [as_of]),
        "DEV-03": (
            sel
            + f"WHERE {open_} AND {web} AND c.activist_on IS NOT NULL AND c.activist_filed_on IS "
            "NULL AND c.activist_on < %s",
            [as_of - timedelta(days=p["activist_filing_days"])],
        ),
        "DEV-04": (
            sel
            + f"WHERE {open_} AND {web} AND c.activist_on IS NOT NULL AND c.admitted_on IS NULL "
            "AND "
            f"((c.assessed_on IS NULL AND {am('c.activist_on', str(p['assessment_months']))} < %s) "
            "OR "
            f"(c.assessed_on IS NOT NULL AND {am('c.assessed_on', str(p['assessment_months']))} < "
            "%s))",
            [as_of, as_of],
        ),
        "DEV-05": (
            sel + f"WHERE c.activist_on IS NOT NULL AND c.target_on IS NOT NULL AND c.target_on < "
            f"{am('c.activist_on', str(p['activist_months']))} AND NOT {exc.format(7)}",
            [],
        ),
        "DEV-06": (
            sel
            + "WHERE c.admitted_on IS NOT NULL AND (c.reviewed_on IS NULL OR c.trained_on IS NULL "
            "OR "
            "c.reviewed_on > c.admitted_on OR c.trained_on > c.admitted_on)",
            [],
        ),
        "DEV-07": (
            sel
            + "LEFT JOIN members_member i1 ON i1.id = c.introducer_1_id LEFT JOIN members_member "
            "i2 ON i2.id = c.introducer_2_id "
            f"WHERE {open_} AND {web} AND c.introducers_on IS NOT NULL AND c.approved_on IS NULL "
            "AND "
            "(i1.id IS NULL OR i2.id IS NULL OR i1.status <> 'full' OR i2.status <> 'full')",
            [],
        ),
        "DEV-08": (
            late("prereviewed_on", "admitted_on", p["prereview_to_meeting_months"]),
            [as_of],
        ),
        "DEV-10": (late("admitted_on", "approved_on", p["approval_months"]), [as_of]),
        "DEV-11": (late("admitted_on", "approved_on", p["approval_max_months"]), [as_of]),
        "DEV-12": (
            sel + f"WHERE {open_} AND c.approved_on IS NOT NULL AND c.oath_on IS NULL AND "
            f"{am('c.approved_on', str(p['oath_months']))} < %s",
            [as_of],
        ),
        "DEV-13": (
            sel + f"WHERE {open_} AND c.approved_on IS NOT NULL AND c.full_on IS NULL AND "
            f"{am('c.admitted_on', probation + ' - 1')} <= %s AND {am('c.admitted_on', probation)} "
            "> %s",
            [as_of, as_of],
        ),
        "DEV-14": (
            sel + f"WHERE c.admitted_on IS NOT NULL AND c.full_on IS NOT NULL AND c.full_on < "
            f"{am('c.admitted_on', str(p['probation_months']))}",
            [],
        ),
        "DEV-15": (
            sel + f"WHERE {open_} AND c.approved_on IS NOT NULL AND c.full_on IS NULL AND "
            f"{am('c.admitted_on', probation + ' + ' + str(p['conversion_grace_months']))} < %s",
            [as_of],
        ),
        "DEV-16": (
            sel
            + f"WHERE c.extension_months > 0 AND (c.extension_months < {p['extension_min_months']} "
            "OR "
            f"c.extension_months > {p['extension_max_months']})",
            [],
        ),
        "DEV-17": (
            late(
                "conversion_meeting_on", "conversion_approved_on", p["conversion_approval_months"]
            ),
            [as_of],
        ),
        "DEV-18": (
            sel
            + f"WHERE {web} AND c.conversion_approved_on IS NOT NULL AND c.archived_on IS NULL AND "
            "c.conversion_approved_on < %s",
            [as_of - timedelta(days=p["archive_days"])],
        ),
        "DEV-20": (
            sel
            + f"WHERE c.admitted_on IS NOT NULL AND c.leaving_on IS NOT NULL AND c.leaving_on <= "
            f"{am('c.admitted_on', str(p['leave_months']))} AND NOT {exc.format(15)}",
            [],
        ),
        "DEV-00": dev_00_floor(as_of, p, open_),
        "DEV-19": (dev_19_floor(pg, p["notice_working_days"]), []),
    }


def dev_00_floor(as_of: date, p: dict[str, Any], open_: str) -> tuple[str, list[Any]]:
    """The reminders ahead of the talk, the assessment, the approval and the conversion's approval:
    the step not done, its deadline from today to today + lead_days."""
    from dangjian.compliance.packs import effective_params

    lead = as_of + timedelta(days=int(effective_params("DEV-00")["lead_days"]))
    steps = (
        ("talk", "applied_on", "talked_on", p["talk_months"], ""),
        ("assess", "assessed_on", "admitted_on", p["assessment_months"], " AND c.source = 'web'"),
        ("approve", "admitted_on", "approved_on", p["approval_months"], ""),
        (
            "convert",
            "conversion_meeting_on",
            "conversion_approved_on",
            p["conversion_approval_months"],
            "",
        ),
    )
    parts, params = [], []
    for key, start, done, n, extra in steps:
        parts.append(
            f"SELECT c.organization_id, c.person_no, 'c' || c.id || ':{key}' FROM "
            f"recruitment_candidate c WHERE {open_}{extra} AND c.{start} IS NOT NULL AND "
            f"c.{done} IS NULL AND {am('c.' + start, str(n))} BETWEEN %s AND %s"
        )
        params += [as_of, lead]
    return " UNION ALL ".join(parts), params


def dev_19_floor(pg: bool, need: int) -> str:
    """Notices shorter than `need` working days: each day of the notice is a working day by the
    holiday table (a day off or a make-up working day) or, absent from it, Monday to Friday."""
    sel = (
        "SELECT c.organization_id, c.person_no, 'c' || c.id FROM recruitment_candidate c WHERE "
        "c.publicized_on IS NOT NULL AND c.publicized_until IS NOT NULL AND "
    )
    if pg:
        return sel + (
            "(SELECT COUNT(*) FROM generate_series(c.publicized_on, c.publicized_until, "
            "INTERVAL '1 day') AS g(d) LEFT JOIN recruitment_holiday h ON h.day = CAST(g.d AS "
            f"date) WHERE COALESCE(h.workday, EXTRACT(ISODOW FROM g.d) < 6)) < {need}"
        )
    return (
        "WITH RECURSIVE cal(d) AS (SELECT MIN(publicized_on) FROM recruitment_candidate UNION ALL "
        "SELECT date(d, '+1 day') FROM cal WHERE d < (SELECT MAX(publicized_until) FROM "
        "recruitment_candidate)) "
        + sel
        + "(SELECT COUNT(*) FROM cal LEFT JOIN recruitment_holiday h ON h.day = cal.d WHERE "
        "cal.d BETWEEN c.publicized_on AND c.publicized_until AND COALESCE(h.workday, "
        f"strftime('%%w', cal.d) NOT IN ('0', '6'))) < {need}"
    )


def edu_floor_queries(as_of: date) -> dict[str, tuple[str, list[Any]]]:
    """EDU-00…04 as plain SQL. A year's hours: imported + offline sessions + online seconds / 3600
    + completed academy classes (ending in the year). Concentrated training: an offline session of
    kind 集中培训, or a completed class of the rule's purposes; the training clauses judge only a
    deployment that records any (EDU-02's second half, EDU-03, EDU-04). Rows: (organization,
    member, year) for EDU-01/02, (organization, member, subject) for EDU-00/03, (organization,
    member) for EDU-04."""
    from dangjian.compliance.packs import effective_params
    from dangjian.core.dates import add_months
    from dangjian.learning.constants import LEADER_POSTS
    from dangjian.learning.evidence import LEADERS, NEW_MEMBER, NEW_SECRETARY

    window = add_months(as_of.replace(day=1), -24)
    years = [y for y in range(window.year, as_of.year) if date(y, 1, 1) >= window]
    enrolled = (
        "FROM academy_enrolment e JOIN academy_trainingclass k ON k.id = e.klass_id WHERE "
        "e.completed AND e.member_id = {m} "
    )

    def hours(start: date, end: date) -> tuple[str, list[Any]]:
        sql = (
            "COALESCE((SELECT s.hours FROM learning_studyyear s WHERE s.member_id = m.id AND "
            "s.year = %s), 0) + "
            "COALESCE((SELECT SUM(a.hours) FROM learning_offlineattendance a JOIN "
            "learning_offlinesession se ON se.id = a.session_id "
            "WHERE a.member_id = m.id AND se.held_on BETWEEN %s AND %s), 0) + "
            "COALESCE((SELECT SUM(d.seconds) FROM learning_studyday d WHERE d.member_id = m.id "
            "AND d.day BETWEEN %s AND %s), 0) / 3600.0 + "
            "COALESCE((SELECT SUM(k.hours) "
            + enrolled.format(m="m.id")
            + "AND k.ends_on BETWEEN %s AND %s), 0)"
        )
        return sql, [start.year, start, end, start, end, start, end]

    any_training = (
        "(EXISTS (SELECT 1 FROM learning_offlinesession se WHERE se.kind = 'training') OR "
        "EXISTS (SELECT 1 FROM academy_enrolment e WHERE e.completed AND e.member_id IS NOT NULL))"
    )

    def trained(member: str, purposes: tuple[str, ...], on: str) -> str:
        """`on` constrains the training's date, `{d}` standing for it."""
        listed = ", ".join(f"'{x}'" for x in purposes)
        return (
            "(EXISTS (SELECT 1 FROM learning_offlineattendance a JOIN learning_offlinesession se "
            f"ON se.id = a.session_id WHERE a.member_id = {member} AND se.kind = 'training' AND "
            + on.format(d="se.held_on")
            + ") OR EXISTS (SELECT 1 "
            + enrolled.format(m=member)
            + "AND k.kind_id IN (SELECT ck.id FROM academy_classkind ck WHERE ck.purpose IN "
            f"({listed})) AND " + on.format(d="k.ends_on") + "))"
        )

    posts = ", ".join(f"'{x}'" for x in LEADER_POSTS)
    leader = (
        f"EXISTS (SELECT 1 FROM orgs_post p WHERE p.member_id = m.id AND p.post IN ({posts}) "
        "AND (p.started_on IS NULL OR p.started_on <= %s) AND (p.ended_on IS NULL OR p.ended_on >= "
        "%s))"
    )
    members = (
        "FROM members_member m JOIN orgs_organization o ON o.id = m.organization_id WHERE "
        "m.status IN ('full', 'probationary') AND m.joined_on <= %s AND o.established_on <= %s "
    )
    out: dict[str, tuple[str, list[Any]]] = {}
    # EDU-01/02: each complete year in the window
    need1 = float(effective_params("EDU-01")["hours"])
    need2 = float(effective_params("EDU-02")["hours"])
    for rid, need in (("EDU-01", need1), ("EDU-02", need2)):
        parts, params = [], []
        for y in years:
            start, end = date(y, 1, 1), date(y, 12, 31)
            h, hp = hours(start, end)
            sql = f"SELECT m.organization_id, m.id, '{y}' " + members
            params += [start, start]
            if rid == "EDU-01":
                sql += f"AND {h} < %s"
                params += [*hp, need]
            else:
                sql += (
                    f"AND {leader} AND ({h} < %s OR ({any_training} AND NOT "
                    + trained("m.id", LEADERS, "{d} BETWEEN %s AND %s")
                    + "))"
                )
                params += [end, start, *hp, need, start, end, start, end]
            parts.append(sql)
        out[rid] = (" UNION ALL ".join(parts) or "SELECT 1, 1, '' WHERE 1 = 0", params)
    # EDU-00: from October, this year's hours so far below the requirement
    if as_of.month >= int(effective_params("EDU-00")["from_month"]):
        y = as_of.year
        start = date(y, 1, 1)
        h, hp = hours(start, as_of)
        sel = f"SELECT m.organization_id, m.id, 'm' || m.id || ':{y}' " + members
        out["EDU-00"] = (
            sel + f"AND NOT {leader} AND {h} < %s UNION ALL " + sel + f"AND {leader} AND {h} < %s",
            [start, start, date(y, 12, 31), start, *hp, need1]
            + [start, start, date(y, 12, 31), start, *hp, need2],
        )
    else:
        out["EDU-00"] = ("SELECT 1, 1, '' WHERE 1 = 0", [])
    # EDU-03: a secretary appointed in the window, six months on, not trained in between
    due = am("p.started_on", "6")
    out["EDU-03"] = (
        "SELECT p.organization_id, p.member_id, 'post' || p.id FROM orgs_post p WHERE "
        f"p.post = 'secretary' AND p.started_on >= %s AND {due} <= %s AND {any_training} AND NOT "
        + trained("p.member_id", NEW_SECRETARY, f"{{d}} >= p.started_on AND {{d}} <= {due}"),
        [window, as_of],
    )
    # EDU-04: probationary members ten months in, and members converted 10 to 12 months ago,
    # without a training since they joined
    untrained = f"{any_training} AND NOT " + trained("m.id", NEW_MEMBER, "{d} >= m.joined_on")
    out["EDU-04"] = (
        "SELECT m.organization_id, m.id FROM members_member m WHERE m.status = 'probationary' "
        f"AND {am('m.joined_on', '10')} <= %s AND {untrained} UNION ALL "
        "SELECT m.organization_id, m.id FROM members_member m WHERE m.status = 'full' AND "
        f"m.full_on >= %s AND {am('m.full_on', '10')} <= %s AND {am('m.full_on', '12')} >= %s "
        f"AND {untrained}",
        [as_of, window, as_of, as_of],
    )
    return out


def trf_floor_queries(as_of: date) -> dict[str, tuple[str, list[Any]]]:
    """TRF-02/03: open letters past their validity; open letters pending more than 30 days, still
    valid."""
    from django.db import connection

    if connection.vendor == "postgresql":
        end = "(t.issued_on + t.valid_days)"
    else:
        end = "date(t.issued_on, '+' || t.valid_days || ' days')"
    sel = (
        "SELECT t.from_org_id, t.member_id, 't' || t.id FROM transfers_transfer t WHERE "
        "t.accepted_on IS NULL AND t.issued_on IS NOT NULL "
    )
    from dangjian.compliance.engine import latest_start
    from dangjian.core.dates import add_months

    mobile = (
        "SELECT mo.organization_id, mo.member_id, 'mo' || mo.id FROM transfers_mobilemember mo "
        "JOIN members_member m ON m.id = mo.member_id WHERE mo.direction = 'out' AND "
        "mo.ended_on IS NULL AND m.status IN ('full', 'probationary') "
    )
    moved = (
        "AND NOT EXISTS (SELECT 1 FROM transfers_transfer t WHERE t.member_id = mo.member_id AND "
        "t.status IN ('open', 'accepted') AND "
        "(t.started_on >= mo.since OR t.issued_on >= mo.since)) "
    )
    last = (
        'COALESCE((SELECT MAX(r."on") FROM transfers_mobilereport r WHERE r.mobile_id = mo.id), '
        "mo.since)"
    )
    lost = (
        "SELECT lc.organization_id, lc.member_id, 'lc' || lc.id FROM transfers_lostcontact lc "
        "WHERE lc.status = %s "
    )
    return {
        "TRF-01": (
            mobile + "AND mo.fixed_place = %s " + moved + "AND mo.since <= %s",
            [True, latest_start(as_of, 6)],
        ),
        "TRF-02": (sel + f"AND t.status IN ('open', 'expired') AND {end} < %s", [as_of]),
        "TRF-03": (
            sel + f"AND t.status = 'open' AND t.issued_on < %s AND {end} >= %s",
            [as_of - timedelta(days=30), as_of],
        ),
        "TRF-04": (
            "SELECT t.from_org_id, t.member_id, 't' || t.id FROM transfers_transfer t WHERE "
            "t.status = 'accepted' AND t.to_org_id IS NOT NULL AND t.accepted_on >= %s AND "
            "t.fee_resume <> '' AND NOT EXISTS (SELECT 1 FROM fees_feemonth f WHERE "
            "f.member_id = t.member_id AND f.paid_fen > 0 AND f.month = t.fee_resume) AND "
            "(t.fee_resume < %s OR EXISTS (SELECT 1 FROM fees_feemonth f WHERE "
            "f.member_id = t.member_id AND f.paid_fen > 0 AND f.month > t.fee_resume))",
            [add_months(as_of, -12), f"{as_of:%Y-%m}"],
        ),
        "TRF-05": (mobile + f"AND {last} <= %s", [latest_start(as_of, 12)]),
        "TRF-06": (lost + "AND lc.since <= %s", ["open", latest_start(as_of, 6)]),
        "TRF-07": (lost + "AND lc.suspended_on <= %s", ["suspended", latest_start(as_of, 24)]),
        "TRF-00": trf_00_floor(as_of, end, mobile, moved, last),
    }


def trf_00_floor(
    as_of: date, end: str, mobile: str, moved: str, last: str
) -> tuple[str, list[Any]]:
    """The reminders ahead of TRF-02/01/05/06/07: an open letter ending within lead_days; month 5
    of an absence at a fixed place; month 11 since the last report; month 5 of a lost contact;
    month 23 of a suspension."""
    from dangjian.compliance.packs import effective_params

    lead = int(effective_params("TRF-00")["lead_days"])

    def month(col: str, n: int) -> str:  # in its n-th month: col + n months <= today < col + n + 1
        return f"{am(col, str(n))} <= %s AND {am(col, str(n + 1))} > %s"

    lost = (
        "SELECT lc.organization_id, lc.member_id, 'lc' || lc.id || ':{key}' FROM "
        "transfers_lostcontact lc WHERE lc.status = '{status}' AND "
    )
    sql = " UNION ALL ".join(
        (
            "SELECT t.from_org_id, t.member_id, 't' || t.id || ':expiry' FROM transfers_transfer t "
            f"WHERE t.accepted_on IS NULL AND t.issued_on IS NOT NULL AND t.status = 'open' AND "
            f"{end} BETWEEN %s AND %s",
            mobile.replace("'mo' || mo.id", "'mo' || mo.id || ':move'")
            + "AND mo.fixed_place = %s "
            + moved
            + "AND "
            + month("mo.since", 5),
            mobile.replace("'mo' || mo.id", "'mo' || mo.id || ':report'")
            + "AND "
            + month(last, 11),
            lost.format(key="lost", status="open") + month("lc.since", 5),
            lost.format(key="suspended", status="suspended") + month("lc.suspended_on", 23),
        )
    )
    d = as_of
    return sql, [d, d + timedelta(days=lead), True, d, d, d, d, d, d, d, d]


MEMBER_RULES = {"FEE-01", "FEE-02", "FEE-03", "FEE-04", "FEE-08", "FEE-11", "EDU-04"}
SUBJECT_RULES = {"EDU-00", "EDU-03"}  # (organization, member, subject)
PERIOD_RULES = {"FEE-05", "FEE-09", "EDU-01", "EDU-02"}


def floor_run(as_of: date) -> dict[str, set[Any]]:
    from django.db import connection

    out: dict[str, set[Any]] = {}
    with connection.cursor() as cur:
        for rid, (sql, params) in {
            **floor_queries(as_of),
            **fee_floor_queries(as_of),
            **life_floor_queries(as_of),
            **dev_floor_queries(as_of),
            **edu_floor_queries(as_of),
            **trf_floor_queries(as_of),
        }.items():
            cur.execute(sql, params)
            rows = cur.fetchall()
            if rid.startswith(("DEV-", "TRF-")) or rid in SUBJECT_RULES:
                out[rid] = {(r[0], r[1], r[2]) for r in rows}
            elif rid.startswith("LIFE-"):
                out[rid] = {(r[0], r[1], r[2], r[3]) for r in rows}
            elif rid in MEMBER_RULES:
                out[rid] = {(r[0], r[1]) for r in rows}
            elif rid in PERIOD_RULES:
                out[rid] = {(r[0], r[1], r[2]) for r in rows}
            else:
                out[rid] = {r[0] for r in rows}
    return out


def floor_ids(as_of: date) -> set[str]:
    return (
        set(floor_queries(as_of))
        | set(fee_floor_queries(as_of))
        | set(life_floor_queries(as_of))
        | set(dev_floor_queries(as_of))
        | set(edu_floor_queries(as_of))
        | set(trf_floor_queries(as_of))
    )


def engine_run(as_of: date, only: set[str] | None = None) -> dict[str, set[Any]]:
    from dangjian.compliance.engine import ScanContext
    from dangjian.compliance.packs import effective_params
    from dangjian.compliance.services import enabled_rules

    out: dict[str, set[Any]] = {}
    for r in enabled_rules():
        if only is not None and r.id not in only:
            continue
        ctx = ScanContext(as_of=as_of, scope_path="", params=effective_params(r.id))
        hits = list(r.evaluate(ctx))
        if r.id.startswith("DEV-"):
            out[r.id] = {(h.organization_id, h.person, h.subject) for h in hits}
        elif r.id.startswith("TRF-") or r.id in SUBJECT_RULES:
            out[r.id] = {(h.organization_id, h.member_id, h.subject) for h in hits}
        elif r.id.startswith("LIFE-"):
            out[r.id] = {
                (h.organization_id, h.member_id, None if h.member_id else h.period, h.subject)
                for h in hits
            }
        elif r.id in MEMBER_RULES:
            out[r.id] = {(h.organization_id, h.member_id) for h in hits}
        elif r.id in PERIOD_RULES:
            out[r.id] = {(h.organization_id, h.member_id, h.period) for h in hits}
        else:
            out[r.id] = {h.organization_id for h in hits}
    return out


def subject_findings(rules: tuple[str, ...], as_of: date) -> dict[str, set[Any]]:
    """The rules through the engine, each finding as (organization, member, subject): the form
    the domain apps' floors (villages, enterprises) return."""
    from dangjian.compliance.engine import REGISTRY, ScanContext
    from dangjian.compliance.packs import effective_params

    out: dict[str, set[Any]] = {}
    for rid in rules:
        ctx = ScanContext(as_of=as_of, scope_path="", params=effective_params(rid))
        out[rid] = {
            (h.organization_id, h.member_id, h.subject) for h in REGISTRY[rid].evaluate(ctx)
        }
    return out


def seed_if_empty(scale: str, as_of: str) -> float | None:
    """Seed the scale with today = as_of when the database has no organization: the seconds."""
    from django.core.management import call_command

    from dangjian.orgs.models import Organization

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if Organization.objects.exists():
        return None
    print(f"seeding {scale} …", file=sys.stderr)
    t = time.perf_counter()
    call_command("seed", "--scale", scale, "--today", as_of, "--plant-rate", "0.02", verbosity=0)
    return round(time.perf_counter() - t, 1)


def best_of(n: int, fn, *a):  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(n):
        result, t = timed(fn, *a)
        times.append(t)
    return result, min(times)


# --- reminders at volume ------------------------------------------------------------------------


def reminders_bench(as_of: date, n: int) -> dict[str, Any]:
    """Open `n` synthetic findings on branches that have staff, resolve and deliver their reminders,
    queue the digest; then remove them again (the bench leaves the database as it found it)."""
    from django.db import transaction

    from dangjian.accounts.constants import Role
    from dangjian.accounts.models import RoleGrant, User
    from dangjian.compliance.models import Finding
    from dangjian.notify.models import Contact, Delivery, Reminder
    from dangjian.notify.outbound import delivery_queue_digests
    from dangjian.notify.services import reminders_sync
    from dangjian.orgs.models import Organization

    branches = list(
        Organization.objects.filter(kind="branch", is_active=True)
        .order_by("path")
        .values_list("id", "path")[:5000]
    )
    # one branch worker on each of the first 5,000 branches, so every finding has someone to tell
    with transaction.atomic():
        existing = set(
            RoleGrant.objects.filter(
                role=Role.BRANCH_WORKER,
                revoked_at__isnull=True,
                organization_id__in=[b[0] for b in branches],
            ).values_list("organization_id", flat=True)
        )
        made = [oid for oid, _path in branches if oid not in existing]
        users = [User(username=f"bench_w{oid}", display_name="bench") for oid in made]
        User.objects.bulk_create(users, batch_size=2000)
        ids = dict(
            User.objects.filter(username__startswith="bench_w").values_list("username", "id")
        )
        RoleGrant.objects.bulk_create(
            [
                RoleGrant(
                    user_id=ids[f"bench_w{oid}"], role=Role.BRANCH_WORKER, organization_id=oid
                )
                for oid in made
            ],
            batch_size=2000,
        )
        Contact.objects.bulk_create(
            [
                Contact(user_id=ids[f"bench_w{oid}"], email=f"w{oid}@example.org", email_on=True)
                for oid in made
            ],
            batch_size=2000,
        )
    findings = [
        Finding(
            rule_id="BENCH-01",
            organization_id=branches[i % len(branches)][0],
            period="",
            severity="warn",
            category="setup",
            subject_key=f"{branches[i % len(branches)][0]}::{i}",
            message="bench",
            opened_on=as_of,
            last_seen_on=as_of,
            details={},
        )
        for i in range(n)
    ]
    _, t_create = timed(Finding.objects.bulk_create, findings, batch_size=5000)
    before = Reminder.objects.count()
    counts, t_sync = timed(reminders_sync, as_of)
    made_reminders = Reminder.objects.count() - before
    from django.test import override_settings

    from dangjian.notify import outbound

    notify = {**outbound.settings.NOTIFY, "email": True}
    with override_settings(NOTIFY=notify):
        digest, t_digest = timed(delivery_queue_digests)
    # clean up: the synthetic findings, their reminders and deliveries, the bench users
    # (by id lists: plain DELETE … WHERE … IN, whatever the planner's statistics say about fresh
    # tables)
    bench_users = list(
        User.objects.filter(username__startswith="bench_w").values_list("id", flat=True)
    )
    bench_findings = list(Finding.objects.filter(rule_id="BENCH-01").values_list("id", flat=True))
    with transaction.atomic():
        for i in range(0, max(len(bench_users), len(bench_findings)), 5000):
            Delivery.objects.filter(user_id__in=bench_users[i : i + 5000]).delete()
            Reminder.objects.filter(finding_id__in=bench_findings[i : i + 5000]).delete()
            Reminder.objects.filter(user_id__in=bench_users[i : i + 5000]).delete()
        for i in range(0, len(bench_findings), 5000):
            Finding.objects.filter(id__in=bench_findings[i : i + 5000]).delete()
        for i in range(0, len(bench_users), 5000):
            Contact.objects.filter(user_id__in=bench_users[i : i + 5000]).delete()
            RoleGrant.objects.filter(user_id__in=bench_users[i : i + 5000]).delete()
            User.objects.filter(id__in=bench_users[i : i + 5000]).delete()
    return {
        "findings": n,
        "reminders_created": made_reminders,
        "sync_s": round(t_sync, 2),
        "digest_deliveries": digest["deliveries"],
        "digest_s": round(t_digest, 2),
        "insert_findings_s": round(t_create, 2),
        "sync_counts": counts,
    }


def staff_client(username: str, role: str) -> Any:
    """A signed-in, two-factor-verified test client for a bench user granted `role` at the root."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    from dangjian.accounts.models import User
    from dangjian.accounts.services import grant_create, user_create
    from dangjian.orgs.models import Organization

    root = Organization.objects.filter(depth=1).order_by("path").first()
    user = User.objects.filter(username=username).first()
    if user is None:
        user, _ = user_create(
            actor=None,
            username=username,
            display_name="bench",
            password="Bench-Passw0rd!",  # noqa: S106
            must_change_password=False,
        )
        grant_create(actor=None, user=user, role=role, organization=root)
    device, _ = StaticDevice.objects.get_or_create(user=user, name="bench")
    client = Client()
    client.force_login(user, backend="dangjian.accounts.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def dashboard(repeat: int) -> dict[str, float]:
    from dangjian.accounts.constants import Role

    client = staff_client("bench_supervisor", Role.SUPERVISOR)
    client.get("/monitor/")
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        resp = client.get("/monitor/")
        times.append((time.perf_counter() - t) * 1000)
        assert resp.status_code == 200, resp.status_code
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="city")
    parser.add_argument("--as-of", default="2026-06-30")
    parser.add_argument("--reminders", type=int, default=50000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--follow", type=int, default=40, help="acts timed for findings_follow")
    parser.add_argument("--follow-only", action="store_true", help="seeded and scanned: acts only")
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from dangjian.compliance.models import Finding
    from dangjian.compliance.services import scan_run
    from dangjian.notify.models import Reminder
    from dangjian.orgs.models import Organization

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    as_of = date.fromisoformat(args.as_of)
    if not Organization.objects.exists():
        print(f"seeding {args.scale} …", file=sys.stderr)
        call_command(
            "seed",
            "--scale",
            args.scale,
            "--today",
            args.as_of,
            "--plant-rate",
            "0.02",
            verbosity=0,
        )
    if args.follow_only:
        if not Finding.objects.exists():
            scan_run(as_of=as_of)
        print(json.dumps({"follow": follow_bench(as_of, args.follow)}, ensure_ascii=False))
        return
    # rules compared with hand-written SQL (those without one are listed, not timed)
    from dangjian.compliance.engine import REGISTRY

    compared = floor_ids(as_of)
    engine, t_engine = best_of(args.repeat, engine_run, as_of, compared)
    floor, t_floor = best_of(args.repeat, floor_run, as_of)
    mismatched = sorted(
        rid for rid in set(floor) | set(engine) if floor.get(rid) != engine.get(rid)
    )
    # the full scan from no findings, then a re-scan with nothing changed
    Reminder.objects.all().delete()
    Finding.objects.all().delete()
    first, t_first = timed(scan_run, as_of=as_of)
    statements: list[tuple[str, str]] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        words = sql.replace('"', " ").split()
        verb = words[0].upper() if words else ""
        table = next((w for w in words[1:4] if "_" in w), "") if verb in WRITES else ""
        statements.append((verb, table))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        second, t_second = timed(scan_run, as_of=as_of)
    # the run's own bookkeeping (its ScanRun row and progress, its audit event) is all a no-change
    # re-scan may write: no finding, roll-up or reminder row
    writes = [t for v, t in statements if v in WRITES]
    domain_writes = [t for t in writes if t not in ("compliance_scanrun", "audit_auditevent")]
    result = {
        "organizations": Organization.objects.count(),
        "findings": Finding.objects.filter(closed_on__isnull=True).count(),
        "rules_engine_s": round(t_engine, 3),
        "rules_floor_s": round(t_floor, 3),
        "ratio": round(t_engine / t_floor, 2) if t_floor else None,
        "same_findings": not mismatched,
        "mismatched": mismatched,
        "rules_compared": len(compared),
        "rules_without_floor": sorted(set(REGISTRY) - compared),
        "scan_full_s": round(t_first, 2),
        "opened": first.opened,
        "rescan_s": round(t_second, 2),
        "rescan_changes": second.opened + second.updated + second.closed,
        "rescan_write_statements": len(writes),
        "rescan_domain_writes": len(domain_writes),
        "rescan_written_tables": sorted(set(writes)),
        "follow": follow_bench(as_of, args.follow),
        "reminders": reminders_bench(as_of, args.reminders),
        "dashboard": dashboard(40),
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
