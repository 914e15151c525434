"""core.prepared: a read compiled once gives what the ORM gives, in one query, and refuses a build
whose arguments would not reach the SQL as parameters."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.accounts.models import RoleGrant, User
from dangjian.compliance.models import RuleSetting
from dangjian.compliance.packs import rule_params, rules_params
from dangjian.core.prepared import Prepared
from dangjian.members.models import Member
from dangjian.orgs.models import Organization, Post
from tests.conftest import make_user

GRANTS = Prepared(
    lambda user_id: (
        RoleGrant.objects.filter(user_id=user_id, revoked_at__isnull=True)
        .order_by("pk")
        .values_list("role", "organization__path", "can_unmask", "created_at")
    ),
    int,
)


def test_rows_are_the_orm_values_converted_alike(users: dict[str, User]) -> None:
    for user in users.values():
        expected = list(
            RoleGrant.objects.filter(user_id=user.pk, revoked_at__isnull=True)
            .order_by("pk")
            .values_list("role", "organization__path", "can_unmask", "created_at")
        )
        got = GRANTS.rows(user.pk)
        assert got == [tuple(r) for r in expected]
        for row in got:
            assert isinstance(row[2], bool)  # 0/1 on SQLite without the ORM's converters


def test_one_query_per_call(users: dict[str, User]) -> None:
    GRANTS.rows(users["branch_worker"].pk)
    with CaptureQueriesContext(connection) as q:
        GRANTS.rows(users["committee_staff"].pk)
        GRANTS.rows(users["member"].pk)
    assert len(q) == 2


def test_instances_are_the_models_as_read(users: dict[str, User]) -> None:
    read = Prepared(lambda pk: User.objects.filter(pk=pk), int)
    u = users["committee_staff"]
    (got,) = read.instances(User, u.pk)
    fresh = User.objects.get(pk=u.pk)
    for f in User._meta.concrete_fields:
        assert getattr(got, f.attname) == getattr(fresh, f.attname), f.name
    assert got._state.adding is False
    assert read.instances(User, 0) == []
    with pytest.raises(ValueError, match="whole rows"):
        GRANTS.instances(RoleGrant, u.pk)


def test_instances_joined_are_the_models_and_their_related_one_in_one_query(tree: Any) -> None:
    read = Prepared(lambda pk: Member.objects.filter(pk=pk).select_related("organization"), int)
    for m in tree.members.values():
        read.instances_joined(Member, "organization", Organization, m.pk)  # compiled
        with CaptureQueriesContext(connection) as q:
            (got,) = read.instances_joined(Member, "organization", Organization, m.pk)
            for f in Organization._meta.concrete_fields:
                getattr(got.organization, f.attname)
        assert len(q) == 1
        fresh = Member.objects.select_related("organization").get(pk=m.pk)
        for f in Member._meta.concrete_fields:
            assert getattr(got, f.attname) == getattr(fresh, f.attname), f.name
        for f in Organization._meta.concrete_fields:
            assert getattr(got.organization, f.attname) == getattr(fresh.organization, f.attname)
        assert got.organization._state.adding is False
    assert read.instances_joined(Member, "organization", Organization, 0) == []
    with pytest.raises(ValueError, match="whole rows"):
        read.instances(Member, tree.members["A1-1"].pk)


def test_instances_related_attach_each_join_in_one_query(tree: Any) -> None:
    """Two foreign keys of the model, in the order of its fields: each related one attached."""
    members = list(tree.members.values())[:3]
    orgs = list(Organization.objects.order_by("path")[:2])
    for n, m in enumerate(members):
        for org in orgs:
            Post.objects.create(
                organization=org, member=m, post="discipline" if n else "group_leader"
            )
    read = Prepared(
        lambda member_id: Post.objects.filter(member_id=member_id).select_related(
            "organization", "member"
        ),
        int,
    )
    joins = (("organization", Organization), ("member", Member))
    for m in members:
        read.instances_related(Post, joins, m.pk)  # compiled
        with CaptureQueriesContext(connection) as q:
            got = read.instances_related(Post, joins, m.pk)
            seen = [(p.pk, p.organization.path, p.member.name) for p in got]
        assert len(q) == 1
        orm = Post.objects.filter(member_id=m.pk).select_related("organization", "member")
        assert seen == [(p.pk, p.organization.path, p.member.name) for p in orm]
        assert len(seen) >= 2
    with pytest.raises(ValueError, match="whole rows"):
        read.instances_related(Post, (("organization", Organization),), members[0].pk)


def test_instances_related_with_annotations(tree: Any) -> None:
    """Annotations come between the model's columns and the related ones, as the ORM reads them."""
    from django.db.models import Count, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    posts = (
        Post.objects.filter(organization_id=OuterRef("organization_id"))
        .values("organization_id")
        .annotate(c=Count("id"))
        .values("c")
    )
    read = Prepared(
        lambda kind: (
            Member.objects.filter(organization__kind=kind)
            .select_related("organization")
            .annotate(n_posts=Coalesce(Subquery(posts), 0))
            .order_by("pk")
        ),
        str,
    )
    got = read.instances_related(
        Member, (("organization", Organization),), "branch", extra=("n_posts",)
    )
    orm = (
        Member.objects.filter(organization__kind="branch")
        .select_related("organization")
        .annotate(n_posts=Coalesce(Subquery(posts), 0))
        .order_by("pk")
    )
    seen = [(m.pk, m.name, m.n_posts, m.organization.path) for m in got]
    assert seen == [(m.pk, m.name, m.n_posts, m.organization.path) for m in orm]
    assert any(m.n_posts for m in got)
    with pytest.raises(ValueError, match="whole rows"):
        read.instances_related(Member, (("organization", Organization),), "branch")


def test_instances_with_their_annotations(tree: Any) -> None:
    """`extra` names the read's annotations: each instance carries them as the queryset's do."""
    from django.db.models import Count

    read = Prepared(
        lambda kind: (
            Organization.objects.filter(kind=kind).annotate(n=Count("members")).order_by("path")
        ),
        str,
    )
    got = read.instances(Organization, "branch", extra=("n",))
    orm = list(
        Organization.objects.filter(kind="branch").annotate(n=Count("members")).order_by("path")
    )
    assert [(o.pk, o.name, o.n) for o in got] == [(o.pk, o.name, o.n) for o in orm]
    assert any(o.n for o in got)
    with pytest.raises(ValueError, match="whole rows"):
        read.instances(Organization, "branch")


def test_text_and_json(db: Any) -> None:
    RuleSetting.objects.create(rule_id="EDU-01", params={"hours": 40, "note": "市委规定"})
    read = Prepared(
        lambda rule_id: RuleSetting.objects.filter(rule_id=rule_id).values_list("params"), str
    )
    assert read.rows("EDU-01") == [({"hours": 40, "note": "市委规定"},)]
    assert read.rows("EDU-02") == []


def test_dates_as_arguments(tree: Any) -> None:
    """A date argument works on both databases (SQLite receives it as ISO text), and the same
    argument may be used in several lookups."""
    read = Prepared(
        lambda member_id, day: (
            Post.objects.filter(member_id=member_id, started_on__lte=day, post="secretary")
            .exclude(ended_on__lt=day)
            .values_list("organization__code", "started_on")
        ),
        int,
        date,
    )
    m = tree.members["A1-1"]
    assert read.rows(m.pk, date(2021, 6, 1)) == [("A1", date(2020, 1, 1))]
    assert read.rows(m.pk, date(2019, 6, 1)) == []
    with pytest.raises(TypeError):
        read.rows(m.pk, "2021-06-01")


def test_a_value_computed_from_an_argument_is_refused(tree: Any) -> None:
    """`day + 7` inside the build would be kept as a constant: refused when first run."""
    read = Prepared(
        lambda member_id, day: Post.objects.filter(
            member_id=member_id, started_on__lte=day + timedelta(days=7)
        ),
        int,
        date,
    )
    with pytest.raises(ValueError, match="computed from an argument"):
        read.rows(1, date(2021, 6, 1))
    shifted = Prepared(lambda member_id: Member.objects.filter(pk=member_id + 1), int)
    with pytest.raises(ValueError):
        shifted.rows(1)


def test_an_argument_that_is_not_a_parameter_is_refused(db: Any) -> None:
    unused = Prepared(lambda member_id: Member.objects.filter(status="full"), int)
    with pytest.raises(ValueError, match="not parameters"):
        unused.rows(1)
    with pytest.raises(TypeError):
        Prepared(lambda x: Member.objects.filter(pk=x), float)
    with pytest.raises(TypeError):
        GRANTS.rows(True)


def test_the_session_and_the_user_are_read_by_prepared_reads(client: Any, tree: Any) -> None:
    """A signed-in member's page: the session, the user, the grants and the bell cost one query
    each, and a session past its expiry is not accepted."""
    from django.utils import timezone

    from dangjian.accounts.models import Session

    user = make_user("m_prepared", member=tree.members["A1-2"])
    client.force_login(user, backend="dangjian.accounts.backends.ModelBackend")
    assert client.get("/me/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    r = client.get("/me/")
    assert r.status_code == 302
    assert "/accounts/login/" in r["Location"]


def test_a_year_in_a_small_integer_column_and_an_aggregate(tree: Any) -> None:
    """An argument compared with a small integer column (Django answers a value outside the
    column's range without asking the database), and integers PostgreSQL's backend wraps
    (Int4) — both reach the SQL as the arguments given."""
    from dangjian.academy.models import ClassKind as Kind

    read = Prepared(
        lambda low, high: (
            Kind.objects.filter(order__gte=low, order__lte=high)
            .order_by("order", "pk")
            .values_list("name", "order")
        ),
        int,
        int,
    )
    expected = list(
        Kind.objects.filter(order__gte=10, order__lte=200)
        .order_by("order", "pk")
        .values_list("name", "order")
    )
    assert read.rows(10, 200) == [tuple(r) for r in expected]
    assert read.rows(30_000, 30_001) == []

    from django.db.models import Count, Sum

    from dangjian.fees.models import FeeMonth

    owed = Prepared(
        lambda member_id, upto: (
            FeeMonth.objects.filter(member_id=member_id, month_index__lte=upto)
            .values("member_id")
            .annotate(n=Count("id"), due=Sum("due_fen"))
            .order_by()
            .values_list("n", "due")
        ),
        int,
        int,
    )
    m = tree.members["A1-1"]
    assert owed.rows(m.pk, 10**6) == [
        tuple(r)
        for r in FeeMonth.objects.filter(member_id=m.pk, month_index__lte=10**6)
        .values("member_id")
        .annotate(n=Count("id"), due=Sum("due_fen"))
        .order_by()
        .values_list("n", "due")
    ]


def test_values_of_the_first_build_are_never_kept(tree: Any) -> None:
    """Built twice with different placeholders: the time of the first build, a value computed from
    an argument, or a date compared with a date-time column are refused; a constant that happens
    to equal a placeholder stays a constant."""
    from django.utils import timezone

    from dangjian.members.models import Member as M

    now_inside = Prepared(
        lambda member_id: RoleGrant.objects.filter(
            user_id=member_id, created_at__lte=timezone.now()
        ),
        int,
    )
    with pytest.raises(ValueError, match="computed from an argument"):
        now_inside.rows(1)
    months = Prepared(lambda year: M.objects.filter(pk__gte=year * 12), int)
    with pytest.raises(ValueError, match="computed from an argument"):
        months.rows(2026)
    same_number = Prepared(
        lambda member_id: M.objects.filter(pk=member_id).exclude(pk=32_101).values_list("pk"), int
    )
    m = tree.members["A1-1"]
    assert same_number.rows(m.pk) == [(m.pk,)]


def test_several_rules_settings_in_one_read_are_each_rules_own(db: Any) -> None:
    RuleSetting.objects.create(rule_id="EDU-02", params={"hours": 60})
    rules_params("EDU-01", "EDU-02")  # compiled
    with CaptureQueriesContext(connection) as q:
        got = rules_params("EDU-01", "EDU-02")
    assert len(q) == 1
    assert got == [rule_params("EDU-01"), rule_params("EDU-02")]
    assert got[1]["hours"] == 60
    assert got[0]["hours"] == 32  # the pack's default: no setting
    many = [f"EDU-0{i}" for i in range(10)]  # more than the compiled reads take
    assert rules_params(*many) == [rule_params(r) for r in many]
