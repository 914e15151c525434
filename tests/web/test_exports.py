"""Every list is exported and printed (issue 15, item 5).

The first test walks every page of the access matrix as each role that may open it and fails on a
list (a page with numbered pages, or one of the report pages) that offers no export. The others
export every registered list: an .xlsx whose first rows say what, where, which filters, when and
by whom, with text cells escaped; a print view; a long export as a job; nothing outside the scope.
"""

from __future__ import annotations

import hashlib
import io
from datetime import date

import openpyxl
import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from dangjian.audit.models import AuditEvent
from dangjian.interchange.models import ExportJob
from dangjian.members.models import Member
from dangjian.notify.models import Notice
from dangjian.web import exports
from tests.conftest import login
from tests.web.test_access_matrix import (
    MATRIX,
    _aclass,
    _community,
    _instructor,
    _place,
    _vround,
)

pytestmark = pytest.mark.django_db

# pages that are lists without numbered pages (a year's grid, figures by sub-organization)
REPORTS = {
    "fees:grid",
    "fees:summary",
    "recruitment:board",
    "meetings:calendar",
    "learning:hours",
    "compliance:dashboard",
    "supervision:list",
}
# role → which matrix roles to walk the pages as
ROLES = ("committee_staff", "branch_worker", "supervisor", "system_admin", "security_admin",
         "audit_admin")  # fmt: skip


def test_every_staff_list_offers_export_and_print(client, tree, users):
    missing = []
    seen_lists = set()
    urls: dict[str, str] = {}  # each route's objects made once, then opened as each role
    for role in ROLES:
        login(client, users[role])
        for name, (args_fn, query, expected) in MATRIX.items():
            if expected.get(role) != 200:
                continue
            route = name.split("#")[0]
            if name not in urls:
                try:  # an object page whose helper clashes with another's: not a list
                    with transaction.atomic():
                        args = args_fn(tree)
                except IntegrityError:
                    urls[name] = ""
                    continue
                urls[name] = reverse(route, args=args) + query.format(a1=tree.branch_a1.pk)
            url = urls[name]
            if not url:
                continue
            resp = client.get(url)
            if resp.status_code != 200 or "text/html" not in resp.get("Content-Type", ""):
                continue
            body = resp.content.decode()
            if 'aria-label="分页"' in body or route in REPORTS:
                seen_lists.add(route)
                if "data-export=" not in body:
                    missing.append(f"{route} ({role})")
    assert missing == []
    # the walk did reach the lists (a matrix change cannot make this test pass by itself)
    assert {"members:list", "fees:grid", "compliance:dashboard", "portal:audit"} <= seen_lists
    assert len(seen_lists) >= 15


def _params(t):  # export name → (role, query)
    a1, da = t.branch_a1.pk, t.district_a.pk
    year = date.today().year  # noqa: DTZ011
    return {
        "members": ("committee_staff", {"org": da}),
        "fee_grid": ("branch_worker", {"org": a1, "year": year}),
        "fee_summary": ("committee_staff", {"org": da}),
        "findings": ("committee_staff", {"org": da}),
        "transfers": ("committee_staff", {"org": da, "tab": "out", "status": "all"}),
        "transfers_incoming": ("committee_staff", {"org": da, "status": "all"}),
        "transfers_mobile": ("committee_staff", {"org": da, "status": "all"}),
        "transfers_lost": ("committee_staff", {"org": da, "status": "all"}),
        "supervision": ("committee_staff", {"box": "received"}),
        "recruitment": ("committee_staff", {"org": da}),
        "learning_hours": ("committee_staff", {"org": da, "year": year}),
        "learning_courses": ("committee_staff", {"org": da}),
        "meetings": ("committee_staff", {"org": da, "year": year}),
        "attendance": ("committee_staff", {"org": da, "year": year}),
        "handlings": ("committee_staff", {"org": da}),
        "units": ("committee_staff", {"org": da}),
        "inbox": ("committee_staff", {}),
        "deliveries": ("system_admin", {}),
        "audit": ("audit_admin", {"actor": "staff"}),
        "users": ("system_admin", {}),
        "grants": ("security_admin", {}),
        "member_accounts": ("committee_staff", {"org": da}),
        "todo": ("committee_staff", {}),
        "kb_documents": ("committee_staff", {}),
        "opinions": ("committee_staff", {}),
        "places": ("committee_staff", {"org": da}),
        "place_residents": ("committee_staff", {"place": _place(t)}),
        "unit_members": ("committee_staff", {"org": da}),
        "community_units": ("committee_staff", {"org": _community(t)}),
        "community_teams": ("committee_staff", {"org": da}),
        "community_reports": ("committee_staff", {"org": _community(t)}),
        "community_needs": ("committee_staff", {"org": _community(t)}),
        "community_appraisals": ("committee_staff", {"org": _community(t), "year": "2025"}),
        "community_alliances": ("committee_staff", {"org": _community(t), "state": "due"}),
        "community_figures": ("committee_staff", {"org": t.district_a.pk, "year": "2025"}),
        "community_issues": ("committee_staff", {"org": da}),
        "villages_list": ("committee_staff", {"org": da, "year": "2025", "weak": "1"}),
        "villages_areas": ("committee_staff", {"org": da, "year": "2025"}),
        "villages_pairings": ("committee_staff", {"round": _vround(t), "state": "none"}),
        "villages_plots": ("committee_staff", {"season": "2026", "state": "free"}),
        "enterprises_list": ("committee_staff", {"org": da, "cover": "none"}),
        "academy_classes": ("committee_staff", {"year": year, "status": "open"}),
        "academy_roster": ("committee_staff", {"klass": _aclass(t)}),
        "academy_teachers": ("committee_staff", {"q": "王"}),
        "academy_figures": ("committee_staff", {"year": year}),
        "enterprises_coverage": ("committee_staff", {"org": da}),
        "enterprises_teams": ("committee_staff", {"org": da, "state": "open"}),
        "enterprises_joint": ("committee_staff", {"org": da, "kind": "activity"}),
        "enterprises_showcase": ("committee_staff", {"org": da, "kind": "honour"}),
        "enterprises_instructors": ("committee_staff", {"org": da}),
        "enterprises_report": (
            "committee_staff",
            {"instructor": _instructor(t), "month": f"{year}-01"},
        ),
    }


def test_every_export_is_tested_here(tree):
    assert set(exports.REGISTRY) == set(_params(tree))


@pytest.mark.parametrize("name", sorted(exports.REGISTRY))
def test_each_export_writes_what_it_is_and_prints(client, tree, users, name):
    role, query = _params(tree)[name]
    login(client, users[role])
    resp = client.get(reverse("interchange:export", args=[name]), query)
    assert resp.status_code == 200, resp.content[:300]
    assert resp["Content-Disposition"].startswith("attachment")
    ws = openpyxl.load_workbook(io.BytesIO(resp.content)).active
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    export = exports.REGISTRY[name]
    assert rows[0][0] == export.title
    assert rows[1][0].startswith("范围：")
    assert rows[2][0].startswith("筛选条件：")
    assert rows[3][0].startswith("导出时间：")
    assert users[role].username in rows[3][0]
    assert rows[5][: len(export.columns)] == list(export.columns)
    # the watermark on every printed page: who and when (issue 16, F3)
    assert f"{users[role]} 于 " in (ws.oddHeader.center.text or "")
    assert "第 &P 页" in (ws.oddFooter.right.text or "")
    event = AuditEvent.objects.filter(action="exports.export").latest("id")
    assert (event.data["export"], event.data["how"]) == (name, "download")
    # the log names the scope, the columns, the rows and the file itself (issue 16, F3)
    assert event.data["sha256"] == hashlib.sha256(resp.content).hexdigest()
    assert event.data["columns"] == list(export.columns)
    assert event.data["rows"] == len(rows) - 6
    assert rows[1][0] == f"范围：{event.data['scope']}"
    page = client.get(reverse("interchange:print", args=[name]), query)
    assert page.status_code == 200
    assert export.title in page.content.decode()


def test_the_roster_export_follows_the_filters_and_escapes_cells(client, tree, users):
    Member.objects.filter(member_no="M0001").update(name="=HYPERLINK(1)")
    login(client, users["committee_staff"])
    resp = client.get(
        reverse("interchange:export", args=["members"]),
        {"org": tree.district_a.pk, "gender": "男"},
    )
    ws = openpyxl.load_workbook(io.BytesIO(resp.content)).active
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=7)]
    men = Member.objects.filter(
        organization__path__startswith=tree.district_a.path, gender="男"
    ).count()
    assert len(rows) == men
    assert all(r[2] == "男" for r in rows)
    assert "性别：男" in ws["A3"].value
    names = [r[1] for r in rows]
    if Member.objects.get(member_no="M0001").gender == "男":
        assert "'=HYPERLINK(1)" in names


def test_outside_the_scope_answers_404(client, tree, users):
    login(client, users["sibling_staff"])
    resp = client.get(reverse("interchange:export", args=["members"]), {"org": tree.branch_a1.pk})
    assert resp.status_code == 404
    login(client, users["member"])
    assert client.get(reverse("interchange:export", args=["members"])).status_code == 403
    login(client, users["committee_staff"])
    assert client.get(reverse("interchange:export", args=["audit"])).status_code == 403


def test_a_long_export_runs_as_a_job_with_progress_and_a_download(
    client, tree, users, monkeypatch, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = str(tmp_path)
    monkeypatch.setattr(exports, "JOB_ROWS", 3)  # the fixture's district has 7 members
    login(client, users["committee_staff"])
    with django_capture_on_commit_callbacks(execute=True):  # queued once committed
        resp = client.get(
            reverse("interchange:export", args=["members"]), {"org": tree.district_a.pk}
        )
    job = ExportJob.objects.get()
    assert resp.status_code == 302
    assert resp["Location"] == reverse("interchange:export_job", args=[job.pk])
    assert (job.status, job.done_rows, job.total) == ("done", 7, 7)  # tests run jobs at once
    page = client.get(resp["Location"]).content.decode()
    assert "100%" in page
    assert reverse("interchange:export_download", args=[job.pk]) in page
    data = client.get(reverse("interchange:export_download", args=[job.pk]))
    ws = openpyxl.load_workbook(io.BytesIO(b"".join(data.streaming_content))).active
    assert ws.max_row == 6 + 7
    notice = Notice.objects.get(key=f"export:{job.pk}")
    assert notice.user == users["committee_staff"]
    # another user cannot see or download it
    login(client, users["sibling_staff"])
    assert client.get(resp["Location"]).status_code == 404
    assert client.get(reverse("interchange:export_download", args=[job.pk])).status_code == 404
