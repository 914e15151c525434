"""待办's gates (`web.todo.gated`): one statement, compiled once, says which sources may have work
for the user, and a source whose gate finds nothing is not run. A gate narrower than its source
would hide work from the person who must do it, so every user's list is compared with and without
the gates after acts that put work into the sources (the rest of the suite's 待办 tests run with
the gates too)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.accounts import services as account_services
from dangjian.accounts.constants import Role
from dangjian.meetings import hooks as meeting_hooks
from dangjian.meetings import services as meeting_services
from dangjian.orgs import hooks as org_hooks
from dangjian.orgs import services as org_services
from dangjian.recruitment import hooks as recruitment_hooks
from dangjian.recruitment import services as recruitment
from dangjian.transfers import hooks as transfer_hooks
from dangjian.transfers import services as transfers
from dangjian.web import hooks, todo
from tests.conftest import make_id, make_user

pytestmark = pytest.mark.django_db


def _person(n: int) -> recruitment.Person:
    born = date(1998, 3, 1)
    return recruitment.Person(f"R{n:04d}", f"申请人{n}", "男", born, make_id(600 + n, born, True))


def _step(actor, c, no, on, **kw):
    return recruitment.candidate_step(actor=actor, candidate=c, step=no, on=on, **kw)


def _work(tree, users):
    """One piece of work in each of the sources the app tests leave empty, plus a transfer."""
    today = timezone.localdate()
    worker, staff = users["branch_worker"], users["committee_staff"]
    meeting_services.meeting_plan(
        actor=worker,
        organization=tree.branch_a1,
        kind="theme_day",
        planned_on=today - timedelta(days=2),
        topic="主题党日（待登记）",
    )
    upcoming = meeting_services.meeting_plan(
        actor=worker,
        organization=tree.branch_a1,
        kind="theme_day",
        planned_on=today + timedelta(days=3),
        topic="主题党日",
    )
    meeting_services.meeting_publish(actor=worker, meeting=upcoming)
    meeting_services.leave_request(user=users["member"], meeting=upcoming, reason="出差")
    org_services.election_request(actor=worker, organization=tree.branch_a1, requested_on=today)
    recruitment.candidate_apply(
        actor=worker,
        organization=tree.branch_a1,
        person=_person(1),
        applied_on=today - timedelta(days=3),
    )
    c = recruitment.candidate_apply(
        actor=worker, organization=tree.branch_a1, person=_person(2), applied_on=date(2023, 1, 5)
    )
    _step(worker, c, 2, date(2023, 1, 20))
    _step(worker, c, 3, date(2023, 4, 1))
    _step(staff, c, 4, date(2023, 4, 5))
    _step(worker, c, 5, date(2023, 4, 6), members=[tree.members["A1-1"]])
    _step(worker, c, 6, date(2023, 10, 6), opinion="表现良好")
    _step(worker, c, 7, date(2024, 4, 1))  # a development object: the committee files it next
    transfers.transfer_start(actor=worker, member=tree.members["A1-3"], to_org=tree.branch_b1)


def _open_for(user, source) -> bool:
    return source not in todo.closed_sources(user, timezone.localdate())


def test_each_users_list_is_the_same_with_and_without_the_gates(tree, users):
    two = make_user("worker_two", Role.BRANCH_WORKER, tree.branch_b1)
    account_services.grant_create(
        actor=None, user=two, role=Role.BRANCH_WORKER, organization=tree.branch_a1
    )
    people = [*users.values(), two]
    today = timezone.localdate()
    before = {u.username: todo.staff_todos(u, today).items for u in people}
    _work(tree, users)
    lists = {}
    for u in people:
        gated = todo.staff_todos(u, today).items
        assert gated == todo.staff_todos(u, today, gated=False).items, u.username
        lists[u.username] = [t.title for t in gated]
    assert lists != {k: [t.title for t in v] for k, v in before.items()}
    worker, staff = "worker_a1", "staff_da"
    assert "登记会议记录：主题党日（待登记）" in "".join(lists[worker])
    assert "审批请假" in "".join(lists[worker])
    assert "与入党申请人谈话：申请人1" in lists[worker]
    assert "批复换届请示：甲一党支部" in lists[staff]
    assert any(t.startswith("发展党员第8步") for t in lists[staff])
    assert any(t.startswith("审批转接申请") for t in lists[staff])
    # a worker of two branches (two subtrees: a statement of its own shape) sees the first's work
    assert "与入党申请人谈话：申请人1" in lists["worker_two"]
    # where there is no such work, the gate is closed and the source is not run
    for source in (
        meeting_hooks.meetings_to_record,
        meeting_hooks.leaves_to_decide,
        recruitment_hooks.branch_deadlines,
    ):
        assert _open_for(users["branch_worker"], source)
        assert not _open_for(
            make_user(f"b1_{source.__name__}", Role.BRANCH_WORKER, tree.branch_b1), source
        )
    assert _open_for(users["committee_staff"], org_hooks.elections_to_answer)
    assert not _open_for(users["sibling_staff"], org_hooks.elections_to_answer)
    assert not _open_for(users["branch_worker"], org_hooks.elections_to_answer)  # its own
    assert _open_for(users["committee_staff"], transfer_hooks.transfers_to_act)


def test_the_gates_are_one_statement_and_a_user_without_subtrees_runs_no_scoped_source(tree, users):
    today = timezone.localdate()
    gated = [s for s in hooks.get_hooks("todo") if getattr(s, "todo_gate", None)]
    assert len(gated) >= 20
    for user in (users["branch_worker"], users["committee_staff"], users["supervisor"]):
        todo.closed_sources(user, today)  # the grants, read once per request
        with CaptureQueriesContext(connection) as q:
            closed = todo.closed_sources(user, today)
        assert len(q.captured_queries) == 1
        assert closed  # nothing planted: most sources have nothing
    # no grant: only the gates over what is addressed to the person (reminders) can open
    nobody = users["no_grant"]
    todo.closed_sources(nobody, today)
    with CaptureQueriesContext(connection) as q:
        closed = todo.closed_sources(nobody, today)
    assert len(q.captured_queries) == 1
    assert set(closed) == set(gated)
    assert todo.staff_todos(nobody, today).items == []


def test_a_page_of_work_costs_fewer_statements_with_the_gates(tree, users):
    today = timezone.localdate()
    worker = users["branch_worker"]
    todo.staff_todos(worker, today)
    with CaptureQueriesContext(connection) as with_gates:
        todo.staff_todos(worker, today)
    with CaptureQueriesContext(connection) as without:
        todo.staff_todos(worker, today, gated=False)
    assert len(with_gates.captured_queries) < len(without.captured_queries) // 2


def test_a_scope_at_the_top_of_the_tree_is_planned_for_its_values(tree, users, monkeypatch):
    from dangjian.core.prepared import Prepared
    from dangjian.orgs.models import Organization

    assert todo.TOP_PATH == Organization.steplen
    _work(tree, users)
    today = timezone.localdate()
    top = make_user("staff_top", Role.COMMITTEE_STAFF, tree.city)
    assert len(tree.city.path) == todo.TOP_PATH
    for user in (top, users["committee_staff"]):
        todo.closed_sources(user, today)  # the grants, read once per request
    asked: list[bool] = []
    real = Prepared.rows

    def rows(self, *args, for_values=False):  # type: ignore[no-untyped-def]
        asked.append(for_values)
        return real(self, *args, for_values=for_values)

    monkeypatch.setattr(Prepared, "rows", rows)
    at_top = todo.closed_sources(top, today)
    below = todo.closed_sources(users["committee_staff"], today)
    assert asked == [True, False]
    # the same answer either way: planned for the values or with the prepared plan
    monkeypatch.setattr(Prepared, "rows", lambda self, *a, for_values=False: real(self, *a))
    assert todo.closed_sources(top, today) == at_top
    assert todo.staff_todos(top, today).items == todo.staff_todos(top, today, gated=False).items
    assert below != frozenset(hooks.get_hooks("todo"))
