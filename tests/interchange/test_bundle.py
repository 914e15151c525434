"""Bundle round trip, idempotent re-import, and every bad-input case (nothing written, place
named)."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from dangjian.audit.models import AuditEvent
from dangjian.core import idnumber
from dangjian.demo.services import seed_city
from dangjian.fees.models import FeeMonth
from dangjian.interchange.exporter import build_bundle, export_bundle_dir
from dangjian.interchange.importer import import_bundle_dir
from dangjian.interchange.reader import BundleError
from dangjian.members.models import Member, MemberEvent
from dangjian.orgs.models import Organization, OrgChange, Post, Term
from tests.conftest import login

pytestmark = pytest.mark.django_db

ORGS = "code,name,parent_code,kind,category,established_on\n"
MEMBERS = (
    "member_no,name,gender,birth_date,id_number,phone,org_code,status,joined_on,full_on,"
    "fee_category,fee_base\n"
)
GOOD_ID = idnumber.make("350203", date(1980, 5, 17), 501)


def write(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    d = tmp_path / "bundle"
    d.mkdir(exist_ok=True)
    for name, content in files.items():
        (d / name).write_bytes(content.encode() if isinstance(content, str) else content)
    return d


def base_orgs() -> str:
    return (
        ORGS + "C1,中共示范市委员会,,committee,organ,2000-01-01\n"
        "B1,第一党支部,C1,branch,community,2001-01-01\n"
    )


def member_row(no: str = "M1", **kw: str) -> str:
    row = {
        "member_no": no,
        "name": "张三",
        "gender": "男",
        "birth_date": "1980-05-17",
        "id_number": GOOD_ID,
        "phone": "13800001111",
        "org_code": "B1",
        "status": "full",
        "joined_on": "2005-07-01",
        "full_on": "2006-07-01",
        "fee_category": "employed",
        "fee_base": "6000.00",
    }
    row.update(kw)
    return ",".join(row.values()) + "\n"


def snapshot_counts() -> tuple[int, ...]:
    return (
        Organization.objects.count(),
        Member.objects.count(),
        Term.objects.count(),
        Post.objects.count(),
        AuditEvent.objects.filter(action="interchange.import").count(),
    )


def wipe_domain() -> None:
    # set-up records (units, requests, elections), mobile and lost-contact members and the learning
    # library are not part of bundle v1: an empty database has none
    from dangjian.community.models import (
        Alliance,
        Issue,
        Need,
        Place,
        Report,
        Residence,
        Service,
        Team,
        UnitRegistration,
        YearAppraisal,
    )
    from dangjian.fees.models import AnnualAssessment, FeeMonth, Publication
    from dangjian.learning.models import Course, OfflineSession, Paper, Question
    from dangjian.meetings.models import Meeting
    from dangjian.orgs.models import Election, OrgRequest, Unit
    from dangjian.recruitment.models import Candidate
    from dangjian.transfers.models import LostContact, MobileMember, Transfer
    from dangjian.villages import models as vm

    # teams, agreements and appraisals are not in the bundle either
    for model in (YearAppraisal, Team, Alliance, Issue, Service, Need, Report, UnitRegistration):
        model.objects.all().delete()
    for model in (Residence, Place):
        model.objects.all().delete()
    # 组团帮扶's work on site, teams and plot activities are not in the bundle (villages, their
    # income, rounds, pairings and plots are: the import brings them back)
    for model in (
        vm.PlotActivity, vm.Adoption, vm.Plot, vm.Pairing, vm.Area, vm.Resident, vm.Project,
        vm.JointCommittee, vm.Round, vm.TownYear, vm.VillageYear, vm.Village,
    ):  # fmt: skip
        model.objects.all().delete()
    # 非公党建: visits' details, follow-ups, stations and the relationship check are not in the
    # bundle (enterprises, the members employed, instructors, assignments and visits are)
    from dangjian.enterprises import models as em

    for model in (
        em.RelationCase, em.FollowUp, em.InstructorVisit, em.Assignment, em.Instructor,
        em.Station, em.Enterprise, em.Park,
    ):  # fmt: skip
        model.objects.all().delete()
    # 城市党建学院: the timetable, attendance, teachers and certificates are not in the bundle
    # (classes and their rosters with the outcome are); a class's enrolments go with it
    from dangjian.academy import models as am

    for model in (am.Certificate, am.TrainingClass, am.Outline, am.Teacher):
        model.objects.all().delete()
    MobileMember.objects.all().delete()
    LostContact.objects.all().delete()
    Paper.objects.all().delete()
    Question.objects.all().delete()
    Course.objects.all().delete()  # with its units, resources and assignments
    OfflineSession.objects.all().delete()
    Transfer.objects.all().delete()
    Candidate.objects.all().delete()
    Meeting.objects.all().delete()
    FeeMonth.objects.all().delete()
    Publication.objects.all().delete()
    AnnualAssessment.objects.all().delete()
    Election.objects.all().delete()
    OrgRequest.objects.all().delete()
    Unit.objects.all().delete()
    Post.objects.all().delete()
    Term.objects.all().delete()
    MemberEvent.objects.all().delete()
    Member.objects.all().delete()
    OrgChange.objects.all().delete()
    Organization.objects.all().delete()


def same_record(again: dict[str, bytes], first: dict[str, bytes], as_of: str = "2026-06") -> bool:
    """The bundle exported again is the first, but for the ledger: the seed's runs to the month
    of its own day (`as_of`), an import's to this month, so the import adds the months after
    `as_of`, owed and nothing else."""
    if {k: v for k, v in again.items() if k != "fees.csv"} != {
        k: v for k, v in first.items() if k != "fees.csv"
    }:
        return False
    header, *before = first["fees.csv"].decode().splitlines()
    header_again, *after = again["fees.csv"].decode().splitlines()
    added = [line for line in after if line.split(",")[1] > as_of]
    owed = all(line.split(",")[3:] == ["", ""] for line in added)
    today = timezone.localdate()
    months = today.year * 12 + today.month - (int(as_of[:4]) * 12 + int(as_of[5:]))
    members = {line.split(",")[0] for line in before}
    return (
        header_again == header
        and [line for line in after if line.split(",")[1] <= as_of] == before
        and owed
        and len(added) <= months * len(members)
    )


def test_round_trip_export_import_export_is_identical(tmp_path):
    seed_city(scale="tiny", seed=3, today=date(2026, 6, 30))
    first = build_bundle()
    export_bundle_dir(tmp_path / "a")
    wipe_domain()
    result = import_bundle_dir(tmp_path / "a")
    assert result.counts["members.csv"].created == 520
    event = AuditEvent.objects.filter(action="interchange.import").latest("id")
    assert event.data["counts"]["members.csv"]["created"] == 520
    assert set(event.data["files"]) == {
        "orgs.csv",
        "terms.csv",
        "members.csv",
        "posts.csv",
        "fees.csv",
        "meetings.csv",
        "recruitment.csv",
        "transfers.csv",
        "study.csv",
        "places.csv",
        "residence.csv",
        "classes.csv",
        "enrolments.csv",
    }
    assert same_record(build_bundle(), first)
    # importing the same bundle again changes nothing
    before = list(Member.objects.order_by("pk").values_list("pk", "updated_at"))
    again = import_bundle_dir(tmp_path / "a")
    assert {n: (c.created, c.updated) for n, c in again.counts.items()} == dict.fromkeys(
        again.counts, (0, 0)
    )
    assert list(Member.objects.order_by("pk").values_list("pk", "updated_at")) == before
    assert same_record(build_bundle(), first)


def test_subtree_export_imports_into_empty_database(tmp_path):
    seed_city(scale="tiny", seed=4, today=date(2026, 6, 30))
    sub = Organization.objects.filter(depth=2).order_by("path").first()
    files = build_bundle(sub)
    export_bundle_dir(tmp_path / "s", org=sub)
    wipe_domain()
    import_bundle_dir(tmp_path / "s")
    assert Organization.objects.get(code=sub.code).depth == 1
    assert same_record(build_bundle(), files)


def test_update_through_reimport_is_recorded(tmp_path):
    d = write(tmp_path, {"orgs.csv": base_orgs(), "members.csv": MEMBERS + member_row()})
    import_bundle_dir(d)
    d = write(
        tmp_path, {"orgs.csv": base_orgs(), "members.csv": MEMBERS + member_row(name="张三丰")}
    )
    res = import_bundle_dir(d)
    assert res.counts["members.csv"].updated == 1
    assert Member.objects.get(member_no="M1").name == "张三丰"
    assert MemberEvent.objects.filter(kind="edited").count() == 1


def test_cli_import_reports_and_exits_non_zero(tmp_path, capsys):
    d = write(tmp_path, {"orgs.csv": ORGS + "X,名称,NOPE,branch,organ,2000-01-01\n"})
    with pytest.raises(CommandError):
        call_command("import", "bundle", str(d))
    err = capsys.readouterr().err
    assert "orgs.csv 第2行 列“parent_code”：上级组织“NOPE”不存在" in err


BAD_CASES = {
    "gbk": (
        {"orgs.csv": (ORGS + "C1,中共示范市委员会,,committee,organ,2000-01-01\n").encode("gbk")},
        ("orgs.csv", 2, None, "不是 UTF-8 编码"),
    ),
    "missing_column": (
        {"orgs.csv": "code,name,kind,category,established_on\nC1,x,committee,organ,2000-01-01\n"},
        ("orgs.csv", 1, None, "缺少列：parent_code"),
    ),
    "extra_column": (
        {"orgs.csv": ORGS.strip() + ",note\nC1,x,,committee,organ,2000-01-01,hi\n"},
        ("orgs.csv", 1, None, "多余的列：note"),
    ),
    "duplicate_code": (
        {"orgs.csv": base_orgs() + "B1,又一个,C1,branch,organ,2001-01-01\n"},
        ("orgs.csv", 4, "code", "与第3行重复"),
    ),
    "unknown_parent": (
        {"orgs.csv": base_orgs() + "B2,二支部,ZZ,branch,organ,2001-01-01\n"},
        ("orgs.csv", 4, "parent_code", "上级组织“ZZ”不存在"),
    ),
    "cycle": (
        {
            "orgs.csv": ORGS
            + "C1,甲,C2,committee,organ,2000-01-01\nC2,乙,C1,committee,organ,2000-01-01\n"
        },
        ("orgs.csv", 2, "parent_code", "循环"),
    ),
    "bad_check_digit": (
        {
            "orgs.csv": base_orgs(),
            "members.csv": MEMBERS
            + member_row(id_number=GOOD_ID[:-1] + ("0" if GOOD_ID[-1] != "0" else "1")),
        },
        ("members.csv", 2, "id_number", "校验位错误"),
    ),
    "impossible_date": (
        {"orgs.csv": base_orgs(), "members.csv": MEMBERS + member_row(joined_on="2005-02-30")},
        ("members.csv", 2, "joined_on", "不是存在的日期"),
    ),
    "future_date": (
        {"orgs.csv": ORGS + "C1,甲,,committee,organ,2099-01-01\n"},
        ("orgs.csv", 2, "established_on", "晚于今天"),
    ),
    "over_long": (
        {"orgs.csv": ORGS + f"C1,{'长' * 101},,committee,organ,2000-01-01\n"},
        ("orgs.csv", 2, "name", "内容过长"),
    ),
    "unknown_enum": (
        {"orgs.csv": base_orgs(), "members.csv": MEMBERS + member_row(fee_category="boss")},
        ("members.csv", 2, "fee_category", "党费类别“boss”无效"),
    ),
    "unknown_kind": (
        {"orgs.csv": ORGS + "C1,甲,,party,organ,2000-01-01\n"},
        ("orgs.csv", 2, "kind", "组织类型“party”无效"),
    ),
    "unsupported_file": (
        {"orgs.csv": base_orgs(), "notes.csv": "a,b\n"},
        ("notes.csv", None, None, "不是数据包 v1 中的文件"),
    ),
    "study_unknown_member": (
        {"orgs.csv": base_orgs(), "study.csv": "member_no,year,hours\nX9,2025,32\n"},
        ("study.csv", 2, "member_no", "党员“X9”不存在"),
    ),
    "fee_unknown_member": (
        {
            "orgs.csv": base_orgs(),
            "fees.csv": "member_no,month,due,paid,paid_on\nX9,2025-01,10.00,10.00,2025-01-05\n",
        },
        ("fees.csv", 2, "member_no", "党员“X9”不存在"),
    ),
    "fee_bad_month": (
        {
            "orgs.csv": base_orgs(),
            "members.csv": MEMBERS + member_row("M1"),
            "fees.csv": "member_no,month,due,paid,paid_on\nM1,2025-13,10.00,,\n",
        },
        ("fees.csv", 2, "month", "应为YYYY-MM"),
    ),
    "fee_negative": (
        {
            "orgs.csv": base_orgs(),
            "members.csv": MEMBERS + member_row("M1"),
            "fees.csv": "member_no,month,due,paid,paid_on\nM1,2025-01,-1,,\n",
        },
        ("fees.csv", 2, "due", "应缴不能为负数"),
    ),
    "fee_paid_without_date": (
        {
            "orgs.csv": base_orgs(),
            "members.csv": MEMBERS + member_row("M1"),
            "fees.csv": "member_no,month,due,paid,paid_on\nM1,2025-01,10.00,10.00,\n",
        },
        ("fees.csv", 2, "paid_on", "须填写缴纳日期"),
    ),
    "fee_duplicate": (
        {
            "orgs.csv": base_orgs(),
            "members.csv": MEMBERS + member_row("M1"),
            "fees.csv": (
                "member_no,month,due,paid,paid_on\nM1,2025-01,10.00,,\nM1,2025-01,10.00,,\n"
            ),
        },
        ("fees.csv", 3, "month", "与第2行重复"),
    ),
    "stray_file": (
        {"orgs.csv": base_orgs(), "notes.txt": "hello"},
        ("notes.txt", None, None, "不是数据包 v1 中的文件"),
    ),
    "member_in_group": (
        {
            "orgs.csv": base_orgs() + "G1,一组,B1,group,community,2001-01-01\n",
            "members.csv": MEMBERS + member_row(org_code="G1"),
        },
        ("members.csv", 2, "org_code", "不能直接编入党小组"),
    ),
    "group_under_committee": (
        {"orgs.csv": base_orgs() + "G1,一组,C1,group,community,2001-01-01\n"},
        ("orgs.csv", 4, "kind", "党小组不能设在党委"),
    ),
    "duplicate_id_number": (
        {
            "orgs.csv": base_orgs(),
            "members.csv": MEMBERS + member_row("M1") + member_row("M2", name="李四"),
        },
        ("members.csv", 3, "id_number", "与第2行重复"),
    ),
    "wrong_column_count": (
        {"orgs.csv": ORGS + "C1,甲,,committee\n"},
        ("orgs.csv", 2, None, "列数为4"),
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_bundle_is_refused_whole_with_the_place_named(tmp_path, case):
    files, (fname, row, column, text) = BAD_CASES[case]
    # a good file beside the bad one must not be written either
    files = {"terms.csv": "org_code,elected_on,term_years\n", **files}
    d = write(tmp_path, files)
    before = snapshot_counts()
    with pytest.raises(BundleError) as exc:
        import_bundle_dir(d)
    issue = next((i for i in exc.value.issues if i.file == fname and text in i.reason), None)
    assert issue is not None, [str(i) for i in exc.value.issues]
    assert (issue.row, issue.column) == (row, column)
    assert snapshot_counts() == before


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


HEADER = [
    "member_no",
    "name",
    "gender",
    "birth_date",
    "id_number",
    "phone",
    "org_code",
    "status",
    "joined_on",
    "full_on",
    "fee_category",
    "fee_base",
]


def _upload(client, name: str, data: bytes):
    f = io.BytesIO(data)
    f.name = name
    return client.post(reverse("interchange:upload", args=["members"]), {"file": f})


def test_web_roster_import_creates_in_scope(client, tree, users):
    login(client, users["branch_worker"])
    good = [
        "N1",
        "王五",
        "男",
        "1980-05-17",
        GOOD_ID,
        "13800002222",
        "A1",
        "full",
        "2005-07-01",
        "2006-07-01",
        "employed",
        6000,
    ]
    resp = _upload(client, "roster.xlsx", _xlsx([HEADER, good]))
    assert resp.status_code == 302
    assert Member.objects.get(member_no="N1").organization_id == tree.branch_a1.pk
    assert (
        AuditEvent.objects.filter(action="members.import", actor=users["branch_worker"]).count()
        == 1
    )


def test_web_roster_import_refuses_out_of_scope_rows(client, tree, users):
    login(client, users["branch_worker"])
    row = [
        "N2",
        "王五",
        "男",
        "1980-05-17",
        GOOD_ID,
        "",
        "B1",
        "full",
        "2005-07-01",
        "2006-07-01",
        "employed",
        6000,
    ]
    resp = _upload(client, "roster.xlsx", _xlsx([HEADER, row]))
    assert resp.status_code == 200
    assert "组织“B1”不在您的管理范围内" in resp.content.decode()
    assert "roster.xlsx" in resp.content.decode()
    # overwriting a member of another subtree by number is refused too
    row = [
        "M0008",
        "篡改",
        "男",
        "1980-05-17",
        GOOD_ID,
        "",
        "A1",
        "full",
        "2005-07-01",
        "2006-07-01",
        "employed",
        6000,
    ]
    resp = _upload(
        client, "roster.csv", (",".join(HEADER) + "\n" + ",".join(map(str, row)) + "\n").encode()
    )
    assert "已被您管理范围以外的组织使用" in resp.content.decode()
    assert not Member.objects.filter(name="篡改").exists()


def test_xlsx_with_formula_is_refused(client, tree, users):
    login(client, users["branch_worker"])
    row = [
        "N3",
        '=HYPERLINK("http://x","a")',
        "男",
        "1980-05-17",
        GOOD_ID,
        "",
        "A1",
        "full",
        "2005-07-01",
        "2006-07-01",
        "employed",
        6000,
    ]
    resp = _upload(client, "roster.xlsx", _xlsx([HEADER, row]))
    body = resp.content.decode()
    assert "单元格含有公式" in body
    assert "roster.xlsx" in body
    assert not Member.objects.filter(member_no="N3").exists()


def test_zip_bomb_is_refused(client, tree, users):
    login(client, users["branch_worker"])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (120 * 1024 * 1024))
    resp = _upload(client, "bomb.xlsx", buf.getvalue())
    assert "压缩炸弹" in resp.content.decode()


def test_not_an_xlsx_is_refused(client, tree, users):
    login(client, users["branch_worker"])
    resp = _upload(client, "fake.xlsx", b"MZ\x90\x00 not a zip")
    assert "不是有效的 Excel" in resp.content.decode()


def test_template_downloads(client, tree, users):
    login(client, users["branch_worker"])
    resp = client.get(reverse("interchange:template", args=["members"]))
    wb = openpyxl.load_workbook(io.BytesIO(resp.content))
    assert [c.value for c in wb.worksheets[0][1]] == HEADER
    assert wb.worksheets[1].title == "填写说明"


def test_exported_cells_are_escaped_against_formulas(tmp_path, tree):
    Organization.objects.filter(code="A2").update(name="=cmd|' /C calc'!A0")
    files = build_bundle()
    assert b"'=cmd" in files["orgs.csv"]
    assert b"\n=cmd" not in files["orgs.csv"]
    assert b",=cmd" not in files["orgs.csv"]


def test_web_export_escapes_and_embeds_no_formula(client, tree, users):
    from dangjian.members.models import Member as M

    M.objects.filter(member_no="M0001").update(name="@SUM(1+1)")
    login(client, users["committee_staff"])
    resp = client.get(reverse("interchange:export", args=["members"]))
    wb = openpyxl.load_workbook(io.BytesIO(resp.content))
    values = [c.value for row in wb.active.iter_rows() for c in row]
    assert "'@SUM(1+1)" in values
    with zipfile.ZipFile(io.BytesIO(resp.content)) as zf:
        assert b"<f>" not in zf.read("xl/worksheets/sheet1.xml")


def test_reimport_with_a_moved_organization(tmp_path):
    first = base_orgs() + "C2,中共乙委员会,C1,committee,organ,2000-01-01\n"
    import_bundle_dir(write(tmp_path, {"orgs.csv": first}))
    moved = (
        base_orgs().replace("B1,第一党支部,C1", "B1,第一党支部,C2")
        + "C2,中共乙委员会,C1,committee,organ,2000-01-01\n"
    )
    d = tmp_path / "again"
    d.mkdir()
    (d / "orgs.csv").write_text(moved, encoding="utf-8")
    result = import_bundle_dir(d)
    assert result.counts["orgs.csv"].updated == 1
    b1 = Organization.objects.get(code="B1")
    assert Organization.objects.get_parent(b1).code == "C2"
    assert OrgChange.objects.filter(organization=b1, kind="moved").count() == 1


def _with_doctype(data: bytes, part: str, doctype: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == part:
                if body.startswith(b"<?xml"):
                    body = body.replace(b"?>", b"?>" + doctype, 1)
                else:
                    body = doctype + body
            z.writestr(info, body)
    return out.getvalue()


LAUGHS = (
    b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)


@pytest.mark.parametrize(
    ("part", "doctype"),
    [
        ("xl/worksheets/sheet1.xml", LAUGHS),
        ("xl/workbook.xml", b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'),
        ("xl/sharedStrings.xml", b"<!DOCTYPE sst>"),
    ],
)
def test_an_xlsx_with_a_doctype_is_refused_clearly(client, tree, users, part, doctype):
    login(client, users["branch_worker"])
    data = _xlsx([HEADER, ["N9", "王五"] + [""] * 10])
    if part == "xl/sharedStrings.xml" and part not in zipfile.ZipFile(io.BytesIO(data)).namelist():
        part = "xl/styles.xml"
    resp = _upload(client, "花名册.xlsx", _with_doctype(data, part, doctype))
    assert resp.status_code == 200
    assert "DTD 或实体声明" in resp.content.decode()


def test_a_bundle_recounts_only_the_organizations_it_touches(tmp_path):
    """Counters and the fee roll-up after an import follow the organizations the bundle touched
    (a district's bundle into a province does not recount the province, nor lock its rows)."""
    from dangjian.fees.models import FeeRollup, month_index
    from dangjian.orgs.counters import counters_recount

    orgs = (
        base_orgs() + "B2,第二党支部,C1,branch,community,2001-01-01\n"
        "B3,第三党支部,C1,branch,community,2001-01-01\n"
    )

    def members(m2_org: str) -> str:
        return (
            MEMBERS
            + member_row("M1")
            + member_row(
                "M2", org_code=m2_org, id_number=idnumber.make("350203", date(1980, 5, 17), 503)
            )
            + member_row(
                "M3", org_code="B3", id_number=idnumber.make("350203", date(1980, 5, 17), 505)
            )
        )

    def fees(m2_paid: str) -> str:
        return (
            "member_no,month,due,paid,paid_on\n"
            "M1,2025-01,30.00,30.00,2025-01-05\n"
            f"M2,2025-01,30.00,{m2_paid},{'2025-01-06' if m2_paid else ''}\n"
            "M3,2025-01,30.00,30.00,2025-01-07\n"
        )

    import_bundle_dir(
        write(tmp_path, {"orgs.csv": orgs, "members.csv": members("B2"), "fees.csv": fees("")})
    )
    b1, b2, b3 = (Organization.objects.get(code=c) for c in ("B1", "B2", "B3"))
    jan = month_index(2025, 1)
    assert FeeRollup.objects.get(organization=b2, month_index=jan).paid_fen == 0
    # B3 is put wrong on purpose: a bundle that does not touch it leaves it as it is
    Organization.objects.filter(pk=b3.pk).update(members_full=99)
    FeeRollup.objects.filter(organization=b3).delete()

    # M2 moves from B2 to B1 and pays January (its ledger row stays B2's)
    import_bundle_dir(
        write(tmp_path, {"orgs.csv": orgs, "members.csv": members("B1"), "fees.csv": fees("30.00")})
    )
    counts = dict(Organization.objects.values_list("code", "members_full"))
    assert (counts["B1"], counts["B2"], counts["B3"]) == (2, 0, 99)
    assert FeeRollup.objects.get(organization=b2, month_index=jan).paid_fen == 3000
    assert FeeRollup.objects.get(organization=b1, month_index=jan).paid_fen == 3000
    assert not FeeRollup.objects.filter(organization=b3).exists()
    counters_recount()  # the full recount (the nightly) puts B3 right
    assert Organization.objects.get(pk=b3.pk).members_full == 1


def test_study_hours_of_a_part_of_the_deployment(tmp_path):
    """study.csv naming a minority of the members reads their rows only (by id) and imports the
    total less what was measured here, as for a whole bundle."""
    from dangjian.learning.models import StudyDay, StudyYear

    rows = [
        member_row(f"M{i}", id_number=idnumber.make("350203", date(1980, 5, 17), 500 + 2 * i + 1))
        for i in range(1, 5)
    ]
    study = "member_no,year,hours\n" + "".join(f"M{i},2025,{10 * i}.0\n" for i in range(1, 5))
    import_bundle_dir(
        write(
            tmp_path,
            {"orgs.csv": base_orgs(), "members.csv": MEMBERS + "".join(rows), "study.csv": study},
        )
    )
    m2 = Member.objects.get(member_no="M2")
    StudyDay.objects.create(member=m2, day=date(2025, 3, 1), seconds=3 * 3600)  # 3 h online
    # M2 alone (1 of 4 members): its total 40 h, of which 3 measured here
    import_bundle_dir(write(tmp_path, {"study.csv": "member_no,year,hours\nM2,2025,40.0\n"}))
    hours = dict(StudyYear.objects.filter(year=2025).values_list("member__member_no", "hours"))
    assert hours == {"M1": 10, "M2": 37, "M3": 30, "M4": 40}


def test_a_seed_ledger_runs_to_the_month_of_its_own_day():
    # a record generated as of a day is imported as of that day: its members owe nothing after
    # its month (before, the ledger ran on to this month: for a bench as of June, five months
    # more of every member's ledger, owed)
    seed_city(scale="tiny", seed=3, today=date(2026, 6, 30))
    assert FeeMonth.objects.aggregate(m=Max("month_index"))["m"] == 2026 * 12 + 5
    assert (
        FeeMonth.objects.filter(month_index=2026 * 12 + 5).count()
        == Member.objects.filter(status__in=("full", "probationary")).count()
    )


def test_what_holds_the_deployments_locks_comes_last_in_an_import(tmp_path):
    """Two imports at once (a province's districts) wait for each other's roll-up lock: the fee
    roll-up's refresh comes after every row is written (the ledger opened for the new members
    included) and, on PostgreSQL, after the deferred foreign-key checks have run, so the lock is
    held for the refresh and the commit only."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dangjian.fees.models import FeeRollup

    fees = (
        "member_no,month,due,paid,paid_on\nM1,2025-01,30.00,30.00,2025-01-05\nM1,2025-02,30.00,,\n"
    )
    bundle = write(
        tmp_path,
        {"orgs.csv": base_orgs(), "members.csv": MEMBERS + member_row("M1"), "fees.csv": fees},
    )
    with CaptureQueriesContext(connection) as q:
        import_bundle_dir(bundle)
    sqls = [x["sql"] for x in q.captured_queries]

    def at(pred):
        return [i for i, s in enumerate(sqls) if pred(s)]

    refresh = at(lambda s: "fees_feerollup" in s)
    writes = at(
        lambda s: (
            s.startswith("INSERT INTO")
            and "fees_feerollup" not in s
            and any(t in s for t in ("members_member", "fees_feemonth", "orgs_organization"))
        )
    )
    assert refresh
    assert writes  # the ledger opened for M1 (INSERT … SELECT), at least
    assert min(refresh) > max(writes)
    assert FeeRollup.objects.filter(organization__code="B1").count() >= 2
    if connection.vendor == "postgresql":
        checked = at(lambda s: s == "SET CONSTRAINTS ALL IMMEDIATE")
        locked = at(lambda s: "pg_advisory_xact_lock" in s)
        assert checked
        assert locked
        assert checked[0] < min(locked)
