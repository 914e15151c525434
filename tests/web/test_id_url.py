"""`{% id_url %}`: a row's link in a long list, reversed once per URL configuration and prefix."""

from __future__ import annotations

from django.urls import reverse, set_script_prefix

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
