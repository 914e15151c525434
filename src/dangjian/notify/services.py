"""Who must act on each open finding, resolved set-based from grants and posts; the inbox.

- the organization's own staff (branch workers and committee staff granted on it);
- the holders of its secretary and organization posts who have an account;
- the member concerned, for a finding about a member;
- for high and critical findings, the committee staff of the next organization up (level 1).
One reminder per (finding, person): re-running adds only what is new; a closed finding closes
its reminders, so nobody is reminded of what has been put right.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.accounts.constants import Role
from dangjian.accounts.models import RoleGrant
from dangjian.audit.services import audit_record
from dangjian.compliance.models import Finding
from dangjian.core.errors import NotVisible
from dangjian.orgs.models import Organization, Post
from dangjian.web.todo import forget_count

from .models import Notice, Reminder

ACTING_POSTS = ("secretary", "organization")
SERIOUS = ("high", "critical")


def _pairs(findings: Any, as_of: date | None = None) -> set[tuple[int, int, int, int]]:
    """(finding, user, organization, level) for every person who must act: a handful of queries
    (findings, grants, posts, upper staff) joined by organization in memory.

    Level 0 is the organization itself (and the member). A high or critical finding goes straight to
    level 1, the committee staff of the next organization up. A finding left open escalates one more
    level up every `escalate_days` days, up to `escalate_levels` levels above where it started.
    """

    as_of = as_of or timezone.localdate()
    cfg: dict[str, Any] = settings.NOTIFY
    step = Organization.steplen
    rows = list(
        findings.values_list(
            "id",
            "organization_id",
            "organization__path",
            "severity",
            "member__user__id",
            "opened_on",
        )
    )
    org_ids = {r[1] for r in rows}
    acting: dict[int, set[int]] = {}
    for oid, uid in RoleGrant.objects.filter(
        revoked_at__isnull=True,
        role__in=[Role.BRANCH_WORKER, Role.COMMITTEE_STAFF],
        user__is_active=True,
        organization_id__in=org_ids,
    ).values_list("organization_id", "user_id"):
        acting.setdefault(oid, set()).add(uid)
    for oid, uid in Post.objects.filter(
        ended_on__isnull=True,
        post__in=ACTING_POSTS,
        organization_id__in=org_ids,
        member__user__isnull=False,
        member__user__is_active=True,
    ).values_list("organization_id", "member__user__id"):
        acting.setdefault(oid, set()).add(uid)

    def levels(severity: str, opened_on: date) -> range:
        base = 1 if severity in SERIOUS else 0
        days = max(cfg["escalate_days"], 1)
        extra = min((as_of - opened_on).days // days, cfg["escalate_levels"])
        return range(max(base, 1), base + extra + 1)

    wanted: dict[int, list[tuple[int, str]]] = {}  # finding -> [(level, ancestor path)]
    for fid, _oid, path, severity, _mu, opened_on in rows:
        for lvl in levels(severity, opened_on):
            if len(path) > lvl * step:
                wanted.setdefault(fid, []).append((lvl, path[: -lvl * step]))
    upper: dict[str, set[int]] = {}
    ancestor_paths = {p for items in wanted.values() for _lvl, p in items}
    for path, uid in RoleGrant.objects.filter(
        revoked_at__isnull=True,
        role=Role.COMMITTEE_STAFF,
        user__is_active=True,
        organization__path__in=ancestor_paths,
    ).values_list("organization__path", "user_id"):
        upper.setdefault(path, set()).add(uid)
    best: dict[
        tuple[int, int], tuple[int, int]
    ] = {}  # (finding, user) -> (level, org); the lowest level wins
    for fid, oid, _path, _severity, member_user, _opened in rows:
        for uid in acting.get(oid, ()):
            best[(fid, uid)] = (0, oid)
        if member_user:
            best[(fid, member_user)] = (0, oid)
        for lvl, ancestor in wanted.get(fid, ()):
            for uid in upper.get(ancestor, ()):
                if (fid, uid) not in best or best[(fid, uid)][0] > lvl:
                    best[(fid, uid)] = (lvl, oid)
    return {(fid, uid, oid, lvl) for (fid, uid), (lvl, oid) in best.items()}


@transaction.atomic
def reminders_sync(as_of: date, *, paths: list[str] | None = None) -> dict[str, int]:
    """Create the missing reminders for open findings (including escalations that have come due);
    close those whose finding has closed. With `paths`, only findings in those subtrees (after
    an act re-evaluated them); the people concerned see their 待办 count afresh."""
    within, under = Q(), Q()
    for p in paths or []:
        within |= Q(finding__organization__path__under=p)
        under |= Q(organization__path__under=p)
    open_findings = Finding.objects.filter(under, closed_on__isnull=True)
    pairs = _pairs(open_findings, as_of)
    existing = set(
        Reminder.objects.filter(within, finding__closed_on__isnull=True).values_list(
            "finding_id", "user_id"
        )
    )
    new = [
        Reminder(finding_id=f, user_id=u, organization_id=o, level=lvl)
        for f, u, o, lvl in pairs
        if (f, u) not in existing
    ]
    Reminder.objects.bulk_create(new, batch_size=5000, ignore_conflicts=True)
    # read first, write only what changed: a re-scan with nothing new issues no write at all
    closing = Reminder.objects.filter(
        within, closed_on__isnull=True, finding__closed_on__isnull=False
    )
    to_close = list(closing.values_list("id", flat=True))
    for i in range(0, len(to_close), 5000):
        Reminder.objects.filter(id__in=to_close[i : i + 5000]).update(closed_on=as_of)
    if paths:
        users = {r.user_id for r in new} | set(
            Reminder.objects.filter(id__in=to_close).values_list("user_id", flat=True)
        )
        transaction.on_commit(lambda: forget_count(users))
    return {"created": len(new), "closed": len(to_close)}


def notice_send(*, users: Any, organization: Any, title: str, body: str, url: str, key: str) -> int:
    """Send a notice to people (in-app now, their channels in the next digest); once per person and
    key.
    Called inside the caller's transaction (e.g. publishing a meeting), which records the audit
    event."""

    user_ids = (
        list(users.values_list("id", flat=True)) if hasattr(users, "values_list") else list(users)
    )
    seen = set(
        Notice.objects.filter(key=key, user_id__in=user_ids).values_list("user_id", flat=True)
    )
    fresh = [
        Notice(
            user_id=uid,
            organization=organization,
            title=title[:100],
            body=body[:500],
            url=url[:200],
            key=key,
        )
        for uid in user_ids
        if uid not in seen
    ]
    Notice.objects.bulk_create(fresh, batch_size=2000)
    # their 待办 changed: the bell reads it afresh once the hand-over is committed
    transaction.on_commit(lambda: forget_count(user_ids))
    return len(fresh)


def handover_notice(
    *,
    organization: Any,
    title: str,
    body: str,
    url: str,
    key: str,
    users: Any = None,
    action: str = "change",
) -> int:
    """A hand-over: tell the people now responsible for the next step (by default those granted
    `action` on the nearest level at or above `organization`), in the caller's transaction."""
    if users is None:
        users = policy.responsible_for(action, organization)
    return notice_send(
        users=users, organization=organization, title=title, body=body, url=url, key=key
    )


def member_users(member_ids: Any) -> Any:
    """The active accounts of these members (their own, to tell them)."""
    return get_user_model().objects.filter(member_id__in=member_ids, is_active=True)


@transaction.atomic(durable=True)
def notice_mark_read(*, user: Any, notice_id: int) -> Any:

    notice = Notice.objects.select_for_update().filter(pk=notice_id, user=user).first()
    if notice is None:
        raise NotVisible()
    if notice.read_at is None:
        notice.read_at = timezone.now()
        notice.save(update_fields=["read_at"])
        audit_record(
            actor=user,
            action="notify.notice_read",
            obj=notice,
            organization=notice.organization,
            data={"key": notice.key},
        )
    return notice


@transaction.atomic(durable=True)
def reminder_mark_read(*, user: Any, reminder_id: int) -> Reminder:
    """Mark one's own reminder read (anyone else's answers as missing)."""
    reminder = Reminder.objects.select_for_update().filter(pk=reminder_id, user=user).first()
    if reminder is None:
        raise NotVisible()
    if reminder.read_at is None:
        reminder.read_at = timezone.now()
        reminder.save(update_fields=["read_at"])
        audit_record(
            actor=user,
            action="notify.read",
            obj=reminder,
            organization=reminder.organization,
            data={"finding": reminder.finding_id},
        )
    return reminder
