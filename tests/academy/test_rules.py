"""The study rules read the academy: on hand-made bundles with classes.csv and enrolments.csv,
EDU-02 sees a secretary's completed 支部书记培训班 (or 党务工作者培训班) of the year as concentrated
training and its hours as study hours, at the year's boundaries; a class of another kind or not
completed does not count. EDU-03 and EDU-04 from completed classes recorded here."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest
from freezegun import freeze_time

from dangjian.academy import services
from dangjian.core import idnumber
from dangjian.interchange.exporter import build_bundle
from dangjian.interchange.importer import import_bundle_dir
from dangjian.interchange.reader import BundleError
from dangjian.orgs.services import post_assign
from tests.academy.helpers import at, open_class
from tests.compliance.test_org_rules import MEMBER_HEAD, ORG_HEAD, POST_HEAD, scan

pytestmark = pytest.mark.django_db

ORGS = "C,中共示范委员会,,committee,organ,2000-01-01\nB1,第一支部,C,branch,organ,2000-01-01\n"
CLASS_HEAD = "code,kind,organizer_org_code,starts_on,ends_on,hours\n"
ENROL_HEAD = "class_code,member_no,person_no,attendance_pct,exam_score,completed\n"


def load(tmp: Path, classes: str, enrolments: str, study: str = "S1,2025,60\nS2,2025,60\n") -> Path:
    d = tmp / "bundle"
    d.mkdir(exist_ok=True)
    (d / "orgs.csv").write_text(ORG_HEAD + ORGS, encoding="utf-8")
    rows = "".join(
        f"{no},党员{i},男,1980-01-01,{idnumber.make('350203', date(1980, 1, 1), i * 2 + 1)},,"
        f"B1,full,2010-01-01,2011-01-01,employed,5000.00\n"
        for i, no in enumerate(("S1", "S2"), 1)
    )
    (d / "members.csv").write_text(MEMBER_HEAD + rows, encoding="utf-8")
    (d / "posts.csv").write_text(POST_HEAD + "B1,S1,secretary\n", encoding="utf-8")
    (d / "study.csv").write_text(
        "member_no,year,hours\nS1,2024,60\nS2,2024,60\n" + study, encoding="utf-8"
    )
    (d / "classes.csv").write_text(CLASS_HEAD + classes, encoding="utf-8")
    trained = TRAINED_2024 if "K24" in classes else ""
    (d / "enrolments.csv").write_text(ENROL_HEAD + trained + enrolments, encoding="utf-8")
    import_bundle_dir(d)
    return d


def edu02(as_of: str = "2026-01-10") -> dict[str, str]:
    return {f["member"]: f["message"] for f in scan(as_of) if f["rule"] == "EDU-02"}


TRAINED_2024 = "K24,S1,,100.0,90,yes\n"  # the secretary was trained in 2024: only 2025 judged
CLASSES = (
    "K25,secretary,C,2025-03-01,2025-03-03,24.0\n"
    "K24,secretary,C,2024-12-29,2024-12-31,24.0\n"
    "W25,worker,C,2025-12-29,2025-12-31,16.0\n"
    "N25,new_member,C,2025-05-01,2025-05-02,16.0\n"
)


def test_a_completed_secretary_class_of_the_year_is_concentrated_training(tmp_path):
    load(tmp_path, CLASSES, "K25,S1,,100.0,90,yes\n")
    assert edu02() == {}


def test_the_class_counts_in_the_year_it_ends(tmp_path):
    # K24 ends on 31 December 2024: it is 2024's training, not 2025's
    load(tmp_path, CLASSES, "")
    assert edu02() == {"S1": "2025年未参加集中培训。"}
    assert {f["period"] for f in scan("2026-01-10") if f["rule"] == "EDU-02"} == {"2025"}


def test_a_worker_class_on_the_last_day_counts_and_a_new_member_class_does_not(tmp_path):
    load(tmp_path, CLASSES, "W25,S1,,95.0,,yes\n")
    assert edu02() == {}
    (tmp_path / "bundle" / "enrolments.csv").write_text(
        ENROL_HEAD + TRAINED_2024 + "W25,S1,,95.0,,no\nN25,S1,,100.0,,yes\n", encoding="utf-8"
    )
    import_bundle_dir(tmp_path / "bundle")
    assert edu02() == {"S1": "2025年未参加集中培训。"}


def test_completed_class_hours_count_as_study_hours(tmp_path):
    # 40 hours of study and a 24-hour class: 64, enough for the 56 a secretary needs
    load(tmp_path, CLASSES, "K25,S1,,100.0,90,yes\n", study="S1,2025,40\nS2,2025,60\n")
    assert edu02() == {}
    (tmp_path / "bundle" / "enrolments.csv").write_text(
        ENROL_HEAD + TRAINED_2024 + "K25,S1,,50.0,90,no\n", encoding="utf-8"
    )
    import_bundle_dir(tmp_path / "bundle")
    assert edu02() == {"S1": "2025年学习40学时（应不少于56），未参加集中培训。"}


def test_without_academy_records_training_is_not_judged(tmp_path):
    load(tmp_path, "", "")
    assert edu02() == {}


def test_bundle_files_are_checked_and_round_trip(tmp_path):
    with pytest.raises(BundleError) as exc:
        load(
            tmp_path,
            "K1,nope,C,2025-03-01,2025-02-01,x\nK1,secretary,ZZ,2025-03-01,2025-03-03,8\n",
            "K9,S1,,101,abc,ok\nK1,S1,P1,,,yes\n",
        )
    reasons = {(i.file, i.row, i.column) for i in exc.value.issues}
    for where in (
        ("classes.csv", 2, "kind"),
        ("classes.csv", 2, "ends_on"),
        ("classes.csv", 2, "hours"),
        ("classes.csv", 3, "code"),
        ("classes.csv", 3, "organizer_org_code"),
        ("enrolments.csv", 2, "class_code"),
        ("enrolments.csv", 2, "attendance_pct"),
        ("enrolments.csv", 2, "exam_score"),
        ("enrolments.csv", 2, "completed"),
        ("enrolments.csv", 3, "member_no"),
    ):
        assert any(r[0].endswith(where[0]) and r[1:] == where[1:] for r in reasons), where
    d = load(tmp_path, CLASSES, "K25,S1,,100.0,90,yes\nW25,S2,,87.5,,no\n")
    first = build_bundle()
    assert first["classes.csv"].decode().splitlines() == [CLASS_HEAD.strip()] + sorted(
        CLASSES.strip().splitlines()
    )
    assert first["enrolments.csv"].decode().splitlines()[1:] == [
        "K24,S1,,100.0,90,yes",
        "K25,S1,,100.0,90,yes",
        "W25,S2,,87.5,,no",
    ]
    import_bundle_dir(d)
    assert build_bundle() == first


def test_edu_03_a_new_secretary_trained_within_six_months(tree, users):
    from dangjian.compliance.services import scan_run

    sec = tree.members["A2-5"]
    with freeze_time("2025-01-05"):
        post_assign(
            actor=None,
            organization=tree.branch_a2,
            member=sec,
            post="secretary",
            started_on=date(2025, 1, 5),
        )
        k = open_class(
            users,
            tree,
            "secretary",
            starts=date(2025, 7, 3),
            ends=date(2025, 7, 5),
            min_attendance=None,
            pass_score=None,
        )
        (e,) = services.enrolment_nominate(
            actor=users["committee_staff"], klass=k, nominated_by=tree.branch_a2, members=[sec]
        )
        services.enrolment_decide(actor=users["committee_staff"], enrolments=[e], accept=True)
        services.roster_publish(actor=users["committee_staff"], klass=k)

    def edu03(as_of: date) -> set[int]:
        scan_run(as_of=as_of)
        from dangjian.compliance.models import Finding

        return set(
            Finding.objects.filter(rule_id="EDU-03", closed_on__isnull=True).values_list(
                "member_id", flat=True
            )
        )

    with freeze_time("2025-07-06"):
        services.class_assess(actor=users["committee_staff"], klass=k)  # completes on 07-05
        assert sec.pk not in edu03(date(2025, 7, 6))  # within six months (due 2025-07-05)
    e.refresh_from_db()
    assert e.completed is True
    k.ends_on = date(2025, 7, 6)  # a day late: the class ends after the six months
    k.save(update_fields=["ends_on"])
    with freeze_time("2025-07-07"):
        assert sec.pk in edu03(date(2025, 7, 7))


def test_sign_in_window_uses_the_class_margin(tree, users):
    with freeze_time("2024-03-01"):
        k = open_class(users, tree, "secretary", sessions=1, sign_margin=5)
    s = k.sessions.get()
    assert (s.starts_at, s.ends_at) == (time(9), time(17))
    opens, closes = services._window(s, k.sign_margin)
    assert (opens, closes) == (at(s.on, 8, 55), at(s.on, 17, 5))


def edu03(as_of: str = "2026-01-10") -> set[str]:
    return {f["org"] for f in scan(as_of) if f["rule"] == "EDU-03"}


@pytest.mark.parametrize(
    ("ends_on", "kind", "found"),
    [
        ("2025-09-01", "secretary", set()),  # the last day of the six months
        ("2025-09-02", "secretary", {"B1"}),  # a day late
        ("2025-02-28", "secretary", {"B1"}),  # before taking office
        ("2025-06-01", "worker", {"B1"}),  # not a secretaries' class
    ],
)
def test_edu_03_on_a_bundle_at_its_boundaries(tmp_path, ends_on, kind, found):
    d = load(
        tmp_path,
        f"K3,{kind},C,{ends_on},{ends_on},24.0\n",
        "K3,S1,,100.0,,yes\n",
    )
    (d / "posts.csv").write_text(POST_HEAD.strip() + ",started_on\nB1,S1,secretary,2025-03-01\n")
    import_bundle_dir(d)
    assert edu03() == found


def test_posts_started_on_is_optional_checked_and_round_trips(tmp_path):
    d = load(tmp_path, CLASSES, "")
    first = build_bundle()["posts.csv"].decode().splitlines()
    assert first == ["org_code,member_no,post,started_on", "B1,S1,secretary,"]
    (d / "posts.csv").write_text(POST_HEAD.strip() + ",started_on\nB1,S1,secretary,2099-01-01\n")
    with pytest.raises(BundleError) as exc:
        import_bundle_dir(d)
    assert [(i.row, i.column) for i in exc.value.issues] == [(2, "started_on")]
    (d / "posts.csv").write_text(POST_HEAD.strip() + ",started_on\nB1,S1,secretary,2025-03-01\n")
    import_bundle_dir(d)
    again = build_bundle()
    assert again["posts.csv"].decode().splitlines()[1] == "B1,S1,secretary,2025-03-01"
    (d / "posts.csv").write_text(POST_HEAD + "B1,S1,secretary\n")  # no column: the date stays
    import_bundle_dir(d)
    assert build_bundle()["posts.csv"] == again["posts.csv"]


def test_a_bundle_does_not_rewrite_a_class_run_on_the_platform(tmp_path, tree, users):
    from dangjian.academy.models import TrainingClass

    with freeze_time("2026-02-01"):  # a class run on the platform, not assessed yet
        k = open_class(users, tree, "secretary", starts=date(2026, 3, 1), ends=date(2026, 3, 3))
    TrainingClass.objects.filter(pk=k.pk).update(code="LIVE1")
    d = tmp_path / "b"
    d.mkdir()
    (d / "classes.csv").write_text(CLASS_HEAD + "LIVE1,secretary,DA,2026-03-01,2026-03-05,24.0\n")
    (d / "enrolments.csv").write_text(ENROL_HEAD + "LIVE1,M0001,,100.0,,yes\n")
    with pytest.raises(BundleError) as exc:
        import_bundle_dir(d)
    where = {(i.file, i.row, i.column) for i in exc.value.issues}
    assert any(w[1:] == (2, "code") for w in where)
    assert any(w[1:] == (2, "class_code") for w in where)
    k.refresh_from_db()
    assert k.ends_on == date(2026, 3, 3)
    assert not TrainingClass.objects.get(code="LIVE1").enrolments.exists()
