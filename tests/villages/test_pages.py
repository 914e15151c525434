"""组团帮扶's pages (issue 19, item 4 and the flows): the summary as the city writes it, the
villages list with its filters, a village's page, rounds and plots — each in a fixed number of
queries whatever the number of villages; the resident's phone page; 待办 for towns and residents."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dangjian.orgs.services import org_create
from dangjian.villages import services
from dangjian.villages.models import Presence, Visit
from tests.conftest import login

pytestmark = pytest.mark.django_db


def _villages(tree, n: int, start: int = 0) -> list:
    out = []
    for k in range(start, start + n):
        org = org_create(
            actor=None, parent=tree.district_a, code=f"VO{k}", name=f"中共{k}号村委员会",
            kind="committee", category="village", established_on=date(2000, 1, 1),
        )  # fmt: skip
        v = services.village_save(
            actor=None, code=f"V{k:03d}", name=f"{k}号村", town=f"{'东西'[k % 2]}镇",
            district="甲区", organization=org, population=1000, households=300, key=k % 2 == 0,
        )  # fmt: skip
        later = 1_200_000 - k * 300_000 if k < 4 else 50_000 + k  # from the 5th: weak
        for year, amount in ((2024, 1_000_000 + k), (2025, later)):
            services.income_record(actor=None, village=v, year=year, collective=str(amount))
        out.append(v)
    return out


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(url)
    assert resp.status_code == 200, url
    return len(ctx.captured_queries)


def test_pages_read_in_a_fixed_number_of_queries(client, tree, users):
    vs = _villages(tree, 5)  # the 5th is weak
    r = services.round_save(
        actor=None, organization=tree.district_a, name="一轮", starts_on=date(2025, 1, 1),
        ends_on=date(2027, 12, 31),
    )  # fmt: skip
    services.plot_save(actor=None, village=vs[0], code="P0", area_mu="3", crop="水稻")
    p = services.project_save(
        actor=None, village=vs[0], name="鹧鸪养殖", industry="养殖", investment="500000",
        status="running", started_on=date(2024, 3, 1),
    )  # fmt: skip
    services.project_income(actor=None, project=p, year=2025, income="120000")
    login(client, users["committee_staff"])
    da = tree.district_a.pk
    urls = {
        "summary": reverse("villages:summary", args=[da]) + "?year=2025",
        "list": reverse("villages:list", args=[da]) + "?year=2025",
        "rounds": reverse("villages:rounds", args=[da]),
        "round": reverse("villages:round", args=[r.pk]),
        "plots": reverse("villages:plots", args=[da]),
        "village": reverse("villages:village", args=[vs[0].pk]),
    }
    client.get(urls["summary"])  # the session's first page reads the grants and the packs once
    small = {k: _queries(client, u) for k, u in urls.items()}
    more = _villages(tree, 6, start=5)
    for v in more[:3]:
        services.plot_save(actor=None, village=v, code=f"P{v.pk}", area_mu="2.5", crop="地瓜")
    client.get(urls["summary"])  # after writes the first page may refresh the 待办 count
    large = {k: _queries(client, u) for k, u in urls.items()}
    assert "12.00（2025）" in client.get(urls["village"]).content.decode()  # the project's income
    assert large == small
    assert small == {
        # the session with its user, grants and the bell is one statement
        "summary": 15,
        "list": 10,
        "rounds": 7,
        "round": 9,
        "plots": 12,
        "village": 16,
    }


def test_the_summary_shows_the_figures_and_drills_into_a_weak_village(client, tree, users):
    vs = _villages(tree, 5)  # 2025: 1,200,000 … −0 down to 0: villages 4 (0 元) is weak
    login(client, users["committee_staff"])
    page = client.get(reverse("villages:summary", args=[tree.district_a.pk]) + "?year=2025")
    body = page.content.decode()
    assert "村均" in body
    assert "同比下降" in body
    weak = client.get(reverse("villages:list", args=[tree.district_a.pk]) + "?year=2025&weak=1")
    assert "4号村" in weak.content.decode()
    assert "0号村" not in weak.content.decode()
    village = client.get(reverse("villages:village", args=[vs[4].pk])).content.decode()
    assert "薄弱村" in village
    # district B's staff see none of it
    login(client, users["sibling_staff"])
    assert client.get(reverse("villages:village", args=[vs[4].pk])).status_code == 404


def test_the_resident_logs_the_day_a_visit_and_a_matter_on_the_phone(client, tree, users):
    [v] = _villages(tree, 1)
    today = timezone.localdate()
    services.resident_post(
        actor=None, village=v, member=tree.members["A1-2"], role="first_secretary",
        unit=tree.branch_a1, arrived_on=today - timedelta(days=40),
    )  # fmt: skip
    login(client, users["member"])
    home = client.get(reverse("portal:member_home")).content.decode()
    assert "登记今日在岗情况（0号村）" in home
    url = reverse("villages:my")
    assert "0号村" in client.get(url).content.decode()
    resp = client.post(url, {"form": "presence", "day": today.isoformat(), "on_site": "0"})
    assert resp.status_code == 400
    assert "请填写不在村原因" in resp.content.decode()
    resp = client.post(url, {"form": "presence", "day": today.isoformat(), "on_site": "1"})
    assert resp.status_code == 302
    assert Presence.objects.get().on_site is True
    assert "登记今日在岗情况" not in client.get(reverse("portal:member_home")).content.decode()
    client.post(
        url,
        {"form": "visit", "household": "王家", "visited_on": today.isoformat(), "asked": "修路"},
    )
    assert Visit.objects.get().household == "王家"
    client.post(
        url,
        {"form": "matter", "what": "代办医保", "for_whom": "王家", "done_on": today.isoformat()},
    )
    page = client.get(url).content.decode()
    assert "代办医保" in page
    assert "本月入户走访" in page


def test_towns_are_asked_for_last_years_figures(client, tree, users):
    _villages(tree, 2)
    org = org_create(
        actor=None, parent=tree.district_a, code="VOX", name="中共新村委员会",
        kind="committee", category="village", established_on=date(2000, 1, 1),
    )  # fmt: skip
    services.village_save(
        actor=None, code="VX", name="新村", town="东镇", district="甲区", organization=org
    )
    login(client, users["committee_staff"])
    todo = client.get(reverse("portal:home")).content.decode()
    year = timezone.localdate().year - 1
    assert f"登记{year}年村集体收入" in todo


def test_staff_create_a_round_and_an_area_from_the_pages(client, tree, users):
    vs = _villages(tree, 2)
    login(client, users["committee_staff"])
    resp = client.post(
        reverse("villages:rounds", args=[tree.district_a.pk]),
        {"name": "甲区2026年组团帮扶", "starts_on": "2026-01-01", "ends_on": "2028-12-31"},
    )
    assert resp.status_code == 302
    from dangjian.villages.models import Area, Round

    r = Round.objects.get()
    resp = client.post(
        reverse("villages:area_new", args=[r.pk]),
        {
            "form": "area",
            "name": "东镇片区",
            "villages": [vs[0].pk, vs[1].pk],
            "team_name": "东镇片区帮扶团队",
            "leader": "陈团长",
        },
    )
    assert resp.status_code == 302
    area = Area.objects.get()
    assert sorted(area.villages.values_list("code", flat=True)) == ["V000", "V001"]
    resp = client.post(
        reverse("villages:area", args=[r.pk, area.pk]),
        {"form": "member", "name": "吴队员", "unit": tree.branch_a1.code, "duty": "产业"},
    )
    assert resp.status_code == 302
    assert list(area.team.values_list("name", flat=True)) == ["吴队员"]
    # a branch's worker sees the round (their part) but may not start one
    login(client, users["branch_worker"])
    assert client.get(reverse("villages:round", args=[r.pk])).status_code == 200
    page = client.get(reverse("villages:rounds", args=[tree.branch_a1.pk])).content.decode()
    assert "建立轮次" not in page
