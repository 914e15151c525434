"""The portal under load, measured with locust (headless, bounded in time) against gunicorn on the
database in DATABASE_URL (the demo district is seeded if empty). Prints JSON (last line).

- members: `--clients` concurrent members, each signed in, cycling through 首页 (/m/), 我的
  (/me/), 党费 (/fees/me/), 消息 (/inbox/), 学习 (/learning/my/): requests/s and p50/p99 per page
  and over all (target ≥ 500 req/s, p99 ≤ 100 ms at 32 clients on 2 cores);
- staff: branch workers signed in with two-factor, on the roster (/members/) and 待办 (/):
  (target ≥ 150 req/s);
- rush (`--rush-seconds`): the month's first morning — every member opens 党费 and pays the
  months shown through the sandbox provider, each at most once; after it, every order the
  sandbox confirmed has its payment and ledger months (no lost payment), and no request failed.

    DATABASE_URL=... python bench/portal.py --workers 3 --seconds 30 --rush-seconds 300

The load tool runs on the same 2 cores as the server: the figures include its cost. On a shared
machine whose neighbours take CPU time, requests a second vary between runs; the CPU time the web
workers and the database server spent per request (`cpu_ms_per_request`, from /proc, over the
measured part of the run) is steadier and is printed beside them. Machines differ too: the same
code served twice the requests on one machine as on another, so every run also prints
`machine_ms`, the time a fixed piece of pure Python takes on this machine before and after the
load (`sum(range(10**7))`, best of three): figures from two machines, or two days of a shared one,
compare only beside it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LOCUSTFILE = HERE / "portal_locust.py"


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    import django

    django.setup()


def prepare(members: int, staff: int, tokens: int) -> dict[str, Any]:
    """Accounts for the load: `members` members with a password, `staff` branch workers with
    static two-factor codes (one per sign-in). Plain service calls, once per database."""

    from django.contrib.auth.hashers import make_password
    from django.test.utils import override_settings
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    from dangjian.accounts import services as account_services
    from dangjian.accounts.constants import Role
    from dangjian.accounts.models import RoleGrant, User
    from dangjian.members.models import Member
    from dangjian.orgs.models import Organization

    password = "Bench-portal-" + secrets.token_hex(6)  # noqa: S105 - a fresh one each run
    have = list(User.objects.filter(username__startswith="bench_m").order_by("pk"))
    taken = User.objects.filter(member__isnull=False).values("member_id")
    fresh = (
        Member.objects.filter(status__in=["full", "probationary"])
        .exclude(pk__in=taken)
        .order_by("pk")[: max(0, members - len(have))]
    )
    # created with a cheap hash, then all given the same production (Argon2) hash below
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for n, m in enumerate(fresh, start=len(have)):
            account_services.user_create(
                actor=None,
                username=f"bench_m{n:05d}",
                display_name=m.name,
                member=m,
                password=password,
                must_change_password=False,
            )
    accounts = list(User.objects.filter(username__startswith="bench_m").order_by("pk")[:members])
    hashed = make_password(
        password, hasher="argon2"
    )  # one Argon2 hash for all: 100 MiB and a fifth of a second
    for u in accounts:
        u.password = hashed
    User.objects.bulk_update(accounts, ["password"])
    branches = list(Organization.objects.filter(kind="branch").order_by("path")[:staff])
    workers = []
    for n, org in enumerate(branches):
        name = f"bench_w{n:03d}"
        u = User.objects.filter(username=name).first()
        if u is None:
            u, _ = account_services.user_create(
                actor=None,
                username=name,
                display_name=name,
                password=password,
                must_change_password=False,
            )
            account_services.grant_create(
                actor=None, user=u, role=Role.BRANCH_WORKER, organization=org
            )
        u.password = hashed
        u.save(update_fields=["password"])
        assert RoleGrant.objects.filter(user=u, revoked_at__isnull=True).exists()  # noqa: S101
        device, _ = StaticDevice.objects.get_or_create(user=u, name="bench")
        codes = [secrets.token_hex(4) for _ in range(tokens)]
        StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
        workers.append({"username": name, "codes": codes})
    return {
        "password": password,
        "members": [u.username for u in accounts],
        "staff": workers,
    }


def serve(port: int, workers: int, worker_class: str, threads: int) -> subprocess.Popen:
    bindir = Path(sys.executable).parent
    argv = [
        str(bindir / "gunicorn"),
        "dangjian.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--log-level",
        "warning",
    ]
    env = {**os.environ, "DANGJIAN_ALLOWED_HOSTS": "127.0.0.1,localhost", "DEBUG": ""}
    proc = subprocess.Popen(argv, env=env)  # noqa: S603 - fixed argv
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)  # noqa: S310
            return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("gunicorn did not start")


def locust(
    port: int,
    users_class: str,
    clients: int,
    seconds: int,
    data: Path,
    out: Path,
    server_pid: int,
    warmup: int = 0,
) -> dict[str, Any]:
    """One load: `clients` sign in (not counted: the statistics restart once all have), then
    `seconds` of pages."""
    prefix = out / users_class
    argv = [
        str(Path(sys.executable).parent / "locust"),
        "-f",
        str(LOCUSTFILE),
        users_class,
        "--headless",
        "--users",
        str(clients),
        "--spawn-rate",
        str(clients),
        "--run-time",
        f"{seconds + warmup}s",
        "--host",
        f"http://127.0.0.1:{port}",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "ERROR",
        "--stop-timeout",
        "10",
    ]
    env = {**os.environ, "BENCH_PORTAL_DATA": str(data), "BENCH_PORTAL_CLIENTS": str(clients)}
    proc = subprocess.Popen(  # noqa: S603
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    # the CPU spent from the end of the warm-up (every client signed in) to the end of the run
    time.sleep(warmup)
    before, since = cpu_seconds(server_pid, proc.pid), time.monotonic()
    _, _, usage = os.wait4(proc.pid, 0)
    after, window = cpu_seconds(server_pid, proc.pid), time.monotonic() - since
    if after is not None:
        after[("load", proc.pid)] = usage.ru_utime + usage.ru_stime
    rows = list(csv.DictReader(open(f"{prefix}_stats.csv", encoding="utf-8")))
    pages: dict[str, Any] = {}
    for r in rows:
        if r["Request Count"] == "0":
            continue  # the sign-in pages, before the statistics restarted
        pages[r["Name"]] = {
            "requests": int(r["Request Count"]),
            "failures": int(r["Failure Count"]),
            "req_s": round(float(r["Requests/s"]), 1),
            "p50_ms": float(r["50%"]),
            "p99_ms": float(r["99%"]),
        }
    total = pages.get("Aggregated", {}).get("req_s", 0) * window
    if before is not None and after is not None and total:
        spent = {"web": 0.0, "database": 0.0, "load": 0.0}
        for (part, pid), seconds in after.items():  # a process that ended meanwhile is left out
            spent[part] += seconds - before.get((part, pid), 0.0)
        pages["cpu_ms_per_request"] = {
            part: round(seconds * 1000 / total, 2) for part, seconds in spent.items()
        }
    return pages


def machine_ms() -> float:
    """The time of a fixed piece of pure Python on this machine, best of three, in ms: the
    yardstick printed beside the figures (a machine twice as slow doubles it)."""
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        sum(range(10**7))
        best = min(best, time.perf_counter() - t)
    return round(best * 1000, 1)


def cpu_seconds(server_pid: int, locust_pid: int) -> dict[tuple[str, int], float] | None:
    """CPU seconds (user + system) so far of each web worker (the server and its children), each
    process of the database server (`postgres`; none on SQLite) and the load generator, by (part,
    pid), from /proc (None where there is no /proc)."""
    if not os.path.isdir("/proc"):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[tuple[str, int], float] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", encoding="utf-8") as f:
                stat = f.read()
        except OSError:
            continue
        pid, comm = int(d), stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        ppid, spent = int(fields[1]), (int(fields[11]) + int(fields[12])) / tick
        if ppid == server_pid or pid == server_pid:
            out[("web", pid)] = spent
        elif comm == "postgres":
            out[("database", pid)] = spent
        elif pid == locust_pid:
            out[("load", pid)] = spent
    return out


def rush_check(since: float) -> dict[str, Any]:
    """After the rush: every order the sandbox confirmed has its payment, and no order is left
    half-done."""

    from datetime import UTC, datetime

    from dangjian.fees.models import FeeMonth, Payment, PaymentOrder

    start = datetime.fromtimestamp(since, tz=UTC)
    orders = PaymentOrder.objects.filter(created_at__gte=start)
    paid = orders.filter(status="paid")
    payments = Payment.objects.filter(order__in=orders)
    # every month a paid order covers is marked paid in the ledger
    unpaid_months = sum(
        FeeMonth.objects.filter(
            member_id=o.member_id, month_index__in=o.month_indexes, paid_fen__isnull=True
        ).count()
        for o in paid.only("member_id", "month_indexes")
    )
    return {
        "orders": orders.count(),
        "orders_paid": paid.count(),
        "orders_left_created": orders.filter(status="created").count(),
        "payments": payments.count(),
        "paid_orders_without_payment": paid.exclude(pk__in=payments.values("order_id")).count(),
        "paid_months_not_in_ledger": unpaid_months,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--staff-clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--rush-seconds", type=int, default=0)
    parser.add_argument("--members", type=int, default=400)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--skip", nargs="*", default=[], choices=["members", "staff"])
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from dangjian.orgs.models import Organization

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if not Organization.objects.exists():
        print("seeding the district …", file=sys.stderr)
        call_command("seed", "--scale", "district", "--seed", "1", verbosity=0)
    tokens = (args.seconds + args.rush_seconds) * 4 + 200
    data = prepare(args.members, args.staff_clients, tokens)
    connection.close()
    tmp = Path(tempfile.mkdtemp(prefix="bench_portal_"))
    data_file = tmp / "accounts.json"
    data_file.write_text(json.dumps(data))
    before = machine_ms()
    server = serve(args.port, args.workers, args.worker_class, args.threads)
    result: dict[str, Any] = {
        "database": connection.vendor,
        "gunicorn": f"{args.workers} × {args.worker_class}"
        + (f" ({args.threads} threads)" if args.threads > 1 else ""),
        "cores": os.cpu_count(),
    }
    try:
        for kind, clients in (("members", args.clients), ("staff", args.staff_clients)):
            if kind in args.skip:
                continue
            users_class = "MemberUser" if kind == "members" else "StaffUser"
            pages = locust(
                args.port,
                users_class,
                clients,
                args.seconds,
                data_file,
                tmp,
                server.pid,
                warmup=clients,
            )
            result[kind] = {"clients": clients, "seconds": args.seconds, "pages": pages}
        if args.rush_seconds:
            # the month's first morning: the monthly job has opened this month's ledger
            from django.db.models import Max

            from dangjian.fees.models import FeeMonth
            from dangjian.fees.services import current_index, ledger_generate

            last = FeeMonth.objects.aggregate(m=Max("month_index"))["m"] or current_index() - 1
            for month in range(last + 1, current_index() + 1):
                ledger_generate(month=month)
            connection.close()
            since = time.time()
            pages = locust(
                args.port, "RushUser", args.clients, args.rush_seconds, data_file, tmp, server.pid
            )
            result["rush"] = {
                "clients": args.clients,
                "seconds": args.rush_seconds,
                "pages": pages,
                **rush_check(since),
            }
    finally:
        server.terminate()
        server.wait(timeout=30)
    result["machine_ms"] = {"before": before, "after": machine_ms()}
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
