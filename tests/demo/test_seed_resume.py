"""A chunked seed stopped while writing its chunks goes on with --resume: the chunks written are
not written again and the result is the seed's as if it had never stopped."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count

from dangjian.members.models import Member
from dangjian.orgs.models import Organization, Post

pytestmark = pytest.mark.django_db


def test_an_interrupted_chunked_seed_resumes(monkeypatch):
    from dangjian.demo import generator, services
    from dangjian.meetings.models import Meeting

    monkeypatch.setattr(services, "CHUNKED_SCALES", {"tiny": 2})
    monkeypatch.setattr(generator, "CHUNKED_SCALES", {"tiny": 2})
    import dangjian.demo.management.commands.seed as seed_command

    monkeypatch.setattr(seed_command, "CHUNKED_SCALES", {"tiny": 2})
    real = services.import_tables
    calls = {"n": 0}

    def failing(tables, **kw):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("断电")
        return real(tables, **kw)

    args = ("seed", "--scale", "tiny", "--seed", "5", "--today", "2026-06-30")
    monkeypatch.setattr(services, "import_tables", failing)
    with pytest.raises(RuntimeError):
        call_command(*args, stdout=io.StringIO(), stderr=io.StringIO())
    written = Member.objects.count()
    assert 0 < written < 520
    with pytest.raises(CommandError):  # not a fresh seed over what is there
        call_command(*args, stdout=io.StringIO(), stderr=io.StringIO())

    monkeypatch.setattr(services, "import_tables", real)
    err = io.StringIO()
    call_command(*args, "--resume", stdout=io.StringIO(), stderr=err)
    assert "已在库中，跳过" in err.getvalue()
    assert (Organization.objects.count(), Member.objects.count()) == (40, 520)
    assert Post.objects.filter(organization__depth=1, post="secretary").exists()
    # the records of the chunks written before the stop are not there twice
    twice = (
        Meeting.objects.values("organization_id", "kind", "held_on", "topic")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not twice.exists()
    assert Member.objects.values("member_no").distinct().count() == 520
    with pytest.raises(CommandError):  # finished: nothing to resume
        call_command(*args, "--resume", stdout=io.StringIO(), stderr=io.StringIO())
