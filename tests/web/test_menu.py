"""The staff frame's menu is built when a page shows it: a staff page lists it in the sidebar and
in the phone-width drawer; a member's phone page neither shows nor builds it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dangjian.web import context_processors
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_staff_frame_shows_the_menu_twice(client, users):
    login(client, users["committee_staff"])
    body = client.get(reverse("members:list")).content.decode()
    assert body.count("党员花名册</a>") == 2
    assert body.count('class="menu-item active"') == 2  # the page being shown


def test_member_page_does_not_build_the_menu(client, users, monkeypatch):
    built = []
    monkeypatch.setattr(context_processors, "menu_for", lambda user: built.append(user) or [])
    login(client, users["member"], verify=False)
    assert client.get(reverse("fees:my")).status_code == 200
    assert built == []
    login(client, users["committee_staff"])
    client.get(reverse("members:list"))
    assert len(built) == 1  # once for both places
