"""组团帮扶 on site and in rounds (issue 19, items 2, 3, 5, 6): the resident work team's days,
visits and matters, “1+1” pairings, 跨村联建, plots adopted with their harvest — bad input refused
with the place and reason and nothing written; rules VIL-01, VIL-02 and VIL-05 at their
boundaries through `dangjian scan --json`; whoever acts next is told."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image

from dangjian.core.errors import DomainError, NotVisible
from dangjian.notify.models import Notice
from dangjian.orgs.services import org_create
from dangjian.villages import selectors, services
from dangjian.villages.models import (
    Adoption,
    Pairing,
    Plot,
    PlotActivity,
    PlotPhoto,
    Presence,
    Resident,
    Round,
    Visit,
)
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@dataclass
class Site:
    key: Any
    plain: Any
    round: Round
    resident: Resident
    tree: Any


def _org(tree: Any, code: str, name: str) -> Any:
    return org_create(
        actor=None,
        parent=tree.district_a,
        code=code,
        name=name,
        kind="committee",
        category="village",
        established_on=date(2000, 1, 1),
    )


@pytest.fixture
def site(tree: Any) -> Site:
    key = services.village_save(
        actor=None, code="V1", name="莲花村", town="莲花镇", district="甲区",
        organization=_org(tree, "VO1", "中共莲花村委员会"), population=3000, households=900,
        key=True,
    )  # fmt: skip
    plain = services.village_save(
        actor=None, code="V2", name="溪东村", town="莲花镇", district="甲区",
        organization=_org(tree, "VO2", "中共溪东村委员会"), population=2000, households=600,
    )  # fmt: skip
    r = services.round_save(
        actor=None,
        organization=tree.city,
        name="2025—2027年组团帮扶",
        starts_on=date(2025, 1, 1),
        ends_on=date(2027, 12, 31),
    )
    resident = services.resident_post(
        actor=None,
        village=key,
        member=tree.members["A1-2"],
        role="first_secretary",
        unit=tree.branch_a1,
        arrived_on=date(2026, 1, 1),
    )
    return Site(key, plain, r, resident, tree)


def _scan(as_of: str, rule: str) -> list[dict]:
    out = io.StringIO()
    call_command("scan", "--as-of", as_of, "--json", stdout=out)
    return [f for f in map(json.loads, out.getvalue().splitlines()) if f["rule"] == rule]


def _days(resident: Resident, first: date, n: int, on_site: bool = True) -> None:
    Presence.objects.bulk_create(
        [
            Presence(
                resident=resident,
                day=first + timedelta(days=k),
                on_site=on_site,
                reason="" if on_site else "培训",
            )  # fmt: skip
            for k in range(n)
        ]
    )


# --- VIL-01 -------------------------------------------------------------------------------------


def test_vil01_fourteen_days_is_short_fifteen_is_enough(site):
    _days(site.resident, date(2026, 5, 1), 14)
    _days(site.resident, date(2026, 5, 20), 10, on_site=False)  # away days do not count
    found = _scan("2026-06-15", "VIL-01")
    assert [f["org"] for f in found] == ["VO1"]
    assert "2026年5月在村14天，少于15天" in found[0]["message"]
    services.presence_log(actor=None, resident=site.resident, day=date(2026, 5, 15))
    assert _scan("2026-06-15", "VIL-01") == []


def test_vil01_holds_only_a_member_posted_the_whole_month(site, tree):
    later = services.resident_post(
        actor=None, village=site.plain, member=tree.members["A1-3"], role="member",
        unit=tree.branch_a1, arrived_on=date(2026, 5, 10),
    )  # fmt: skip
    _days(later, date(2026, 5, 10), 3)
    _days(site.resident, date(2026, 5, 1), 20)
    assert _scan("2026-06-15", "VIL-01") == []  # arrived in May: not held to May's days
    # the next month counts in full: June with 3 days on site is short
    _days(later, date(2026, 6, 1), 3)
    assert {f["org"] for f in _scan("2026-07-02", "VIL-01")} == {"VO1", "VO2"}


# --- VIL-02 -------------------------------------------------------------------------------------


def test_vil02_a_key_village_without_a_visit_in_the_month(site):
    services.visit_log(
        actor=None, resident=site.resident, household="王家", visited_on=date(2026, 4, 30),
        learned="老人独居",
    )  # fmt: skip
    found = _scan("2026-06-15", "VIL-02")
    assert [f["org"] for f in found] == ["VO1"]  # the plain village is not held to it
    assert "2026年5月没有入户走访记录" in found[0]["message"]
    services.visit_log(
        actor=None, resident=site.resident, household="李家", visited_on=date(2026, 5, 31),
        asked="灌溉水渠",
    )  # fmt: skip
    assert _scan("2026-06-15", "VIL-02") == []


# --- VIL-05 -------------------------------------------------------------------------------------


def test_vil05_a_key_village_unpaired_in_the_current_round(site, tree):
    found = _scan("2026-06-15", "VIL-05")
    assert [f["org"] for f in found] == ["VO1"]
    assert "2025—2027年组团帮扶中没有结对单位" in found[0]["message"]
    assert _scan("2024-06-15", "VIL-05") == []  # no round running
    services.pairing_set(actor=None, round=site.round, village=site.key, unit=tree.branch_a2)
    assert _scan("2026-06-15", "VIL-05") == []
    # a pairing of another round does not count for this one
    old = services.round_save(
        actor=None, organization=tree.city, name="2022—2024年组团帮扶",
        starts_on=date(2022, 1, 1), ends_on=date(2024, 12, 31),
    )  # fmt: skip
    Pairing.objects.filter(round=site.round).update(round=old)
    assert [f["org"] for f in _scan("2026-06-15", "VIL-05")] == ["VO1"]


# --- work on site: bad input --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "on_site", "reason", "message", "field"),
    [
        (date(2025, 12, 31), True, "", "还未到村", "day"),
        (date(2026, 3, 1), True, "", "已离村", "day"),
        (None, True, "", "不能晚于今天", "day"),
        (date(2026, 2, 1), False, "", "请填写不在村原因", "reason"),
    ],
)
def test_bad_presence_is_refused_and_nothing_written(site, day, on_site, reason, message, field):
    Resident.objects.filter(pk=site.resident.pk).update(left_on=date(2026, 2, 28))
    site.resident.refresh_from_db()
    day = day or date.today() + timedelta(days=1)  # noqa: DTZ011
    with pytest.raises(DomainError, match=message) as exc:
        services.presence_log(
            actor=None, resident=site.resident, day=day, on_site=on_site, reason=reason
        )
    assert exc.value.field == field
    assert not Presence.objects.exists()


def test_the_resident_logs_their_own_days_and_no_one_elses(site, users, tree):
    me = users["member"]  # the member A1-2, posted as 第一书记
    p = services.presence_log(actor=me, resident=site.resident, day=date(2026, 2, 2))
    again = services.presence_log(
        actor=me, resident=site.resident, day=date(2026, 2, 2), on_site=False, reason="回单位述职"
    )
    assert p.pk == again.pk
    assert Presence.objects.get().reason == "回单位述职"
    other = services.resident_post(
        actor=None, village=site.plain, member=tree.members["A1-3"], role="member",
        unit=tree.branch_a1, arrived_on=date(2026, 1, 1),
    )  # fmt: skip
    with pytest.raises(NotVisible):
        services.presence_log(actor=me, resident=other, day=date(2026, 2, 2))
    with pytest.raises(NotVisible):  # district B's staff
        services.visit_log(
            actor=users["sibling_staff"], resident=site.resident, household="王家",
            visited_on=date(2026, 2, 2), learned="x",
        )  # fmt: skip
    with pytest.raises(DomainError, match="了解到的情况或群众的诉求"):
        services.visit_log(
            actor=me, resident=site.resident, household="王家", visited_on=date(2026, 2, 2)
        )
    assert not Visit.objects.exists()
    m = services.matter_log(
        actor=me, resident=site.resident, what="代办医保报销", for_whom="王家",
        done_on=date(2026, 2, 3), result="已办结",
    )  # fmt: skip
    assert m.village == site.key


def test_a_member_is_posted_to_one_village_at_a_time_and_told(site, tree):
    assert (
        Notice.objects.filter(
            user__member=tree.members["A1-2"], title="驻村工作", body__contains="莲花村"
        ).exists()
        is False
    )  # the member has no account in this test; see the page test
    with pytest.raises(DomainError, match="同期已派驻莲花村") as exc:
        services.resident_post(
            actor=None, village=site.plain, member=tree.members["A1-2"], role="member",
            unit=tree.branch_a1, arrived_on=date(2026, 6, 1),
        )  # fmt: skip
    assert exc.value.field == "member"
    with pytest.raises(DomainError, match="离村日期不能早于到村日期"):
        services.resident_post(
            actor=None, village=site.plain, member=tree.members["A1-3"], role="member",
            unit=tree.branch_a1, arrived_on=date(2026, 6, 1), left_on=date(2026, 5, 1),
        )  # fmt: skip
    services.presence_log(actor=None, resident=site.resident, day=date(2026, 3, 5))
    with pytest.raises(DomainError, match="在岗记录在新的到村、离村日期之外"):
        services.resident_post(
            actor=None, village=site.key, member=tree.members["A1-2"], role="first_secretary",
            unit=tree.branch_a1, arrived_on=date(2026, 1, 1), left_on=date(2026, 3, 1),
            resident=site.resident,
        )  # fmt: skip
    assert Resident.objects.get(pk=site.resident.pk).left_on is None


def test_the_posted_member_is_told(tree):
    user = make_user("posted", member=tree.members["A1-3"])
    v = services.village_save(
        actor=None, code="V9", name="后溪村", town="后溪镇", district="甲区",
        organization=_org(tree, "VO9", "中共后溪村委员会"),
    )  # fmt: skip
    services.resident_post(
        actor=None, village=v, member=tree.members["A1-3"], role="captain",
        unit=tree.branch_a1, arrived_on=date(2026, 1, 1),
    )  # fmt: skip
    n = Notice.objects.get(user=user)
    assert n.title == "驻村工作"
    assert "后溪镇后溪村（队长）" in n.body


# --- pairings, areas, joint committees ----------------------------------------------------------


def test_pairing_bad_input_and_the_unit_is_told(site, tree, users):
    with pytest.raises(DomainError, match="不是重点村"):
        services.pairing_set(actor=None, round=site.round, village=site.plain, unit=tree.branch_a2)
    district = services.round_save(
        actor=None, organization=tree.district_a, name="甲区一轮",
        starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31),
    )  # fmt: skip
    with pytest.raises(DomainError, match="不在中共甲区委员会的下级组织中") as exc:
        services.pairing_set(actor=None, round=district, village=site.key, unit=tree.branch_b1)
    assert exc.value.field == "unit"
    outside = services.round_save(
        actor=None, organization=tree.district_b, name="乙区一轮",
        starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31),
    )  # fmt: skip
    with pytest.raises(DomainError, match="莲花村不在中共乙区委员会的范围内") as exc:
        services.pairing_set(actor=None, round=outside, village=site.key, unit=tree.branch_b1)
    assert exc.value.field == "village"
    with pytest.raises(DomainError, match="机关、事业单位或国有企业"):
        services.pairing_set(
            actor=None, round=site.round, village=site.key, unit=site.plain.organization
        )
    with pytest.raises(NotVisible):  # district A's staff do not run the city's round
        services.pairing_set(
            actor=users["committee_staff"], round=site.round, village=site.key, unit=tree.branch_a2
        )
    assert not Pairing.objects.exists()
    worker = users["branch_worker"]  # branch A1's worker hears of A1's pairing
    p = services.pairing_set(actor=None, round=site.round, village=site.key, unit=tree.branch_a1)
    assert Notice.objects.filter(
        user=worker, title="“1+1”结对帮扶", body__contains="莲花村"
    ).exists()
    services.pairing_set(actor=None, round=site.round, village=site.key, unit=tree.branch_a2)
    assert Pairing.objects.get().pk == p.pk
    assert Pairing.objects.get().unit == tree.branch_a2


def test_an_area_holds_a_village_once_a_round(site, tree):
    a = services.area_save(
        actor=None, round=site.round, name="莲花片区", villages=[site.key, site.plain],
        team_name="莲花片区帮扶团队", leader="陈团长", leader_unit=tree.branch_a1,
        phone="13800001111",
    )  # fmt: skip
    with pytest.raises(DomainError, match="莲花村已在片区“莲花片区”"):
        services.area_save(
            actor=None, round=site.round, name="第二片区", villages=[site.key],
            team_name="团队", leader="李团长",
        )  # fmt: skip
    with pytest.raises(DomainError, match="联系电话应为7至12位数字"):
        services.area_save(
            actor=None, round=site.round, name="第三片区", villages=[site.plain],
            team_name="团队", leader="李团长", phone="12ab", area=a,
        )  # fmt: skip
    services.area_member_add(actor=None, area=a, name="吴队员", unit=tree.branch_a2, duty="产业")
    assert [m.name for m in a.team.all()] == ["吴队员"]


def test_a_joint_committee_sums_its_villages(site, tree):
    for v, amount in ((site.key, "300000"), (site.plain, "150000.50")):
        services.income_record(actor=None, village=v, year=2025, collective=amount)
    with pytest.raises(DomainError, match="至少包括两个村"):
        services.joint_set(actor=None, organization=site.key.organization, villages=[site.key])
    services.joint_set(
        actor=None, organization=site.key.organization, villages=[site.key, site.plain]
    )
    # the joint committee's villages: its own subtree and the village joined across the tree
    joined = selectors.villages_in().filter(selectors.of_org(site.key.organization))
    s = selectors.summarize(joined, 2025)
    assert (s.villages, s.total_fen) == (2, 45_000_050)


# --- 我在乡间有亩田 -------------------------------------------------------------------------------


def _photo() -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buf, "JPEG")
    return SimpleUploadedFile("harvest.jpg", buf.getvalue(), "image/jpeg")


@pytest.mark.parametrize(
    ("area", "message"),
    [("0", "应大于0亩"), ("-1", "应大于0亩"), ("2.25", "最多保留1位小数"), ("十", "不是有效的数")],
)
def test_a_plot_area_must_be_positive_with_one_decimal(site, area, message):
    with pytest.raises(DomainError, match=message) as exc:
        services.plot_save(actor=None, village=site.key, code="P1", area_mu=area, crop="水稻")
    assert exc.value.field == "area_mu"
    assert not Plot.objects.exists()


def test_a_unit_adopts_a_plot_and_records_the_harvest(site, tree, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    village_staff = make_user("town", "committee_staff", site.key.organization)
    plot = services.plot_save(actor=None, village=site.key, code="P1", area_mu="4.5", crop="水稻")
    worker = users["branch_worker"]
    a = services.plot_adopt(actor=worker, plot=plot, unit=tree.branch_a1, season="2026",
                            agreement="认领一季")  # fmt: skip
    assert Notice.objects.filter(user=village_staff, title="单位认领地块").exists()
    with pytest.raises(DomainError, match="已由甲一党支部认领"):
        services.plot_adopt(actor=None, plot=plot, unit=tree.branch_a2, season="2026")
    with pytest.raises(DomainError, match="季节“26春”"):
        services.plot_adopt(actor=None, plot=plot, unit=tree.branch_a2, season="26春")
    with pytest.raises(NotVisible):  # adopting for a unit one cannot act for
        services.plot_adopt(actor=worker, plot=plot, unit=tree.branch_a2, season="2025")
    m1, m2 = tree.members["A1-1"], tree.members["A1-3"]
    with pytest.raises(DomainError, match="不是本单位党员"):
        services.plot_activity(
            actor=worker, adoption=a, kind="harvest", done_on=date(2026, 10, 8),
            members=[m1, tree.members["A2-5"]], yield_kg="500", destination="机关食堂",
        )  # fmt: skip
    with pytest.raises(DomainError, match="请填写收获的公斤数"):
        services.plot_activity(
            actor=worker, adoption=a, kind="harvest", done_on=date(2026, 10, 8), members=[m1],
        )  # fmt: skip
    with pytest.raises(DomainError, match="去向"):
        services.plot_activity(
            actor=worker, adoption=a, kind="harvest", done_on=date(2026, 10, 8), members=[m1],
            yield_kg="500.5",
        )  # fmt: skip
    with pytest.raises(DomainError, match="认领年度2026年内"):
        services.plot_activity(
            actor=worker, adoption=a, kind="planting", done_on=date(2025, 3, 8), members=[m1],
        )  # fmt: skip
    assert not PlotActivity.objects.exists()
    act = services.plot_activity(
        actor=worker, adoption=a, kind="harvest", done_on=date(2026, 10, 8), members=[m1, m2],
        yield_kg="500.5", destination="捐赠给机关食堂", photos=[_photo()],
    )  # fmt: skip
    assert act.yield_kg == Decimal("500.5")
    assert act.members.count() == 2
    assert PlotPhoto.objects.get().activity == act
    totals = selectors.plot_totals("2026")
    assert (totals["plots"], totals["area"], totals["members"]) == (1, Decimal("4.5"), 2)
    mine = list(selectors.unit_adoptions(tree.district_a))
    assert [(x.plot.code, x.works, x.harvest) for x in mine] == [("P1", 1, Decimal("500.5"))]
    assert list(selectors.unit_adoptions(tree.branch_a2)) == []
    assert Adoption.objects.count() == 1


def test_a_town_enters_its_disposable_income_for_all_its_villages(site, users, tree):
    row = services.town_income_record(
        actor=users["committee_staff"], district="甲区", town="莲花镇", year=2025,
        disposable="34000",
    )  # fmt: skip
    assert row.disposable_fen == 3_400_000
    again = services.town_income_record(
        actor=None, district="甲区", town="莲花镇", year=2025, disposable="34100.5"
    )
    assert (again.pk, again.disposable_fen) == (row.pk, 3_410_050)
    with pytest.raises(NotVisible):  # a branch's worker does not speak for the town
        services.town_income_record(
            actor=users["branch_worker"], district="甲区", town="莲花镇", year=2025,
            disposable="1",
        )  # fmt: skip
    with pytest.raises(DomainError, match="没有登记的行政村"):
        services.town_income_record(
            actor=None, district="甲区", town="无名镇", year=2025, disposable="1"
        )
    with pytest.raises(DomainError, match="超过上限"):
        services.town_income_record(
            actor=None, district="甲区", town="莲花镇", year=2025, disposable="2000000"
        )
    trend = selectors.trend_for(selectors.villages_in(), 2025)
    assert trend == [{"year": 2025, "towns": 1, "average_fen": 3_410_050}]


def test_only_a_department_runs_rounds_and_a_round_concerns_its_subtree(site, tree, users):
    # a village's own committee, or a branch's worker, cannot start a round
    with pytest.raises(DomainError, match="由党委（组织部门）建立"):
        services.round_save(
            actor=None, organization=site.key.organization, name="村里自建",
            starts_on=date(2026, 1, 1), ends_on=date(2099, 12, 31),
        )  # fmt: skip
    with pytest.raises(DomainError, match="由党委（组织部门）建立"):
        services.round_save(
            actor=users["branch_worker"], organization=tree.branch_a1, name="支部自建",
            starts_on=date(2026, 1, 1), ends_on=date(2099, 12, 31),
        )  # fmt: skip
    # district B's round, begun later than the city's, does not make district A's villages
    # unpaired: the city's round is still theirs
    services.pairing_set(actor=None, round=site.round, village=site.key, unit=tree.branch_a2)
    services.round_save(
        actor=None, organization=tree.district_b, name="乙区一轮",
        starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31),
    )  # fmt: skip
    assert _scan("2026-06-15", "VIL-05") == []
    # a district A round begun later is the current one for its villages
    later = services.round_save(
        actor=None, organization=tree.district_a, name="甲区一轮",
        starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31),
    )  # fmt: skip
    assert [f["org"] for f in _scan("2026-06-15", "VIL-05")] == ["VO1"]
    with pytest.raises(DomainError, match="不在中共乙区委员会的范围内"):
        services.pairing_set(
            actor=None, round=Round.objects.get(name="乙区一轮"), village=site.key,
            unit=tree.branch_b1,
        )  # fmt: skip
    services.pairing_set(actor=None, round=later, village=site.key, unit=tree.branch_a2)
    assert _scan("2026-06-15", "VIL-05") == []


def test_a_whole_year_and_its_seasons_do_not_overlap(site, tree):
    plot = services.plot_save(actor=None, village=site.key, code="P1", area_mu="2", crop="茶叶")
    services.plot_adopt(actor=None, plot=plot, unit=tree.branch_a1, season="2026春")
    services.plot_adopt(actor=None, plot=plot, unit=tree.branch_a2, season="2026秋")
    with pytest.raises(DomainError, match="地块P12026(春|秋)已由"):
        services.plot_adopt(actor=None, plot=plot, unit=tree.branch_a2, season="2026")
    services.plot_adopt(actor=None, plot=plot, unit=tree.branch_a2, season="2025")
    with pytest.raises(DomainError, match="2025已由甲二党支部认领"):
        services.plot_adopt(actor=None, plot=plot, unit=tree.branch_a1, season="2025夏")


def test_a_joint_committee_takes_only_villages_its_staff_may_change(site, tree, users):
    other = services.village_save(
        actor=None, code="VB", name="乙村", town="乙镇", district="乙区",
        organization=org_create(
            actor=None, parent=tree.district_b, code="VOB", name="中共乙村委员会",
            kind="committee", category="village", established_on=date(2000, 1, 1),
        ),
    )  # fmt: skip
    with pytest.raises(NotVisible):
        services.joint_set(
            actor=users["committee_staff"], organization=site.key.organization,
            villages=[site.key, other],
        )  # fmt: skip
