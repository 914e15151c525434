"""FEE-02/03/04/05/09 exactly as rules-contract.md says, on hand-made bundles (with fees.csv)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dangjian.core import idnumber
from dangjian.interchange.importer import import_bundle_dir
from tests.compliance.test_org_rules import MEMBER_HEAD, ORG_HEAD, POST_HEAD, TERM_HEAD, scan

pytestmark = pytest.mark.django_db
FEE_HEAD = "member_no,month,due,paid,paid_on\n"


class FeeBundle:
    def __init__(self) -> None:
        self.members: list[str] = []
        self.fees: list[str] = []
        self.n = 0

    def member(
        self,
        joined: str = "2010-01-01",
        category: str = "employed",
        base: str = "5000.00",
        status: str = "full",
        org: str = "B1",
    ) -> str:
        self.n += 1
        no = f"F{self.n:04d}"
        idn = idnumber.make("350203", date(1980, 1, 1), self.n * 2 + 1)
        y, m, d = map(int, joined.split("-"))
        full_on = f"{y + 1:04d}-{m:02d}-{d:02d}" if status == "full" else ""
        self.members.append(
            f"{no},党员{self.n},男,1980-01-01,{idn},,{org},{status},{joined},{full_on},{category},{base}"
        )
        return no

    def month(self, no: str, month: str, due: str, paid: str = "", paid_on: str = "") -> FeeBundle:
        if paid and not paid_on and paid not in ("0", "0.00"):
            paid_on = f"{month}-10"
        self.fees.append(f"{no},{month},{due},{paid},{paid_on}")
        return self

    def paid_months(self, no: str, months: list[str], due: str = "50.00") -> FeeBundle:
        for m in months:
            self.month(no, m, due, due)
        return self

    def load(self, tmp: Path) -> None:
        d = tmp / "bundle"
        d.mkdir(exist_ok=True)
        (d / "orgs.csv").write_text(
            ORG_HEAD + "C,中共示范委员会,,committee,organ,2000-01-01\n"
            "B1,第一支部,C,branch,organ,2000-01-01\n",
            encoding="utf-8",
        )
        (d / "members.csv").write_text(
            MEMBER_HEAD + "".join(m + "\n" for m in self.members), encoding="utf-8"
        )
        (d / "posts.csv").write_text(POST_HEAD, encoding="utf-8")
        (d / "terms.csv").write_text(TERM_HEAD, encoding="utf-8")
        (d / "fees.csv").write_text(
            FEE_HEAD + "".join(f + "\n" for f in self.fees), encoding="utf-8"
        )
        import_bundle_dir(d)


def months(first: str, last: str) -> list[str]:
    y, m = map(int, first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def fee_findings(as_of: str = "2026-01-15") -> dict[tuple[str, str | None, str | None], dict]:
    return {
        (f["rule"], f["member"], f["period"]): f for f in scan(as_of) if f["rule"].startswith("FEE")
    }


def test_arrears_levels_report_only_the_highest(tmp_path):
    b = FeeBundle()
    two = b.member()  # paid to 2025-10, unpaid 11-12: run 2 -> nothing
    three = b.member()  # unpaid 10, 11, 12 -> FEE-02
    four = b.member()  # run 4 -> FEE-02
    five = b.member()  # run 5 -> FEE-03
    six = b.member()  # run 6 -> FEE-04
    never = b.member(
        joined="2025-03-01"
    )  # no rows at all since joining: 2025-03..2025-12 = 10 -> FEE-04
    zero = b.member()  # rows with paid 0 count as unpaid: run 3
    b.paid_months(two, months("2025-01", "2025-10")).month(two, "2025-11", "50.00").month(
        two, "2025-12", "50.00", "0"
    )
    b.paid_months(three, months("2025-01", "2025-09"))
    b.paid_months(four, months("2025-01", "2025-08"))
    b.paid_months(five, months("2025-01", "2025-07"))
    b.paid_months(six, months("2025-01", "2025-06"))
    b.paid_months(zero, months("2025-01", "2025-09"))
    for m in ("2025-10", "2025-11", "2025-12"):
        b.month(zero, m, "50.00", "0.00")
    b.load(tmp_path)
    found = fee_findings("2026-01-15")
    arrears = {(r, m): f for (r, m, _p), f in found.items() if r in ("FEE-02", "FEE-03", "FEE-04")}
    assert set(arrears) == {
        ("FEE-02", three),
        ("FEE-02", four),
        ("FEE-03", five),
        ("FEE-04", six),
        ("FEE-04", never),
        ("FEE-02", zero),
    }
    f = arrears[("FEE-04", six)]
    assert f == {
        "rule": "FEE-04",
        "org": "B1",
        "member": six,
        "period": None,
        "severity": "critical",
        "message": f["message"],
    }
    assert arrears[("FEE-03", five)]["severity"] == "high"
    assert arrears[("FEE-02", three)]["severity"] == "warn"
    assert "连续6个月" in f["message"]
    assert "2025-07" in f["message"]
    assert "连续10个月" in arrears[("FEE-04", never)]["message"]


def test_the_last_complete_month_is_the_one_before_d(tmp_path):
    b = FeeBundle()
    m = b.member()
    b.paid_months(m, months("2025-01", "2025-09"))
    b.load(tmp_path)
    # D = 2025-12-31: December is not complete (its last day is not before D):
    # run = 10, 11 -> nothing
    assert not any(r in ("FEE-02", "FEE-03", "FEE-04") for r, *_ in fee_findings("2025-12-31"))
    # D = 2026-01-01: December is complete: 10, 11, 12 -> FEE-02
    assert ("FEE-02", m, None) in fee_findings("2026-01-01")


def test_join_month_and_the_24_month_window(tmp_path):
    b = FeeBundle()
    mid = b.member(
        joined="2025-10-15"
    )  # October is not a whole month of membership: Nov, Dec = 2 -> nothing
    first = b.member(joined="2025-10-01")  # October counts: 3 -> FEE-02
    old = b.member(
        joined="2000-01-01"
    )  # nothing ever paid: capped by the window 2024-01..2025-12 = 24 months
    b.load(tmp_path)
    found = fee_findings("2026-01-15")
    assert ("FEE-02", first, None) in found
    assert not any(m == mid for (_r, m, _p) in found)
    assert "连续24个月" in found[("FEE-04", old, None)]["message"]


def test_fee05_partial_payment_in_complete_months(tmp_path):
    b = FeeBundle()
    m = b.member()
    b.paid_months(m, months("2025-01", "2025-12"))
    b.month(
        m, "2026-01", "50.00", "20.00", "2026-01-05"
    )  # January 2026 is not complete on 2026-01-15
    b.load(tmp_path)
    # change one complete month to a partial payment
    from dangjian.fees.models import FeeMonth

    FeeMonth.objects.filter(member__member_no=m, month="2025-06").update(paid_fen=4999)
    found = fee_findings("2026-01-15")
    partial = {k: f for k, f in found.items() if k[0] == "FEE-05"}
    assert set(partial) == {("FEE-05", m, "2025-06")}
    f = partial[("FEE-05", m, "2025-06")]
    assert f["severity"] == "warn"
    assert f["period"] == "2025-06"
    assert "49.99" in f["message"]


def test_fee09_due_against_the_bands_at_every_boundary(tmp_path):
    b = FeeBundle()
    cases = [  # (category, base, due, wrong?)
        ("employed", "3000.00", "15.00", False),
        ("employed", "3000.01", "30.00", False),
        ("employed", "3000.00", "30.00", True),
        ("employed", "5000.00", "50.00", False),
        ("employed", "5000.01", "75.00", False),
        ("employed", "10000.00", "150.00", False),
        ("employed", "10000.01", "200.00", False),
        ("employed", "3200.00", "32.00", False),
        ("employed", "5400.00", "81.00", False),
        ("employed", "11500.00", "230.00", False),
        ("employed", "1234.50", "6.17", False),  # 6.1725 -> 6.17
        ("employed", "1235.00", "6.18", False),  # 6.175 -> 6.18 (half up)
        ("other", "4000.00", "40.00", False),
        ("retired", "5000.00", "25.00", False),
        ("retired", "5000.01", "50.00", False),
        ("retired", "6000.00", "30.00", True),
        ("farmer", "0.00", "0.20", False),
        ("farmer", "0.00", "1.00", False),
        ("farmer", "0.00", "1.01", True),
        ("farmer", "0.00", "0.19", True),
        ("student", "0.00", "0.20", False),
        ("unemployed", "0.00", "0.50", True),
    ]
    nos = []
    for category, base, due, _wrong in cases:
        no = b.member(category=category, base=base)
        nos.append(no)
        b.month(no, "2025-12", due, due, "2025-12-05")
        b.paid_months(no, months("2025-01", "2025-11"), due)
    b.load(tmp_path)
    found = {m for (r, m, p) in fee_findings("2026-01-15") if r == "FEE-09" and p == "2025-12"}
    assert found == {no for no, c in zip(nos, cases, strict=True) if c[3]}
    f = next(
        f
        for (r, m, p), f in fee_findings("2026-01-15").items()
        if r == "FEE-09" and m == nos[2] and p == "2025-12"
    )
    assert f["severity"] == "high"
    assert "30.00元" in f["message"]
    assert "应为15.00元" in f["message"]
