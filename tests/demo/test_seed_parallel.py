"""A chunked seed written by several processes at once (PostgreSQL, `--workers`): the same
record as when the chunks are written one after the other, counters and fee roll-ups included; a
chunk that fails stops the others and `--resume` goes on."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, connections  # noqa: F401 - connection: the skipif's
from django.db.models import Count, Sum

from dangjian.fees.models import FeeMonth, FeeRollup
from dangjian.meetings.models import Meeting
from dangjian.members.models import Member
from dangjian.orgs.counters import counters_recount
from dangjian.orgs.models import Organization, Post

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'"),
]
ARGS = ("seed", "--scale", "tiny", "--seed", "5", "--today", "2026-06-30")


@pytest.fixture
def chunked(monkeypatch: pytest.MonkeyPatch) -> None:
    from dangjian.demo import generator, services
    from dangjian.demo.management.commands import seed as seed_command

    for module in (services, generator, seed_command):
        monkeypatch.setattr(module, "CHUNKED_SCALES", {"tiny": 2})


def rows(qs: Any, *fields: str) -> list[tuple[Any, ...]]:
    return list(qs.values_list(*fields).order_by(*fields))


def record() -> dict[str, Any]:
    """What the chunks wrote, by codes and numbers (ids differ with the order of the chunks)."""
    return {
        "orgs": rows(Organization.objects, "code", "path", "depth", "numchild"),
        "members": rows(Member.objects, "member_no", "organization__code", "status", "joined_on"),
        "counters": rows(
            Organization.objects,
            "code",
            "members_full",
            "members_probationary",
            "members_suspended",
        ),
        "fees": rows(FeeMonth.objects, "member__member_no", "month_index", "due_fen", "paid_fen"),
        "rollup": rows(
            FeeRollup.objects, "organization__code", "month_index", "due_fen", "paid_fen", "members"
        ),
        "meetings": rows(Meeting.objects, "organization__code", "kind", "held_on", "topic"),
        "posts": rows(Post.objects, "organization__code", "post", "member__member_no"),
    }


def wipe() -> None:
    call_command("flush", "--noinput", verbosity=0)


@pytest.fixture
def loop_running(monkeypatch: pytest.MonkeyPatch) -> Any:
    """As in a test process where Playwright's event loop runs (the browser tests' session-wide
    browser): Django then keeps connections per loop, and the thread's own, opened before, stays
    open beside them."""
    assert Organization.objects.count() == 0  # the thread's connection, open
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    loop = asyncio.new_event_loop()
    asyncio.events._set_running_loop(loop)
    try:
        yield
    finally:
        connections.close_all()  # the loop's
        asyncio.events._set_running_loop(None)
        loop.close()


def test_written_by_two_processes_the_record_is_the_same(
    chunked: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dangjian.demo import services

    # the chunks' record alone: the plants that follow pick organizations in id order, and ids
    # follow the order in which the chunks were written
    for plant in (
        "plant_setup",
        "plant_mobile",
        "plant_learning",
        "plant_community",
        "plant_villages",
        "plant_enterprises",
        "plant_academy",
    ):
        monkeypatch.setattr(services, plant, lambda **kw: None)
    out = io.StringIO()
    call_command(*ARGS, stdout=out, stderr=io.StringIO())
    one_by_one = record()
    assert len(one_by_one["members"]) == 520
    wipe()

    err = io.StringIO()
    call_command(*ARGS, "--workers", "2", stdout=io.StringIO(), stderr=err)
    assert err.getvalue().count("块已写入") >= 3
    at_once = record()
    assert at_once == one_by_one
    # the counters are what the member table says (no update lost between the processes)
    assert at_once["counters"] != []
    counters_recount()
    assert record()["counters"] == at_once["counters"]
    assert (
        FeeRollup.objects.aggregate(s=Sum("due_fen"))["s"]
        == FeeMonth.objects.aggregate(s=Sum("due_fen"))["s"]
    )
    assert not (
        Meeting.objects.values("organization_id", "kind", "held_on", "topic")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .exists()
    )


def test_a_failing_chunk_stops_the_others_and_the_seed_resumes(
    chunked: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dangjian.demo import services

    real = services.import_tables

    def failing(tables, **kw):  # type: ignore[no-untyped-def]
        if "orgs.csv" in tables and tables["orgs.csv"].rows[0]["code"] == third:
            raise RuntimeError("断电")
        return real(tables, **kw)

    # the third chunk (the second subtree) fails in its own process
    from datetime import date

    from dangjian.demo.generator import CityBuilder

    chunks = CityBuilder("tiny", 5, date(2026, 6, 30), 0.03).chunks(2)
    next(chunks), next(chunks)
    third = next(chunks)["orgs.csv"].rows[0]["code"]
    del chunks

    monkeypatch.setattr(services, "import_tables", failing)
    with pytest.raises(RuntimeError, match="断电"):
        call_command(*ARGS, "--workers", "2", stdout=io.StringIO(), stderr=io.StringIO())
    assert not Organization.objects.filter(code=third).exists()
    assert Member.objects.count() < 520

    monkeypatch.setattr(services, "import_tables", real)
    err = io.StringIO()
    call_command(*ARGS, "--resume", "--workers", "2", stdout=io.StringIO(), stderr=err)
    assert (Organization.objects.count(), Member.objects.count()) == (40, 520)
    assert Member.objects.values("member_no").distinct().count() == 520
    assert Post.objects.filter(organization__depth=1, post="secretary").exists()
    assert "第1块已在库中，跳过" in err.getvalue()
    assert not (
        Meeting.objects.values("organization_id", "kind", "held_on", "topic")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .exists()
    )


def test_a_writer_opens_its_own_connection_whatever_it_inherited(
    chunked: None, loop_running: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a forked writer found the thread's older, open connection (the parent had closed the loop's)
    # and the writers shared its socket: the whole PostgreSQL suite failed here after the browser
    # tests ("the last operation didn't produce records (command status: BEGIN)")
    from dangjian.demo import services

    for plant in ("plant_community", "plant_villages", "plant_enterprises", "plant_academy"):
        monkeypatch.setattr(services, plant, lambda **kw: None)
    err = io.StringIO()
    call_command(*ARGS, "--workers", "2", stdout=io.StringIO(), stderr=err)
    assert err.getvalue().count("块已写入") >= 3
    assert (Organization.objects.count(), Member.objects.count()) == (40, 520)


def test_workers_must_be_a_positive_number() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--workers"):
        call_command(*ARGS, "--workers", "0", stdout=io.StringIO(), stderr=io.StringIO())


def test_which_chunks_are_written_on_their_own() -> None:
    from dangjian.core.bundle import Table
    from dangjian.demo.services import _alone
    from dangjian.orgs.interchange import ORGS

    def chunk(n: int) -> dict[str, Table]:
        return {"orgs.csv": Table(spec=ORGS, rows=[{"code": f"O{k}"} for k in range(n)])}

    assert _alone(1, chunk(71), 0)  # the organizations above the subtrees
    # a subtree larger than what is written: the importer would touch every organization
    assert _alone(2, chunk(2700), 71)
    assert not _alone(3, chunk(2700), 2771)
    assert _alone(9, chunk(5000), 4000)
    assert _alone(62, {"posts.csv": chunk(3)["orgs.csv"]}, 160000)  # the posts of those above
