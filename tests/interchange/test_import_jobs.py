"""An upload of many rows runs as a job (issue 16, D1): the request stores the file and answers
with a progress page at once; the worker checks and writes all or nothing with the uploader's
scope, tells the uploader, and deletes the file."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings as dj_settings
from django.urls import reverse
from django.utils import timezone

from dangjian.core import idnumber
from dangjian.interchange import importing
from dangjian.interchange.models import ImportJob, ImportStatus
from dangjian.members.models import Member
from dangjian.notify.models import Notice
from tests.conftest import login
from tests.interchange.test_bundle import HEADER, _xlsx

pytestmark = pytest.mark.django_db


def _row(no: str, seq: int, org: str = "A1") -> list[object]:
    idn = idnumber.make("350203", date(1981, 3, 9), seq)
    return [no, "赵六", "男", "1981-03-09", idn, "", org, "full", "2005-07-01", "2006-07-01",
            "employed", 6000]  # fmt: skip


def _post(client, name: str, data: bytes):
    f = io.BytesIO(data)
    f.name = name
    return client.post(reverse("interchange:upload", args=["members"]), {"file": f})


def test_estimate_reads_the_sheet_dimension_and_csv_lines():
    data = _xlsx([HEADER, _row("J1", 601), _row("J2", 603), _row("J3", 605)])
    assert importing.estimate_rows(data, "r.xlsx") == 4
    assert importing.estimate_rows(b"a,b\n1,2\n3,4\n", "r.csv") == 3
    assert importing.estimate_rows(b"not a zip", "r.xlsx") == 0


def test_a_large_upload_runs_as_a_job_and_reports_back(
    client, tree, users, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_JOB_ROWS = 2
    user = users["branch_worker"]
    login(client, user)
    data = _xlsx([HEADER, _row("J1", 601), _row("J2", 603)])
    with django_capture_on_commit_callbacks(execute=True):
        resp = _post(client, "大名册.xlsx", data)
    job = ImportJob.objects.get(user=user)
    assert resp.status_code == 302
    assert resp["Location"] == reverse("interchange:import_job", args=[job.pk])
    assert job.status == ImportStatus.DONE
    assert job.counts == {"created": 2, "updated": 0, "unchanged": 0}
    assert job.path == ""  # the stored file is gone
    assert not list((Path(dj_settings.MEDIA_ROOT) / "imports").rglob("*.xlsx"))
    created = Member.objects.filter(member_no__in=["J1", "J2"])
    assert set(created.values_list("organization", flat=True)) == {tree.branch_a1.pk}
    notice = Notice.objects.get(user=user, key=f"import:{job.pk}")
    assert notice.title.startswith("导入完成：")
    page = client.get(resp["Location"]).content.decode()
    assert "导入完成：新增2" in page
    # another user cannot see the job
    login(client, users["committee_staff"])
    assert client.get(resp["Location"]).status_code == 404


def test_a_large_upload_with_a_bad_row_writes_nothing_and_lists_it(
    client, tree, users, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_JOB_ROWS = 2
    user = users["branch_worker"]
    login(client, user)
    data = _xlsx([HEADER, _row("J1", 601), _row("J2", 603, org="B1")])
    with django_capture_on_commit_callbacks(execute=True):
        resp = _post(client, "大名册.xlsx", data)
    job = ImportJob.objects.get(user=user)
    assert job.status == ImportStatus.FAILED
    assert job.issue_count == 1
    assert not Member.objects.filter(member_no__in=["J1", "J2"]).exists()
    page = client.get(resp["Location"]).content.decode()
    assert "组织“B1”不在您的管理范围内" in page
    assert "未导入：发现 1 处问题" in page
    assert Notice.objects.filter(user=user, title__startswith="导入未完成").exists()


def test_a_small_upload_stays_in_the_request(client, tree, users, settings):
    settings.IMPORT_JOB_ROWS = 5000
    login(client, users["branch_worker"])
    resp = _post(client, "r.xlsx", _xlsx([HEADER, _row("J1", 601)]))
    assert resp.status_code == 302
    assert resp["Location"] == reverse("interchange:upload", args=["members"])
    assert not ImportJob.objects.exists()


def test_a_job_no_worker_took_has_its_file_deleted_after_a_day(tree, users):
    job = ImportJob.objects.create(
        user=users["branch_worker"],
        kind="members",
        title="导入党员名册",
        file_name="r.xlsx",
        path="imports/stale.xlsx",
        sha256="0" * 64,
    )
    stored = Path(dj_settings.MEDIA_ROOT) / "imports" / "stale.xlsx"
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_bytes(_xlsx([HEADER, _row("J1", 601)]))
    assert importing.import_jobs_clean() == 0  # younger than a day
    assert importing.import_jobs_clean(timezone.now() + timedelta(days=2)) == 1
    job.refresh_from_db()
    assert not stored.exists()
    assert job.status == ImportStatus.FAILED
    assert job.path == ""
