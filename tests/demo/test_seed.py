import re
from datetime import date

import pytest

from dangjian.demo.generator import CityBuilder
from dangjian.demo.services import demo_logins_create, seed_city
from dangjian.members.models import Member
from dangjian.orgs.models import Organization


def test_city_shape_hits_the_exact_figures():
    b = CityBuilder("city", 1, date(2026, 6, 30))
    nodes = b.build()
    assert len(nodes) == 16_116
    branches = [n for n in nodes if n.kind == "branch"]
    assert sum(n.members for n in branches) == 256_781
    assert all(3 <= n.members <= 50 for n in branches)
    cats = {}
    for n in nodes:
        cats[n.category] = cats.get(n.category, 0) + 1
    assert {"community", "village", "organ", "soe", "private", "school"} <= set(cats)


NUMBERED = re.compile(r"第\d+(社区|村|小区|教工|学生|研究生|市)")  # a name drawn when none was left


def test_a_province_names_its_places_as_a_city_does():
    """A place's name is used once within a city, not once in the province: the province's ten
    cities drew from one set of names, ran out, and a quarter of its organizations (42,521)
    carried a numbered name instead (each after a thousand draws: 46 s of the seed)."""
    nodes = CityBuilder("province", 1, date(2026, 6, 30)).build()
    assert len(nodes) == 161_160
    cities = [n for n in nodes if n.parent is not None and n.parent.parent is None]
    assert len(cities) == 10
    assert len({c.name for c in cities}) == 10
    assert not any(NUMBERED.search(c.name) for c in cities)
    numbered = sum(1 for n in nodes if NUMBERED.search(n.name))
    assert numbered < 0.03 * len(nodes)  # a city's share (415 of 16,116)
    # within a city, each community committee's place name once
    for city in cities:
        names = [m.name for m in _below(city) if m.name.endswith("社区委员会")]
        assert len(names) == len(set(names))


def _below(n):
    yield n
    for c in n.children or []:
        yield from _below(c)


@pytest.mark.django_db
def test_tiny_seed_is_valid_deterministic_and_logins_work():
    seed_city(scale="tiny", seed=7, today=date(2026, 6, 30))
    assert Organization.objects.count() == 40
    assert Member.objects.count() == 520
    first = list(Member.objects.order_by("member_no").values_list("name", "id_number_masked")[:20])
    logins = demo_logins_create()
    assert [lg.username for lg in logins] == [
        "member",
        "branch",
        "committee",
        "supervisor",
        "sysadmin",
        "secadmin",
        "auditadmin",
    ]
    assert all(len(lg.backup_codes) == 5 for lg in logins[1:])
    # same seed → same people
    from dangjian.demo.generator import generate

    rows = generate("tiny", 7, date(2026, 6, 30))["members.csv"].rows
    assert [(r["name"]) for r in rows[:20]] == [n for n, _ in first]


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_demo_seeds_as_of_today(seed):
    """`make demo` seeds with today's date: nothing generated may lie in the future (the importer
    refuses future dates, so one would break the demo on some days and not others)."""
    from django.utils import timezone

    from dangjian.demo.generator import generate_with_truth
    from dangjian.interchange.importer import validate

    today = timezone.localdate()
    tables, _ = generate_with_truth("tiny", seed, today, 0.15)
    validate(tables)  # raises BundleError naming every bad cell


@pytest.mark.django_db
def test_demo_logins_print_how_a_member_of_the_demo_branch_activates():
    """`make demo` ends with `dangjian demo_logins`: every member of the demo branch has an
    account waiting for them, and the command says how one of them opens it."""
    import io

    from django.core.management import call_command

    from dangjian.accounts.models import User

    seed_city(scale="tiny", seed=3, today=date(2026, 6, 30))
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    assert "党员开通账号" in text
    assert "var/sms-outbox.log" in text
    branch = Organization.objects.get(
        name=text.split("党员开通账号：", 1)[1].split("的每名党员")[0]
    )
    on_roll = Member.objects.filter(organization=branch, status__in=["full", "probationary"])
    assert User.objects.filter(member__in=on_roll).count() == on_roll.count() > 0
