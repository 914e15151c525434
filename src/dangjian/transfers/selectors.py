"""Reads of 组织关系转接, scoped to the user: the letters of a subtree (going out, coming in,
letters
from outside), mobile and lost-contact members, one letter with what the viewer may do next; the
member's own transfers; the approving committee of an organization."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.core.errors import NotVisible
from dangjian.members.models import Member
from dangjian.orgs.models import Organization

from .models import (
    ExchangeKey,
    IncomingLetter,
    IncomingStatus,
    LostContact,
    LostStatus,
    MobileMember,
    Stage,
    Transfer,
    TransferStatus,
    TrustedKey,
)

SORTS = {
    "issued": "issued_on",
    "started": "started_on",
    "member": "member__member_no",
    "status": "status",
}


def committees_of(orgs: Any) -> dict[int, Any]:
    """The nearest committee above (or at) each organization, in one query for all of them: the
    committees among their ancestors' paths, the longest prefix winning."""
    orgs = list(orgs)
    if not orgs:
        return {}
    step = orgs[0].steplen
    prefixes = {o.path[:i] for o in orgs for i in range(step, len(o.path) + 1, step)}
    found = {c.path: c for c in type(orgs[0]).objects.filter(path__in=prefixes, kind="committee")}
    out = {}
    for o in orgs:
        out[o.pk] = next(
            (found[o.path[:i]] for i in range(len(o.path), 0, -step) if o.path[:i] in found), None
        )
    return out


def committee_of(org: Any) -> Any:
    """The nearest committee above (or at) an organization: it approves transfers for its
    branches."""
    return committees_of([org])[org.pk]


def expires_on(t: Transfer) -> date | None:
    """The last day the letter is valid (None before it is issued)."""
    return t.expires_on


def change_branches(user: Any, within: Any = None) -> QuerySet[Organization]:
    """The active branches the user may change (where letters are received, mobile members kept),
    in `within`'s subtree when given."""
    qs = policy.visible_to(user, "change").filter(kind="branch", is_active=True)
    if within is not None:
        qs = qs.filter(path__under=within.path)
    return qs.order_by("path")


def change_branch_get(user: Any, within: Any, pk: Any) -> Organization | None:
    """One of those branches by id (None when it is not one)."""
    if not str(pk or "").isdecimal():
        return None
    return change_branches(user, within).filter(pk=int(pk)).first()


def branch_find(text: str) -> tuple[list[Organization], list[tuple[str, str]]]:
    """A receiving branch anywhere in the deployment by exact code or full name (up to 6), and, when
    none matches, up to 5 (name, code) of branches whose name contains the text."""
    branches = Organization.objects.filter(kind="branch", is_active=True)
    found = list(branches.filter(Q(code=text) | Q(name=text)).order_by("path")[:6])
    near: list[tuple[str, str]] = []
    if not found:
        near = list(
            branches.filter(name__contains=text).order_by("path").values_list("name", "code")[:5]
        )
    return found, near


def transfers_of(
    org: Any, *, side: str, status: str = "", q: str = "", sort: str = "-issued"
) -> QuerySet[Transfer]:
    """Letters going out of (side "out") or coming into ("in") an organization's subtree."""
    field = "from_org" if side == "out" else "to_org"
    qs = Transfer.objects.filter(**{f"{field}__path__under": org.path}).select_related(
        "member", "from_org", "to_org"
    )
    if status in TransferStatus.values:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(Q(member__name__startswith=q) | Q(member__member_no=q) | Q(letter_no=q))
    order = SORTS.get(sort.lstrip("-"), "issued_on")
    return qs.order_by(("-" if sort.startswith("-") else "") + order, "-id")


def incoming_of(org: Any, *, status: str = "") -> QuerySet[IncomingLetter]:
    """Letters from outside the deployment to the subtree ("open": those waiting to be accepted)."""
    qs = IncomingLetter.objects.filter(to_org__path__under=org.path).select_related("to_org")
    if status in IncomingStatus.values:
        qs = qs.filter(status=status)
    elif status == "open":
        qs = qs.filter(status=IncomingStatus.PENDING)
    return qs.order_by("-issued_on", "-id")


def mobile_of(org: Any, *, direction: str, status: str = "") -> QuerySet[MobileMember]:
    """Mobile members of the subtree with the date of their last report ("open": not ended)."""
    qs = (
        MobileMember.objects.filter(organization__path__under=org.path, direction=direction)
        .select_related("organization", "member")
        .annotate(last_report=Max("reports__on"))
    )
    if status == "open":
        qs = qs.filter(ended_on__isnull=True)
    return qs.order_by("-since", "-id")


def lost_of(org: Any, *, status: str = "") -> QuerySet[LostContact]:
    """Lost-contact records of the subtree ("open": not yet found, restored or removed)."""
    qs = LostContact.objects.filter(organization__path__under=org.path).select_related(
        "member", "organization"
    )
    if status == "open":
        qs = qs.filter(status__in=[LostStatus.OPEN, LostStatus.SUSPENDED])
    return qs.order_by("since", "id")


def transfer_get(user: Any, pk: int) -> Transfer:
    """A letter the user may see: its sending or its receiving organization is in their scope."""
    t = Transfer.objects.select_related("member", "from_org", "to_org").filter(pk=pk).first()
    if t is None or not (
        policy.can(user, "view", t.from_org) or (t.to_org and policy.can(user, "view", t.to_org))
    ):
        raise NotVisible("未找到该转接，或不在您的管理范围内")
    return t


def may_print_letter(user: Any, t: Transfer) -> bool:
    """The letter carries the member's full ID number, as the regulation's form requires: only one
    who may see it in full (unmask on the sending or the receiving side) generates it."""
    return policy.can_unmask(user, t.from_org) or (
        t.to_org is not None and policy.can_unmask(user, t.to_org)
    )


def abilities(user: Any, t: Transfer) -> dict[str, bool]:
    """What the viewer may do next with a letter (the services decide; this only hides buttons
    that would be refused)."""
    if t.status != TransferStatus.OPEN:
        return {}
    sending = policy.can(user, "change", committee_of(t.from_org))
    receiving = t.to_org is not None and policy.can(user, "change", committee_of(t.to_org))
    end = expires_on(t)
    expired = end is not None and timezone.localdate() > end
    return {
        "issue": sending and t.stage == Stage.STARTED,
        "agree": receiving and t.stage == Stage.ISSUED and not expired,
        "accept": t.to_org is not None
        and policy.can(user, "change", t.to_org)
        and t.stage == Stage.RECEIVING_APPROVED
        and not expired,
        "receipt": t.to_org is None and sending and t.stage == Stage.ISSUED and not expired,
        "reject": sending
        or receiving
        or (t.to_org is not None and policy.can(user, "change", t.to_org)),
        "cancel": policy.can(user, "change", t.from_org),
        "expire": sending and expired,
        "sign": t.to_org is None and sending and t.stage == Stage.ISSUED and not t.token,
    }


def has_signing_key() -> bool:
    return ExchangeKey.objects.filter(active=True).exists()


def member_transfers(member: Member, limit: int = 10) -> list[Transfer]:
    """The member's own letters, newest first."""
    return list(
        Transfer.objects.filter(member=member)
        .select_related("from_org", "to_org")
        .order_by("-id")[:limit]
    )


def incoming_get(user: Any, pk: int) -> IncomingLetter:
    lt = IncomingLetter.objects.select_related("to_org", "member").filter(pk=pk).first()
    if lt is None or not policy.can(user, "view", lt.to_org):
        raise NotVisible("未找到该介绍信，或不在您的管理范围内")
    return lt


def mobile_get(user: Any, pk: int) -> MobileMember:
    mm = MobileMember.objects.select_related("organization", "member").filter(pk=pk).first()
    if mm is None or not policy.can(user, "view", mm.organization):
        raise NotVisible("未找到该流动党员")
    return mm


def mobile_reports(mm: MobileMember) -> list[Any]:
    return list(mm.reports.all())


def lost_get(user: Any, pk: int) -> LostContact:
    lc = LostContact.objects.select_related("organization", "member").filter(pk=pk).first()
    if lc is None or not policy.can(user, "view", lc.organization):
        raise NotVisible("未找到该记录")
    return lc


def own_keys() -> list[ExchangeKey]:
    return list(ExchangeKey.objects.order_by("-active", "-created_at"))


def trusted_keys() -> list[TrustedKey]:
    return list(TrustedKey.objects.order_by("deployment", "-created_at"))


def trusted_key_get(pk: Any) -> TrustedKey:
    key = TrustedKey.objects.filter(pk=pk or 0).first() if str(pk or "").isdecimal() else None
    if key is None:
        raise NotVisible("未找到该公钥")
    return key
