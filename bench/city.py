"""City-scale figures for one database (DATABASE_URL): seed, export, import, page latency."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    import django

    django.setup()


def timed(fn, *a, **kw):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    out = fn(*a, **kw)
    return out, time.perf_counter() - t


def pages(repeat: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    from dangjian.accounts import services
    from dangjian.accounts.constants import Role
    from dangjian.accounts.models import User
    from dangjian.orgs.models import Organization

    root = Organization.objects.filter(depth=1).order_by("path").first()
    branch = Organization.objects.filter(kind="branch").order_by("-path").first()
    user = User.objects.filter(username="bench_city").first()
    if user is None:
        user, _ = services.user_create(
            actor=None,
            username="bench_city",
            display_name="bench",
            password="Bench-Passw0rd!",  # noqa: S106
            must_change_password=False,
        )
        services.grant_create(actor=None, user=user, role=Role.COMMITTEE_STAFF, organization=root)
    device, _ = StaticDevice.objects.get_or_create(user=user, name="bench")
    client = Client()
    client.force_login(user, backend="dangjian.accounts.backends.ModelBackend")
    s = client.session
    s[DEVICE_ID_SESSION_KEY] = device.persistent_id
    s.save()
    targets = {
        "member list, city root": "/members/",
        "member list, one branch": f"/members/?org={branch.pk}",
        "member list, name search": "/members/?q=%E6%9E%97",
        "organization page, city root": f"/orgs/{root.pk}/",
        "organization page, branch": f"/orgs/{branch.pk}/",
        "API members, city root": "/api/v1/members/",
        "monitoring dashboard, city root": "/monitor/",
    }
    out = {}
    for label, url in targets.items():
        assert client.get(url).status_code == 200, url
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            resp = client.get(url)
            times.append((time.perf_counter() - t) * 1000)
            assert resp.status_code == 200
        with CaptureQueriesContext(connection) as q:
            client.get(url)
        times.sort()
        out[label] = {
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
            "queries": len(q.captured_queries),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="city")
    parser.add_argument(
        "--import-url", required=True, help="DATABASE_URL of an empty database to import into"
    )
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument(
        "--pages-only", action="store_true", help="reuse the seeded database: time the pages only"
    )
    args = parser.parse_args()
    setup_django()
    from datetime import date

    from django.core.management import call_command

    from dangjian.demo.services import seed_city
    from dangjian.interchange.exporter import export_bundle_dir

    result: dict = {"database": os.environ.get("DATABASE_URL", "").split("@")[-1]}
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if args.pages_only:
        from dangjian.core.bulk import analyze
        from dangjian.members.models import Member
        from dangjian.orgs.counters import counters_recount
        from dangjian.orgs.models import Organization

        counters_recount()
        analyze([Organization, Member])
        result["pages"] = pages(args.repeat)
        print(json.dumps(result, ensure_ascii=False))
        return
    _, result["seed_s"] = timed(seed_city, scale=args.scale, seed=1, today=date(2026, 11, 27))
    bundle = Path(tempfile.mkdtemp(prefix="dangjian-bench-"))
    _, result["export_s"] = timed(export_bundle_dir, bundle)
    result["pages"] = pages(args.repeat)
    # import into the empty database in a child process (settings are per process)
    import subprocess

    env = {**os.environ, "DATABASE_URL": args.import_url}
    subprocess.run([sys.executable, "-m", "dangjian.cli", "migrate", "-v0"], env=env, check=True)
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "dangjian.cli", "import", "bundle", str(bundle)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    result["import_s"] = time.perf_counter() - t
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "dangjian.cli", "import", "bundle", str(bundle)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    result["reimport_s"] = time.perf_counter() - t
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
