"""Run bench/city.py and bench/scan.py on SQLite and on PostgreSQL and print the figures side by
side."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")


def fresh_pg(name: str) -> str:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG}/{name}"


def fresh_sqlite(name: str) -> str:
    path = ROOT / "var" / "bench" / f"{name}.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return f"sqlite:///{path}"


def _script(name: str, db_url: str, *args: str) -> dict:
    env = {**os.environ, "DATABASE_URL": db_url}
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / name), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"bench/{name} failed on {db_url}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(db_url: str, import_url: str, scale: str) -> dict:
    figures = _script("city.py", db_url, "--scale", scale, "--import-url", import_url)
    figures["scan"] = _script("scan.py", db_url, "--scale", scale)  # on the database city.py seeded
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="city")
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    results = {}
    if args.only in (None, "sqlite"):
        results["SQLite"] = run(fresh_sqlite("city"), fresh_sqlite("city_import"), args.scale)
    if args.only in (None, "postgres"):
        results["PostgreSQL"] = run(
            fresh_pg("dangjian_bench"), fresh_pg("dangjian_bench_import"), args.scale
        )
    names = list(results)
    print(f"\nscale: {args.scale}")
    print(f"{'measure':<40}" + "".join(f"{n:>22}" for n in names))
    for key, label in [
        ("seed_s", "seed (s)"),
        ("export_s", "export bundle (s)"),
        ("import_s", "import into empty db (s)"),
        ("reimport_s", "re-import, no change (s)"),
    ]:
        print(f"{label:<40}" + "".join(f"{results[n][key]:>22.1f}" for n in names))
    for page in results[names[0]]["pages"]:
        cells = ""
        for n in names:
            p = results[n]["pages"][page]
            cell = "{:.1f} / {:.1f} ms, {} q".format(p["p50_ms"], p["p95_ms"], p["queries"])
            cells += f"{cell:>22}"
        print(f"{page + ' p50/p95':<40}{cells}")
    print_scan(results)


def print_scan(results: dict) -> None:
    names = list(results)
    scan = {n: results[n]["scan"] for n in names}
    rows = [
        ("rules through the engine (s)", lambda s: f"{s['rules_engine_s']:.3f}"),
        ("hand-written SQL, the floor (s)", lambda s: f"{s['rules_floor_s']:.3f}"),
        ("ratio engine / floor (target <= 2)", lambda s: f"{s['ratio']:.2f}"),
        (
            "same findings as the floor",
            lambda s: "yes" if s["same_findings"] else "NO " + ",".join(s["mismatched"]),
        ),
        ("full scan from no findings (s)", lambda s: f"{s['scan_full_s']:.1f}"),
        ("findings opened", lambda s: str(s["opened"])),
        ("re-scan, no change (s)", lambda s: f"{s['rescan_s']:.1f}"),
        ("re-scan: finding/roll-up/reminder writes", lambda s: str(s["rescan_domain_writes"])),
        ("50,000 findings -> reminders (s)", lambda s: f"{s['reminders']['sync_s']:.1f}"),
        ("  reminders created", lambda s: str(s["reminders"]["reminders_created"])),
        ("  daily digest queued (s)", lambda s: f"{s['reminders']['digest_s']:.1f}"),
        (
            "dashboard city root p50/p95 (ms)",
            lambda s: f"{s['dashboard']['p50_ms']:.0f} / {s['dashboard']['p95_ms']:.0f}",
        ),
    ]
    print("\nmonitoring engine")
    for label, fmt in rows:
        print(f"{label:<40}" + "".join(f"{fmt(scan[n]):>22}" for n in names))


if __name__ == "__main__":
    main()
