"""Reads of member records, already scoped to the caller, with personal-data reads logged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, CharField, Count, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.audit.services import audit_record
from dangjian.core import crypto, idnumber, pinyin
from dangjian.core.dates import add_months
from dangjian.core.errors import DomainError, NotVisible
from dangjian.core.lookups import batches
from dangjian.core.prepared import Prepared
from dangjian.orgs.models import Organization
from dangjian.orgs.selectors import org_get as org_get_scoped
from dangjian.orgs.selectors import subtree as org_subtree

from .constants import (
    ACTIVE_STATUSES,
    ETHNICITY_CHOICES,
    EXIT_STATUSES,
    ON_ROLL_STATUSES,
    Education,
    FeeCategory,
    Gender,
    MemberStatus,
)
from .models import Correction, CorrectionStatus, Member, MemberEvent

LARGE_SUBTREE_ORGS = 300


def member_ids(nos: Any) -> dict[str, int]:
    """Member ids by member number (a city's file names 250,000; see `core.lookups.batches`).

    Unscoped: the bulk paths (bundle import, batch lists already checked) resolve numbers here.
    """
    out: dict[str, int] = {}
    for batch in batches(sorted(set(nos))):
        out.update(Member.objects.filter(member_no__any=batch).values_list("member_no", "id"))
    return out


def prefix_q(field: str, value: str) -> Q:
    """`field` starts with `value`, in a form each database answers from an index.

    PostgreSQL uses LIKE 'x%' with a varchar_pattern_ops index; SQLite's LIKE is case-insensitive
    and never uses an ordinary index, so there the prefix becomes a range on the binary order.
    """

    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": value, f"{field}__lt": value + "\U0010ffff"})
    return Q(**{f"{field}__startswith": value})


SORTABLE = {
    "member_no": "member_no",
    "name": "name",
    "joined_on": "joined_on",
    "birth_date": "birth_date",
    "status": "status",
    "organization": "organization__name",
}


def member_by_no(member_no: str) -> Member | None:
    """Any member by number, unscoped: for the system admin linking an account to its member."""
    return Member.objects.filter(member_no=(member_no or "").strip()).first()


def members_brief(*, q: str = "", numbers: list[str] | None = None) -> list[dict[str, Any]]:
    """Any members, unscoped, as name, number and organization only (no personal data): the system
    admin's picker when linking an account. A search is the start of a name or of its pinyin
    initials, or a number."""
    qs = Member.objects.filter(status__in=ON_ROLL_STATUSES)
    if numbers is not None:
        qs = qs.filter(member_no__in=[n.strip() for n in numbers if n.strip()])
    elif q:
        cond = prefix_q("name", q) | Q(member_no=q)
        if pinyin.looks_like_initials(q):
            cond |= prefix_q("initials", q.lower())
        qs = qs.filter(cond)
    else:
        return []
    rows = qs.order_by("member_no").values("member_no", "name", "organization__name")[:20]
    return [dict(r) for r in rows]


def members_by_number(user: Any, org: Any, nos: list[str]) -> dict[str, Member]:
    """The members among `nos` in an organization's subtree that the user may change, by number."""
    return {
        m.member_no: m
        for m in member_queryset(user, "change")
        .filter(member_no__in=nos, organization__path__under=org.path)
        .select_related("organization")
    }


def active_members_in(user: Any, org: Any) -> QuerySet[Member]:
    """The full and probationary members of an organization's subtree the user may change."""
    return member_queryset(user, "change").filter(
        organization__path__under=org.path, status__in=ACTIVE_STATUSES
    )


def member_queryset(user: Any, action: str = "view") -> QuerySet[Member]:
    """Members within the user's subtrees: the base of every staff member read."""
    return policy.scope_filter(Member.objects.all(), user, action)


@dataclass(frozen=True)
class RosterFilters:
    """The roster's filters as the URL carries them (the list, its export and its print view read
    the same): 党籍状态, 性别, 年龄, 学历, 民族, 入党时间, 党费类别, and the search box."""

    status: str = ""
    fee_category: str = ""
    q: str = ""
    gender: str = ""
    age_min: int | None = None
    age_max: int | None = None
    education: str = ""
    ethnicity: str = ""
    joined_from: date | None = None
    joined_to: date | None = None
    include_exited: bool = False
    sort: str = "member_no"

    @classmethod
    def from_params(cls, params: Any) -> RosterFilters:
        def text(key: str, allowed: Any = None) -> str:
            v = (params.get(key) or "").strip()
            return v if allowed is None or v in allowed else ""

        def number(key: str) -> int | None:
            v = text(key)
            return int(v) if v.isdecimal() and int(v) <= 150 else None

        def day(key: str) -> date | None:
            try:
                return date.fromisoformat(text(key)) if text(key) else None
            except ValueError:
                return None

        return cls(
            status=text("status", MemberStatus.values),
            fee_category=text("fee_category", FeeCategory.values),
            q=text("q")[:50],
            gender=text("gender", Gender.values),
            age_min=number("age_min"),
            age_max=number("age_max"),
            education=text("education", Education.values),
            ethnicity=text("ethnicity", {e for e, _ in ETHNICITY_CHOICES}),
            joined_from=day("joined_from"),
            joined_to=day("joined_to"),
            include_exited=params.get("exited") == "1",
            sort=text("sort") or "member_no",
        )

    @property
    def narrowing(self) -> bool:
        """Anything but the sort order: the list's total must be counted."""
        return any(
            (
                self.status,
                self.fee_category,
                self.q,
                self.gender,
                self.age_min is not None,
                self.age_max is not None,
                self.education,
                self.ethnicity,
                self.joined_from,
                self.joined_to,
                self.include_exited,
            )
        )

    def described(self) -> list[tuple[str, str]]:
        """The filters in force, in Chinese (an export's header)."""
        ages = ""
        if self.age_min is not None or self.age_max is not None:
            ages = f"{self.age_min if self.age_min is not None else ''}～{self.age_max or ''}岁"
        joined = ""
        if self.joined_from or self.joined_to:
            joined = f"{self.joined_from or ''}～{self.joined_to or ''}"
        return [
            ("查找", self.q),
            ("党籍状态", dict(MemberStatus.choices).get(self.status, "")),
            ("性别", self.gender),
            ("年龄", ages),
            ("学历", dict(Education.choices).get(self.education, "")),
            ("民族", self.ethnicity),
            ("入党时间", joined),
            ("党费类别", dict(FeeCategory.choices).get(self.fee_category, "")),
            ("含已出党", "是" if self.include_exited else ""),
        ]

    def apply(self, qs: QuerySet[Member], today: date | None = None) -> QuerySet[Member]:
        """The filters other than status, category, search and sort (member_search does those)."""
        today = today or timezone.localdate()
        if self.gender:
            qs = qs.filter(gender=self.gender)
        if self.age_min is not None:  # at least that old today: born on or before this day
            qs = qs.filter(birth_date__lte=add_months(today, -12 * self.age_min))
        if self.age_max is not None:  # not yet (age_max + 1) today
            qs = qs.filter(birth_date__gt=add_months(today, -12 * (self.age_max + 1)))
        if self.education:
            qs = qs.filter(education=self.education)
        if self.ethnicity:
            qs = qs.filter(ethnicity=self.ethnicity)
        if self.joined_from:
            qs = qs.filter(joined_on__gte=self.joined_from)
        if self.joined_to:
            qs = qs.filter(joined_on__lte=self.joined_to)
        return qs


def org_param(user: Any, params: Any) -> Any:
    """The organization a list is narrowed to: `org` (its id, from a link) or `org_code` (from the
    picker); outside the user's scope, missing (404)."""
    raw, code = params.get("org", ""), (params.get("org_code") or "").strip()
    if raw.isdecimal():
        return org_get_scoped(user, int(raw))
    if code:
        org = policy.visible_to(user).filter(code=code).first()
        if org is None:
            raise NotVisible()
        return org
    return None


def roster(user: Any, organization: Any, f: RosterFilters) -> QuerySet[Member]:
    """The roster page, its export and its print view: `member_search` with every filter."""
    qs = member_search(
        user,
        organization=organization,
        status=f.status,
        fee_category=f.fee_category,
        q=f.q,
        sort=f.sort,
        include_exited=f.include_exited,
    )
    return f.apply(qs)


def member_search(
    user: Any,
    *,
    organization: Any = None,
    status: str = "",
    fee_category: str = "",
    q: str = "",
    sort: str = "member_no",
    include_exited: bool = False,
) -> QuerySet[Member]:
    """The member list: subtree filter, status, category, a search (the start of the name or of
    its pinyin initials, the member number, a full ID number or phone), sorting."""

    if organization is not None and policy.can(user, "view", organization):
        # The subtree is inside the scope: its own filter is the narrower (and only) one.
        orgs = org_subtree(organization)
    elif organization is not None:
        return Member.objects.none()
    else:
        orgs = policy.visible_to(user)
    ids = orgs.values("id")
    desc = sort.startswith("-")
    key = SORTABLE.get(sort.lstrip("-"), "member_no")
    q = (q or "").strip()
    qs: QuerySet[Member]
    if q or (key == "member_no" and orgs.count() > LARGE_SUBTREE_ORGS):
        # A search (name, number, ID, phone) is answered from its own index, and a large subtree
        # (a district, the city) by walking the member_no index in order, instead of reading the
        # whole subtree and sorting it for one page. `organization_id + 0` keeps the planner off
        # the organization index; the subtree is still enforced row by row.
        qs = Member.objects.alias(_org=F("organization_id") + Value(0)).filter(_org__in=ids)  # type: ignore[assignment]
    else:
        qs = Member.objects.filter(organization_id__in=ids)
    qs = qs.select_related("organization")
    if status:
        qs = qs.filter(status=status)
    elif not include_exited:
        qs = qs.filter(status__in=ON_ROLL_STATUSES)
    if fee_category:
        qs = qs.filter(fee_category=fee_category)
    if q:
        normalized = idnumber.normalize(q)
        if len(normalized) == 18 and idnumber.validate(normalized) is None:
            qs = qs.filter(id_number_index=crypto.blind_index(normalized))
        elif len(q) == 11 and q.isdecimal():
            qs = qs.filter(phone_index=crypto.blind_index(q))
        elif pinyin.looks_like_initials(q):
            qs = qs.filter(prefix_q("name", q) | Q(member_no=q) | prefix_q("initials", q.lower()))
        else:
            qs = qs.filter(prefix_q("name", q) | Q(member_no=q))
    order = f"-{key}" if desc else key
    if key == "member_no":  # unique: no tie-break, so the unique index gives the order
        return qs.order_by(order)
    return qs.order_by(order, "-id" if desc else "id")


def member_count_on_roll(user: Any, organization: Any = None) -> int:
    """How many members are on the roll of a subtree (or the user's whole scope), from the
    organizations' counters: the unfiltered list's total without counting member rows."""

    if organization is not None:
        orgs = org_subtree(organization)
    else:
        orgs = policy.visible_to(user)
    return orgs.aggregate(
        n=Coalesce(Sum(F("members_full") + F("members_probationary") + F("members_suspended")), 0)
    )["n"]


def member_get(user: Any, pk: int, action: str = "view") -> Member:
    """One member in scope, or NotVisible (404) — the same whether missing or out of scope."""
    member = member_queryset(user, action).select_related("organization").filter(pk=pk).first()
    if member is None:
        raise NotVisible()
    return member


def member_events(member: Member) -> QuerySet[MemberEvent]:
    return member.events.select_related("organization", "actor").order_by("-on", "-id")


@transaction.atomic
def member_log_view(user: Any, member: Member, *, via: str = "web") -> None:
    """查询留痕: a staff read of a member's personal page is logged."""
    audit_record(actor=user, action="members.view", obj=member, data={"via": via})


def member_unmask(user: Any, member: Member, field: str) -> str:
    """The clear ID number or phone, for a viewer holding the unmask permission; audited.

    A refused attempt is audited too (its own transaction, committed before the refusal).
    """
    if field not in {"id_number", "phone"}:
        raise DomainError("invalid", "只能查看身份证号或手机号", field="field")
    allowed = policy.can_unmask(user, member.organization)
    with transaction.atomic():
        audit_record(
            actor=user,
            action="members.unmask",
            obj=member,
            result="success" if allowed else "denied",
            data={"field": field},
        )
    if not allowed:
        raise DomainError("forbidden", "您没有查看完整敏感信息的权限")
    return member.id_number() if field == "id_number" else member.phone()


def is_exited(member: Member) -> bool:
    return member.status in EXIT_STATUSES


# a member's own record and its organization: read on every member page, compiled once
_OWN = Prepared(lambda pk: Member.objects.filter(pk=pk).select_related("organization"), int)


def own_member(user: Any) -> Member:
    """A member account's own record (the only member record it can see), with its
    organization."""
    if not getattr(user, "member_id", None):
        raise NotVisible()
    found = _OWN.instances_joined(Member, "organization", Organization, user.member_id)
    if not found:
        raise Member.DoesNotExist("Member matching query does not exist.")
    return found[0]


ACCOUNT_STATES = {
    "none": "未创建",
    "pending": "待激活",
    "open": "已开通",
    "disabled": "已停用",
}


def _account_state() -> Case:
    return Case(
        When(user__isnull=True, then=Value("none")),
        When(user__is_active=False, then=Value("disabled")),
        When(user__password__startswith="!", then=Value("pending")),  # noqa: S106 - unusable
        default=Value("open"),
        output_field=CharField(),
    )


def accounts_of(org: Any, *, state: str = "", q: str = "") -> QuerySet[Member]:
    """The members on the roll of an organization's subtree with their sign-in account's state
    (未创建 / 待激活 / 已开通 / 已停用), by member number."""
    qs = (
        Member.objects.filter(organization__path__under=org.path, status__in=ON_ROLL_STATUSES)
        .select_related("organization", "user")
        .annotate(account=_account_state())
        .order_by("organization__path", "member_no")
    )
    if state in ACCOUNT_STATES:
        qs = qs.filter(account=state)
    if q:
        qs = qs.filter(Q(name__startswith=q) | Q(member_no=q))
    return qs


def account_counts(org: Any, *, direct: bool = False) -> dict[str, int]:
    """How many members on the roll (of the subtree, or of the organization itself) have an
    open account, one waiting for activation, none, or a disabled one (one query)."""
    base = Member.objects.filter(status__in=ON_ROLL_STATUSES)
    base = (
        base.filter(organization=org) if direct else base.filter(organization__path__under=org.path)
    )
    row = base.annotate(account=_account_state()).aggregate(
        total=Count("pk"),
        **{k: Count("pk", filter=Q(account=k)) for k in ACCOUNT_STATES},
    )
    return {k: int(v or 0) for k, v in row.items()}


def member_corrections(member: Member) -> list[Correction]:
    """A member's correction requests, the pending ones first (the member's page)."""
    return sorted(
        Correction.objects.filter(member=member).order_by("-requested_at")[:20],
        key=lambda c: c.status != CorrectionStatus.PENDING,
    )


def correction_get(member: Member, pk: int) -> Correction:
    c = Correction.objects.filter(member=member, pk=pk).first()
    if c is None:
        raise NotVisible()
    return c


def own_corrections(member: Member) -> QuerySet[Correction]:
    return Correction.objects.filter(member=member).order_by("-requested_at")[:20]
