"""`{% id_url %}`: a row's link in a long list, reversed once per URL configuration and prefix."""

from __future__ import annotations

from django.urls import get_script_prefix, reverse, set_script_prefix

from dangjian.web.templatetags.web import id_url


def test_the_link_is_the_one_reverse_gives_for_every_id_and_prefix():
    for pk in (1, 7, 2_147_480_001, 99_999_999_999):
        assert id_url("members:detail", pk) == reverse("members:detail", args=[pk])
        assert id_url("orgs:detail", pk) == reverse("orgs:detail", args=[pk])
    set_script_prefix("/dangjian/")  # behind a path on a shared host
    try:
        assert id_url("members:detail", 12) == reverse("members:detail", args=[12])
        assert id_url("members:detail", 12).startswith("/dangjian/")
    finally:
        set_script_prefix("/")
    assert id_url("members:detail", 12) == reverse("members:detail", args=[12])


def test_a_todo_items_link_with_one_or_two_ids_under_any_prefix():
    for name, ids in [("transfers:detail", [7]), ("orgs:request_answer", [3, 41])]:
        assert id_url(name, *ids) == reverse(name, args=ids)
        assert id_url(name, *[i * 1000 + 1 for i in ids]) == reverse(
            name, args=[i * 1000 + 1 for i in ids]
        )
    # under a script prefix (the platform served below a path) the prefix is the one in force
    before = get_script_prefix()
    set_script_prefix("/dangjian/")
    try:
        assert id_url("transfers:detail", 7) == "/dangjian/transfers/7/"
        assert id_url("transfers:detail", 7) == reverse("transfers:detail", args=[7])
    finally:
        set_script_prefix(before)
    assert id_url("transfers:detail", 7) == reverse("transfers:detail", args=[7])
