"""Shared fixtures: a small tree (two districts, branches, a group), one user per role, helpers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice

from dangjian.accounts import services as account_services
from dangjian.accounts.constants import Role
from dangjian.accounts.models import User
from dangjian.core import idnumber
from dangjian.members.services import MemberData, member_create
from dangjian.orgs.services import org_create, post_assign, term_create

PASSWORD = "Test-Passw0rd!"


def make_id(n: int, born: date = date(1980, 5, 17), male: bool = True) -> str:
    seq = (n * 2 + (1 if male else 0)) % 1000
    return idnumber.make("350203", born, seq)


def member_data(n: int, **over: Any) -> MemberData:
    born = over.pop("birth_date", date(1980, 5, 17))
    male = over.pop("male", True)
    data = MemberData(
        name=over.pop("name", f"党员{n}"),
        gender="男" if male else "女",
        birth_date=born,
        id_number=over.pop("id_number", make_id(n, born, male)),
        phone=over.pop("phone", f"1380000{n:04d}"),
        status=over.pop("status", "full"),
        joined_on=over.pop("joined_on", date(2005, 7, 1)),
        full_on=over.pop("full_on", date(2006, 7, 1)),
        fee_category=over.pop("fee_category", "employed"),
        fee_base_fen=over.pop("fee_base_fen", 600000),
    )
    for k, v in over.items():
        setattr(data, k, v)
    return data


@dataclass
class Tree:
    city: Any
    district_a: Any
    district_b: Any
    branch_a1: Any
    branch_a2: Any
    group_a1: Any
    branch_b1: Any
    members: dict[str, Any]


@pytest.fixture
def tree(db: Any) -> Tree:
    d = date(2000, 1, 1)
    city = org_create(
        actor=None,
        parent=None,
        code="C",
        name="中共示范市委员会",
        kind="committee",
        category="organ",
        established_on=d,
    )
    da = org_create(
        actor=None,
        parent=city,
        code="DA",
        name="中共甲区委员会",
        kind="committee",
        category="organ",
        established_on=d,
    )
    dbb = org_create(
        actor=None,
        parent=city,
        code="DB",
        name="中共乙区委员会",
        kind="committee",
        category="organ",
        established_on=d,
    )
    a1 = org_create(
        actor=None,
        parent=da,
        code="A1",
        name="甲一党支部",
        kind="branch",
        category="community",
        established_on=d,
    )
    a2 = org_create(
        actor=None,
        parent=da,
        code="A2",
        name="甲二党支部",
        kind="branch",
        category="private",
        established_on=d,
    )
    g1 = org_create(
        actor=None,
        parent=a1,
        code="A1G1",
        name="甲一第一党小组",
        kind="group",
        category="community",
        established_on=d,
    )
    b1 = org_create(
        actor=None,
        parent=dbb,
        code="B1",
        name="乙一党支部",
        kind="branch",
        category="village",
        established_on=d,
    )
    members = {}
    n = 0
    for org, count in ((a1, 4), (a2, 3), (b1, 3)):
        for _ in range(count):
            n += 1
            members[f"{org.code}-{n}"] = member_create(
                actor=None, organization=org, member_no=f"M{n:04d}", data=member_data(n)
            )
    post_assign(
        actor=None,
        organization=a1,
        member=members["A1-1"],
        post="secretary",
        started_on=date(2020, 1, 1),
    )
    term_create(actor=None, organization=a1, elected_on=date(2024, 3, 1), term_years=3)
    for o in (city, da, dbb, a1, a2, g1, b1):
        o.refresh_from_db()
    return Tree(city, da, dbb, a1, a2, g1, b1, members)


def make_user(
    username: str,
    role: str | None = None,
    org: Any = None,
    *,
    can_unmask: bool = False,
    member: Any = None,
) -> User:
    user, _ = account_services.user_create(
        actor=None,
        username=username,
        display_name=username,
        member=member,
        password=PASSWORD,
        must_change_password=False,
    )
    if role:
        account_services.grant_create(
            actor=None, user=user, role=role, organization=org, can_unmask=can_unmask
        )
    return user


@pytest.fixture
def users(tree: Tree) -> dict[str, User]:
    return {
        "member": make_user("member1", member=tree.members["A1-2"]),
        "branch_worker": make_user("worker_a1", Role.BRANCH_WORKER, tree.branch_a1),
        "committee_staff": make_user(
            "staff_da", Role.COMMITTEE_STAFF, tree.district_a, can_unmask=True
        ),
        "supervisor": make_user("super_city", Role.SUPERVISOR, tree.city),
        "sibling_staff": make_user(
            "staff_db", Role.COMMITTEE_STAFF, tree.district_b, can_unmask=True
        ),
        "system_admin": make_user("sysadmin", Role.SYSTEM_ADMIN),
        "security_admin": make_user("secadmin", Role.SECURITY_ADMIN),
        "audit_admin": make_user("auditadmin", Role.AUDIT_ADMIN),
        "no_grant": make_user("nobody"),
    }


def login(client: Any, user: User, *, verify: bool = True) -> Any:
    """Sign in through the session and pass two-factor with a static device."""
    client.force_login(user, backend="dangjian.accounts.backends.ModelBackend")
    if verify:
        device, _ = StaticDevice.objects.get_or_create(user=user, name="test")
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture(autouse=True)
def _audit_triggers_allow_flush(request: pytest.FixtureRequest) -> Any:
    """SQLite flushes transactional tests with DELETE, which the append-only trigger refuses.

    The triggers stay installed for the whole test and are dropped just before the flush, so
    behaviour inside every test is the production one. PostgreSQL flushes with TRUNCATE.
    """
    names = set(request.fixturenames)
    if not names & {"transactional_db", "live_server"}:
        yield
        return
    request.getfixturevalue("transactional_db")
    if connection.vendor == "sqlite":
        from dangjian.audit.migrations import _triggers

        _triggers.install_sqlite(connection)
        yield
        _triggers.remove_sqlite(connection)
    else:
        yield


def tamper_audit(sql: str, params: list[Any]) -> None:
    """Edit an audit row as a database superuser would (bypassing the append-only guard)."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET session_replication_role = replica")
            cur.execute(sql, params)
            cur.execute("SET session_replication_role = DEFAULT")
        else:
            from dangjian.audit.migrations import _triggers

            _triggers.remove_sqlite(connection)
            cur.execute(sql, params)
            _triggers.install_sqlite(connection)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Any) -> None:
    """Uploaded files go to a per-test directory, never into the working tree; so does the
    audit seal written outside the database (each test database has its own chain)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AUDIT_SEAL_FILE = str(tmp_path / "audit-seals.log")
