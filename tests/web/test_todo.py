"""待办 (issue 15, item 1): each person's list gathers what they must act on from every app; an
item appears when the work reaches them and disappears when it is done; the bell shows the same
count; the list is read in a bounded number of queries (stored findings and indexed state, never
a scan)."""

from __future__ import annotations

import io
from datetime import date, timedelta

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dangjian.compliance.services import scan_run
from dangjian.supervision import services as supervision
from dangjian.transfers import services as transfers
from dangjian.web import todo
from tests.conftest import login, make_user

pytestmark = pytest.mark.django_db


def _titles(user, kind=""):
    items = todo.staff_todos(user, timezone.localdate())
    return [t.title for t in (items.of_kind(kind) if kind else items.items)]


def test_a_transfer_moves_from_one_todo_to_the_next(tree, users):
    staff_a, staff_b = users["committee_staff"], users["sibling_staff"]
    worker_b1 = make_user("worker_b1", "branch_worker", tree.branch_b1)
    m = tree.members["A1-3"]
    t = transfers.transfer_start(actor=users["branch_worker"], member=m, to_org=tree.branch_b1)
    assert _titles(staff_a, "transfer") == [f"审批转接申请：{m.name}转往乙一党支部"]
    assert _titles(staff_b, "transfer") == []
    transfers.transfer_issue(actor=staff_a, transfer=t)
    assert _titles(staff_a, "transfer") == []
    assert _titles(staff_b, "transfer") == [f"同意转入：{m.name}（来自甲一党支部）"]
    transfers.transfer_agree(actor=staff_b, transfer=t)
    assert _titles(worker_b1, "transfer") == [f"接收转入党员：{m.name}"]
    transfers.transfer_accept(actor=worker_b1, transfer=t)
    assert _titles(worker_b1, "transfer") == []
    assert _titles(staff_b, "transfer") == []


def test_a_supervision_task_from_assignment_to_acceptance(tree, users):
    staff, worker = users["committee_staff"], users["branch_worker"]
    task = supervision.task_create(
        actor=staff,
        issuer_org=tree.district_a,
        title="整改组织生活",
        body="按期召开支部委员会",
        deadline=timezone.localdate() + timedelta(days=10),
        organizations=[tree.branch_a1],
    )
    assert [t for t in _titles(worker, "supervision") if "整改组织生活" in t]
    a = task.assignments.get()
    supervision.assignment_reply(actor=worker, assignment=a, reply="已召开")
    assert not [t for t in _titles(worker, "supervision") if "整改组织生活" in t]
    assert _titles(staff, "supervision") == ["审核督办回复：整改组织生活"]
    supervision.assignment_decide(actor=staff, assignment=a, accept=True)
    assert _titles(staff, "supervision") == []


def test_findings_are_grouped_per_rule_and_organization_and_the_bell_agrees(client, tree, users):
    scan_run(as_of=date(2026, 1, 15))
    worker = users["branch_worker"]
    items = todo.staff_todos(worker, timezone.localdate()).of_kind("finding")
    keys = [(t.title, t.organization) for t in items]
    assert len(keys) == len(set(keys))  # one item per rule and organization, with its count
    assert sum(t.count for t in items) >= len(items)
    login(client, worker)
    page = client.get(reverse("portal:home"))
    total = page.context["todos"].total
    assert page.context["todo_count"] == total
    assert f"待办，{total}项" in page.content.decode()


def test_the_workbench_lists_a_page_at_a_time_and_exports_the_whole_list(client, tree, users):
    """A city's root has a thousand items: the 工作台 shows one page of them (numbered pages, the
    counts per kind over the whole list) and 导出Excel gives the whole list of the kind shown."""
    scan_run(as_of=date(2026, 1, 15))
    staff = users["committee_staff"]
    whole = todo.staff_todos(staff, timezone.localdate())
    assert whole.total > 5
    login(client, staff)
    first = client.get(reverse("portal:home"), {"page_size": 20})
    assert first.context["page"].paginator.count == whole.total
    assert first.context["todos"].total == whole.total
    assert list(first.context["items"]) == whole.items[:20]
    body = first.content.decode()
    assert 'aria-label="分页"' in body
    assert 'data-export="todo"' in body
    if whole.total > 20:
        second = client.get(reverse("portal:home"), {"page": 2, "page_size": 20})
        assert list(second.context["items"]) == whole.items[20:40]
    kind = whole.items[0].kind
    of_kind = client.get(reverse("portal:home"), {"kind": kind})
    assert of_kind.context["page"].paginator.count == len(whole.of_kind(kind))
    # the export: every item of the kind, not only the page's
    resp = client.get(reverse("interchange:export", args=["todo"]), {"kind": kind})
    ws = openpyxl.load_workbook(io.BytesIO(resp.content)).active
    rows = [[c.value for c in r] for r in ws.iter_rows()][6:]
    assert [r[1] for r in rows] == [t.title for t in whole.of_kind(kind)]
    assert rows[0][0].startswith(todo.KINDS[kind])


def test_the_todo_list_is_read_in_a_bounded_number_of_queries(tree, users):
    scan_run(as_of=date(2026, 1, 15))
    staff = users["committee_staff"]
    todo.staff_todos(staff, timezone.localdate())  # warm the grants cache
    with CaptureQueriesContext(connection) as first:
        todo.staff_todos(staff, timezone.localdate())
    # more organizations and members do not add queries
    for i in range(3):
        make_user(f"extra{i}", "branch_worker", tree.branch_a2)
    with CaptureQueriesContext(connection) as second:
        todo.staff_todos(staff, timezone.localdate())
    assert len(second.captured_queries) == len(first.captured_queries) <= 40


def test_a_member_sees_the_fee_to_pay_on_the_home_page(client, tree, users):
    login(client, users["member"], verify=False)
    body = client.get(reverse("portal:member_home")).content.decode()
    assert "交纳党费" in body
