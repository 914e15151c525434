"""bench/scan.py's floors — hand-written SQL for every rule of the pack — give the engine's findings
to the row on a seeded city with planted irregularities, on both databases, at dates that wake the
reminders (DEV-00, TRF-00 ahead of their deadlines; EDU-00 from October). The bench times the two
against each other; this keeps its "same findings" honest."""

from __future__ import annotations

import importlib.util
import io
import sys
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _scan_bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_scan", BENCH / "scan.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_scan", module)
    spec.loader.exec_module(module)
    return module


def test_every_rule_has_a_floor_with_the_engines_findings() -> None:
    from dangjian.compliance.engine import REGISTRY

    bench = _scan_bench()
    call_command(
        "seed",
        "--scale",
        "tiny",
        "--seed",
        "5",
        "--today",
        "2026-06-30",
        "--plant-rate",
        "0.15",
        stdout=io.StringIO(),
    )
    core = {
        r for r in REGISTRY if r.split("-")[0] in {"ORG", "FEE", "SUP", "LIFE", "DEV", "EDU", "TRF"}
    }
    nonempty: set[str] = set()
    for as_of in (date(2026, 6, 30), date(2026, 10, 15), date(2026, 12, 31)):
        ids = bench.floor_ids(as_of)
        assert core <= ids, sorted(core - ids)
        floor, engine = bench.floor_run(as_of), bench.engine_run(as_of, ids)
        assert {r: sorted(map(str, floor[r])) for r in ids if floor[r] != engine[r]} == {}
        nonempty |= {r for r in ids if floor[r]}
    # the comparison is not of empty sets: most rules find something in the planted city
    assert len(nonempty) >= 40, sorted(ids - nonempty)
    assert {"DEV-00", "EDU-00"} <= nonempty
