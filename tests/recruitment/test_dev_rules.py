"""DEV-01/02/05/06/10/14/15 exactly as rules-contract.md says, on hand-made bundles with
recruitment.csv, including month-end arithmetic (Jan 31 + 1 month = Feb 28) and leap years."""

from __future__ import annotations

from pathlib import Path

import pytest

from dangjian.interchange.importer import import_bundle_dir
from tests.compliance.test_org_rules import ORG_HEAD, scan

pytestmark = pytest.mark.django_db
HEAD = (
    "person_no,name,gender,birth_date,org_code,applied_on,talked_on,activist_on,target_on,reviewed_on,trained_on,"
    "publicized_on,admitted_on,approved_on,oath_on,full_on\n"
)
CONTRACT = {"DEV-01", "DEV-02", "DEV-05", "DEV-06", "DEV-10", "DEV-14", "DEV-15"}
COLS = HEAD.strip().split(",")


def row(no: str, **d: str) -> str:
    base = {
        "person_no": no,
        "name": f"申请人{no}",
        "gender": "男",
        "birth_date": "1995-05-05",
        "org_code": "B1",
        "applied_on": "2020-01-10",
        "talked_on": "2020-01-20",
    }
    base.update(d)
    return ",".join(base.get(c, "") for c in COLS)


def load(tmp: Path, rows: list[str]) -> None:
    d = tmp / "bundle"
    d.mkdir(exist_ok=True)
    (d / "orgs.csv").write_text(
        ORG_HEAD
        + "C,中共示范委员会,,committee,organ,2000-01-01\nB1,第一支部,C,branch,organ,2000-01-01\n",
        encoding="utf-8",
    )
    (d / "recruitment.csv").write_text(HEAD + "".join(r + "\n" for r in rows), encoding="utf-8")
    import_bundle_dir(d)


def dev(as_of: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in scan(as_of):
        if f["rule"] in CONTRACT:
            assert f["org"] == "B1"
            assert f["period"] is None
            out.setdefault(f["rule"], set()).add(f["member"])
    return out


def test_dev_01_under_18_on_the_application_day_leap_day_birthday(tmp_path):
    load(
        tmp_path,
        [
            row(
                "P1", birth_date="2004-02-29", applied_on="2022-02-27", talked_on="2022-03-01"
            ),  # 18 on 2022-02-28: under
            row(
                "P2", birth_date="2004-02-29", applied_on="2022-02-28", talked_on="2022-03-01"
            ),  # 18 that day (clamped): fine
            row(
                "P3", birth_date="2005-06-15", applied_on="2023-06-14", talked_on="2023-06-20"
            ),  # one day short
            row("P4", birth_date="2005-06-15", applied_on="2023-06-15", talked_on="2023-06-20"),
        ],
    )
    found = dev("2026-01-15")
    assert found.get("DEV-01") == {"P1", "P3"}
    f = next(x for x in scan("2026-01-15") if x["rule"] == "DEV-01" and x["member"] == "P1")
    assert f["severity"] == "high"


def test_dev_02_talk_within_one_month_month_end_clamped(tmp_path):
    load(
        tmp_path,
        [
            row(
                "T1", applied_on="2025-01-31", talked_on="2025-02-28"
            ),  # Jan 31 + 1 month = Feb 28: on time
            row("T2", applied_on="2025-01-31", talked_on="2025-03-01"),  # late
            row(
                "T3", applied_on="2024-01-31", talked_on="2024-02-29"
            ),  # leap year: Feb 29 is the deadline
            row("T4", applied_on="2024-01-31", talked_on="2024-03-01"),
            row(
                "T5", applied_on="2025-12-15", talked_on=""
            ),  # empty, deadline 2026-01-15: not later yet
            row("T6", applied_on="2025-12-14", talked_on=""),  # empty, deadline 2026-01-14 < D
        ],
    )
    assert dev("2026-01-15").get("DEV-02") == {"T2", "T4", "T6"}
    assert dev("2026-01-16").get("DEV-02") == {"T2", "T4", "T5", "T6"}


def test_dev_05_development_object_one_year_after_activist(tmp_path):
    load(
        tmp_path,
        [
            row(
                "A1", activist_on="2024-02-29", target_on="2025-02-28"
            ),  # + 1 year = 2025-02-28: fine
            row("A2", activist_on="2024-02-29", target_on="2025-02-27"),
            row("A3", activist_on="2023-03-31", target_on="2024-03-30"),
            row("A4", activist_on="2023-03-31", target_on=""),
        ],
    )
    assert dev("2026-01-15").get("DEV-05") == {"A2", "A3"}


def test_dev_06_review_and_training_before_admission(tmp_path):
    load(
        tmp_path,
        [
            row(
                "R1",
                admitted_on="2025-03-01",
                reviewed_on="2025-02-01",
                trained_on="2025-03-01",
                approved_on="2025-04-01",
                full_on="2026-03-01",
            ),  # training on the meeting day is not later: fine
            row(
                "R2",
                admitted_on="2025-03-01",
                reviewed_on="",
                trained_on="2025-02-01",
                approved_on="2025-04-01",
            ),
            row(
                "R3",
                admitted_on="2025-03-01",
                reviewed_on="2025-02-01",
                trained_on="2025-03-02",
                approved_on="2025-04-01",
            ),
            row("R4", admitted_on="", reviewed_on="", trained_on=""),
        ],
    )
    assert dev("2026-01-15").get("DEV-06") == {"R2", "R3"}


def test_dev_10_approval_within_three_months(tmp_path):
    ok = {"reviewed_on": "2024-10-01", "trained_on": "2024-10-01"}
    load(
        tmp_path,
        [
            row(
                "V1",
                admitted_on="2024-11-30",
                approved_on="2025-02-28",
                oath_on="2025-03-01",
                full_on="2025-11-30",
                **ok,
            ),  # Nov 30 + 3 = Feb 28
            row(
                "V2",
                admitted_on="2024-11-30",
                approved_on="2025-03-01",
                oath_on="2025-03-02",
                full_on="2025-11-30",
                **ok,
            ),
            row(
                "V3", admitted_on="2025-10-15", approved_on="", **ok
            ),  # deadline 2026-01-15: not later yet
            row("V4", admitted_on="2025-10-14", approved_on="", **ok),
        ],
    )
    assert dev("2026-01-15").get("DEV-10") == {"V2", "V4"}


def test_dev_14_and_15_probation(tmp_path):
    ok = {"reviewed_on": "2023-10-01", "trained_on": "2023-10-01"}
    load(
        tmp_path,
        [
            row(
                "F1",
                admitted_on="2024-02-29",
                approved_on="2024-03-15",
                oath_on="2024-03-20",
                full_on="2025-02-28",
                **ok,
            ),  # 1 year: fine
            row(
                "F2",
                admitted_on="2024-02-29",
                approved_on="2024-03-15",
                oath_on="2024-03-20",
                full_on="2025-02-27",
                **ok,
            ),  # early
            # no conversion: deadline = admitted + 1 year + 1 month (calendar)
            row(
                "F3", admitted_on="2024-11-30", approved_on="2024-12-20", oath_on="2024-12-25", **ok
            ),  # 2025-12-30 < D
            row(
                "F4", admitted_on="2024-12-15", approved_on="2024-12-20", oath_on="2024-12-25", **ok
            ),  # 2026-01-15: not later
            row(
                "F5", admitted_on="2024-11-30", approved_on="", **ok
            ),  # not approved: DEV-10, not DEV-15
        ],
    )
    found = dev("2026-01-15")
    assert found.get("DEV-14") == {"F2"}
    assert found.get("DEV-15") == {"F3"}
    assert {f["severity"] for f in scan("2026-01-15") if f["rule"] == "DEV-15"} == {"warn"}


def test_a_regular_record_has_no_contract_finding(tmp_path):
    load(
        tmp_path,
        [
            row(
                "OK1",
                birth_date="1990-01-01",
                applied_on="2022-01-05",
                talked_on="2022-01-20",
                activist_on="2022-04-01",
                target_on="2023-04-10",
                reviewed_on="2023-06-01",
                trained_on="2023-06-10",
                publicized_on="2023-06-20",
                admitted_on="2023-07-01",
                approved_on="2023-08-15",
                oath_on="2023-08-20",
                full_on="2024-07-01",
            )
        ],
    )
    assert dev("2026-01-15") == {}


def test_bad_rows_are_refused_and_nothing_written(tmp_path):
    from dangjian.interchange.reader import BundleError
    from dangjian.recruitment.models import Candidate

    with pytest.raises(BundleError) as exc:
        load(
            tmp_path,
            [
                row("B1x", talked_on="2019-12-01"),  # before the application
                row(
                    "B2x", admitted_on="2021-01-01", approved_on="2020-12-01"
                ),  # approval before the meeting
                row("B3x", birth_date="2030-01-01"),  # born after applying
                row("B4x", org_code="ZZ"),
                row("B4x"),  # the same person twice
                row("B6x", applied_on="2099-01-01", talked_on=""),  # in the future
            ],
        )
    issues = {(i.row, i.column) for i in exc.value.issues}
    assert {
        (2, "talked_on"),
        (3, "approved_on"),
        (4, "birth_date"),
        (5, "org_code"),
        (6, "person_no"),
        (7, "applied_on"),
    } <= issues
    assert Candidate.objects.count() == 0


def test_round_trip_and_link_to_the_member(tmp_path):
    from dangjian.interchange.exporter import build_bundle
    from dangjian.recruitment.models import Candidate

    load(
        tmp_path,
        [
            row(
                "OK1",
                activist_on="2022-04-01",
                target_on="2023-04-10",
                reviewed_on="2023-06-01",
                trained_on="2023-06-10",
                admitted_on="2023-07-01",
                approved_on="2023-08-15",
                oath_on="2023-08-20",
                full_on="2024-07-01",
            ),
            row("OK2"),
        ],
    )
    first = build_bundle()["recruitment.csv"]
    import_bundle_dir(tmp_path / "bundle")
    assert Candidate.objects.count() == 2
    assert build_bundle()["recruitment.csv"] == first
    assert (
        first.decode()
        .splitlines()[1]
        .startswith("OK1,申请人OK1,男,1995-05-05,B1,2020-01-10,2020-01-20,2022-04-01")
    )


def test_reminders_ahead_of_deadlines_are_info_not_the_rule(tmp_path):
    load(
        tmp_path,
        [
            row("D1", applied_on="2026-01-05", talked_on=""),  # talk due 2026-02-05
            row(
                "D2",
                admitted_on="2025-10-20",
                reviewed_on="2025-09-01",
                trained_on="2025-09-01",
                approved_on="",
            ),
        ],
    )  # 2026-01-20
    found = [f for f in scan("2026-01-15") if f["rule"].startswith("DEV-")]
    assert {(f["rule"], f["member"], f["severity"]) for f in found} == {("DEV-00", "D2", "info")}
    assert "2026年01月20日前完成上级党委审批" in found[0]["message"]
    assert {
        (f["rule"], f["member"]) for f in scan("2026-01-25") if f["rule"].startswith("DEV-")
    } == {("DEV-00", "D1"), ("DEV-10", "D2")}


def test_an_approved_row_links_to_the_member_with_the_same_number(tmp_path):
    from dangjian.core import idnumber as idn
    from dangjian.recruitment.models import Candidate
    from tests.compliance.test_org_rules import MEMBER_HEAD

    d = tmp_path / "bundle"
    d.mkdir()
    (d / "orgs.csv").write_text(
        ORG_HEAD
        + "C,中共示范委员会,,committee,organ,2000-01-01\nB1,第一支部,C,branch,organ,2000-01-01\n",
        encoding="utf-8",
    )
    (d / "members.csv").write_text(
        MEMBER_HEAD + "OK1,申请人OK1,男,1995-05-05,"
        f"{idn.make('350203', __import__('datetime').date(1995, 5, 5), 11)},,"
        "B1,probationary,2025-07-01,,employed,5000.00\n",
        encoding="utf-8",
    )
    (d / "recruitment.csv").write_text(
        HEAD
        + row(
            "OK1",
            activist_on="2024-04-01",
            target_on="2025-04-10",
            reviewed_on="2025-06-01",
            trained_on="2025-06-10",
            admitted_on="2025-07-01",
            approved_on="2025-08-15",
            oath_on="2025-08-20",
        )
        + "\n"
        + row("OK2")
        + "\n",
        encoding="utf-8",
    )
    import_bundle_dir(d)
    assert Candidate.objects.get(person_no="OK1").member.member_no == "OK1"
    assert Candidate.objects.get(person_no="OK2").member is None
