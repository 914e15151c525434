"""城市党建学院 reads, scoped. A class is seen by the staff who see its organizer (the organizer's
own staff and those above) and, to nominate, by the staff of organizations under the organizer
(each sees only the enrolments of the people it nominated). Completed classes are the learning
rules' evidence of concentrated training (`completed_trainings`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import (
    Avg,
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.core.errors import NotVisible
from dangjian.orgs import selectors as org_selectors
from dangjian.orgs.models import Organization, Post

from .models import (
    Certificate,
    ClassSession,
    ClassStatus,
    Enrolment,
    EnrolmentStatus,
    Presence,
    Rating,
    SessionAttendance,
    Teacher,
    TrainingClass,
)

STEP = Organization.steplen


def completed_trainings() -> QuerySet[Enrolment]:
    """Members' completed classes as training evidence (learning.evidence): completion on the
    class's last day, its hours, the purpose of its kind."""
    return Enrolment.objects.filter(completed=True, member__isnull=False).annotate(
        ev_member=F("member_id"),
        ev_on=F("klass__ends_on"),
        ev_hours=F("klass__hours"),
        ev_purpose=F("klass__kind__purpose"),
    )


def ancestor_paths(paths: list[str]) -> list[str]:
    out: set[str] = set()
    for p in paths:
        out.update(p[:i] for i in range(STEP, len(p) + 1, STEP))
    return sorted(out)


def class_q(user: Any, action: str = "view") -> Q | None:
    """Classes whose organizer the user sees (manages) or that the user's organizations may
    nominate to (an organizer above them)."""
    mine = policy.path_q(user, action, "organizer__path")
    nominating = ancestor_paths(policy.roots(user, "change"))
    q = mine
    if nominating:
        q = (q or Q(pk__in=[])) | Q(organizer__path__in=nominating)
    return q


def classes_visible(user: Any) -> QuerySet[TrainingClass]:
    q = class_q(user)
    if q is None:
        return TrainingClass.objects.none()
    return TrainingClass.objects.filter(q)


def class_get(user: Any, pk: int) -> TrainingClass:
    k = (
        classes_visible(user)
        .select_related("kind", "organizer", "base", "paper")
        .filter(pk=pk)
        .first()
    )
    if k is None:
        raise NotVisible()
    return k


def manages(user: Any, k: TrainingClass, action: str = "change") -> bool:
    """The organizer's own staff (and those above it)."""
    return policy.can(user, action, k.organizer)


def enrolments_for(user: Any, k: TrainingClass) -> QuerySet[Enrolment]:
    """The organizer's staff see the whole roster; a nominating organization's staff only the
    people nominated from within their subtrees."""
    qs = k.enrolments.all()
    if manages(user, k, "view"):
        return qs
    q = policy.path_q(user, "view", "nominated_by__path")
    return qs.filter(q) if q is not None else qs.none()


def sessions_with_counts(k: TrainingClass) -> QuerySet[ClassSession]:
    present = (Presence.PRESENT, Presence.LATE, Presence.EARLY)
    return k.sessions.select_related("teacher", "outline").annotate(
        present=Count("attendance", filter=Q(attendance__status__in=present), distinct=True),
        on_leave=Count("attendance", filter=Q(attendance__status=Presence.LEAVE), distinct=True),
        rating=Avg("ratings__score"),
        pending_leaves=Count("leaves", filter=Q(leaves__status="requested"), distinct=True),
    )


def attended_hours_expr() -> Any:
    """The hours of the sessions a trainee attended (present, late or early; leave and absence
    do not count), as a subquery expression on Enrolment."""
    return Subquery(
        SessionAttendance.objects.filter(
            enrolment_id=OuterRef("pk"),
            status__in=(Presence.PRESENT, Presence.LATE, Presence.EARLY),
        )
        .order_by()
        .values("enrolment_id")
        .annotate(h=Sum("session__hours"))
        .values("h")[:1],
        output_field=DecimalField(),
    )


def attendance_pct_expr(k: TrainingClass) -> Any:
    """A trainee's attendance % of the class's session hours."""
    total = k.sessions.aggregate(h=Sum("hours"))["h"] or Decimal(0)
    if not total:
        return Value(None, output_field=FloatField())
    attended = Cast(attended_hours_expr(), FloatField())
    return Coalesce(attended, Value(0.0)) * Value(100.0) / Value(float(total))


def roster(k: TrainingClass) -> QuerySet[Enrolment]:
    """The accepted trainees with attendance so far and certificate — constant queries."""
    return (
        k.enrolments.filter(status=EnrolmentStatus.ACCEPTED)
        .select_related("member", "candidate", "nominated_by", "certificate")
        .annotate(live_pct=attendance_pct_expr(k))
        .order_by("nominated_by__path", "name", "pk")
    )


def status_counts(k: TrainingClass) -> dict[str, int]:
    rows = k.enrolments.values("status").annotate(n=Count("id"))
    return {r["status"]: r["n"] for r in rows}


def my_enrolments(member: Any = None, candidate_ids: list[int] | None = None) -> Any:
    q = Q(pk__in=[])
    if member is not None:
        q |= Q(member=member)
    if candidate_ids:
        q |= Q(candidate_id__in=candidate_ids)
    return (
        Enrolment.objects.filter(q)
        .exclude(status__in=(EnrolmentStatus.WITHDRAWN,))
        .select_related("klass__kind", "klass__organizer", "certificate")
        .order_by("-klass__starts_on")
    )


def certificate_by_token(token: str) -> Certificate | None:
    if not token or len(token) > 64:
        return None
    return (
        Certificate.objects.filter(token=token)
        .select_related("enrolment__klass__organizer", "enrolment__klass__kind")
        .first()
    )


def teachers_visible(user: Any, q: str = "") -> QuerySet[Teacher]:
    """The teacher pools of the user's organizations and those below (phones are shown masked)."""
    scope = policy.path_q(user, "view", "organization__path")
    if scope is None:
        return Teacher.objects.none()
    qs = Teacher.objects.filter(scope).select_related("organization")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(topics__icontains=q) | Q(unit__icontains=q))
    return qs


def teacher_ratings(org_q: Q | None = None, year: int | None = None) -> QuerySet[Any]:
    """Average rating and count per teacher (anonymous: no trainee named)."""
    qs = Rating.objects.filter(session__teacher__isnull=False)
    if org_q is not None:
        qs = qs.filter(org_q)
    if year is not None:
        qs = qs.filter(session__on__year=year)
    return (
        qs.values("session__teacher_id", "session__teacher__name", "session__teacher__unit")
        .annotate(avg=Avg("score"), n=Count("id"))
        .order_by("-avg", "session__teacher__name")
    )


def figures(user: Any, year: int, organizer: Organization | None = None) -> dict[str, Any]:
    """Per year (and organizer): classes and trainees by kind, completion rate, the branch
    secretaries of the subtree trained this year and the branches whose secretary was not."""
    classes = classes_visible(user).filter(starts_on__year=year)
    if organizer is not None:
        classes = classes.filter(organizer__path__under=organizer.path)
    by_kind: list[dict[str, Any]] = [
        dict(r)
        for r in classes.values("kind__name", "kind__order")
        .annotate(
            classes=Count("id", distinct=True),
            trainees=Count(
                "enrolments",
                filter=Q(enrolments__status=EnrolmentStatus.ACCEPTED),
                distinct=True,
            ),
            completed=Count("enrolments", filter=Q(enrolments__completed=True), distinct=True),
            assessed=Count(
                "enrolments", filter=Q(enrolments__completed__isnull=False), distinct=True
            ),
        )
        .order_by("kind__order")
    ]
    for r in by_kind:
        r["rate"] = round(100 * r["completed"] / r["assessed"], 1) if r["assessed"] else None
    totals = {
        k: sum(r[k] for r in by_kind) for k in ("classes", "trainees", "completed", "assessed")
    }
    totals["rate"] = (
        round(100 * totals["completed"] / totals["assessed"], 1) if totals["assessed"] else None
    )
    root = organizer
    scope = policy.path_q(user, "view", "organization__path")
    secretaries = Post.objects.filter(
        post="secretary",
        ended_on__isnull=True,
        organization__kind="branch",
        organization__is_active=True,
    )
    if root is not None:
        secretaries = secretaries.filter(organization__path__under=root.path)
    secretaries = secretaries.filter(scope) if scope is not None else secretaries.none()
    trained = Enrolment.objects.filter(
        member_id=OuterRef("member_id"),
        completed=True,
        klass__kind__purpose="secretary",
        klass__ends_on__year=year,
    )
    rows = secretaries.annotate(
        trained=Case(
            When(Exists(trained), then=Value(1)), default=Value(0), output_field=IntegerField()
        )
    )
    agg = rows.aggregate(n=Count("id"), t=Sum("trained"))
    gap = list(
        rows.filter(trained=0)
        .select_related("organization", "member")
        .order_by("organization__path")[:200]
    )
    return {
        "by_kind": by_kind,
        "totals": totals,
        "secretaries": agg["n"] or 0,
        "secretaries_trained": agg["t"] or 0,
        "secretary_share": round(100 * (agg["t"] or 0) / agg["n"], 1) if agg["n"] else None,
        "gap": gap,
        "ratings": list(teacher_ratings(Q(session__klass__in=classes.values("pk")), year)[:50]),
    }


def overlapping(person: Q, k: TrainingClass, today: date | None = None) -> QuerySet[Enrolment]:
    """The person's accepted enrolments in other classes whose dates overlap k's."""
    return Enrolment.objects.filter(
        person,
        status=EnrolmentStatus.ACCEPTED,
        klass__starts_on__lte=k.ends_on,
        klass__ends_on__gte=k.starts_on,
    ).exclude(klass=k)


def class_list(user: Any, params: Any) -> tuple[Any, dict[str, str]]:
    """The visible classes with the page's filters (the list and its export)."""
    f = {k: (params.get(k) or "").strip()[:30] for k in ("year", "kind", "status", "q", "mine")}
    qs = classes_visible(user).select_related("kind", "organizer")
    if f["year"].isdecimal() and len(f["year"]) == 4:
        qs = qs.filter(starts_on__year=int(f["year"]))
    if f["kind"]:
        qs = qs.filter(kind__code=f["kind"])
    if f["status"] in ClassStatus.values:
        qs = qs.filter(status=f["status"])
    if f["q"]:
        qs = qs.filter(Q(title__icontains=f["q"]) | Q(code__icontains=f["q"]))
    if f["mine"] == "1":
        q = policy.path_q(user, "view", "organizer__path")
        qs = qs.filter(q) if q is not None else qs.none()
    return (
        qs.annotate(
            accepted=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.ACCEPTED)),
            nominated=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.NOMINATED)),
        ).order_by("-starts_on", "-pk"),
        f,
    )


def figures_params(user: Any, params: Any) -> tuple[int, Organization | None]:
    today = timezone.localdate()
    raw = params.get("year", "")
    year = int(raw) if raw.isdecimal() and len(raw) == 4 else today.year
    org = None
    raw_org = params.get("org", "") or ""
    oid = int(raw_org) if raw_org.isdecimal() and len(raw_org) < 12 else None
    if oid:
        org = org_selectors.org_get(user, oid)
    return year, org
