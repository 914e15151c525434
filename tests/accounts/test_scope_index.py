"""The scoping choke point reads a user's subtree as a range on the path, which the path's unique
index serves; `startswith` (LIKE) made SQLite read every organization for each scoped query (each
of the ~20 待办 sources, each list)."""

from __future__ import annotations

from typing import Any

from django.db import connection

from dangjian.accounts import policy
from dangjian.meetings.models import Meeting
from dangjian.orgs.models import Organization


def _plan(qs: Any) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            return "\n".join(str(r[-1]) for r in cursor.fetchall())
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(str(r[0]) for r in cursor.fetchall())


def test_a_subtree_is_the_same_organizations_read_by_the_path_index(
    tree: Any, users: dict[str, Any]
) -> None:
    for name in ("branch_worker", "committee_staff", "supervisor"):
        user = users[name]
        (root,) = policy.roots(user)
        visible = policy.visible_to(user)
        assert set(visible) == set(Organization.objects.filter(path__startswith=root))
        sql = str(visible.query)
        assert "LIKE" not in sql
        assert ">=" in sql
        assert "<" in sql
        if connection.vendor == "sqlite":
            plan = _plan(visible)
            assert "SCAN orgs_organization" not in plan
            assert "USING INDEX" in plan
            assert "path>? AND path<?" in plan


def test_a_scoped_source_joins_through_the_range(tree: Any, users: dict[str, Any]) -> None:
    q = policy.path_q(users["branch_worker"], "change", "organization__path")
    assert q is not None
    qs = Meeting.objects.filter(q).select_related("organization")
    assert "LIKE" not in str(qs.query)
    if connection.vendor == "sqlite":
        assert "SCAN orgs_organization" not in _plan(qs)
