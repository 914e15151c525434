"""非公党建's bundle files (issue 20, item 8): enterprises.csv, enterprise_members.csv,
instructors.csv, assignments.csv and visits.csv — a round trip gives the same files, a second
import changes nothing, bad rows are refused by file, row and column with nothing written, and a
hand-made bundle scans to exactly ENT-01/02/03."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

import pytest
from django.core.management import call_command

from dangjian.core import idnumber
from dangjian.enterprises import models as em
from dangjian.enterprises import services
from dangjian.interchange.exporter import build_bundle, export_bundle_dir
from dangjian.interchange.importer import import_bundle_dir
from dangjian.interchange.reader import BundleError
from dangjian.members.models import Member
from dangjian.orgs.models import Organization, Unit
from tests.enterprises.test_register import Zone, codes, ent, standard_code
from tests.interchange.test_bundle import MEMBERS, member_row, write

pytestmark = pytest.mark.django_db
FILES = (
    "enterprises.csv",
    "enterprise_members.csv",
    "instructors.csv",
    "assignments.csv",
    "visits.csv",
)


def _build(zone: Zone) -> None:
    m = list(zone.tree.members.values())
    own = ent(zone, 0, own=zone.own)
    joint = ent(zone, 1, joint=zone.joint)
    bare = ent(zone, 2)
    for e, people in ((own, m[:2]), (joint, m[2:3]), (bare, m[3:5])):
        Member.objects.filter(pk__in=[p.pk for p in people]).update(employer=e.unit)
    ins = services.instructor_save(
        actor=None, name="陈指导", kind="full", organization=zone.zone, ref="ZDY00001"
    )
    services.assignment_start(actor=None, instructor=ins, enterprise=bare, since=date(2026, 1, 5))
    for on in (date(2026, 2, 1), date(2026, 2, 1), date(2026, 5, 3)):
        services.visit_log(
            actor=None, instructor=ins, enterprise=bare, visited_on=on, met="张总",
            topics=["life"],
        )  # fmt: skip


def _wipe() -> None:
    for model in (
        em.RelationCase,
        em.FollowUp,
        em.InstructorVisit,
        em.Assignment,
        em.Instructor,
        em.Station,
        em.Enterprise,
        em.Park,
    ):
        model.objects.all().delete()
    Member.objects.update(employer=None)
    Unit.objects.all().delete()
    Organization.objects.filter(code="NZ2").update(is_joint=False)


def test_round_trip_is_identical_and_a_second_import_changes_nothing(
    zone: Zone, tmp_path: Any
) -> None:
    _build(zone)
    first = build_bundle()
    assert set(FILES) <= set(first)
    c = zone.codes
    assert sorted(first["enterprises.csv"].decode().splitlines()[1:]) == sorted(
        [
            f"{c[0]},厦门第0科技有限公司,NZP,50,NZ1,",
            f"{c[1]},厦门第1科技有限公司,NZP,50,,NZ2",
            f"{c[2]},厦门第2科技有限公司,NZP,50,,",
        ]
    )
    assert first["assignments.csv"].decode().splitlines()[1:] == [f"ZDY00001,{c[2]},2026-01-05"]
    assert first["visits.csv"].decode().splitlines()[1:] == [
        f"ZDY00001,{c[2]},2026-02-01",
        f"ZDY00001,{c[2]},2026-02-01",
        f"ZDY00001,{c[2]},2026-05-03",
    ]
    export_bundle_dir(tmp_path / "a")
    _wipe()
    result = import_bundle_dir(tmp_path / "a")
    assert result.counts["enterprises.csv"].created == 3
    assert result.counts["visits.csv"].created == 3
    assert Organization.objects.get(code="NZ2").is_joint
    # the committee in charge: above the own organization, above the joint branch, the park's
    units = dict(Unit.objects.values_list("credit_code", "committee__code"))
    assert units == {c[0]: "NZ", c[1]: "NZ", c[2]: "NZP"}
    assert em.Instructor.objects.get().organization.code == "NZP"
    assert build_bundle() == first
    again = import_bundle_dir(tmp_path / "a")
    assert {n: (again.counts[n].created, again.counts[n].updated) for n in FILES} == dict.fromkeys(
        FILES, (0, 0)
    )
    assert build_bundle() == first


def test_a_subtree_bundle_holds_its_enterprises_only(zone: Zone) -> None:
    _build(zone)
    assert "enterprises.csv" not in build_bundle(zone.tree.district_b)
    assert zone.codes[0] in build_bundle(zone.tree.district_a)["enterprises.csv"].decode()


ORGS = (
    "code,name,parent_code,kind,category,established_on\n"
    "C,中共示范市委员会,,committee,organ,2000-01-01\n"
    "NZ,中共非公有制经济组织委员会,C,committee,private,2010-01-01\n"
    "P1,中共软件园联合委员会,NZ,committee,private,2010-01-01\n"
    "E1,中共甲公司支部委员会,NZ,branch,private,2010-01-01\n"
    "J1,中共软件园联合支部委员会,P1,branch,private,2010-01-01\n"
)
ENT = "credit_code,name,park_org_code,employees,org_code,covered_by_org_code\n"
CODES = [standard_code(f"91350200MA{n:07d}") for n in range(10)]
WRONG = CODES[0][:17] + ("0" if CODES[0][17] != "0" else "1")


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"enterprises.csv": ENT + f"{WRONG},甲公司,P1,10,,\n"},
            "enterprises.csv 第2行 列“credit_code”：统一社会信用代码校验位不对："
            f"第18位应为“{CODES[0][17]}”",
        ),
        (
            {"enterprises.csv": ENT + f"{CODES[0]},甲公司,P1,10,,\n{CODES[0]},乙公司,P1,5,,\n"},
            f"enterprises.csv 第3行 列“credit_code”：统一社会信用代码{CODES[0]}与第2行重复",
        ),
        (
            {"enterprises.csv": ENT + f"{CODES[0]},甲公司,P1,10,,NZ\n"},
            "enterprises.csv 第2行 列“covered_by_org_code”：“NZ”不是党支部",
        ),
        (
            {"enterprises.csv": ENT + f"{CODES[0]},甲公司,,10,,\n"},
            "enterprises.csv 第2行 列“park_org_code”：园区、单位党组织和联合党支部至少填写一项",
        ),
        (
            {
                "enterprises.csv": ENT + f"{CODES[0]},甲公司,P1,10,,\n",
                "instructors.csv": "id,name,kind\nI1,陈指导,full\n",
                "assignments.csv": "instructor_id,credit_code,since\n"
                f"I1,{CODES[0]},2026-01-01\nI1,{CODES[0]},2026-02-01\n",
            },
            f"assignments.csv 第3行 列“instructor_id”：指导员I1联系{CODES[0]}与第2行重复",
        ),
        (
            {
                "enterprises.csv": ENT + f"{CODES[0]},甲公司,P1,10,,\n",
                "instructors.csv": "id,name,kind\nI1,陈指导,full\n",
                "assignments.csv": f"instructor_id,credit_code,since\nI1,{CODES[0]},2026-01-01\n",
                "visits.csv": f"instructor_id,credit_code,visited_on\nI1,{CODES[0]},2025-12-31\n",
            },
            "visits.csv 第2行 列“visited_on”：走访日期早于联系开始日期（2026-01-01）",
        ),
        (
            {
                "enterprises.csv": ENT + f"{CODES[0]},甲公司,P1,10,,\n",
                "instructors.csv": "id,name,kind\nI1,陈指导,full\n",
                "assignments.csv": f"instructor_id,credit_code,since\nI1,{CODES[0]},2026-01-01\n",
                "visits.csv": f"instructor_id,credit_code,visited_on\nI1,{CODES[0]},2099-01-01\n",
            },
            "visits.csv 第2行 列“visited_on”：走访日期“2099-01-01”晚于今天",
        ),
    ],
)
def test_bad_rows_are_named_and_nothing_is_written(
    tmp_path: Any, db: Any, files: dict, expected: str
) -> None:
    with pytest.raises(BundleError) as exc:
        import_bundle_dir(write(tmp_path, {"orgs.csv": ORGS, **files}))
    issues = [str(i) for i in exc.value.issues]
    assert any(i.startswith(expected) for i in issues), issues
    assert not em.Enterprise.objects.exists()
    assert not Unit.objects.exists()


def _member(n: int) -> str:
    ident = idnumber.make("350203", date(1980, 5, 17), 501 + 2 * n)
    return member_row(f"M{n}", org_code="J1", id_number=ident, phone=f"1380000{n:04d}")


def test_a_hand_made_bundle_scans_to_exactly_its_ent_findings(tmp_path: Any, db: Any) -> None:
    """Two members vs three, a visit on the last day of the quarter vs the first of the next."""
    members = "".join(_member(n) for n in range(1, 8))
    files = {
        "orgs.csv": ORGS,
        "members.csv": MEMBERS + members,
        "enterprises.csv": ENT
        + f"{CODES[0]},两人公司,P1,10,,\n"  # 2 full, an instructor: nothing
        + f"{CODES[1]},三人公司,P1,10,,\n"  # 3 full, an instructor: ENT-01
        + f"{CODES[2]},无人指导公司,P1,10,,\n"  # 1 member, no instructor: ENT-02
        + f"{CODES[3]},联合公司,,10,,J1\n"  # in the joint branch: covered
        + f"{CODES[4]},季末走访公司,P1,10,,\n"  # visited on 30 June
        + f"{CODES[5]},次季走访公司,P1,10,,\n",  # visited on 1 July: ENT-03
        "enterprise_members.csv": "credit_code,member_no\n"
        + f"{CODES[0]},M1\n{CODES[0]},M2\n{CODES[1]},M3\n{CODES[1]},M4\n{CODES[1]},M5\n"
        + f"{CODES[2]},M6\n{CODES[3]},M7\n",
        "instructors.csv": "id,name,kind\nI1,陈指导,full\nI2,林指导,part\n",
        "assignments.csv": "instructor_id,credit_code,since\n"
        + "".join(f"I1,{CODES[n]},2026-01-01\n" for n in (0, 1))
        + "".join(f"I2,{CODES[n]},2026-01-01\n" for n in (4, 5)),
        "visits.csv": "instructor_id,credit_code,visited_on\n"
        + "".join(f"I1,{CODES[n]},2026-05-01\n" for n in (0, 1))
        + f"I2,{CODES[4]},2026-06-30\nI2,{CODES[5]},2026-07-01\n",
    }
    import_bundle_dir(write(tmp_path, files))
    out = io.StringIO()
    call_command("scan", "--as-of", "2026-07-15", "--json", stdout=out)
    found = sorted(
        (f["rule"], f["org"], f["message"].split("”")[0].lstrip("“"))
        for f in map(json.loads, out.getvalue().splitlines())
        if f["rule"].startswith("ENT")
    )
    assert found == [
        ("ENT-01", "P1", "三人公司"),
        ("ENT-02", "P1", "无人指导公司"),
        ("ENT-03", "P1", "次季走访公司"),
    ]


def test_codes_helper_is_valid() -> None:
    assert all(len(c) == 18 for c in codes(3))


def test_an_organization_another_unit_has_as_its_own_is_refused(zone: Zone, tmp_path: Any) -> None:
    """enterprises.csv naming, as own organization or joint branch, the organization another unit
    in the database already has as its own: refused, that unit untouched."""
    first = ent(zone, 0, own=zone.own)
    c = zone.codes
    for row in (f"{c[1]},另一公司,NZP,5,NZ1,", f"{c[1]},另一公司,NZP,5,,NZ1"):
        with pytest.raises(BundleError) as exc:
            import_bundle_dir(write(tmp_path, {"enterprises.csv": ENT + row + "\n"}))
        assert any(f"“NZ1”已是单位{c[0]}单独建立的党组织" in str(i) for i in exc.value.issues)
    first.unit.refresh_from_db()
    assert first.unit.organization == zone.own
    assert not Organization.objects.get(code="NZ1").is_joint
