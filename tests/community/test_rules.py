"""NBR-01/03/04/05 at their boundaries, from hand-made bundles through `dangjian scan --as-of D
--json` (issue 18): exactly N−1 vs N full members in a 小区; reported on 31 March vs 1 April;
services on 31 December; an issue 15 vs 16 days without a decision."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from dangjian.community.models import Issue, Place, Report, Residence, Service
from dangjian.core import idnumber
from dangjian.core.bundle import BundleError
from dangjian.interchange.exporter import export_bundle_dir
from dangjian.interchange.importer import import_bundle_dir
from dangjian.members.models import Member
from dangjian.orgs.services import org_create

pytestmark = pytest.mark.django_db

ORGS = """code,name,parent_code,kind,category,established_on
C1,中共示范市委员会,,committee,organ,2000-01-01
ST,中共示范街道工作委员会,C1,committee,community,2000-01-01
CM,中共示范社区委员会,ST,committee,community,2000-01-01
CMB,示范花园小区党支部,CM,branch,community,2000-01-01
OF,示范局机关党支部,C1,branch,organ,2000-01-01
PV,示范科技有限公司党支部,C1,branch,private,2000-01-01
"""
HEAD = (
    "member_no,name,gender,birth_date,id_number,phone,org_code,status,joined_on,full_on,"
    "fee_category,fee_base\n"
)


def member(no: str, n: int, org: str, status: str = "full") -> str:
    born = date(1980, 5, 17)
    full_on = "2006-07-01" if status == "full" else ""
    return (
        f"{no},党员{n},男,1980-05-17,{idnumber.make('350203', born, 101 + 2 * n)},1380000{n:04d},"
        f"{org},{status},2005-07-01,{full_on},employed,6000.00\n"
    )


def bundle(tmp_path: Path) -> Path:
    """P-N: N full members live there, uncovered (N = 3 fires NBR-01, 2 does not); P-COV: 3 but
    covered by the 小区党支部; P-PROB: 2 full + 1 probationary. Office members W1…W4 (在职): W1
    reported 31 March, W2 on 1 April, W3 never, W4 in 2024 only; the private-enterprise member
    is not asked. Services in 2025: W1 twice (the second on 31 December), W2 once."""
    rows = [
        member("R1", 1, "CMB"),
        member("R2", 2, "CMB"),
        member("R3", 3, "CMB"),
        member("R4", 4, "CMB"),
        member("R5", 5, "CMB"),
        member("R6", 6, "CMB"),
        member("R7", 7, "CMB"),
        member("R8", 8, "CMB"),
        member("R9", 9, "CMB", status="probationary"),
        member("W1", 11, "OF"),
        member("W2", 12, "OF"),
        member("W3", 13, "OF"),
        member("W4", 14, "OF"),
        member("V1", 15, "PV"),
    ]
    files = {
        "orgs.csv": ORGS,
        "members.csv": HEAD + "".join(rows),
        "places.csv": "code,name,community,households,property_party,covered_by\n"
        "P-3,三人小区,CM,100,no,\n"
        "P-2,二人小区,CM,80,yes,\n"
        "P-COV,已建支部小区,CM,300,no,CMB\n"
        "P-PROB,预备党员小区,CM,50,no,\n",
        "residence.csv": "member_no,place\n"
        "R1,P-3\nR2,P-3\nW1,P-3\nR3,P-2\nR4,P-2\nR5,P-COV\nR6,P-COV\nR7,P-COV\n"
        "R8,P-PROB\nW2,P-PROB\nR9,P-PROB\n",
        "reports.csv": "member_no,community,reported_on\n"
        "W1,CM,2025-03-31\nW2,CM,2025-04-01\nW4,CM,2024-03-01\n",
        "services.csv": "member_no,community,done_on,hours\n"
        "W1,CM,2025-06-01,2.0\nW1,CM,2025-12-31,1.5\nW2,CM,2025-05-01,3.0\n",
    }
    d = tmp_path / "bundle"
    d.mkdir()
    for name, text in files.items():
        (d / name).write_text(text, encoding="utf-8")
    return d


def scan(as_of: str, rule: str) -> list[dict[str, Any]]:
    out = io.StringIO()
    call_command("scan", "--as-of", as_of, "--json", stdout=out)
    return [f for f in map(json.loads, out.getvalue().splitlines()) if f["rule"] == rule]


def _members(found: list[dict[str, Any]]) -> set[str]:
    return {f["member"] for f in found}


def test_nbr01_n_full_members_and_no_branch(tmp_path):
    import_bundle_dir(bundle(tmp_path))
    found = scan("2025-06-30", "NBR-01")
    assert len(found) == 1
    assert "“三人小区”居住正式党员3人" in found[0]["message"]
    assert found[0]["org"] == "CM"


def test_nbr03_reported_by_31_march(tmp_path):
    import_bundle_dir(bundle(tmp_path))
    assert scan("2025-03-31", "NBR-03") == []  # the deadline day: nobody late yet
    assert _members(scan("2025-04-01", "NBR-03")) == {"W3", "W4"}  # W2 reported that day
    on_first = _members(scan("2025-03-31", "NBR-03"))
    assert on_first == set()


def test_nbr03_reported_on_1_april_is_late_on_31_march_scan_of_the_next_day(tmp_path):
    import_bundle_dir(bundle(tmp_path))
    Report.objects.filter(member__member_no="W2").update(reported_on=date(2025, 4, 2))
    assert _members(scan("2025-04-01", "NBR-03")) == {"W2", "W3", "W4"}


def test_nbr04_from_october_services_through_31_december(tmp_path):
    import_bundle_dir(bundle(tmp_path))
    assert scan("2025-09-30", "NBR-04") == []  # not before October
    assert _members(scan("2025-10-01", "NBR-04")) == {"W1", "W2"}  # W1's second is in December
    assert _members(scan("2025-12-30", "NBR-04")) == {"W1", "W2"}
    assert _members(scan("2025-12-31", "NBR-04")) == {"W2"}  # 31 December counts


def test_nbr05_an_issue_without_decision_after_15_days():
    d = date(2000, 1, 1)
    city = org_create(
        actor=None,
        parent=None,
        code="C1",
        name="市委",
        kind="committee",
        category="organ",
        established_on=d,
    )
    street = org_create(
        actor=None,
        parent=city,
        code="ST",
        name="街道",
        kind="committee",
        category="community",
        established_on=d,
    )
    cm = org_create(
        actor=None,
        parent=street,
        code="CM",
        name="社区",
        kind="committee",
        category="community",
        established_on=d,
    )
    Issue.objects.create(
        community=cm,
        title="装卸货车位被占",
        text="美食街装卸货车位长期被占用",
        raiser_name="邻长",
        raised_on=date(2025, 5, 1),
    )
    assert scan("2025-05-16", "NBR-05") == []  # 15 days
    found = scan("2025-05-17", "NBR-05")  # 16 days
    assert len(found) == 1
    assert found[0]["org"] == "CM"


def test_bad_rows_are_named_and_nothing_is_written(tmp_path):
    d = bundle(tmp_path)
    (d / "places.csv").write_text(
        "code,name,community,households,property_party,covered_by\n"
        "P-1,甲,ST,10,no,\n"  # a street, not a community
        "P-2,乙,CM,10,maybe,\n"
        "P-2,丙,CM,10,no,\n",
        encoding="utf-8",
    )
    (d / "reports.csv").write_text(
        "member_no,community,reported_on\nW1,CM,2025-03-01\nW1,CM,2025-05-01\nW2,OF,2025-03-01\n",
        encoding="utf-8",
    )
    (d / "services.csv").write_text(
        "member_no,community,done_on,hours\nW1,CM,2025-02-01,2\nW3,CM,2025-06-01,2\n",
        encoding="utf-8",
    )
    (d / "residence.csv").write_text("member_no,place\nR1,NOPE\n", encoding="utf-8")
    with pytest.raises(BundleError) as err:
        import_bundle_dir(d)
    text = "\n".join(str(i) for i in err.value.issues)
    assert "places.csv 第2行 列“community”：“ST”不是社区党组织" in text
    assert "places.csv 第3行 列“property_party”" in text
    assert "places.csv 第4行 列“code”：小区代码“P-2”与第3行重复" in text
    assert "reports.csv 第3行 列“member_no”：与第2行重复（一年只报到一次）" in text
    assert "reports.csv 第4行 列“community”：“OF”不是社区党组织" in text
    assert "services.csv 第2行 列“done_on”：服务日期早于报到日期（2025-03-01）" in text
    assert "services.csv 第3行 列“community”：党员W3 2025年未向“CM”报到" in text
    assert "residence.csv 第2行 列“place”：小区“NOPE”不存在" in text
    assert not Member.objects.exists()
    assert not Place.objects.exists()


def test_round_trip_is_identical(tmp_path):
    import_bundle_dir(bundle(tmp_path))
    first = tmp_path / "out1"
    export_bundle_dir(first)
    again = import_bundle_dir(first)
    assert Service.objects.count() == 3
    assert Residence.objects.count() == 11
    second = tmp_path / "out2"
    export_bundle_dir(second)
    for name in ("places.csv", "residence.csv", "reports.csv", "services.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert again is not None
