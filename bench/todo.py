"""The day's work at scale (issue 15) for one database (DATABASE_URL; seeds the given scale with
today's date, and scans it, if empty):

- 待办 for a committee over the whole seeded tree: the list read by `web.todo.staff_todos` for a
  committee staff user granted at the root (p50/p95 over repeated reads, the bell's cache
  bypassed) and the 工作台 page itself;
- bulk account creation for every member on the roll (one INSERT …; a second run creates none);
- the roster of the whole tree exported as a job (the worker's part timed: the .xlsx written,
  rows per second).

Prints one JSON object per line and a readable table; never asserts timings.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from scan import setup_django, staff_client, timed  # noqa: E402


def p(times: list[float]) -> dict[str, float]:
    times = sorted(times)
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
    }


def todo_list(repeat: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from dangjian.accounts.constants import Role
    from dangjian.accounts.models import User
    from dangjian.web import todo

    client = staff_client("bench_todo", Role.COMMITTEE_STAFF)
    user = User.objects.get(username="bench_todo")
    today = timezone.localdate()
    items = todo.staff_todos(user, today)  # warm the grants and rule caches
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        todo.staff_todos(user, today)
        times.append((time.perf_counter() - t) * 1000)
    connection.queries_log.clear()  # a full log (9,000 entries) would make the count 0
    with CaptureQueriesContext(connection) as q:
        todo.staff_todos(user, today)
    page = []
    for _ in range(max(5, repeat // 2)):
        todo.forget_count([user.pk])
        t = time.perf_counter()
        assert client.get("/").status_code == 200
        page.append((time.perf_counter() - t) * 1000)
    return {
        "items": items.total,
        "by_kind": {k: n for k, _label, n in items.counts()},
        "queries": len(q.captured_queries),
        **p(times),
        "page": p(page),
    }


def accounts() -> dict[str, Any]:
    from dangjian.accounts.models import User
    from dangjian.members.constants import ON_ROLL_STATUSES
    from dangjian.members.models import Member
    from dangjian.members.services import member_accounts_open
    from dangjian.orgs.models import Organization

    # accounts still waiting for activation (an earlier run): made again
    User.objects.filter(member__isnull=False, password__startswith="!").delete()  # noqa: S106
    root = Organization.objects.filter(depth=1).order_by("path").first()
    on_roll = Member.objects.filter(status__in=ON_ROLL_STATUSES).count()
    created, seconds = timed(member_accounts_open, actor=None, organization=root)
    again, seconds_again = timed(member_accounts_open, actor=None, organization=root)
    return {
        "members_on_roll": on_roll,
        "created": created,
        "seconds": round(seconds, 1),
        "rerun_created": again,
        "rerun_seconds": round(seconds_again, 1),
    }


def roster_export() -> dict[str, Any]:
    from django.conf import settings
    from django.http import QueryDict

    from dangjian.accounts.models import User
    from dangjian.interchange.exporting import export_job_run
    from dangjian.interchange.models import ExportJob
    from dangjian.web import exports

    user = User.objects.get(username="bench_todo")
    export = exports.get("members")
    assert export is not None
    params = QueryDict("")
    total = export.count(user, params)
    job = ExportJob.objects.create(user=user, name="members", title=export.title, total=total)
    done, seconds = timed(export_job_run, job.pk)
    size = (Path(settings.MEDIA_ROOT) / done.path).stat().st_size if done.path else 0
    return {
        "rows": done.done_rows,
        "status": done.status,
        "as_job": total > exports.JOB_ROWS,
        "seconds": round(seconds, 1),
        "rows_per_s": round(done.done_rows / seconds) if seconds else None,
        "mb": round(size / 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="district")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--skip", nargs="*", default=[], choices=["accounts", "export"])
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from dangjian.compliance.services import scan_run
    from dangjian.orgs.models import Organization

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    today = timezone.localdate()
    if not Organization.objects.exists():
        print(f"seeding {args.scale} …", file=sys.stderr)
        call_command("seed", "--scale", args.scale, "--today", today.isoformat(), verbosity=0)
        scan_run(as_of=today)
    out: dict[str, Any] = {"database": connection.vendor, "scale": args.scale}
    out["todo"] = todo_list(args.repeat)
    if "accounts" not in args.skip:
        out["accounts"] = accounts()
    if "export" not in args.skip:
        out["export"] = roster_export()
    t = out["todo"]
    print(f"\n{connection.vendor}, {args.scale}", file=sys.stderr)
    print(
        f"待办 (committee at the root): {t['items']} items, {t['queries']} queries, "
        f"p50 {t['p50_ms']} ms, p95 {t['p95_ms']} ms; 工作台 page p95 {t['page']['p95_ms']} ms",
        file=sys.stderr,
    )
    if "accounts" in out:
        a = out["accounts"]
        print(
            f"bulk accounts: {a['created']} of {a['members_on_roll']} in {a['seconds']} s "
            f"(rerun: {a['rerun_created']} in {a['rerun_seconds']} s)",
            file=sys.stderr,
        )
    if "export" in out:
        e = out["export"]
        print(
            f"roster export ({'job' if e['as_job'] else 'in the request'}): {e['rows']} rows in "
            f"{e['seconds']} s ({e['rows_per_s']} rows/s, {e['mb']} MB)",
            file=sys.stderr,
        )
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
