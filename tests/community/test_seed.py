"""The seed gives every community its 小区 and residents, in-service members their 报到 and
services, and plants NBR-01/03/04/05 with ground truth; a scan finds exactly the planted ones."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from dangjian.community.models import Place, Report, Residence, Service

pytestmark = pytest.mark.django_db


def test_the_scan_finds_exactly_the_planted_neighbourhood_problems(tmp_path):
    truth_file = tmp_path / "truth.jsonl"
    call_command(
        "seed", "--scale", "district", "--seed", "7", "--today", "2026-10-15",
        "--plant-rate", "0.2", "--truth", str(truth_file), stdout=io.StringIO(),
    )  # fmt: skip
    planted = {
        (t["rule"], t["org"])
        for t in map(json.loads, truth_file.read_text().splitlines())
        if t["rule"].startswith("NBR-")
    }
    assert {rule for rule, _ in planted} == {"NBR-01", "NBR-03", "NBR-04", "NBR-05"}
    assert Place.objects.count() > 50
    assert Residence.objects.count() > 1000
    assert Report.objects.count() > 100
    assert Service.objects.count() >= 2 * Report.objects.count() - len(planted)
    out = io.StringIO()
    call_command("scan", "--as-of", "2026-10-15", "--json", stdout=out)
    found = {
        (f["rule"], f["org"])
        for f in map(json.loads, out.getvalue().splitlines())
        if f["rule"].startswith("NBR-")
    }
    assert found == planted
