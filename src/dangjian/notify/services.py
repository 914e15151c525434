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

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dangjian.accounts.constants import Role
from dangjian.accounts.models import RoleGrant
from dangjian.audit.services import audit_record
from dangjian.compliance.models import Finding
from dangjian.core.errors import NotVisible

from .models import Reminder

ACTING_POSTS = ("secretary", "organization")
SERIOUS = ("high", "critical")


def _pairs(findings: Any) -> set[tuple[int, int, int, int]]:
    """(finding, user, organization, level) for every person who must act: a handful of queries
    (findings, grants, posts, members, upper staff) joined by organization in memory."""
    from dangjian.orgs.models import Organization, Post

    rows = list(findings.values_list("id", "organization_id", "organization__path", "severity", "member__user__id"))
    org_ids = {r[1] for r in rows}
    acting: dict[int, set[int]] = {}
    for oid, uid in RoleGrant.objects.filter(
        revoked_at__isnull=True, role__in=[Role.BRANCH_WORKER, Role.COMMITTEE_STAFF], user__is_active=True,
        organization_id__in=org_ids,
    ).values_list("organization_id", "user_id"):
        acting.setdefault(oid, set()).add(uid)
    for oid, uid in Post.objects.filter(
        ended_on__isnull=True, post__in=ACTING_POSTS, organization_id__in=org_ids,
        member__user__isnull=False, member__user__is_active=True,
    ).values_list("organization_id", "member__user__id"):
        acting.setdefault(oid, set()).add(uid)
    parents = {r[2][: -Organization.steplen] for r in rows if r[3] in SERIOUS and len(r[2]) > Organization.steplen}
    upper: dict[str, set[int]] = {}
    for path, uid in RoleGrant.objects.filter(
        revoked_at__isnull=True, role=Role.COMMITTEE_STAFF, user__is_active=True, organization__path__in=parents,
    ).values_list("organization__path", "user_id"):
        upper.setdefault(path, set()).add(uid)
    out: set[tuple[int, int, int, int]] = set()
    for fid, oid, path, severity, member_user in rows:
        for uid in acting.get(oid, ()):
            out.add((fid, uid, oid, 0))
        if member_user:
            out.add((fid, member_user, oid, 0))
        if severity in SERIOUS:
            for uid in upper.get(path[: -Organization.steplen], ()):
                out.add((fid, uid, oid, 1))
    return out


@transaction.atomic
def reminders_sync(as_of: date) -> dict[str, int]:
    """Create the missing reminders for open findings; close those whose finding has closed."""
    open_findings = Finding.objects.filter(closed_on__isnull=True)
    pairs = _pairs(open_findings)
    existing = set(Reminder.objects.filter(finding__closed_on__isnull=True).values_list("finding_id", "user_id"))
    new = [Reminder(finding_id=f, user_id=u, organization_id=o, level=lvl) for f, u, o, lvl in pairs if (f, u) not in existing]
    Reminder.objects.bulk_create(new, batch_size=5000, ignore_conflicts=True)
    closed = (Reminder.objects.filter(closed_on__isnull=True)
              .filter(finding__in=Finding.objects.filter(closed_on__isnull=False)).update(closed_on=as_of))
    return {"created": len(new), "closed": closed}


def inbox(user: Any) -> Any:
    return (Reminder.objects.filter(user=user).select_related("finding", "organization", "finding__member")
            .order_by(F("closed_on").asc(nulls_first=True), "read_at", "-finding__severity", "-id"))


def unread_count(user: Any) -> int:
    return Reminder.objects.filter(user=user, closed_on__isnull=True, read_at__isnull=True).count()


@transaction.atomic(durable=True)
def reminder_mark_read(*, user: Any, reminder_id: int) -> Reminder:
    """Mark one's own reminder read (anyone else's answers as missing)."""
    reminder = Reminder.objects.select_for_update().filter(pk=reminder_id, user=user).first()
    if reminder is None:
        raise NotVisible()
    if reminder.read_at is None:
        reminder.read_at = timezone.now()
        reminder.save(update_fields=["read_at"])
        audit_record(actor=user, action="notify.read", obj=reminder, organization=reminder.organization,
                     data={"finding": reminder.finding_id})
    return reminder

