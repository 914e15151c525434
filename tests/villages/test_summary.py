"""组团帮扶 figures (issue 19, item 4): `dangjian villages summary --year Y --json` from stored
yearly rows — totals in fen, growth half up at one decimal, the average per village with a
figure to the fen, a village exactly at the weak threshold not weak — and bad input refused."""

from __future__ import annotations

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from dangjian.core.errors import DomainError, NotVisible
from dangjian.orgs.services import org_create
from dangjian.villages import selectors, services
from dangjian.villages.models import Village, VillageYear

pytestmark = pytest.mark.django_db


def _village_org(tree, code="V1", name="中共甲村支部委员会"):
    return org_create(
        actor=None,
        parent=tree.district_a,
        code=code,
        name=name,
        kind="branch",
        category="village",
        established_on=date(2000, 1, 1),
    )


def _villages(tree):
    out = []
    for n, key in ((1, True), (2, False), (3, True)):
        org = _village_org(tree, f"V{n}", f"中共{n}号村支部委员会")
        out.append(
            services.village_save(
                actor=None,
                code=f"V{n}",
                name=f"{n}号村",
                town="示范镇",
                district="甲区",
                organization=org,
                population=1000 * n,
                households=300 * n,
                key=key,
            )  # fmt: skip
        )
    return out


def _summary(*args: str) -> dict:
    out = StringIO()
    call_command("villages", "summary", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_exact_figures_for_a_hand_made_set(tree):
    v1, v2, v3 = _villages(tree)
    for v, year, amount in (
        (v1, 2022, "300000.00"),
        (v2, 2022, "100000.00"),
        (v1, 2023, "340200.01"),
        (v2, 2023, "100000.00"),  # exactly at the threshold: not weak
        (v3, 2023, "99999.99"),  # one fen below: weak
    ):
        services.income_record(actor=None, village=v, year=year, collective=amount)
    s = _summary("--year", "2023")
    assert s["villages"] == 3
    assert s["reported"] == 3
    assert s["total_fen"] == 34_020_001 + 10_000_000 + 9_999_999 == 54_020_000
    assert s["previous_total_fen"] == 40_000_000
    assert s["growth_pct"] == 35.1  # 35.05 % half up (half-even would give 35.0)
    assert s["average_fen"] == 18_006_667  # 18,006,666.67 fen half up
    assert s["weak"] == ["V3"]
    assert s["districts"][0]["district"] == "甲区"
    assert s["districts"][0]["total_fen"] == 54_020_000
    # a year without a year before: no growth; a year without figures: no average
    assert _summary("--year", "2022")["growth_pct"] is None
    empty = _summary("--year", "2021")
    assert (empty["reported"], empty["total_fen"], empty["average_fen"]) == (0, 0, None)
    # the threshold is the deployment's: at 100,000.01 yuan the village at 100,000 is weak too
    assert _summary("--year", "2023", "--weak", "100000.01")["weak"] == ["V2", "V3"]


def test_the_citys_figures_as_it_writes_them(tree):
    """147 villages averaging 113.13 万元 in 2023, 23.1 % up on 2022: 1.66亿元."""
    org = _village_org(tree)
    Village.objects.bulk_create(
        [
            Village(code=f"C{n:03d}", name=f"村{n}", town="镇", district="区", organization=org)
            for n in range(147)
        ]
    )
    vs = list(Village.objects.order_by("code"))
    this = [113_130_000 + (n % 7 - 3) * 1000 for n in range(147)]  # fen, around 113.13 万
    this[-1] += 147 * 113_130_000 - sum(this)  # exactly 113.13 万 on average
    total = sum(this)
    prev_total = int(total / 1.231)
    prev = [prev_total // 147] * 147
    prev[0] += prev_total - sum(prev)
    VillageYear.objects.bulk_create(
        [VillageYear(village=v, year=2023, collective_fen=f) for v, f in zip(vs, this, strict=True)]
        + [
            VillageYear(village=v, year=2022, collective_fen=f)
            for v, f in zip(vs, prev, strict=True)
        ]
    )
    s = selectors.summarize(selectors.villages_in(), 2023)
    assert s.headline == "1.66亿元，同比增长23.1%，村均113.13万元"
    out = StringIO()
    call_command("villages", "summary", "--year", "2023", stdout=out)
    assert "1.66亿元，同比增长23.1%，村均113.13万元" in out.getvalue()


@pytest.mark.parametrize(
    ("amount", "operating", "year", "message"),
    [
        ("-1", "0", 2023, "不能为负数"),
        ("100.001", "0", 2023, "最多两位小数"),
        ("abc", "0", 2023, "不是有效的金额"),
        ("100000001", "0", 2023, "超过上限"),
        ("1000", "2000", 2023, "经营性收入不能多于村集体收入"),
        ("1000", "0", 1999, "年度1999不对"),
        ("1000", "0", None, "不能是将来的年份"),
    ],
)
def test_bad_income_is_refused_with_the_reason_and_nothing_written(
    tree, amount, operating, year, message
):
    v = _villages(tree)[0]
    year = year or timezone.localdate().year + 1
    with pytest.raises(DomainError, match=message):
        services.income_record(
            actor=None, village=v, year=year, collective=amount, operating=operating
        )
    assert not VillageYear.objects.exists()


def test_a_second_entry_replaces_the_year_and_scope_is_checked(tree, users):
    v = _villages(tree)[0]
    services.income_record(actor=None, village=v, year=2023, collective="1000")
    services.income_record(actor=None, village=v, year=2023, collective="2000", operating="500")
    row = VillageYear.objects.get()
    assert (row.collective_fen, row.operating_fen) == (200_000, 50_000)
    with pytest.raises(NotVisible):  # district B's staff: not their village
        services.income_record(actor=users["sibling_staff"], village=v, year=2023, collective="1")
    not_village = tree.branch_a1
    with pytest.raises(DomainError, match="不是农村党组织"):
        services.village_save(
            actor=None, code="X", name="X村", town="镇", district="区", organization=not_village
        )


def _scan(as_of: str, rule: str) -> list[dict]:
    out = StringIO()
    call_command("scan", "--as-of", as_of, "--json", stdout=out)
    return [f for f in map(json.loads, out.getvalue().splitlines()) if f["rule"] == rule]


def test_vil03_and_vil04_at_their_boundaries(tree):
    v1, v2, v3 = _villages(tree)
    for v, year, amount in (
        (v1, 2024, "500000.00"),
        (v1, 2025, "499999.99"),  # one fen less than the year before: VIL-04
        (v2, 2024, "100000.00"),
        (v2, 2025, "100000.00"),  # exactly at the threshold: not weak, not lower
        (v3, 2025, "99999.99"),  # one fen below the threshold: VIL-03 (no year before)
    ):
        services.income_record(actor=None, village=v, year=year, collective=amount)
    weak = _scan("2026-03-01", "VIL-03")
    assert [f["org"] for f in weak] == ["V3"]
    assert "低于薄弱村标准10.00万元" in weak[0]["message"]
    lower = _scan("2026-03-01", "VIL-04")
    assert [f["org"] for f in lower] == ["V1"]
    # a scan in 2025 reads 2024's figures: nothing weak, nothing lower
    assert _scan("2025-06-30", "VIL-03") == []
    assert _scan("2025-06-30", "VIL-04") == []
