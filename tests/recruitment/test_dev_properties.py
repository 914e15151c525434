"""Property tests: a generated valid pipeline never triggers a DEV rule; moving any one date across
its limit triggers exactly the rule that guards it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian.compliance.engine import REGISTRY, ScanContext
from dangjian.core.dates import add_months
from dangjian.orgs.models import Organization
from dangjian.orgs.services import org_create
from dangjian.recruitment.models import Candidate

pytestmark = pytest.mark.django_db
SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@st.composite
def pipelines(draw):  # type: ignore[no-untyped-def]
    """A complete, regular pipeline: every interval inside its limit, month ends and leap days
    included."""
    day = st.integers(min_value=0, max_value=27)
    applied = date(2015, 1, 1) + timedelta(days=draw(st.integers(0, 3000)))
    birth = add_months(applied, -12 * draw(st.integers(18, 50))) - timedelta(
        days=draw(st.integers(0, 300))
    )
    talked = min(applied + timedelta(days=draw(day)), add_months(applied, 1))
    activist = talked + timedelta(days=draw(st.integers(0, 200)))
    target = add_months(activist, 12) + timedelta(days=draw(st.integers(0, 200)))
    reviewed = target + timedelta(days=draw(st.integers(0, 60)))
    trained = target + timedelta(days=draw(st.integers(0, 60)))
    admitted = max(reviewed, trained) + timedelta(days=draw(st.integers(0, 60)))
    approved = min(admitted + timedelta(days=draw(st.integers(0, 120))), add_months(admitted, 3))
    oath = min(approved + timedelta(days=draw(day)), add_months(approved, 1))
    full = add_months(admitted, 12)
    return {
        "birth_date": birth,
        "applied_on": applied,
        "talked_on": talked,
        "activist_on": activist,
        "target_on": target,
        "reviewed_on": reviewed,
        "trained_on": trained,
        "publicized_on": reviewed,
        "admitted_on": admitted,
        "approved_on": approved,
        "oath_on": oath,
        "full_on": full,
    }


@pytest.fixture
def branch(db):
    c = org_create(
        actor=None,
        parent=None,
        code="C",
        name="委员会",
        kind="committee",
        category="organ",
        established_on=date(2000, 1, 1),
    )
    return org_create(
        actor=None,
        parent=c,
        code="B1",
        name="支部",
        kind="branch",
        category="organ",
        established_on=date(2000, 1, 1),
    )


def dev_findings(as_of: date) -> set[str]:
    found = set()
    for rid, r in REGISTRY.items():
        if (
            rid.startswith("DEV-")
            and r.severity != "info"
            and list(r.evaluate(ScanContext(as_of=as_of, scope_path="", params={})))
        ):
            found.add(rid)
    return found


def put(branch: Organization, dates: dict) -> None:
    Candidate.objects.all().delete()
    Candidate.objects.create(
        person_no="P1", name="甲", gender="男", organization=branch, source="import", **dates
    )


def later(d: date, months: int, days: int) -> date:
    return add_months(d, months) + timedelta(days=days)


@SETTINGS
@given(p=pipelines(), k=st.integers(1, 40))
def test_valid_pipelines_trigger_nothing_and_each_shift_exactly_its_rule(branch, p, k):
    as_of = p["full_on"] + timedelta(days=30)
    put(branch, p)
    assert dev_findings(as_of) == set()
    shifts = {
        "DEV-01": {"birth_date": add_months(p["applied_on"], -216) + timedelta(days=min(k, 200))},
        "DEV-02": {"talked_on": later(p["applied_on"], 1, k)},
        "DEV-05": {"target_on": add_months(p["activist_on"], 12) - timedelta(days=k)},
        "DEV-06": {"trained_on": p["admitted_on"] + timedelta(days=k)},
        "DEV-10": {
            "approved_on": later(p["admitted_on"], 3, k),
            "oath_on": later(p["admitted_on"], 3, k),
        },
        "DEV-14": {"full_on": add_months(p["admitted_on"], 12) - timedelta(days=k)},
    }
    for rule, change in shifts.items():
        put(branch, {**p, **change})
        assert dev_findings(as_of) == {rule}, (rule, change)
    # the pending forms: a step not done by its deadline, seen the day after the deadline
    pending = {
        "DEV-02": (
            {
                "talked_on": None,
                "activist_on": None,
                "target_on": None,
                "reviewed_on": None,
                "trained_on": None,
                "publicized_on": None,
                "admitted_on": None,
                "approved_on": None,
                "oath_on": None,
                "full_on": None,
            },
            add_months(p["applied_on"], 1) + timedelta(days=1),
        ),
        "DEV-10": (
            {"approved_on": None, "oath_on": None, "full_on": None},
            add_months(p["admitted_on"], 3) + timedelta(days=1),
        ),
        "DEV-15": ({"full_on": None}, add_months(p["admitted_on"], 13) + timedelta(days=1)),
        "DEV-12": (
            {"oath_on": None, "full_on": None},
            min(
                add_months(p["approved_on"], 1) + timedelta(days=1),
                add_months(p["admitted_on"], 11) - timedelta(days=1),
            ),
        ),
    }
    for rule, (change, day) in pending.items():
        put(branch, {**p, **change})
        assert dev_findings(day) == {rule}, (rule, day)
        assert dev_findings(day - timedelta(days=1)) == set(), (
            rule,
            "the deadline itself is in time",
        )
