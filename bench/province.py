"""Province scale (issue 22) on the database in DATABASE_URL (PostgreSQL), for one scale at a time
(`--scale province`, or `--scale city` for the figures beside it, on the same machine):

- the seed (`dangjian seed`, a district at a time at province scale, `--workers` of them written
  at once, 2 by default): wall time, the time until the record was written (before the apps'
  demo records are planted), and the peak memory (the largest resident set of the command and
  its chunk writers, read by wait4; the database server is not counted);
- the full scan from no findings and the re-scan with nothing changed (`dangjian scan`): time,
  peak memory, what it opened/updated/closed;
- at the root, in-process through Django's test client: the monitoring dashboard, 待办 (the list
  and the 工作台 page) and the roster (whole tree, a name search), p50/p95 and queries.

Skips the seed when the database already holds organizations. Writes the figures to `--out`
(JSON); `--beside city.json` prints them next to an earlier run's, with each run's
`machine_ms` (a fixed piece of pure Python: the machine's speed that day). Never asserts
timings.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_city .venv/bin/python bench/province.py \\
        --scale city --out /tmp/city.json
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_province .venv/bin/python \\
        bench/province.py --scale province --out /tmp/province.json --beside /tmp/city.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from portal import machine_ms  # noqa: E402
from scan import setup_django, staff_client  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DANGJIAN = str(ROOT / ".venv" / "bin" / "dangjian")
STEPS = ("seed", "scan", "rescan")


def command(*args: str) -> dict[str, Any]:
    """Run a `dangjian` command; its wall time, peak resident memory and last lines."""
    t = time.perf_counter()
    proc = subprocess.Popen(  # noqa: S603
        [DANGJIAN, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    out = proc.stdout.read() if proc.stdout else ""
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"dangjian {' '.join(args)} failed ({proc.returncode}):\n{out[-3000:]}")
    lines = [line for line in out.splitlines() if line.strip()]
    return {
        "seconds": round(seconds, 1),
        # kilobytes on Linux; the largest of the command and its child processes (the seed's
        # chunk writers with --workers), each on its own, not their sum
        "peak_mb": round(usage.ru_maxrss / 1024),
        "summary": scan_summary(lines),
        "log": [line for line in lines if "秒" in line][-12:],  # the seed's steps, timed
    }


def pct(times: list[float]) -> dict[str, float]:
    times = sorted(times)
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
    }


def page(client: Any, url: str, repeat: int, before: Any = None) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert client.get(url).status_code == 200, url  # warm
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        t = time.perf_counter()
        resp = client.get(url)
        times.append((time.perf_counter() - t) * 1000)
        assert resp.status_code == 200, (url, resp.status_code)
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as q:
        client.get(url)
    return {**pct(times), "queries": len(q.captured_queries)}


def pages(repeat: int) -> dict[str, Any]:
    from urllib.parse import quote

    from dangjian.accounts.constants import Role
    from dangjian.accounts.models import User
    from dangjian.members.models import Member
    from dangjian.orgs.models import Organization
    from dangjian.web import todo

    root = Organization.objects.filter(depth=1).order_by("path").first()
    assert root is not None
    supervisor = staff_client("bench_supervisor", Role.SUPERVISOR)
    staff = staff_client("bench_todo", Role.COMMITTEE_STAFF)
    user = User.objects.get(username="bench_todo")
    surname = Member.objects.order_by("member_no").values_list("name", flat=True).first() or "林"
    out = {
        "dashboard at the root": page(supervisor, "/monitor/", repeat),
        "待办 (工作台) at the root": page(
            staff, "/", repeat, before=lambda: todo.forget_count([user.pk])
        ),
        "roster, whole tree": page(staff, "/members/", repeat),
        "roster, name search": page(staff, f"/members/?q={quote(surname[:2])}", repeat),
    }
    return out


def counts() -> dict[str, int]:
    from dangjian.compliance.models import Finding
    from dangjian.fees.models import FeeMonth
    from dangjian.meetings.models import Meeting
    from dangjian.members.models import Member
    from dangjian.orgs.models import Organization

    return {
        "organizations": Organization.objects.count(),
        "members": Member.objects.count(),
        "fee months": FeeMonth.objects.count(),
        "meetings": Meeting.objects.count(),
        "open findings": Finding.objects.filter(closed_on__isnull=True).count(),
    }


def scan_summary(lines: list[str]) -> str:
    for line in lines:
        m = re.search(r"新增\d+，更新\d+，消除\d+，未变\d+", line)
        if m:
            return m.group(0)
    return ""


def show(figures: dict[str, Any], beside: dict[str, Any] | None) -> None:
    runs = [f for f in (figures, beside) if f]

    def step(f: dict[str, Any], name: str) -> str:
        return f"{f[name]['seconds']} s / {f[name]['peak_mb']} MB" if name in f else "-"

    def timing(f: dict[str, Any], name: str) -> str:
        p = f.get("pages", {}).get(name)
        return f"p50 {p['p50_ms']} ms, p95 {p['p95_ms']} ms, {p['queries']} q" if p else "-"

    rows = [(key, [str(f["counts"].get(key, "")) for f in runs]) for key in figures["counts"]]
    rows += [(f"{n}: seconds / peak MB", [step(f, n) for f in runs]) for n in STEPS]
    rows += [
        (
            "seed: the record written (s)",
            [str(f.get("seed", {}).get("record_seconds", "-")) for f in runs],
        ),
        ("machine_ms", [str(f.get("machine_ms", "-")) for f in runs]),
    ]
    rows += [(name, [timing(f, name) for f in runs]) for name in figures["pages"]]
    width = max(len(r[0]) for r in rows) + 2
    print(f"{'':<{width}}" + "".join(f"{f['scale']:<44}" for f in runs))
    for label, cells in rows:
        print(f"{label:<{width}}" + "".join(f"{c:<44}" for c in cells))
    if beside and "scan" in figures and "scan" in beside:
        ratio = figures["scan"]["seconds"] / beside["scan"]["seconds"]
        print(f"full scan ratio {figures['scale']}/{beside['scale']}: {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="province")
    parser.add_argument("--as-of", default="2026-06-30")
    parser.add_argument("--seed", default="1")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--out", help="write the figures here (JSON)")
    parser.add_argument("--beside", help="an earlier run's JSON, printed beside")
    parser.add_argument("--skip-scan", action="store_true", help="pages only")
    parser.add_argument(
        "--workers",
        default="2",
        help="chunks written at once by the seed (`dangjian seed --workers`; province scale)",
    )
    args = parser.parse_args()
    for step in (["migrate", "--noinput"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([DANGJIAN, *step], check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    setup_django()
    from dangjian.orgs.models import Organization

    figures: dict[str, Any] = {
        "scale": args.scale,
        "as_of": args.as_of,
        "machine_ms": machine_ms(),
    }
    if not Organization.objects.exists():
        figures["seed"] = command(
            "seed",
            *("--scale", args.scale, "--seed", args.seed, "--today", args.as_of),
            *("--workers", args.workers),
        )
        figures["seed"]["workers"] = int(args.workers)
        # the record (the chunks through the importer), before the apps' demo records are planted
        chunks = [line for line in figures["seed"]["log"] if "块已写入" in line]
        found = re.search(r"（(\d+) 秒）", chunks[-1]) if chunks else None
        figures["seed"]["record_seconds"] = int(found.group(1)) if found else None
        print("seed", json.dumps(figures["seed"], ensure_ascii=False), flush=True)
    if not args.skip_scan:
        from dangjian.compliance.models import Finding
        from dangjian.notify.models import Reminder

        if Finding.objects.exists():  # the full scan from no findings
            Reminder.objects.all().delete()
            Finding.objects.all().delete()
        figures["scan"] = command("scan", "--as-of", args.as_of)
        print("scan", json.dumps(figures["scan"], ensure_ascii=False), flush=True)
        figures["rescan"] = command("scan", "--as-of", args.as_of)
        print("rescan", json.dumps(figures["rescan"], ensure_ascii=False), flush=True)
    figures["counts"] = counts()
    figures["pages"] = pages(args.repeat)
    print(json.dumps(figures, ensure_ascii=False), flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(figures, ensure_ascii=False, indent=1), "utf-8")
    beside = json.loads(Path(args.beside).read_text("utf-8")) if args.beside else None
    show(figures, beside)


if __name__ == "__main__":
    main()
