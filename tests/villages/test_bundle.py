"""组团帮扶's bundle files (issue 19, item 7): villages.csv, village_income.csv, rounds.csv,
pairings.csv and plots.csv — a round trip gives the same files, a second import changes nothing,
and bad rows are refused by file, row and column with nothing written."""

from __future__ import annotations

from datetime import date

import pytest

from dangjian.interchange.exporter import build_bundle, export_bundle_dir
from dangjian.interchange.importer import import_bundle_dir
from dangjian.interchange.reader import BundleError
from dangjian.orgs.services import org_create
from dangjian.villages import services
from dangjian.villages.models import (
    Adoption,
    Area,
    Pairing,
    Plot,
    PlotActivity,
    Resident,
    Round,
    Village,
    VillageYear,
)
from tests.interchange.test_bundle import write

pytestmark = pytest.mark.django_db
FILES = ("villages.csv", "village_income.csv", "rounds.csv", "pairings.csv", "plots.csv")


def _build(tree) -> None:
    orgs = [
        org_create(
            actor=None,
            parent=tree.district_a,
            code=f"VO{n}",
            name=f"中共{n}号村委员会",
            kind="committee",
            category="village",
            established_on=date(2000, 1, 1),
        )  # fmt: skip
        for n in (1, 2)
    ]
    v1 = services.village_save(
        actor=None, code="V1", name="莲花村", town="莲花镇", district="甲区", organization=orgs[0],
        population=3000, households=900, key=True,
    )  # fmt: skip
    v2 = services.village_save(
        actor=None, code="V2", name="溪东村", town="莲花镇", district="甲区", organization=orgs[1],
    )  # fmt: skip
    for v, year, amount, part in ((v1, 2024, "1131300.00", "800000.5"), (v2, 2024, "99999.99", "0"),
                                  (v1, 2025, "1400000", "900000")):  # fmt: skip
        services.income_record(actor=None, village=v, year=year, collective=amount, operating=part)
    r = services.round_save(
        actor=None, organization=tree.city, name="2025—2027年组团帮扶",
        starts_on=date(2025, 1, 1), ends_on=date(2027, 12, 31),
    )  # fmt: skip
    services.pairing_set(actor=None, round=r, village=v1, unit=tree.branch_a2)
    p = services.plot_save(actor=None, village=v1, code="P1", area_mu="4.5", crop="水稻")
    services.plot_save(actor=None, village=v2, code="P2", area_mu="12", crop="地瓜")
    for season in ("2025", "2026春"):
        services.plot_adopt(actor=None, plot=p, unit=tree.branch_a1, season=season)


def _wipe() -> None:
    for model in (
        PlotActivity,
        Adoption,
        Plot,
        Pairing,
        Area,
        Resident,
        Round,
        VillageYear,
        Village,
    ):
        model.objects.all().delete()


def test_round_trip_is_identical_and_a_second_import_changes_nothing(tree, tmp_path):
    _build(tree)
    first = build_bundle()
    assert set(FILES) <= set(first)
    assert first["village_income.csv"].decode().splitlines()[1:] == [
        "V1,2024,1131300.00,800000.50",
        "V1,2025,1400000.00,900000.00",
        "V2,2024,99999.99,0.00",
    ]
    assert first["plots.csv"].decode().splitlines()[1:] == [
        "P1,V1,4.5,水稻,A1,2025",
        "P1,V1,4.5,水稻,A1,2026春",
        "P2,V2,12.0,地瓜,,",
    ]
    export_bundle_dir(tmp_path / "a")
    _wipe()
    result = import_bundle_dir(tmp_path / "a")
    assert result.counts["villages.csv"].created == 2
    assert result.counts["pairings.csv"].created == 1
    assert build_bundle() == first
    again = import_bundle_dir(tmp_path / "a")
    assert {n: (again.counts[n].created, again.counts[n].updated) for n in FILES} == dict.fromkeys(
        FILES, (0, 0)
    )
    assert build_bundle() == first


def test_a_subtree_bundle_holds_its_villages_only(tree):
    _build(tree)
    files = build_bundle(tree.district_b)
    assert "villages.csv" not in files
    assert "V1," in build_bundle(tree.district_a)["villages.csv"].decode()


VILLAGES = "code,name,town,district,org_code,population,households,key\n"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {
                "villages.csv": VILLAGES + "V1,莲花村,莲花镇,甲区,VO1,3000,900,yes\n",
                "village_income.csv": "village_code,year,collective_income,operating_income\n"
                "V1,2024,1000.00,0\nV1,2024,2000.00,0\n",
            },
            "village_income.csv 第3行 列“year”：村“V1”2024年与第2行重复（一村一年一行）",
        ),
        (
            {
                "villages.csv": VILLAGES + "V1,莲花村,莲花镇,甲区,VO1,3000,900,yes\n",
                "village_income.csv": "village_code,year,collective_income,operating_income\n"
                "V1,2099,1000.00,0\n",
            },
            "village_income.csv 第2行 列“year”：年度“2099”应为2000至",
        ),
        (
            {
                "villages.csv": VILLAGES + "V1,莲花村,莲花镇,甲区,VO1,3000,900,yes\n",
                "village_income.csv": "village_code,year,collective_income,operating_income\n"
                "V1,2024,-5,0\n",
            },
            "village_income.csv 第2行 列“collective_income”：村集体收入不能为负数",
        ),
        (
            {
                "villages.csv": VILLAGES + "V1,莲花村,莲花镇,甲区,VO1,3000,900,yes\n",
                "village_income.csv": "village_code,year,collective_income,operating_income\n"
                "V1,2024,200000000,0\n",
            },
            "village_income.csv 第2行 列“collective_income”：村集体收入超过上限",
        ),
        (
            {
                "villages.csv": VILLAGES + "V1,莲花村,莲花镇,甲区,VO1,3000,900,yes\n",
                "rounds.csv": "name,org_code,starts_on,ends_on\n一轮,C,2025-01-01,2027-12-31\n",
                "pairings.csv": "round,village_code,unit_org_code\n一轮,V1,NOWHERE\n",
            },
            "pairings.csv 第2行 列“unit_org_code”：结对单位“NOWHERE”不在组织树中",
        ),
        (
            {
                "villages.csv": VILLAGES + "V1,莲花村,莲花镇,甲区,VO1,3000,900,yes\n",
                "plots.csv": "code,village_code,area_mu,crop,unit_org_code,season\n"
                "P1,V1,0,水稻,,\n",
            },
            "plots.csv 第2行 列“area_mu”：面积应大于0亩",
        ),
        (
            {"villages.csv": VILLAGES + "V1,莲花村,莲花镇,甲区,C,3000,900,maybe\n"},
            "villages.csv 第2行 列“org_code”：“C”不是农村党组织",
        ),
    ],
)
def test_bad_rows_are_named_and_nothing_is_written(tmp_path, tree, files, expected):
    org = (
        "code,name,parent_code,kind,category,established_on\n"
        "C,中共示范市委员会,,committee,organ,2000-01-01\n"
        "VO1,中共莲花村委员会,C,committee,village,2000-01-01\n"
    )
    with pytest.raises(BundleError) as exc:
        import_bundle_dir(write(tmp_path, {"orgs.csv": org, **files}))
    issues = [str(i) for i in exc.value.issues]
    assert any(i.startswith(expected) for i in issues), issues
    assert not Village.objects.exists()
    assert not VillageYear.objects.exists()


def test_summary_of_a_hand_made_bundle_is_exact(tmp_path, tree):
    """Three villages imported from files: totals in fen, growth half up, average to the fen."""
    import io
    import json

    from django.core.management import call_command

    orgs = (
        "code,name,parent_code,kind,category,established_on\n"
        "C,中共示范市委员会,,committee,organ,2000-01-01\n"
        + "".join(f"VO{n},中共{n}号村委员会,C,committee,village,2000-01-01\n" for n in (1, 2, 3))
    )
    villages = VILLAGES + "".join(
        f"V{n},{n}号村,示范镇,示范区,VO{n},1000,300,no\n" for n in (1, 2, 3)
    )
    income = (
        "village_code,year,collective_income,operating_income\n"
        "V1,2022,300000.00,0\nV2,2022,100000.00,0\n"
        "V1,2023,340200.01,100000\nV2,2023,100000.00,0\nV3,2023,99999.99,0\n"
    )
    import_bundle_dir(
        write(tmp_path, {"orgs.csv": orgs, "villages.csv": villages, "village_income.csv": income})
    )
    out = io.StringIO()
    call_command("villages", "summary", "--year", "2023", "--json", stdout=out)
    s = json.loads(out.getvalue())
    assert (s["villages"], s["reported"]) == (3, 3)
    assert (s["total_fen"], s["previous_total_fen"]) == (54_020_000, 40_000_000)
    assert s["growth_pct"] == 35.1  # 35.05 % half up
    assert s["average_fen"] == 18_006_667  # 18,006,666.67 fen half up
    assert s["weak"] == ["V3"]
